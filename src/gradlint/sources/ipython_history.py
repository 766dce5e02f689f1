"""An IPython session about to run a cell: the inputs it has executed, in execution order (`In[1]`,
`In[2]`, ...: the order the kernel saw them, not the order of a notebook's cells), then the new cell,
are one program; cells are numbered by their `In[...]` index and messages name other cells that way
("in In[3] line 2"). Each cell becomes Python as in a notebook (`sources.ipython`: magics, shell
escapes and `%%` cell magics neutralised, a cell that still does not compile left out), and a cell
that rebinds a name replaces the old binding simply by coming later in the program.

The same history is linted again for every new cell, so the cells' neutralised text is cached by
their text. Fixes are carried into the cells' text (`cells`); nothing is written anywhere.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from ..diagnostic import Fix
from .ipython import CellText, neutralise
from .notebook import build_program, fix_cells
from .positions import PositionMap
from .program import FixError, Program, Source, unified_diff

FILENAME = "<ipython>"


class ExecutionPositions(PositionMap):
    """A notebook's position map whose messages name cells by execution count."""

    def reference(self, line: int, cell: int) -> str:
        return f"in In[{cell}] line {line}"


@lru_cache(maxsize=4096)
def cell_text(source: str) -> CellText:
    """`neutralise`, remembered: the history is the same from one cell to the next."""
    return neutralise(source)


class IPythonHistory(Source):
    kind = "ipython"

    def __init__(self, cells: Dict[int, str], filename: str = FILENAME, current: Optional[int] = None):
        self.filename = filename
        self.cells = dict(cells)  # In[...] index -> the text the user typed
        self.current = current  # the cell about to run (None: the history alone)
        self._program: Optional[Program] = None

    @classmethod
    def from_inputs(cls, inputs: Sequence[str], new_cell: Optional[str] = None,
                    filename: str = FILENAME) -> "IPythonHistory":
        """`inputs` as IPython keeps them (`history_manager.input_hist_raw`: index 0 is empty,
        index n is In[n]) and the cell about to run, which becomes In[len(inputs)]."""
        cells = {number: text for number, text in enumerate(inputs) if number and text and not text.isspace()}
        current = None
        if new_cell is not None:
            current = max(len(inputs), 1)
            cells[current] = new_cell
        return cls(cells, filename, current)

    @property
    def program(self) -> Program:  # type: ignore[override]
        if self._program is None:
            built = build_program(self.cells, self.filename, cell_text)
            self._program = Program(built.filename, built.text, ExecutionPositions(built.positions.segments),
                                    built.errors)
        return self._program

    @property
    def data(self) -> bytes:  # type: ignore[override]
        return "\n".join(self.cells[number] for number in sorted(self.cells)).encode("utf-8", "surrogatepass")

    def text_of(self, cell: Optional[int]) -> Optional[str]:
        return None if cell is None else self.cells.get(cell)

    def apply_fixes(self, fixes: Sequence[Fix]) -> Tuple["IPythonHistory", List[int]]:
        cells, applied = fix_cells(self.program, self.cells, fixes)
        if not applied:
            return self, []
        return IPythonHistory(cells, self.filename, self.current), applied

    def to_bytes(self) -> bytes:
        raise FixError("an IPython session's history cannot be written; run the fixed cell instead")

    def diff(self, original: Source) -> bytes:
        """One diff per changed cell (`In[3]`)."""
        assert isinstance(original, IPythonHistory)
        return b"".join(unified_diff(original.cells[number].encode("utf-8", "surrogatepass"),
                                     self.cells[number].encode("utf-8", "surrogatepass"), f"In[{number}]")
                        for number in sorted(self.cells) if self.cells[number] != original.cells.get(number))
