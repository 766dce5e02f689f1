"""gradlint's diagnostics and edits in LSP terms.

gradlint counts lines and columns from 1 and columns in characters (code points); LSP counts both
from 0 and columns in code units of the encoding the client and server agreed on at `initialize`
(UTF-16 unless the client offers another): an emoji before a read is one gradlint column and two
UTF-16 units. Lines end where LSP ends them (`\\n`, `\\r\\n`, `\\r`), as Python's tokenizer does.
"""
from __future__ import annotations

import re
from typing import Callable, List, Optional, Tuple

from lsprotocol import types

from ..diagnostic import Diagnostic, Edit, Location
from ..output import rule_url

LINE_END = re.compile(r"\r\n|\r|\n")
BOM = "\ufeff"

#: cell (None: the text document) -> (its URI, its Lines); None when the cell is unknown.
Locate = Callable[[Optional[int]], Optional[Tuple[str, "Lines"]]]


def units(text: str, encoding: str) -> int:
    """How many code units of `encoding` ("utf-16", "utf-8", "utf-32") the text takes."""
    if encoding == "utf-32" or text.isascii():
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


class Lines:
    """One text's lines, to turn gradlint locations into LSP positions. A leading BOM is part of the
    client's text but not of gradlint's (columns of line 1 shift by it)."""

    def __init__(self, text: str, encoding: str = "utf-16"):
        self.bom = units(BOM, encoding) if text.startswith(BOM) else 0
        self.lines = LINE_END.split(text[1:] if self.bom else text)
        self.encoding = encoding

    def position(self, location: Location) -> types.Position:
        line = location.line - 1
        if line >= len(self.lines):  # past the end: the end of the text
            line = len(self.lines) - 1
            return types.Position(line, units(self.lines[line], self.encoding) + (self.bom if line == 0 else 0))
        text = self.lines[max(line, 0)]
        column = units(text[: max(location.column - 1, 0)], self.encoding)
        return types.Position(max(line, 0), column + (self.bom if line <= 0 else 0))

    def range(self, start: Location, end: Location) -> types.Range:
        return types.Range(self.position(start), self.position(end))


def severity(code: str) -> types.DiagnosticSeverity:
    """A file error (GL9xx: the file or cell was not checked) is an error; a finding a warning."""
    return types.DiagnosticSeverity.Error if code.startswith("GL9") else types.DiagnosticSeverity.Warning


def diagnostic(d: Diagnostic, locate: Locate) -> Optional[Tuple[str, types.Diagnostic]]:
    """(the URI it is published for, the LSP diagnostic); None when its cell is not in the document."""
    where = locate(d.cell)
    if where is None:
        return None
    uri, lines = where
    end = d.end
    if end <= d.start:  # a point (a file error): one character, so that every editor shows it
        end = Location(d.start.line, d.start.column + 1)
        if d.start.line > len(lines.lines) or d.start.column > len(lines.lines[d.start.line - 1]):
            end = d.start
    related = None
    if d.origin is not None:
        at = locate(d.origin.cell)
        if at is not None:
            position = at[1].position(d.origin.location)
            related = [types.DiagnosticRelatedInformation(
                types.Location(at[0], types.Range(position, position)), d.origin.description)]
    href = rule_url(d.code)
    return uri, types.Diagnostic(
        range=lines.range(d.start, end), message=d.message, severity=severity(d.code), code=d.code,
        code_description=types.CodeDescription(href=href) if href else None, source="gradlint",
        related_information=related)


def text_edit(edit: Edit, locate: Locate) -> Optional[Tuple[str, types.TextEdit]]:
    where = locate(edit.cell)
    if where is None:
        return None
    uri, lines = where
    return uri, types.TextEdit(lines.range(edit.start, edit.end), edit.content)


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Do two ranges share a position (touching counts: a cursor at either end of a range is in it)?"""
    start = lambda r: (r.start.line, r.start.character)  # noqa: E731
    end = lambda r: (r.end.line, r.end.character)  # noqa: E731
    return start(a) <= end(b) and start(b) <= end(a)


def minimal_edit(before: str, after: str, lines: Lines) -> Optional[types.TextEdit]:
    """One edit that turns `before` into `after`, replacing only what lies between their common
    start and common end (the editor keeps the cursor and folds elsewhere); None when equal."""
    if before == after:
        return None
    prefix = 0
    limit = min(len(before), len(after))
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    limit -= prefix
    while suffix < limit and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    # never split a "\r\n" (a position between its two characters is not one LSP can name)
    if 0 < prefix and before[prefix - 1] == "\r" and before[prefix:prefix + 1] == "\n":
        prefix -= 1
    if 0 < suffix and before[len(before) - suffix] == "\n" and before[:len(before) - suffix].endswith("\r"):
        suffix -= 1
    return types.TextEdit(types.Range(_offset_position(before, prefix, lines),
                                      _offset_position(before, len(before) - suffix, lines)),
                          after[prefix:len(after) - suffix])


def _offset_position(text: str, offset: int, lines: Lines) -> types.Position:
    bom = 1 if text.startswith(BOM) else 0
    if offset < bom:
        return types.Position(0, 0)
    parts = LINE_END.split(text[bom:offset])
    return lines.position(Location(len(parts), len(parts[-1]) + 1))


def group(edits: List[Tuple[str, types.TextEdit]]) -> List[Tuple[str, List[types.TextEdit]]]:
    """Edits grouped by URI (first appearance first), each group in document order."""
    by_uri: dict = {}
    for uri, edit in edits:
        by_uri.setdefault(uri, []).append(edit)
    return [(uri, sorted(items, key=lambda e: (e.range.start.line, e.range.start.character)))
            for uri, items in by_uri.items()]
