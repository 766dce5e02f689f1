"""Finding the project's own modules for the analysis (see analysis/imports.py).

A linted file's imports are looked up, as Python's `sys.path` would find them when the file runs
as a script or from the project, in: the file's directory, then the project root (the nearest
directory above it holding a pyproject.toml, a setup.cfg or a .git) and its `src/` directory, then
any linted roots the caller names. Packages (`pkg/__init__.py`, or a directory without one) and
relative imports (from a file inside a package) are resolved; `torch` never is (the analysis knows
its API by name).

Each module's parse is shared, per content, by every file that imports it (`_UNITS`). Every file
looked at, present or not, is recorded with its content's digest (`dependencies()`): a cached
result is only reused while they are all the same (see cache.py).
"""
from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

from .analysis.imports import ModuleUnit, parse_unit

#: Top-level names never resolved to the project's files.
NEVER = frozenset({"torch", "__future__"})
ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")
_UNITS: "OrderedDict[tuple, Optional[ModuleUnit]]" = OrderedDict()  # (path, digest, name, display) -> unit
MAX_CACHED_UNITS = 64
ABSENT = ""


def find_project_root(directory: str) -> Optional[str]:
    current = directory
    while True:
        if any(os.path.exists(os.path.join(current, marker)) for marker in ROOT_MARKERS):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class ProjectImports:
    """The resolver one linted file's analysis uses."""

    def __init__(self, filename: str, roots: Sequence[str] = ()):
        self.filename = os.path.abspath(filename)
        self.directory = os.path.dirname(self.filename)
        self.extra_roots = [os.path.abspath(root) for root in roots]
        self._roots: Optional[List[str]] = None  # found on the first import resolved
        self.project: Optional[str] = None
        self.recorded: Dict[str, str] = {}  # path -> digest of its bytes ("" when absent)
        self._units: Dict[str, Optional[ModuleUnit]] = {}

    @property
    def roots(self) -> List[str]:
        if self._roots is None:
            self.project = find_project_root(self.directory)
            search = [self.directory]
            if self.project is not None:
                search += [self.project, os.path.join(self.project, "src")]
            self._roots = list(dict.fromkeys(r for r in search + self.extra_roots if os.path.isdir(r)))
        return self._roots

    # -- what the analysis calls ---------------------------------------------------------------
    def resolve(self, importer: Optional[ModuleUnit], module: Optional[str], level: int) -> Optional[List[ModuleUnit]]:
        """The units to run for `from <level dots><module> import ...` in `importer` (None: the
        linted file), parent packages first; None when it is not a project module."""
        parts = module.split(".") if module else []
        roots = self.roots
        if level:
            base = self._package_directory(importer)
            if base is None:
                return None
            for _ in range(level - 1):
                base = os.path.dirname(base)
            if not parts:
                return None  # `from . import name`: names may be submodules
            found = self._descend(base, parts, self._package_name(base), with_parents=False)
        else:
            if not parts or parts[0] in NEVER:
                return None
            found = None
            for root in roots:
                if self._exists(os.path.join(root, parts[0] + ".py")) or self._is_dir(os.path.join(root, parts[0])):
                    found = self._descend(root, parts, "", with_parents=True)
                    break
        return found

    def dependencies(self) -> List[Tuple[str, str]]:
        """Every file the resolution looked at, with the digest of its bytes ("" when absent)."""
        return sorted((path, digest) for path, digest in self.recorded.items() if path != self.filename)

    # -- finding files ----------------------------------------------------------------------
    def _package_directory(self, importer: Optional[ModuleUnit]) -> Optional[str]:
        path = importer.path if importer is not None else self.filename
        directory = os.path.dirname(path)
        if not self._exists(os.path.join(directory, "__init__.py")):
            return None  # not in a package: a relative import raises
        return directory

    def _package_name(self, directory: str) -> str:
        names = []
        while self._exists(os.path.join(directory, "__init__.py")):
            names.append(os.path.basename(directory))
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        return ".".join(reversed(names))

    def _descend(self, base: str, parts: List[str], prefix: str, with_parents: bool) -> Optional[List[ModuleUnit]]:
        units: List[ModuleUnit] = []
        directory = base
        name = prefix
        for index, part in enumerate(parts):
            name = f"{name}.{part}" if name else part
            last = index == len(parts) - 1
            package = os.path.join(directory, part)
            init = os.path.join(package, "__init__.py")
            if self._exists(init):
                if with_parents or last:
                    unit = self._unit(init, name)
                    if unit is None:
                        return None
                    units.append(unit)
                directory = package
                continue
            if last and self._exists(package + ".py"):
                unit = self._unit(package + ".py", name)
                return units + [unit] if unit is not None else None
            if self._is_dir(package) and not last:
                directory = package  # a namespace package
                continue
            return None
        return units or None

    def _exists(self, path: str) -> bool:
        digest = self.recorded.get(path)
        if digest is not None:
            return digest != ABSENT
        if os.path.isfile(path):
            return True  # its digest is recorded when it is read
        self.recorded[path] = ABSENT
        return False

    def _is_dir(self, path: str) -> bool:
        found = os.path.isdir(path)
        self.recorded.setdefault(path + os.sep, "dir" if found else ABSENT)
        return found

    def _unit(self, path: str, name: str) -> Optional[ModuleUnit]:
        if path in self._units:
            return self._units[path]
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            self.recorded[path] = ABSENT
            self._units[path] = None
            return None
        digest = hashlib.sha256(data).hexdigest()
        self.recorded[path] = digest
        if os.path.abspath(path) == self.filename:
            unit = None  # the linted file itself, imported: a cycle
        else:
            display = self._display(path)
            key = (path, digest, name, display)
            if key in _UNITS:
                _UNITS.move_to_end(key)
                unit = _UNITS[key]
            else:
                unit = _UNITS[key] = parse_unit(path, name, display, data)
                if len(_UNITS) > MAX_CACHED_UNITS:
                    _UNITS.popitem(last=False)
        self._units[path] = unit
        return unit

    def _display(self, path: str) -> str:
        for base in (self.directory, self.project):
            if base is not None and path.startswith(base + os.sep):
                return os.path.relpath(path, base).replace(os.sep, "/")
        return os.path.basename(path)


def unchanged(dependencies: Sequence[Sequence[str]]) -> bool:
    """Whether every recorded dependency still has the digest recorded."""
    for path, digest in dependencies:
        if path.endswith(os.sep):
            if ("dir" if os.path.isdir(path) else ABSENT) != digest:
                return False
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            if digest != ABSENT:
                return False
            continue
        if digest == ABSENT or hashlib.sha256(data).hexdigest() != digest:
            return False
    return True


def for_file(filename: str, roots: Sequence[str] = ()) -> Optional[ProjectImports]:
    """The resolver for a file on disk; None for anything else (stdin, a string)."""
    if not filename or filename.startswith("<") or not os.path.isfile(filename):
        return None
    return ProjectImports(filename, roots)
