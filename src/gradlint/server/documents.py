"""The editor's documents as gradlint sources, the settings that apply to each, and linting one.

A text document is a Python source made from its text (`sources.python_file.PythonFile`); a notebook
document is its code cells in order (`sources.lsp_notebook.LspNotebook`), cell N being the N-th cell
of the notebook. What is linted is a `Snapshot`: the text of every cell (or of the document) with the
URI and version the client knows it by, taken on the event loop and read only by the worker, so that
a result always names the exact versions it was computed for.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from lsprotocol import types

from ..config import CliOverrides, ConfigError, Resolver, Settings, validate_selector
from ..diagnostic import Diagnostic
from ..linter import lint_program
from ..sources import Source
from ..sources.lsp_notebook import LspNotebook
from ..sources.python_file import PythonFile
from . import convert


@dataclass(frozen=True)
class Target:
    """A text the client knows by a URI: a text document, or one cell of a notebook."""

    uri: str
    version: int
    text: str


@dataclass
class Snapshot:
    key: str  # the URI of the text document or of the notebook
    version: int
    filename: str  # what diagnostics name and per-file-ignores match: the path, or the URI
    config_path: str  # where the configuration is looked for (a path; a directory for an unsaved buffer)
    targets: Dict[Optional[int], Target]  # cell number (None: the text document) -> its text
    notebook: bool = False
    encoding: str = "utf-16"
    _lines: Dict[Optional[int], convert.Lines] = field(default_factory=dict, repr=False)

    @property
    def signature(self) -> Tuple[Any, ...]:
        """What must not have changed for a result of this snapshot to be current."""
        return (self.version, tuple((t.uri, t.version) for t in self.targets.values()))

    def source(self) -> Source:
        if self.notebook:
            return LspNotebook(self.filename, {cell: t.text for cell, t in self.targets.items() if cell is not None})
        text = self.targets[None].text
        text = text[1:] if text.startswith(convert.BOM) else text
        return PythonFile(self.filename, text.encode("utf-8", "surrogatepass"), text, "utf-8")

    def text_of(self, cell: Optional[int]) -> Optional[str]:
        target = self.targets.get(cell)
        return None if target is None else target.text

    def locate(self, cell: Optional[int]) -> Optional[Tuple[str, convert.Lines]]:
        target = self.targets.get(cell)
        if target is None:
            return None
        if cell not in self._lines:
            self._lines[cell] = convert.Lines(target.text, self.encoding)
        return target.uri, self._lines[cell]

    def target_by_uri(self, uri: str) -> Optional[Target]:
        return next((t for t in self.targets.values() if t.uri == uri), None)


# -- settings --------------------------------------------------------------------------------------

EDITOR_KEYS = {"select": "select", "ignore": "ignore", "extend-select": "extend_select",
               "extendSelect": "extend_select", "unsafe-fixes": "unsafe_fixes", "unsafeFixes": "unsafe_fixes"}


def editor_overrides(value: Any) -> Tuple[CliOverrides, List[str]]:
    """The editor's settings (`initializationOptions`, `workspace/didChangeConfiguration`, or the
    `gradlint` section of `workspace/configuration`) as a command line's options, and what was
    wrong with them (an unknown key or rule code is left out, and reported)."""
    problems: List[str] = []
    if isinstance(value, dict) and isinstance(value.get("gradlint"), dict):
        value = value["gradlint"]
    if not isinstance(value, dict):
        return CliOverrides(), ([] if value is None else [f"settings must be an object, got {value!r}"])
    found: Dict[str, Any] = {}
    for key, item in value.items():
        name = EDITOR_KEYS.get(key)
        if name is None:
            problems.append(f"unknown setting `{key}` (known: select, ignore, extend-select, unsafe-fixes)")
        elif name == "unsafe_fixes":
            if item is None or isinstance(item, bool):
                found[name] = item
            else:
                problems.append(f"`{key}` must be true or false, got {item!r}")
        elif item is not None:
            items = item.split(",") if isinstance(item, str) else item
            if not isinstance(items, list) or not all(isinstance(code, str) for code in items):
                problems.append(f"`{key}` must be a list of rule codes, got {item!r}")
                continue
            codes = []
            for code in (code.strip().upper() for code in items):
                if code and validate_selector(code):
                    codes.append(code)
                elif code:
                    problems.append(f"`{key}`: unknown rule code or prefix {code!r}")
            found[name] = tuple(codes)
    return CliOverrides(select=found.get("select"), ignore=found.get("ignore", ()),
                        extend_select=found.get("extend_select", ()),
                        unsafe_fixes=found.get("unsafe_fixes")), problems


class Configuration:
    """The settings of each document: its project's `[tool.gradlint]` (the closest pyproject.toml
    above it that has one, as for the CLI) under the editor's settings, which act as command-line
    options do. Each lookup checks the pyproject.toml files above the document (a `stat` each), so an
    edit to one applies at the next lint even when the client does not report file changes."""

    def __init__(self) -> None:
        self.overrides = CliOverrides()
        self._lock = threading.Lock()
        self._resolver = Resolver(self.overrides)
        self._seen: Dict[str, Any] = {}  # pyproject.toml path -> its state when last looked at

    def set_overrides(self, overrides: CliOverrides) -> None:
        with self._lock:
            self.overrides = overrides
            self._reset()

    def reset(self) -> None:
        """A configuration file changed: read them again."""
        with self._lock:
            self._reset()

    def _reset(self) -> None:
        self._resolver = Resolver(self.overrides)
        self._seen.clear()

    def settings_for(self, path: str) -> Tuple[Settings, Optional[str]]:
        """The settings, and the error of an invalid configuration file (the editor's settings
        alone apply then)."""
        with self._lock:
            directory = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
            states = _pyprojects(directory)
            if any(self._seen.get(candidate, state) != state for candidate, state in states):
                self._reset()
            self._seen.update(states)
            try:
                return self._resolver.settings_for(path), None
            except ConfigError as exc:
                return Resolver(self.overrides, isolated=True).settings_for(path), str(exc)


def _pyprojects(directory: str) -> List[Tuple[str, Any]]:
    """Each pyproject.toml the resolver may read for a file in `directory`, with its state
    (None: there is none)."""
    found: List[Tuple[str, Any]] = []
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        try:
            stat = os.stat(candidate)
            found.append((candidate, (stat.st_mtime_ns, stat.st_size, stat.st_ino)))
        except OSError:
            found.append((candidate, None))
        parent = os.path.dirname(directory)
        if not parent or parent == directory:
            return found
        directory = parent


# -- linting ---------------------------------------------------------------------------------------

@dataclass
class Linted:
    """What linting a snapshot gave: the diagnostics in the source's coordinates (cells), and the
    LSP diagnostics to publish for each URI of the document (every one, empty lists included)."""

    snapshot: Snapshot
    settings: Settings
    diagnostics: List[Diagnostic]
    published: Dict[str, List[Tuple[Diagnostic, types.Diagnostic]]]
    config_error: Optional[str] = None
    seconds: float = 0.0

    @property
    def unsafe(self) -> bool:
        return bool(self.settings.unsafe_fixes)


def lint_snapshot(snapshot: Snapshot, configuration: Configuration) -> Linted:
    from ..discovery import is_excluded_path
    started = time.perf_counter()
    settings, problem = configuration.settings_for(snapshot.config_path)
    published: Dict[str, List[Tuple[Diagnostic, types.Diagnostic]]] = {t.uri: [] for t in snapshot.targets.values()}
    excluded = settings.force_exclude and os.path.isabs(snapshot.filename) \
        and is_excluded_path(snapshot.filename, settings, False)
    diagnostics = [] if excluded else lint_program(snapshot.source(), settings).to_source()
    for d in diagnostics:
        converted = convert.diagnostic(d, snapshot.locate)
        if converted is not None:
            published.setdefault(converted[0], []).append((d, converted[1]))
    return Linted(snapshot, settings, diagnostics, published, problem, time.perf_counter() - started)
