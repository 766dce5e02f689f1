"""`Program` (the Python text the pipeline analyses, with its position map) and `Source` (one kind
of input turned into a program, and fixes carried back into its bytes)."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from ..diagnostic import Diagnostic, Fix, Location
from .positions import IDENTITY, PositionMap


@dataclass(frozen=True)
class Program:
    filename: str
    text: str
    positions: PositionMap = IDENTITY
    #: Problems met while building the program (a notebook cell that is not Python), already in
    #: the source's coordinates.
    errors: Tuple[Diagnostic, ...] = ()


class SourceError(Exception):
    """The input cannot become a program; `diagnostic` says why (GL901, GL904...)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class FixError(Exception):
    """Fixes cannot be carried into the source (they would break it, or it cannot be written back)."""


class Source:
    """One input: its bytes, the program made of them, and the way back for fixes.

    Kinds implement `program`, `text_of`, `apply_fixes` and `to_bytes`."""

    filename: str
    data: bytes
    program: Program

    def text_of(self, cell: Optional[int]) -> Optional[str]:
        """The text positions with this `cell` (None: the file) are relative to."""
        raise NotImplementedError

    def file_location(self, cell: Optional[int], location: Location) -> Optional[Location]:
        """Where a position (relative to `cell`) is in the file's own text, for consumers that
        open the file as it is (SARIF); None when it cannot be told."""
        return location if cell is None else None

    def apply_fixes(self, fixes: Sequence[Fix]) -> Tuple["Source", List[int]]:
        """The source with as many of `fixes` (program coordinates) applied as fit together, and
        the indexes of those applied. Raises FixError when the result would not parse."""
        raise NotImplementedError

    def fix_applies(self, fix: Fix) -> bool:
        """Can this fix, alone, be carried into the source (and leave it parsing)?"""
        try:
            return bool(self.apply_fixes([fix])[1])
        except FixError:
            return False

    def to_bytes(self) -> bytes:
        """The bytes of this source (raises FixError when they cannot be written exactly)."""
        raise NotImplementedError

    def diff(self, original: "Source") -> bytes:
        """A unified diff from `original` to this source."""
        raise NotImplementedError


def unified_diff(before: bytes, after: bytes, name: str) -> bytes:
    """A unified diff of two byte strings that `patch` applies to `before`: lines are split where
    patch splits them (at `\n` only: a form feed, U+2028 or a lone `\r` is inside a line), the
    text stays in its own encoding, and only a last line without `\n` gets the marker."""
    label = name.encode("utf-8", "surrogateescape")
    lines = difflib.diff_bytes(difflib.unified_diff, _lines(before),
                               _lines(after), fromfile=label, tofile=label)
    out = []
    for line in lines:
        out.append(line if line.endswith(b"\n") else line + b"\n\\ No newline at end of file\n")
    return b"".join(out)


def _lines(data: bytes) -> List[bytes]:
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines
