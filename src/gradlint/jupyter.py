"""The IPython extension: `%load_ext gradlint` (or `c.InteractiveShellApp.extensions = ["gradlint"]`)
checks every cell just before it runs, with the cells the kernel has already executed as context.

On IPython's `pre_run_cell` event the session's inputs, in execution order (`In[1]`, `In[2]`, ...),
plus the cell about to run become one program (`sources.ipython_history`); the findings in the new
cell, and those it causes in an earlier one (`show(x * 2)` calling a function of In[3] that reads
`t.grad`: `In[3] line 2: ...`), are printed to standard output, one line each, before the cell's own
output:

    gradlint: line 1: GL001 [*] `y.grad` is always None: y is not a leaf (`x * 3` in In[2] line 2 computed it); ...

The cell always runs: nothing here raises into IPython, and an internal error is one quiet line.
`[*]`: `%gradlint fix` can repair it. The magic:

    %gradlint on | off          check cells before they run (on after %load_ext) or not
    %gradlint                   lint the whole history now (every finding, named by In[n])
    %gradlint fix [--apply] [N] show the safe fixes for In[N] (default: the last cell with a fixable
                                finding) as one cell: the fixed cells from the first one a fix edits
                                to In[N], in execution order, to run again; --apply offers that cell
                                as the next input (set_next_input), so you run it deliberately

Selection and ignores come from the `[tool.gradlint]` of the working directory's project, as for the
command line (looked up again when the directory or that file changes).

IPython is imported only by IPython itself: `Checker` is the whole logic on plain lists of inputs
(the benchmark in bench/ipython.py times it without IPython).
"""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from . import errors
from .config import ConfigError, Resolver, Settings
from .diagnostic import Diagnostic
from .linter import check_program, fix_applicable, fix_source, lint_program
from .sources.ipython import LINE_BREAK
from .sources.ipython_history import IPythonHistory, cell_text

PREFIX = "gradlint: "
#: GL9xx codes worth a (quiet) line: gradlint could not check the code. A cell that does not
#: compile (GL900) is skipped silently: IPython itself reports the SyntaxError.
_SHOWN_FILE_ERRORS = {errors.TOO_COMPLEX, errors.INTERNAL_ERROR}


def has_code(source: str) -> bool:
    """Could a finding be in this cell? Not when it does not compile or holds nothing but blank
    lines, comments and IPython syntax (magics, shell escapes): then there is nothing to lint."""
    cell = cell_text(source)
    if cell.text is None:
        return False
    for number, line in enumerate(LINE_BREAK.split(cell.text), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and number not in cell.neutralised:
            return True
    return False


def describe(diagnostic: Diagnostic, current: Optional[int] = None) -> str:
    """One finding as the extension prints it: in the cell about to run (`current`) by its line,
    elsewhere by In[n] and line."""
    if diagnostic.code in _SHOWN_FILE_ERRORS:
        return PREFIX + f"{diagnostic.code} this cell was not checked: {diagnostic.message}"
    line = diagnostic.start.line
    where = f"line {line}" if diagnostic.cell == current else f"In[{diagnostic.cell}] line {line}"
    mark = " [*]" if diagnostic.fix is not None and diagnostic.fix.applicability == "safe" else ""
    return f"{PREFIX}{where}: {diagnostic.code}{mark} {diagnostic.message}"


def _shown(diagnostic: Diagnostic) -> bool:
    return not diagnostic.code.startswith("GL9") or diagnostic.code in _SHOWN_FILE_ERRORS


class Checker:
    """What the extension does, on the session's inputs as IPython keeps them (index 0 empty,
    index n is In[n]); no IPython needed."""

    def __init__(self) -> None:
        self._settings: Optional[Settings] = None
        self._key: Optional[Tuple[str, Optional[float]]] = None
        self._config_problem: Optional[str] = None
        #: The code cells last linted (history and new cell) and the keys of all their findings.
        self._previous: Optional[Tuple[Dict[int, str], FrozenSet[Tuple[Any, ...]]]] = None

    # -- settings -----------------------------------------------------------------------------------

    def settings(self) -> Settings:
        """The working directory's project settings; read again when the directory changes or the
        configuration file found for it changes on disk."""
        cwd = os.getcwd()
        config = self._settings.config_file if self._settings is not None else None
        key = (cwd, _mtime(config))
        if self._settings is None or key != self._key:
            try:
                self._settings = Resolver().settings_for(cwd)
                self._config_problem = None
            except ConfigError as exc:
                self._settings = Settings()
                self._config_problem = f"configuration ignored: {exc}"
            self._key = (cwd, _mtime(self._settings.config_file))
        return self._settings

    def problem(self) -> Optional[str]:
        """A configuration problem to mention once (then forgotten)."""
        problem, self._config_problem = self._config_problem, None
        return problem

    # -- linting ----------------------------------------------------------------------------------

    def check_cell(self, inputs: Sequence[str], cell: str) -> List[Diagnostic]:
        """The findings this cell, about to run after `inputs`, brings, in the cells' coordinates:
        those in the cell, and those it causes in an earlier cell (a function defined there and
        called here with a non-leaf reads its `.grad`): findings there that linting the history
        alone did not give. The history alone was linted by the previous call (it was that call's
        history plus its cell); when it was not (the first cell, a gap while off), a finding in an
        earlier cell counts when its origin is in this cell."""
        if not has_code(cell):
            return []
        source = IPythonHistory.from_inputs(inputs, cell)
        program = source.program
        history = _code_cells(source.cells, but=source.current)
        before = self._previous[1] if self._previous is not None and self._previous[0] == history else None
        mapped = [(d, program.positions.to_source(d))
                  for d in check_program(program, self.settings(), fix_lines=_lines_of(program, source.current))]
        self._previous = (_code_cells(source.cells), frozenset(_key(shown) for _, shown in mapped))

        def brought(d: Diagnostic) -> bool:
            if d.code in _SHOWN_FILE_ERRORS or d.cell == source.current:
                return True
            if d.code.startswith("GL9"):
                return False
            if before is not None:
                return _key(d) not in before
            return d.origin is not None and d.origin.cell == source.current
        found = []
        # As `linter.lint_program` does, a fix is kept only where it applies; only for these.
        for d, shown in mapped:
            if brought(shown):
                if shown.fix is not None and not source.fix_applies(d.fix):
                    shown = replace(shown, fix=None)
                found.append(shown)
        return sorted(found, key=Diagnostic.sort_key)

    def check_history(self, inputs: Sequence[str]) -> List[Diagnostic]:
        source = IPythonHistory.from_inputs(inputs)
        return [d for d in lint_program(source, self.settings()).to_source() if _shown(d)]

    def fix(self, inputs: Sequence[str], target: Optional[int] = None) -> Tuple[Optional[str], str]:
        """(the cell to run again, what to say): the safe fixes for In[target] (default: the last
        cell with a fixable finding) applied, and the fixed cells from the first one they edit to
        In[target], in execution order. The text is None when there is nothing to fix."""
        source = IPythonHistory.from_inputs(inputs)
        settings = self.settings()
        found = [d for d in lint_program(source, settings).to_source() if fix_applicable(d, unsafe=False)]
        if target is None:
            target = max((d.cell for d in found if d.cell is not None), default=None)
        mine = [d for d in found if d.cell == target]
        if target is None or not mine:
            where = "" if target is None else f" in In[{target}]"
            return None, f"nothing to fix{where}"
        fixed, _count, _remaining, problem = fix_source(source, settings, unsafe=False)
        if problem is not None:
            return None, problem
        assert isinstance(fixed, IPythonHistory)
        edited = {edit.cell for d in mine for edit in d.fix.edits if edit.cell is not None}
        first = min(edited | {target})
        if all(fixed.cells.get(n) == source.cells.get(n) for n in edited | {target}):
            return None, f"the fixes for In[{target}] could not be applied"
        numbers = [n for n in sorted(fixed.cells) if first <= n <= target and _replayable(fixed.cells[n])]
        text = "\n\n".join(fixed.cells[n].rstrip("\n") for n in numbers) + "\n"
        span = f"In[{first}]" if first == target else f"In[{first}] to In[{target}]"
        changed = sorted(n for n in edited if fixed.cells.get(n) != source.cells.get(n))
        names = ", ".join(f"In[{n}]" for n in changed)
        return text, f"{len(mine)} finding{'s' if len(mine) != 1 else ''} in In[{target}] fixed by editing {names}; " \
                     f"the fixed cell runs {span} again"


def _code_cells(cells: Dict[int, str], but: Optional[int] = None) -> Dict[int, str]:
    """The cells that hold code the analysis sees (others do not change its result)."""
    return {number: text for number, text in cells.items() if number != but and has_code(text)}


def _lines_of(program, cell: Optional[int]) -> Optional[range]:
    """The program lines of a cell: only findings there need fixes (the others are not shown with
    one), which spares building fixes for every finding in the history."""
    for segment in program.positions.segments:
        if segment.cell == cell:
            return range(segment.start, segment.start + segment.lines)
    return None


def _key(diagnostic: Diagnostic) -> Tuple[Any, ...]:
    # not the message: a finding outside the cell being checked gets no fix, nor a "no fix" note
    return diagnostic.cell, diagnostic.start, diagnostic.code


def _replayable(cell: str) -> bool:
    """Cells worth running again in the fixed cell: not the ones that are only IPython syntax
    (magics, `%gradlint` itself) nor `%%` cell magics, which cannot be joined to other cells."""
    first = next((line.strip() for line in LINE_BREAK.split(cell) if line.strip()), "")
    return has_code(cell) and not first.startswith("%%")


def _mtime(path: Optional[str]) -> Optional[float]:
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


# -- IPython ---------------------------------------------------------------------------------------

USAGE = "usage: %gradlint [on|off|fix [--apply] [N]]"


class Extension:
    """The extension loaded into one IPython shell."""

    def __init__(self, shell: Any):
        self.shell = shell
        self.checker = Checker()
        self.enabled = True

    def inputs(self) -> List[str]:
        """The executed inputs as typed (In[n] at index n)."""
        history = getattr(self.shell, "history_manager", None)
        raw = getattr(history, "input_hist_raw", None)
        if raw is None:
            raw = self.shell.user_ns.get("In", [""])
        return list(raw)

    def say(self, lines: Sequence[str]) -> None:
        if lines:
            print("\n".join(lines), file=sys.stdout)
            sys.stdout.flush()  # before the cell's own output, whatever stream that goes to

    def pre_run_cell(self, info: Any) -> None:
        if not self.enabled:
            return
        try:
            cell = getattr(info, "raw_cell", None) or ""
            inputs = self.inputs()
            found = self.checker.check_cell(inputs, cell)
            lines = [describe(d, current=max(len(inputs), 1)) for d in found]
            problem = self.checker.problem()
            self.say(([PREFIX + problem] if problem else []) + lines)
        except Exception as exc:  # noqa: BLE001 - the cell must run whatever happens here
            try:
                self.say([f"{PREFIX}internal error, this cell was not checked ({type(exc).__name__}: {exc})"])
            except Exception:  # noqa: BLE001
                pass

    def magic(self, line: str) -> None:
        """%gradlint [on|off|fix [--apply] [N]]: see gradlint.jupyter."""
        words = line.split()
        if words in (["on"], ["off"]):
            self.enabled = words[0] == "on"
            self.say([PREFIX + ("checking each cell before it runs" if self.enabled else "off")])
            return
        if not words:
            found = self.checker.check_history(self.inputs())
            problem = self.checker.problem()
            lines = ([PREFIX + problem] if problem else []) + [describe(d) for d in found]
            self.say(lines or [PREFIX + "all checks passed"])
            return
        if words[0] == "fix":
            options = words[1:]
            apply = "--apply" in options
            rest = [word for word in options if word != "--apply"]
            target = None
            if rest:
                cell = rest[0][3:-1] if rest[0].startswith("In[") and rest[0].endswith("]") else rest[0]
                if len(rest) > 1 or not cell.isdigit():
                    self.say([PREFIX + USAGE])
                    return
                target = int(cell)
            text, message = self.checker.fix(self.inputs(), target)
            if text is None:
                self.say([PREFIX + message])
                return
            if apply:
                self.shell.set_next_input(text, replace=False)
                self.say([PREFIX + message + "; it is the next input: run it to apply the fix"])
            else:
                self.say([PREFIX + message + " (`%gradlint fix --apply` offers it as the next input):",
                          text.rstrip("\n")])
            return
        self.say([PREFIX + USAGE])


_LOADED: "dict[int, Extension]" = {}


def load_ipython_extension(ipython: Any) -> None:
    if id(ipython) in _LOADED:
        return
    extension = Extension(ipython)
    _LOADED[id(ipython)] = extension
    ipython.events.register("pre_run_cell", extension.pre_run_cell)
    ipython.register_magic_function(extension.magic, "line", "gradlint")


def unload_ipython_extension(ipython: Any) -> None:
    extension = _LOADED.pop(id(ipython), None)
    if extension is None:
        return
    try:
        ipython.events.unregister("pre_run_cell", extension.pre_run_cell)
    except ValueError:
        pass
    ipython.magics_manager.magics["line"].pop("gradlint", None)
