"""A Jupyter notebook: its code cells, in order, are one program (state flows from cell to cell);
positions are reported per cell (`nb.ipynb:cell 3:2:5`, cells counted from 1 over every cell,
markdown included, as they appear in the notebook). Each cell becomes Python as IPython would run it
(`sources.ipython`); a cell that still does not compile gets a GL900 and is left out.

Fixes are carried into the cells' `source` and the notebook is written back with the same JSON layout
(indentation, key order, escaping, trailing newline are detected by re-serialising the unchanged
notebook and comparing it byte for byte); only the edited cells' `source` changes. If the layout
cannot be reproduced the notebook is not written.
"""
from __future__ import annotations

import json
from functools import cached_property
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .. import errors
from ..diagnostic import Diagnostic, Fix, Location
from .ipython import LINE_BREAK, CellText, neutralise
from .positions import PositionMap, Segment
from .program import FixError, Program, Source, SourceError, unified_diff


class NotebookError(Exception):
    pass


def cell_source(cell: Dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


class Notebook:
    def __init__(self, raw: bytes, data: Dict[str, Any]):
        self.raw = raw
        self.data = data
        self.cells: List[Dict[str, Any]] = data["cells"]

    @classmethod
    def parse(cls, raw: bytes) -> "Notebook":
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise NotebookError(f"malformed notebook: not UTF-8 ({exc.reason})") from None
        except (ValueError, RecursionError) as exc:
            raise NotebookError(f"malformed notebook: invalid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise NotebookError("malformed notebook: the top level is not a JSON object")
        if "cells" not in data:
            if "worksheets" in data:
                raise NotebookError("unsupported notebook: nbformat 3 (open and save it in Jupyter to upgrade)")
            raise NotebookError("malformed notebook: no `cells` list")
        cells = data["cells"]
        if not isinstance(cells, list):
            raise NotebookError("malformed notebook: `cells` is not a list")
        for number, cell in enumerate(cells, 1):
            if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
                raise NotebookError(f"malformed notebook: cell {number} has no `cell_type`")
            source = cell.get("source", "")
            if not (isinstance(source, str) or (isinstance(source, list)
                                                and all(isinstance(part, str) for part in source))):
                raise NotebookError(f"malformed notebook: cell {number} `source` is not a string or list of strings")
        return cls(raw, data)

    @property
    def is_python(self) -> bool:
        metadata = self.data.get("metadata")
        if not isinstance(metadata, dict):
            return True
        info = metadata.get("language_info")
        if isinstance(info, dict) and isinstance(info.get("name"), str):
            return info["name"].lower() in ("python", "python3", "ipython", "ipython3")
        kernel = metadata.get("kernelspec")
        if isinstance(kernel, dict) and isinstance(kernel.get("language"), str):
            return kernel["language"].lower() in ("python", "python3")
        return True

    def code_sources(self) -> Dict[int, str]:
        return {number: cell_source(cell) for number, cell in enumerate(self.cells, 1)
                if cell.get("cell_type") == "code"}




def code_bytes(data: bytes) -> Optional[bytes]:
    """The code cells' text as UTF-8, for the pre-filter (None: malformed, let `load` judge it)."""
    # JSON spells letters other than as themselves only through \u escapes; without one, and
    # without the words the pre-filter's patterns need, no cell can match: skip the JSON parse.
    if b"\\u" not in data and b"grad" not in data and b"optim" not in data:
        return b""
    try:
        notebook = Notebook.parse(data)
    except NotebookError:
        return None
    return "\n".join(notebook.code_sources().values()).encode("utf-8", "surrogatepass")


def build_program(sources: Dict[int, str], filename: str,
                  cell_text: Callable[[str], CellText] = neutralise) -> Program:
    """The code cells (number -> text) as one program, a line break after each cell. `cell_text`
    turns a cell into the Python IPython would run (`ipython.neutralise`; a caller may cache it)."""
    parts: List[str] = []
    segments: List[Segment] = []
    problems: List[Diagnostic] = []
    line = 1
    for number in sorted(sources):
        source = sources[number]
        count = len(LINE_BREAK.findall(source)) + 1
        cell = cell_text(source)
        text, neutralised = cell.text, cell.neutralised
        if text is None:
            error = cell.error
            where = Location(max(1, min(getattr(error, "lineno", None) or 1, count)),
                             max(1, getattr(error, "offset", None) or 1))
            problems.append(Diagnostic(
                errors.SYNTAX_ERROR, f"SyntaxError: {getattr(error, 'msg', error)} (cell {number} was not linted)",
                filename, where, where, cell=number))
            text = "\n" * (count - 1)
            neutralised = frozenset(range(1, count + 1))
        parts.append(text + "\n")
        segments.append(Segment(number, line, count, neutralised, cell.indent if cell.text else "",
                                cell.dedented if cell.text else frozenset(),
                                len(LINE_BREAK.split(source)[-1]) + 1))
        line += count
    return Program(filename, "".join(parts), PositionMap(tuple(segments)), tuple(problems))


def fix_cells(program: Program, sources: Dict[int, str], fixes: Sequence[Fix]) -> Tuple[Dict[int, str], List[int]]:
    """The cells (number -> text) of `program` with as many of `fixes` (program coordinates)
    applied as fit together, and the indexes of those applied. Raises FixError when a fixed cell
    would not compile."""
    from ..fixes.apply import EditError, apply_edits, apply_fixes
    positions = program.positions
    mapped = [(index, fix, positions.edits_to_source(fix.edits)) for index, fix in enumerate(fixes)]
    mapped = [item for item in mapped if item[2] is not None]
    # Which fixes fit together is decided in program coordinates, where they can all be seen.
    chosen = apply_fixes(program.text, [fix for _, fix, _ in mapped]).applied
    by_cell: Dict[int, list] = {}
    for index in chosen:
        for edit in mapped[index][2]:
            if edit not in by_cell.setdefault(edit.cell, []):
                by_cell[edit.cell].append(edit)
    fixed = dict(sources)
    try:
        for cell, edits in by_cell.items():
            fixed[cell] = apply_edits(fixed[cell], edits)
    except EditError:
        return sources, []
    if any(neutralise(fixed[cell]).text is None for cell in by_cell):
        raise FixError("fixes would introduce a syntax error")
    return fixed, [mapped[index][0] for index in chosen]


class NotebookFile(Source):
    kind = "notebook"

    def __init__(self, filename: str, data: bytes, notebook: Notebook, sources: Dict[int, str]):
        self.filename = filename
        self.data = data
        self.notebook = notebook
        self.sources = sources  # code cell number -> text
        self._program: Optional[Program] = None

    @property
    def program(self) -> Program:  # type: ignore[override]
        if self._program is None:
            self._program = build_program(self.sources, self.filename) if self.notebook.is_python \
                else Program(self.filename, "")
        return self._program

    @classmethod
    def load(cls, data: bytes, filename: str) -> "NotebookFile":
        try:
            notebook = Notebook.parse(data)
        except NotebookError as exc:
            raise SourceError(errors.file_error(errors.NOTEBOOK_ERROR, filename, str(exc))) from None
        return cls(filename, data, notebook, notebook.code_sources())

    def text_of(self, cell: Optional[int]) -> Optional[str]:
        if cell is None or not 1 <= cell <= len(self.notebook.cells):
            return None
        return self.sources.get(cell, cell_source(self.notebook.cells[cell - 1]))

    def file_location(self, cell: Optional[int], location: Location) -> Optional[Location]:
        if cell is None or self._json_text is None:
            return None
        try:
            return self._json_text.file_location(cell, location)
        except (ValueError, IndexError):
            return None

    @cached_property
    def _json_text(self):
        """The notebook's JSON text with where each cell's source strings are (read once)."""
        from .notebook_json import NotebookText
        try:
            return NotebookText(self.data)
        except (ValueError, IndexError, UnicodeDecodeError):
            return None

    def apply_fixes(self, fixes: Sequence[Fix]) -> Tuple["NotebookFile", List[int]]:
        sources, applied = fix_cells(self.program, self.sources, fixes)
        if not applied:
            return self, []
        return NotebookFile(self.filename, self.data, self.notebook, sources), applied

    def to_bytes(self) -> bytes:
        if self.sources == self.notebook.code_sources():
            return self.data
        layout = detect_layout(self.data, self.notebook.data)
        if layout is None:
            raise FixError("cannot reproduce the notebook's JSON layout exactly; it was not fixed")
        data = json.loads(json.dumps(self.notebook.data))  # a copy: the parsed notebook stays as read
        for number, text in self.sources.items():
            _set_source(data["cells"][number - 1], text)
        return dump(data, layout)

    def diff(self, original: Source) -> bytes:
        """One diff per changed cell (`nb.ipynb:cell 3`), of the cells' text."""
        assert isinstance(original, NotebookFile)
        return b"".join(unified_diff(original.sources[number].encode("utf-8"), self.sources[number].encode("utf-8"),
                                     f"{self.filename}:cell {number}")
                        for number in sorted(self.sources) if self.sources[number] != original.sources[number])


def _layouts():
    for indent in (1, 2, 4, None, 0, 3, "\t"):
        for ensure_ascii in (False, True):
            separators = [(",", ": "), (", ", ": "), (",", ":")]
            for separator in separators:
                yield {"indent": indent, "ensure_ascii": ensure_ascii, "separators": separator}


def detect_layout(raw: bytes, data: Any) -> Optional[Tuple[Dict[str, Any], str, str, bool]]:
    """(json.dumps keyword arguments, trailing text, newline, BOM) that reproduce `raw` exactly."""
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8") if bom else raw.decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    for layout in _layouts():
        dumped = json.dumps(data, **layout)
        if newline != "\n":
            dumped = dumped.replace("\n", newline)
        if text.startswith(dumped) and text[len(dumped):] in ("", "\n", "\r\n"):
            return layout, text[len(dumped):], newline, bom
    return None


def dump(data: Any, layout) -> bytes:
    options, trailing, newline, bom = layout
    text = json.dumps(data, **options)
    if newline != "\n":
        text = text.replace("\n", newline)
    return (b"\xef\xbb\xbf" if bom else b"") + (text + trailing).encode("utf-8")


def _ends_line(text: str) -> bool:
    return text.endswith(("\n", "\r"))


def _set_source(cell: Dict[str, Any], text: str) -> None:
    """Give the cell its new text in the form it had: a string stays a string; a list keeps its
    unchanged elements as they were (whatever their split) and the changed part is split into lines."""
    old = cell.get("source")
    if not isinstance(old, list):
        cell["source"] = text
        return
    head = 0  # elements kept at the start: each ends a line, so what follows them starts one
    while head < len(old) and _ends_line(old[head]) and text.startswith("".join(old[: head + 1])):
        head += 1
    rest = text[len("".join(old[:head])):]
    tail = 0  # elements kept at the end: what precedes them ends a line
    while tail < len(old) - head:
        suffix = "".join(old[len(old) - tail - 1:])
        before = rest[: len(rest) - len(suffix)]
        if not rest.endswith(suffix) or (before and not _ends_line(before)):
            break
        tail += 1
    middle = rest[: len(rest) - len("".join(old[len(old) - tail:]))]
    parts = []
    position = 0
    for match in LINE_BREAK.finditer(middle):
        parts.append(middle[position:match.end()])
        position = match.end()
    if position < len(middle):
        parts.append(middle[position:])
    cell["source"] = old[:head] + parts + old[len(old) - tail:]
