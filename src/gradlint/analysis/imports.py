"""Imports of the project's own modules: what they define is analysed as if it were in the file.

`from data import sample` (or a model class, or a module-level tensor) in the file being linted
runs the imported module's top level once, as Python does, in the same flow state: its functions
and classes close over its own module frame, so calling them inlines them as if they were in the
file. The analysis does not find files: the pipeline gives it an `imports` resolver (see
`gradlint.project`) whose `resolve(unit, module, level)` returns the `ModuleUnit`s to run, parent
packages first (None: not a module of the project).

Precision first: only an unconditional `from X import names`, `import X` or `import pkg.mod [as m]`
at the top level of a module is followed (a project module `import X` binds is a `T.MODULE` object
whose attributes are what its top level bound). An unresolvable, star or conditional import, or one in a cycle, binds nothing known (as
before). Findings are only ever reported in the linted file: `.grad` reads, optimizer arguments,
bindings (where a fix would go) and unanalysed statements in another module are not recorded, and a
reason made in another module names it (`Why.module`: "`2 * torch.rand(...)` in data.py line 2
computed it"), with no position in the linted file.
"""
from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Protocol, Sequence, Union

from .file_facts import FileFacts, file_facts
from .host import HostBase, WideFacts
from .keys import TENSOR, VARIABLE
from .source import SourceText
from .values import UNKNOWN, Obj, T, Value, Why

MAX_UNITS = 16  # project modules run per linted file
MAX_DEPTH = 2  # imports followed from the linted file (1), and from what it imports (2)
MAX_UNIT_LINES = 2_000  # larger modules are not followed (their names stay unknown)


class ModuleUnit:
    """One parsed project module: its tree, text and file-wide facts (shared by every file that
    imports it, as long as its content is the same)."""

    def __init__(self, path: str, name: str, display: str, data: bytes, tree: ast.Module, source: SourceText):
        self.path = path  # absolute path of the file
        self.name = name  # the dotted module name it is imported as
        self.display = display  # how messages name it ("data.py", "pkg/models.py")
        self.digest = hashlib.sha256(data).hexdigest()
        self.tree = tree
        self.source = source
        self.facts: FileFacts = file_facts(tree, source.text)
        self.top_level = frozenset(id(stmt) for stmt in tree.body)
        self.walrus = ":=" in source.text
        self._offsets: Optional[list] = None

    def line_offsets(self) -> list:
        if self._offsets is None:
            self._offsets = self.source.line_byte_offsets()
        return self._offsets


def parse_unit(path: str, name: str, display: str, data: bytes) -> Optional[ModuleUnit]:
    """The unit for a module's bytes; None when it cannot be decoded or parsed, or is too large."""
    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            text = text[1:]
        if text.count("\n") > MAX_UNIT_LINES:
            return None
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return None
    return ModuleUnit(path, name, display, data, tree, SourceText(text))


class ProgramFacts:
    """The file-wide facts of the linted file and of every project module run with it: a fact
    that may hold in one of them may hold for the program."""

    def __init__(self, facts: Sequence[WideFacts]):
        self.all: List[WideFacts] = list(facts)

    @property
    def parameters_may_be_frozen(self) -> bool:
        return any(f.parameters_may_be_frozen for f in self.all)

    @property
    def forward_hook_sites(self):
        return frozenset().union(*(f.forward_hook_sites for f in self.all))

    @property
    def unresolved_hooks(self) -> bool:
        return any(f.unresolved_hooks for f in self.all)

    @property
    def defaults_changed(self) -> bool:
        return any(f.defaults_changed for f in self.all)

    @property
    def autocast_possible(self) -> bool:
        return any(f.autocast_possible for f in self.all)


def is_main_guard(stmt: ast.stmt) -> bool:
    """`if __name__ == "__main__":` — false in an imported module."""
    if not isinstance(stmt, ast.If) or stmt.orelse or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    sides = [test.left] + list(test.comparators)
    return (len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
            and any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


_LOADING = object()
IDENTIFIER = re.compile(r"[^\W\d]\w*")


@dataclass
class _Loaded:
    frames: Dict[str, object] = field(default_factory=dict)  # path -> module Frame, or _LOADING
    stack: List[str] = field(default_factory=list)  # paths being run, outermost first
    cyclic: set = field(default_factory=set)  # paths that take part in an import cycle
    modules: Dict[str, Obj] = field(default_factory=dict)  # path -> the object `import X` binds


class Resolver(Protocol):
    """What the pipeline hands the analysis as `imports` (gradlint.project's resolver)."""

    def resolve(self, importer: Optional[ModuleUnit], module: Optional[str], level: int) -> Optional[List[ModuleUnit]]:
        ...


class ImportsMixin(HostBase):
    """Runs imported project modules (see the module docstring). Needs `self.imports` (the
    resolver, or None) and `self.unit` (the ModuleUnit whose code runs; None: the linted file)."""

    imports: Optional[Resolver]  # typed here, not in host.py: its types live in this module
    unit: Optional[ModuleUnit]

    def import_project(self, node: ast.ImportFrom) -> bool:
        """Bind the names of a `from X import names` of a project module; False when it is not one
        (the caller binds them as before)."""
        if any(alias.name == "*" for alias in node.names) or not self.may_follow(node):
            return False
        units = self.project_units(node.module, node.level)
        if units is None:
            return False
        frames = self.run_units(units)
        module_frame = frames[-1] if len(frames) == len(units) else None
        for alias in node.names:
            value = None
            if module_frame is not None:
                value = self.state.get((VARIABLE, module_frame.key, alias.name))
            self.bind_name(alias.asname or alias.name, value or UNKNOWN)
        return True

    def import_project_modules(self, node: ast.Import) -> bool:
        """Bind the names of an `import X`, `import pkg.mod` or `import pkg.mod as m` whose every
        module is the project's (False: leave the whole statement to the caller). As in Python,
        `import pkg.mod` binds `pkg`, and each submodule becomes an attribute of its package."""
        if not self.may_follow(node):
            return False
        found = [self.project_units(alias.name, 0) for alias in node.names]
        if any(units is None or len(units) != alias.name.count(".") + 1
               for alias, units in zip(node.names, found)):
            return False  # a namespace package or another library among them: as before
        for alias, units in zip(node.names, found):
            assert units is not None  # checked above
            frames = self.run_units(units)
            modules = [self.module_object(unit) for unit in units[:len(frames)]]
            for package, (submodule, unit) in zip(frames, zip(modules[1:], units[1:])):
                self.state.set((VARIABLE, package.key, unit.name.rsplit(".", 1)[-1]), frozenset({submodule}))
            if alias.asname:  # the last module: known only when every module on the way ran
                bound = modules[-1] if len(frames) == len(units) else None
            else:  # the top package: known when it ran (an attribute that did not run stays unknown)
                bound = modules[0] if modules else None
            self.bind_name(alias.asname or alias.name.split(".")[0],
                           frozenset({bound}) if bound is not None else UNKNOWN)
        return True

    def may_follow(self, node: Union[ast.Import, ast.ImportFrom]) -> bool:
        """Whether an import statement is one the analysis follows: unconditional, at the top level
        of a module, and (in the linted file) importing names its hot code uses."""
        if not self.frame.is_module or (self.unit is None and self.large):
            return False  # a large file: a library's, not followed (speed)
        top_level = self.unit.top_level if self.unit is not None else self.top_level_statements()
        if id(node) not in top_level:
            return False  # conditional (in an `if`, a `try`) or in a class body
        hot_names = self.hot_names() if self.unit is None else None
        if hot_names is None:
            return True
        bound = [alias.asname or alias.name.split(".")[0] for alias in node.names]
        return any(name in hot_names for name in bound)  # else no hot code uses what it imports

    def project_units(self, module: Optional[str], level: int) -> Optional[List[ModuleUnit]]:
        """The project modules to run for an import (parent packages first); None: not the
        project's, or too deep to follow (its names stay unknown)."""
        units = self.imports.resolve(self.unit, module, level) if self.imports is not None else None
        if not units:
            return None
        loaded = self.__dict__.get("_loaded")
        if loaded is not None and len(loaded.stack) >= MAX_DEPTH and units[-1].path not in loaded.stack:
            return None  # too deep (a cycle is still seen as one)
        return units

    def run_units(self, units: List[ModuleUnit]) -> list:
        """Run units in order until one's names cannot be trusted: the frames of those that ran."""
        frames = []
        for unit in units:
            frame = self.run_unit(unit)
            if frame is None:
                break
            frames.append(frame)
        return frames

    def module_object(self, unit: ModuleUnit) -> Obj:
        """The object `import X` binds for a project module that ran (one per module)."""
        loaded: _Loaded = self.__dict__["_loaded"]
        obj = loaded.modules.get(unit.path)
        if obj is None:
            obj = loaded.modules[unit.path] = Obj(T.MODULE, site=("m", unit.path), label=unit.name)
        return obj

    def module_attribute(self, module: Obj, name: str) -> Value:
        """`X.name` of an imported project module: what its top level bound (its frame key is the
        object's site)."""
        return self.state.get((VARIABLE, module.site, name)) or UNKNOWN

    def hot_names(self):
        """The imports worth following: all of them when the file's top-level code (outside
        definitions) is hot, a script's; else the identifiers its hot functions and classes spell
        (see Interpreter.hot). None: every name."""
        cached = self.__dict__.get("_hot_names", False)
        if cached is False:
            definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
            hot = [stmt for stmt in self.tree.body if self.hot(stmt)]
            if any(not isinstance(stmt, definitions) for stmt in hot):
                cached = None
            else:
                lines = self.source.lines
                cached = frozenset(IDENTIFIER.findall("".join(
                    "".join(lines[stmt.lineno - 1:stmt.end_lineno]) for stmt in hot)))
            self._hot_names = cached
        return cached

    def top_level_statements(self) -> frozenset:
        cached = self.__dict__.get("_top_level")
        if cached is None:
            cached = self._top_level = frozenset(id(stmt) for stmt in self.tree.body)
        return cached

    def run_unit(self, unit: ModuleUnit):
        """Run a module's top level once (as its first import does); its frame, or None when its
        names cannot be trusted (a cycle, too many modules)."""
        loaded: _Loaded = self.__dict__.setdefault("_loaded", _Loaded())
        known = loaded.frames.get(unit.path)
        if known is _LOADING:
            start = loaded.stack.index(unit.path)
            loaded.cyclic.update(loaded.stack[start:])
            return None
        if known is not None:
            return None if unit.path in loaded.cyclic else known
        if len(loaded.frames) >= MAX_UNITS or self.budget <= 0 or self.state.dead:
            return None
        module_frame = type(self.module_frame)(("m", unit.path), None, is_module=True)
        module_frame.unit = unit
        loaded.frames[unit.path] = _LOADING
        loaded.stack.append(unit.path)
        self.walrus_possible = self.walrus_possible or unit.walrus
        facts = self.file if isinstance(self.file, ProgramFacts) else ProgramFacts([self.file])
        if unit.facts not in facts.all:
            facts.all.append(unit.facts)
        self.file = facts
        self.state.set((VARIABLE, module_frame.key, "__name__"), self.const(unit.name))
        saved = (self.frame, self.statement, self.context, self.path)
        try:
            self.frame, self.context = module_frame, ()
            self.exec_block([stmt for stmt in unit.tree.body if not is_main_guard(stmt)])
        finally:
            self.frame, self.statement, self.context, self.path = saved
            loaded.stack.pop()
        loaded.frames[unit.path] = module_frame
        return None if unit.path in loaded.cyclic else module_frame

    def switch_unit(self, unit: Optional[ModuleUnit]) -> None:
        """Code of `unit` (None: the linted file) runs from now on: positions and texts are its."""
        main = self.__dict__.get("_main_unit")
        if main is None:
            main = self._main_unit = (self.source, self.line_offsets, self.hot_offsets, self.large)
        self.unit = unit
        if unit is None:
            self.source, self.line_offsets, self.hot_offsets, self.large = main
        else:
            self.source, self.line_offsets, self.hot_offsets, self.large = (
                unit.source, unit.line_offsets(), None, False)

    def foreign_why(self, why: Why) -> Why:
        """A reason made in another module's code, naming that module."""
        unit = self.unit
        assert unit is not None  # called while another module's code runs
        return replace(why, module=unit.display, node=None)

    def tag_foreign_state(self, obj, state):
        """A tensor state set by another module's code: a reason it made there names the module."""
        why = state.why
        if why is None or why.module:
            return state
        old = self.state.get((TENSOR, obj))
        if old is not None and old.why is why:
            return state
        for source, _birth in state.inputs:  # handed on from what it was computed from
            made = self.state.get((TENSOR, source))
            if made is not None and made.why is why:
                return state
        return state.with_(why=self.foreign_why(why))
