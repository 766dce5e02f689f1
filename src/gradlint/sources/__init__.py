"""Sources: every kind of input becomes one `Program` (the Python text the pipeline analyses) with a
`PositionMap` back to the input's own coordinates, and fixes go back the same way.

Kinds, one module each: a Python file (`python_file`: `.py`, `.pyi`, and a standard-input buffer,
which is a Python file or a notebook by the name it is given), a Jupyter notebook (`notebook`, with
IPython's cell syntax in `ipython`), an IPython session's executed inputs in execution order plus
the cell about to run (`ipython_history`, for the `%load_ext gradlint` extension; cells named
`In[n]`). The pipeline (pre-filter, analysis, rules, fixes) sees only programs; nothing after `load`
knows which kind it works on.
`lsp_notebook`: an LSP notebook document's code cells, for `gradlint server` (no bytes, no `load`).
"""
from __future__ import annotations

from typing import Optional

from .positions import IDENTITY, PositionMap, Segment
from .program import FixError, Program, Source, SourceError

__all__ = ["IDENTITY", "FixError", "PositionMap", "Program", "Segment", "Source", "SourceError", "is_notebook",
           "load", "screen_bytes"]


def is_notebook(filename: str) -> bool:
    return filename.lower().endswith(".ipynb")


def load(data: bytes, filename: str) -> Source:
    """The source of this kind (by its name); raises SourceError when it cannot become a program."""
    if is_notebook(filename):
        from .notebook import NotebookFile
        return NotebookFile.load(data, filename)
    from .python_file import PythonFile
    return PythonFile.load(data, filename)


def screen_bytes(data: bytes, filename: str) -> Optional[bytes]:
    """Bytes that hold every character of the program's code, for the pre-filter to look at without
    decoding or parsing anything it need not; None when that cannot be told (lint the source)."""
    if is_notebook(filename):
        from .notebook import code_bytes
        return code_bytes(data)
    return data
