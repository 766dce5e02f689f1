"""What linting one source gives: diagnostics in program coordinates plus the map to the source's.

This is what workers return and the cache stores, so that every front end and every output format
gets positions in the source's own terms (cells) from one conversion, `to_source()`, whether the
result was computed now or read from the cache.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Tuple

from .diagnostic import Diagnostic
from .sources.positions import IDENTITY, PositionMap


@dataclass
class LintResult:
    filename: str
    #: Findings in the coordinates of the program that was analysed.
    diagnostics: List[Diagnostic] = field(default_factory=list)
    positions: PositionMap = IDENTITY
    #: Problems with the source itself (cannot decode, a cell that is not Python), in its coordinates.
    errors: List[Diagnostic] = field(default_factory=list)
    #: The project's modules the analysis read (imports), as (path, digest of its bytes; "" when
    #: absent): a cached result holds while they are unchanged (see cache.py, project.unchanged).
    dependencies: List[Tuple[str, str]] = field(default_factory=list)

    def to_source(self) -> List[Diagnostic]:
        mapped = [self.positions.to_source(d) for d in self.diagnostics]
        return sorted(self.errors + mapped, key=Diagnostic.sort_key)
