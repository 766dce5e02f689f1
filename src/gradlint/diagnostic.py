"""What gradlint reports: diagnostics with positions, their origin, and fixes as text edits.

Lines and columns are 1-based; columns count characters (not bytes); an end position is exclusive,
as in ruff's JSON output. `cell` is None in a Python file; in a notebook it is the 1-based cell
(over every cell, markdown included) that the position is relative to. The pipeline works in the
coordinates of the program it analyses (cell None); `sources.PositionMap` converts to the source's
own coordinates once, at the edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

SAFE = "safe"
UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Location:
    line: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text from `start` up to (not including) `end` with `content`."""

    start: Location
    end: Location
    content: str
    cell: Optional[int] = None


@dataclass(frozen=True)
class Fix:
    applicability: str  # SAFE or UNSAFE
    message: str
    edits: Tuple[Edit, ...]


@dataclass(frozen=True)
class Origin:
    """Where the tensor stopped being a leaf (or where the late retain_grad() ran)."""

    location: Location
    description: str
    cell: Optional[int] = None


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    filename: str
    start: Location
    end: Location
    origin: Optional[Origin] = None
    fix: Optional[Fix] = field(default=None, compare=False)
    cell: Optional[int] = None

    @property
    def line(self) -> int:
        return self.start.line

    @property
    def column(self) -> int:
        return self.start.column

    def sort_key(self):
        return (self.filename, self.cell or 0, self.start.line, self.start.column, self.code)
