"""Applying fixes (lists of text edits) to source text, and writing files without corrupting them.

Positions are those of `Diagnostic`: 1-based lines and 1-based character columns, end exclusive.
Lines end at `\\r\\n`, `\\r` or `\\n`, as Python's tokenizer counts them. Inserted text is written
with the file's own line ending: a `\\n` in an edit becomes `\\r\\n` in a CRLF file.
"""
from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

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
        if start == end and other_start < start < other_end:
            return True
        if other_start == other_end and start < other_start < end:
            return True
    return False


def newline_at(text: str, offset: int) -> str:
    """The line ending for text inserted at `offset`: that of the line it continues (the line
    before, at the start of a line), else of the line holding it, so that inserted lines take
    their neighbours' ending in a file with mixed endings too."""
    match = None if 0 < offset and text[offset - 1] in "\r\n" else LINE_BREAK.search(text, offset)
    if match is not None:
        return match.group()
    last = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset))
    if last < 0:
        return "\n"
    return "\r\n" if text[last - 1:last + 1] == "\r\n" else text[last]


def _join(text: str, offsets: Sequence[Tuple[int, int, str]], newline: Optional[str] = None) -> str:
    pieces = []
    position = 0
    for start, end, content in offsets:
        pieces.append(text[position:start])
        pieces.append(_convert(content, newline or newline_at(text, start)))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def apply_edits(text: str, edits: Iterable[Edit], newline: Optional[str] = None) -> str:
    """Apply non-overlapping edits (insertions at one place in the order given); raises EditError
    when they overlap or do not fit."""
    offsets = edit_offsets(text, edits)
    position = 0
    for start, end, _content in offsets:
        if start < position:
            raise EditError("overlapping edits")
        position = end
    return _join(text, offsets, newline)


@dataclass
class Applied:
    text: str
    applied: List[int]  # indexes (into the fixes given) of fixes applied or already applied
    skipped: List[int]  # indexes of fixes left for a later round (overlap) or that do not fit


def apply_fixes(text: str, fixes: Sequence[Fix]) -> Applied:
    """Apply as many fixes as fit, in the order of their first edit: a fix whose edits overlap an
    accepted fix's edits is skipped (the caller re-lints and tries again); a fix identical to an
    accepted one counts as applied (two findings with one repair), and an edit identical to an
    accepted one is shared, not made twice. Insertions at one place are all made, in that order
    (`a = x * 1; b = x * 2` on one line gets both retains in one round)."""
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
        new = [edit for edit in offsets if edit not in accepted]
        clash = False
        for start, end, _content in new:
            if _overlap(ranges, start, end) or _overlap(own, start, end):
                clash = True
                break
            own.append((start, end))
        if clash:
            skipped.append(index)
            continue
        seen.add(offsets)
        ranges.extend(own)
        accepted.extend(new)
        applied.append(index)
    merged = _join(text, sorted(accepted, key=lambda item: (item[0], item[1])))  # stable: insertions keep their order
    return Applied(merged, sorted(applied), sorted(skipped))


# -- writing ------------------------------------------------------------------------------------

class ChangedOnDisk(Exception):
    """The file changed between reading and writing it: gradlint leaves it alone."""


def write_in_place(path: str, data: bytes, expected: Optional[bytes] = None) -> bool:
    """Write `data` into the file itself, as ruff does: its inode, mode, owner and hard links stay
    (a replacement through a temporary file would change the owner to the fixing user, detach hard
    links and let a user who cannot write the file replace it). Returns False (and writes nothing)
    when the file already holds `data`. With `expected`, raises ChangedOnDisk if the file no longer
    holds it, checked through the same open file just before writing. A file the user may not write
    raises PermissionError. Space is reserved before the content is touched, and if a write fails
    anyway the original content is written back."""
    target = os.path.realpath(path)  # write through a symlink, never replace the link itself
    if os.path.exists(target) and not may_write(target):
        raise PermissionError(errno.EACCES, "Permission denied", path)
    try:
        descriptor = os.open(target, os.O_RDWR)
    except FileNotFoundError:
        if expected is not None:
            raise ChangedOnDisk(path) from None
        descriptor = os.open(target, os.O_RDWR | os.O_CREAT, 0o666)
    with os.fdopen(descriptor, "r+b") as handle:
        current = handle.read()
        if expected is not None and current != expected:
            raise ChangedOnDisk(path)
        if current == data:
            return False
        _reserve(handle.fileno(), len(data))
        try:
            _overwrite(handle, data)
        except OSError:
            try:
                _overwrite(handle, current)
            except OSError:
                pass
            raise
    return True


def may_write(path: str) -> bool:
    return os.access(path, os.W_OK)


def _reserve(descriptor: int, size: int) -> None:
    """Allocate the file's new size first, so that a full disk fails before anything is changed."""
    try:
        os.posix_fallocate(descriptor, 0, size)
    except AttributeError:  # no posix_fallocate on this platform
        pass
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)):
            raise


def _overwrite(handle, data: bytes) -> None:
    handle.seek(0)
    handle.write(data)
    handle.truncate()
    handle.flush()
    os.fsync(handle.fileno())
