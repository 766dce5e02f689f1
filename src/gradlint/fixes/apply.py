"""Applying fixes (lists of text edits) to source text, and writing files without corrupting them.

Positions are those of `Diagnostic`: 1-based lines and 1-based character columns, end exclusive.
Lines end at `\\r\\n`, `\\r` or `\\n`, as Python's tokenizer counts them. Inserted text is written
with the file's own line ending: a `\\n` in an edit becomes `\\r\\n` in a CRLF file.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

from ..atomic import replace_file
from ..diagnostic import Edit, Fix, Location

LINE_BREAK = re.compile(r"\r\n|\r|\n")


class EditError(ValueError):
    """An edit that does not fit the text (a position past the end, or overlapping edits)."""


def line_starts(text: str) -> List[int]:
    """Offsets at which each line starts (index 0 is line 1); one more entry after a final break."""
    return [0] + [match.end() for match in LINE_BREAK.finditer(text)]


def detect_newline(text: str) -> str:
    match = LINE_BREAK.search(text)
    return match.group() if match else "\n"


def to_offset(text: str, starts: List[int], location: Location) -> int:
    line, column = location.line, location.column
    if line == len(starts) + 1 and column == 1:
        return len(text)  # the start of the line after the last one: the end of the text
    if not 1 <= line <= len(starts):
        raise EditError(f"line {line} is outside the text ({len(starts)} lines)")
    start = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    content = text[start:end]
    length = len(content.rstrip("\r\n"))
    if not 1 <= column <= length + 1:
        raise EditError(f"column {column} is outside line {line}")
    return start + column - 1


def _convert(content: str, newline: str) -> str:
    if newline == "\n":
        return content
    return LINE_BREAK.sub(newline, content)


def edit_offsets(text: str, edits: Iterable[Edit], starts: Optional[List[int]] = None) -> List[Tuple[int, int, str]]:
    starts = starts if starts is not None else line_starts(text)
    result = []
    for edit in edits:
        start, end = to_offset(text, starts, edit.start), to_offset(text, starts, edit.end)
        if end < start:
            raise EditError(f"edit ends before it starts: {edit}")
        result.append((start, end, edit.content))
    return sorted(result, key=lambda item: (item[0], item[1]))


def _overlap(ranges: Sequence[Tuple[int, int]], start: int, end: int) -> bool:
    for other_start, other_end in ranges:
        if start < other_end and other_start < end:
            return True
        if start == end == other_start == other_end:
            return True  # two insertions at one place: their order would be arbitrary
        if start == end and other_start < start < other_end:
            return True
        if other_start == other_end and start < other_start < end:
            return True
    return False


def apply_edits(text: str, edits: Iterable[Edit], newline: Optional[str] = None) -> str:
    """Apply non-overlapping edits; raises EditError when they overlap or do not fit."""
    newline = newline or detect_newline(text)
    offsets = edit_offsets(text, edits)
    pieces = []
    position = 0
    for start, end, content in offsets:
        if start < position:
            raise EditError("overlapping edits")
        pieces.append(text[position:start])
        pieces.append(_convert(content, newline))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


@dataclass
class Applied:
    text: str
    applied: List[int]  # indexes (into the fixes given) of fixes applied or already applied
    skipped: List[int]  # indexes of fixes left for a later round (overlap) or that do not fit


def apply_fixes(text: str, fixes: Sequence[Fix]) -> Applied:
    """Apply as many fixes as fit, in the order of their first edit: a fix whose edits overlap an
    accepted fix's edits is skipped (the caller re-lints and tries again); a fix identical to an
    accepted one counts as applied (two findings with one repair)."""
    starts = line_starts(text)
    candidates = []
    skipped: List[int] = []
    for index, fix in enumerate(fixes):
        try:
            offsets = edit_offsets(text, fix.edits, starts)
        except EditError:
            skipped.append(index)
            continue
        if not offsets:
            skipped.append(index)
            continue
        candidates.append((offsets[0][0], index, tuple(offsets)))
    candidates.sort(key=lambda item: (item[0], item[1]))
    accepted: List[Tuple[int, int, str]] = []
    ranges: List[Tuple[int, int]] = []
    seen = set()
    applied: List[int] = []
    for _, index, offsets in candidates:
        if offsets in seen:
            applied.append(index)
            continue
        own: List[Tuple[int, int]] = []
        clash = False
        for start, end, _content in offsets:
            if _overlap(ranges, start, end) or _overlap(own, start, end):
                clash = True
                break
            own.append((start, end))
        if clash:
            skipped.append(index)
            continue
        seen.add(offsets)
        ranges.extend(own)
        accepted.extend(offsets)
        applied.append(index)
    newline = detect_newline(text)
    pieces = []
    position = 0
    for start, end, content in sorted(accepted, key=lambda item: (item[0], item[1])):
        pieces.append(text[position:start])
        pieces.append(_convert(content, newline))
        position = end
    pieces.append(text[position:])
    return Applied("".join(pieces), sorted(applied), sorted(skipped))


# -- writing ------------------------------------------------------------------------------------

class ChangedOnDisk(Exception):
    """The file changed between reading and writing it: gradlint leaves it alone."""


def write_atomic(path: str, data: bytes, expected: Optional[bytes] = None) -> bool:
    """Replace the file's content with `data` through a temporary file in the same directory and
    `os.replace`, keeping the file's mode. Returns False (and writes nothing) when the content is
    already `data`. With `expected`, raises ChangedOnDisk if the file no longer holds it."""
    target = os.path.realpath(path)  # write through a symlink, never replace the link itself
    try:
        with open(target, "rb") as handle:
            current = handle.read()
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        if expected is not None:
            raise ChangedOnDisk(path) from None
        current, mode = None, None
    if expected is not None and current != expected:
        raise ChangedOnDisk(path)
    if current == data:
        return False
    replace_file(target, data, mode, prefix="." + os.path.basename(target) + ".", suffix=".gradlint-tmp", sync=True)
    return True
