"""Where program positions are in the source: the position map of a `Program`.

A Python file is its own program (no segments: every position maps to itself). A notebook's program
is its code cells one after the other; each `Segment` says which program lines hold which cell, which
cell lines were neutralised (IPython magics, where no edit may go), and which lines lost a common
indentation that IPython strips before running a cell (their columns shift back by its length).

The map is plain data (it is stored with cached results) and converts whole diagnostics: positions,
the origin, every fix edit (each names its own cell) and the "on line N" references in messages.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from ..diagnostic import Diagnostic, Edit, Fix, Location, Origin

# The analysis and the rules write line references as "on line N" (program lines).
_LINE_REFERENCE = re.compile(r"\bon line (\d+)\b")


@dataclass(frozen=True)
class Segment:
    cell: int  # 1-based over every cell of the notebook
    start: int  # the program line of the cell's first line
    lines: int  # how many program lines the cell takes (its lines; the separator ends the last)
    neutralised: FrozenSet[int] = frozenset()  # cell lines replaced by `pass` (magics): no edits
    indent: str = ""  # the common indentation IPython strips from the cell
    dedented: FrozenSet[int] = frozenset()  # cell lines that lost `indent`
    end_column: int = 1  # the column just after the cell's last character (on its last line)

    def shift(self, line: int) -> int:
        return len(self.indent) if line in self.dedented else 0


@dataclass(frozen=True)
class PositionMap:
    segments: Tuple[Segment, ...] = ()
    _starts: Tuple[int, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(segment.start for segment in self.segments))

    @property
    def is_identity(self) -> bool:
        return not self.segments

    def locate(self, location: Location, end: bool = False) -> Optional[Tuple[Segment, Location]]:
        """The segment holding a program location and the location in its cell. `end`: an exclusive
        end at column 1 of a cell's first line belongs to the cell before."""
        index = bisect.bisect_right(self._starts, location.line) - 1
        if index < 0:
            return None
        if end and index > 0 and location.column == 1 and location.line == self.segments[index].start:
            index -= 1
        segment = self.segments[index]
        line = location.line - segment.start + 1
        if line > segment.lines + 1:
            return None
        return segment, Location(line, location.column + segment.shift(line))

    # -- whole diagnostics ------------------------------------------------------------------------

    def to_source(self, diagnostic: Diagnostic) -> Diagnostic:
        """The diagnostic in the source's coordinates (itself for a Python file)."""
        if self.is_identity or diagnostic.cell is not None:
            return diagnostic
        found = self.locate(diagnostic.start)
        if found is None:
            return diagnostic
        segment, start = found
        end_found = self.locate(diagnostic.end, end=True)
        end = end_found[1] if end_found is not None and end_found[0] is segment else start
        fix = diagnostic.fix
        if fix is not None:
            edits = self.edits_to_source(fix.edits)
            fix = None if edits is None else Fix(fix.applicability, fix.message, tuple(edits))
        origin = diagnostic.origin
        if origin is not None:
            where = self.locate(origin.location)
            if where is not None:
                origin = Origin(where[1], self.message(origin.description, segment.cell), where[0].cell)
        return Diagnostic(diagnostic.code, self.message(diagnostic.message, segment.cell), diagnostic.filename,
                          start, end, origin, fix, segment.cell)

    def edits_to_source(self, edits: Sequence[Edit]) -> Optional[List[Edit]]:
        """The edits in cell coordinates; None when one cannot be made in the source (it spans
        cells, touches a neutralised magic line or a cell whose indentation IPython strips)."""
        if self.is_identity:
            return list(edits)
        mapped = []
        for edit in edits:
            if edit.start == edit.end:
                start = end = self.locate(edit.start, end=True)
            else:
                start, end = self.locate(edit.start), self.locate(edit.end, end=True)
            if start is None or end is None or start[0] is not end[0]:
                return None
            segment = start[0]
            if segment.dedented or set(range(start[1].line, end[1].line + 1)) & segment.neutralised:
                return None
            mapped.append(self._within_cell(segment, start[1], end[1], edit.content))
        return mapped

    @staticmethod
    def _within_cell(segment: Segment, start: Location, end: Location, content: str) -> Edit:
        """An edit whose end is the start of the line after the cell (the program's separator) is
        made to end at the cell's last character instead, so that every edit applies to the cell's
        own text: an insertion there of `text\n` becomes one of `\ntext` at the end of the cell."""
        after = Location(segment.lines + 1, 1)
        last = Location(segment.lines, segment.end_column)
        if end == after:
            content = content[:-1] if content.endswith("\n") else content
            if start == after:
                start, content = last, "\n" + content
            end = last
        return Edit(start, end, content, segment.cell)

    def message(self, text: str, cell: int) -> str:
        """Program line references in a message, in cell terms ("on line 2 of cell 3")."""
        def reference(match: "re.Match[str]") -> str:
            found = self.locate(Location(int(match.group(1)), 1))
            if found is None:
                return match.group(0)
            segment, location = found
            if segment.cell == cell:
                return f"on line {location.line}"
            return self.reference(location.line, segment.cell)
        return _LINE_REFERENCE.sub(reference, text) if "on line" in text else text

    def reference(self, line: int, cell: int) -> str:
        """How a message names a line of another cell; a kind of source with its own names for
        cells overrides it (IPython's history: "in In[3] line 2")."""
        return f"on line {line} of cell {cell}"

    # -- stored with cached results ----------------------------------------------------------------

    def to_json(self) -> List[Dict[str, Any]]:
        return [{"cell": s.cell, "start": s.start, "lines": s.lines, "neutralised": sorted(s.neutralised),
                 "indent": s.indent, "dedented": sorted(s.dedented), "end_column": s.end_column}
                for s in self.segments]

    @classmethod
    def from_json(cls, value: Any) -> "PositionMap":
        segments = []
        for item in value or ():
            segments.append(Segment(int(item["cell"]), int(item["start"]), int(item["lines"]),
                                    frozenset(int(n) for n in item["neutralised"]), str(item["indent"]),
                                    frozenset(int(n) for n in item["dedented"]), int(item["end_column"])))
        return cls(tuple(segments))


IDENTITY = PositionMap()

