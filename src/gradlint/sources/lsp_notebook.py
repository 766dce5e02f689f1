"""An LSP notebook document (LSP 3.17 notebook sync, as `gradlint server` receives it): its code
cells, in order, are one program, as in a `.ipynb` file; cells are numbered by their index in the
notebook document (from 1, every cell counted), so diagnostics and fix edits name the cell they
belong to. There are no bytes: the editor owns the cells, and fixes come back as the cells' text.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from ..diagnostic import Fix
from .ipython import CellText, neutralise
from .notebook import build_program, fix_cells
from .program import FixError, Program, Source


@lru_cache(maxsize=1024)
def _cell_text(source: str) -> CellText:
    """`neutralise`, remembered: a keystroke changes one cell, the others are as they were."""
    return neutralise(source)


class LspNotebook(Source):
    kind = "notebook-document"

    def __init__(self, filename: str, cells: Dict[int, str]):
        self.filename = filename
        self.cells = dict(cells)  # cell number (1-based index in the notebook) -> text, code cells only
        self.data = b""
        self._program: Optional[Program] = None

    @property
    def program(self) -> Program:  # type: ignore[override]
        if self._program is None:
            self._program = build_program(self.cells, self.filename, _cell_text)
        return self._program

    def text_of(self, cell: Optional[int]) -> Optional[str]:
        return None if cell is None else self.cells.get(cell)

    def apply_fixes(self, fixes: Sequence[Fix]) -> Tuple["LspNotebook", List[int]]:
        cells, applied = fix_cells(self.program, self.cells, fixes)
        return (LspNotebook(self.filename, cells), applied) if applied else (self, [])

    def to_bytes(self) -> bytes:
        raise FixError("a notebook document has no bytes of its own; its cells are edited in the editor")
