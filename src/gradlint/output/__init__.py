"""Output formats for `--output-format`: one module per format, each with `render(report) -> str`."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from ..diagnostic import Diagnostic
from ..errors import FILE_ERROR_NAMES  # the GL9xx names live with their docs

README_URL = "https://github.com/gradlint/gradlint"
FORMATS = ("concise", "full", "json", "json-lines", "github", "sarif", "junit")
#: Formats meant for people: they get the summary line ("Found 2 errors.").
TEXT_FORMATS = ("concise", "full")



def rule_url(code: str) -> Optional[str]:
    """The README section documenting the rule (its anchor is the lower-case code)."""
    from ..rules import RULES_BY_CODE
    if code in RULES_BY_CODE:
        return f"{README_URL}#{code.lower()}"
    if code in FILE_ERROR_NAMES:
        return f"{README_URL}#file-errors"
    return None


def rule_name(code: str) -> str:
    from ..rules import RULES_BY_CODE
    rule = RULES_BY_CODE.get(code)
    return rule.name if rule is not None else FILE_ERROR_NAMES.get(code, code.lower())


def cell_of(diagnostic: Diagnostic) -> Optional[int]:
    return getattr(diagnostic, "cell", None) or None


def position(diagnostic: Diagnostic) -> str:
    """`path:line:col` or, in a notebook, `path:cell N:line:col`."""
    cell = cell_of(diagnostic)
    where = f"cell {cell}:" if cell else ""
    return f"{diagnostic.filename}:{where}{diagnostic.start.line}:{diagnostic.start.column}"


class SourceLookup:
    """The text a diagnostic points into (a file, or a notebook cell), read lazily and cached."""

    def __init__(self, known: Optional[Dict[str, bytes]] = None):
        self._bytes: Dict[str, Optional[bytes]] = dict(known or {})
        self._texts: Dict[tuple, Optional[str]] = {}
        self._sources: Dict[str, object] = {}

    def add(self, filename: str, data: bytes) -> None:
        self._bytes[filename] = data
        self._texts = {key: value for key, value in self._texts.items() if key[0] != filename}
        self._sources.pop(filename, None)

    def _data(self, filename: str) -> Optional[bytes]:
        if filename not in self._bytes:
            try:
                with open(filename, "rb") as handle:
                    self._bytes[filename] = handle.read()
            except OSError:
                self._bytes[filename] = None
        return self._bytes[filename]

    def text(self, diagnostic: Diagnostic, cell: Optional[int] = ...) -> Optional[str]:
        """The text the diagnostic's positions (or, given `cell`, that cell's) are relative to."""
        key = (diagnostic.filename, cell_of(diagnostic) if cell is ... else cell)
        if key not in self._texts:
            self._texts[key] = self._load(*key)
        return self._texts[key]

    def _source(self, filename: str):
        from ..sources import SourceError, load
        if filename not in self._sources:
            data = self._data(filename)
            try:
                self._sources[filename] = None if data is None else load(data, filename)
            except SourceError:
                self._sources[filename] = None
        return self._sources[filename]

    def _load(self, filename: str, cell: Optional[int]) -> Optional[str]:
        source = self._source(filename)
        return None if source is None else source.text_of(cell)

    def file_location(self, filename: str, cell: Optional[int], location):
        """Where a (cell) position is in the file's own text (see Source.file_location)."""
        if cell is None:
            return location
        source = self._source(filename)
        return None if source is None else source.file_location(cell, location)


@dataclass
class Report:
    diagnostics: List[Diagnostic]
    is_fixable: Callable[[Diagnostic], bool] = lambda d: d.fix is not None and d.fix.applicability == "safe"
    sources: SourceLookup = field(default_factory=SourceLookup)
    color: bool = False
    version: str = ""


def render(name: str, report: Report) -> str:
    from importlib import import_module
    module = import_module(f".{name.replace('-', '_')}", __name__)
    return module.render(report)


def absolute(filename: str) -> str:
    if filename == "-":
        return filename
    return os.path.abspath(filename)
