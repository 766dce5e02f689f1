"""Jupyter notebooks: the code cells, in order, are linted as one program (state flows from cell to
cell); positions are reported per cell (`nb.ipynb:cell 3:2:5`, cells counted from 1 over every cell,
markdown included, as they appear in the notebook).

IPython syntax is neutralised without errors, the way measured on real notebooks: a cell is first
compiled as it is (most cells are plain Python); only when that fails are the lines that IPython
itself would treat as magics replaced by `pass` (line magics `%...`, shell escapes `!...`, `x = !cmd`,
`x = %magic`, help `obj?` / `?obj`, auto-call `/f x`), and only at the start of a logical line, so a
continuation line that starts with the `%` operator stays code. A `%%time`-like cell magic keeps its
Python body; any other cell magic (`%%bash`, `%%writefile`, ...) makes the cell not Python. A cell
that still does not compile gets a GL900 diagnostic and is left out; the rest is linted.

`--fix` writes the notebook back with the same JSON layout (indentation, key order, escaping,
trailing newline are detected by re-serialising the unchanged notebook and comparing it byte for
byte); only the edited cells' `source` changes. If the layout cannot be reproduced the notebook is
not written.
"""
from __future__ import annotations

import ast
import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

from . import errors
from .diagnostic import Diagnostic, Edit, Fix, Location, Origin

LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: Cell magics whose body is Python that runs in the notebook's namespace.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "memit", "profile", "tensorboard"}
ASSIGNED_MAGIC = re.compile(r"^\s*[\w.\[\]\s,()*]+?\s*=\s*[!%]")


@dataclass(frozen=True)
class NotebookDiagnostic(Diagnostic):
    """A diagnostic in a notebook: `start`/`end` (and the fix's edits) are relative to `cell`."""

    cell: int = 0

    def sort_key(self):
        return (self.filename, self.cell, self.start.line, self.start.column, self.code)


@dataclass(frozen=True)
class NotebookEdit(Edit):
    cell: int = 0


class NotebookError(Exception):
    pass


def _split(text: str) -> Tuple[List[str], List[str]]:
    """(lines without their breaks, the breaks)."""
    return LINE_BREAK.split(text), LINE_BREAK.findall(text)


def _compiles(text: str) -> Optional[SyntaxError]:
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError) as exc:
        return SyntaxError(str(exc))
    return None


def _is_magic(code: str) -> bool:
    stripped = code.strip()
    if not stripped:
        return False
    if stripped[0] in "%!?/;,":
        return True
    if _code_part(stripped).rstrip().endswith("?"):
        return True
    return bool(ASSIGNED_MAGIC.match(code))


def _code_part(line: str) -> str:
    """The line without its comment (quotes on the line are respected)."""
    quote = None
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:i]
        i += 1
    return line


def _scan(line: str, state: Dict[str, Any]) -> None:
    """Track brackets and strings across one line of Python (for logical line starts)."""
    i, n = 0, len(line)
    quote = state["quote"]
    while i < n:
        char = line[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
            i += 1
            continue
        if char == "#":
            break
        if char in "\"'":
            quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else char
            i += len(quote)
            continue
        if char in "([{":
            state["depth"] += 1
        elif char in ")]}":
            state["depth"] = max(0, state["depth"] - 1)
        i += 1
    if quote and len(quote) == 1 and not line.endswith("\\"):
        quote = None  # an unterminated one-line string: let the compiler complain
    state["quote"] = quote
    code = line.split("#", 1)[0] if not quote else line
    state["continued"] = code.rstrip().endswith("\\")


def neutralise(source: str) -> Tuple[Optional[str], Set[int], Optional[SyntaxError]]:
    """(Python text with the same lines, 1-based lines replaced, error) — text None if the cell
    does not compile even with IPython syntax neutralised."""
    error = _compiles(source)
    if error is None:
        return source, set(), None
    lines, breaks = _split(source)
    replaced: Set[int] = set()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(None, 1)[0] if lines[first].lstrip()[2:].strip() else ""
        if name not in PYTHON_CELL_MAGICS:
            blank = "".join("" + (breaks[i] if i < len(breaks) else "") for i in range(len(lines)))
            return blank, set(range(1, len(lines) + 1)), None
        lines[first] = ""
        replaced.add(first + 1)
    state = {"depth": 0, "quote": None, "continued": False}
    magic_continues = False
    for index, line in enumerate(lines):
        if index + 1 in replaced:
            continue
        if magic_continues:
            magic_continues = line.rstrip().endswith("\\")
            lines[index] = ""
            replaced.add(index + 1)
            continue
        at_start = state["depth"] == 0 and state["quote"] is None and not state["continued"]
        if at_start and _is_magic(line):
            indent = line[: len(line) - len(line.lstrip())]
            magic_continues = line.rstrip().endswith("\\")
            lines[index] = indent + "pass"
            replaced.add(index + 1)
            continue
        _scan(line, state)
    text = "".join(line + (breaks[i] if i < len(breaks) else "") for i, line in enumerate(lines))
    error = _compiles(text)
    if error is not None:
        return None, replaced, error
    return text, replaced, None


def cell_source(cell: Dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


@dataclass
class Segment:
    cell: int  # 1-based over all cells
    start: int  # first program line
    lines: int  # line count of the cell's text plus its separator
    source: str  # the cell's original text
    replaced: Set[int] = field(default_factory=set)  # cell lines neutralised (magics)


@dataclass
class Program:
    text: str
    segments: List[Segment]
    errors: List[Diagnostic]

    def locate(self, location: Location, end: bool = False) -> Optional[Tuple[Segment, Location]]:
        starts = [segment.start for segment in self.segments]
        index = bisect.bisect_right(starts, location.line) - 1
        if index < 0:
            return None
        if end and index > 0 and location.column == 1 and location.line == self.segments[index].start:
            index -= 1  # an exclusive end at the start of a cell belongs to the cell before
        segment = self.segments[index]
        line = location.line - segment.start + 1
        if line > segment.lines + 1:
            return None
        return segment, Location(line, location.column)


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


def build_program(sources: Dict[int, str], filename: str) -> Program:
    parts: List[str] = []
    segments: List[Segment] = []
    problems: List[Diagnostic] = []
    line = 1
    for number in sorted(sources):
        source = sources[number]
        count = len(LINE_BREAK.findall(source)) + 1
        text, replaced, error = neutralise(source)
        if text is None:
            lineno = max(1, min(getattr(error, "lineno", None) or 1, count))
            problems.append(NotebookDiagnostic(
                errors.SYNTAX_ERROR, f"SyntaxError: {getattr(error, 'msg', error)} (cell {number} was not linted)",
                filename, Location(lineno, max(1, getattr(error, "offset", None) or 1)),
                Location(lineno, max(1, getattr(error, "offset", None) or 1)), cell=number))
            text = "\n" * (count - 1)
            replaced = set(range(1, count + 1))
        parts.append(text + "\n")
        segments.append(Segment(number, line, count, source, replaced))
        line += count
    return Program("".join(parts), segments, problems)


_LINE_REFERENCE = re.compile(r"\bon line (\d+)\b")


def _message(program: Program, message: str, cell: int) -> str:
    def repl(match):
        found = program.locate(Location(int(match.group(1)), 1))
        if found is None:
            return match.group(0)
        segment, location = found
        if segment.cell == cell:
            return f"on line {location.line}"
        return f"on line {location.line} of cell {segment.cell}"
    return _LINE_REFERENCE.sub(repl, message)


def _map_edits(program: Program, edits) -> Optional[List[NotebookEdit]]:
    mapped = []
    for edit in edits:
        start = program.locate(edit.start)
        end = program.locate(edit.end, end=(edit.start != edit.end))
        if start is None or end is None:
            return None
        if edit.start == edit.end:
            start = end = program.locate(edit.start, end=True)
        if start[0] is not end[0]:
            return None
        segment = start[0]
        lines = set(range(start[1].line, end[1].line + 1))
        if lines & segment.replaced:
            return None
        mapped.append(NotebookEdit(start[1], end[1], edit.content, cell=segment.cell))
    return mapped


def to_cells(program: Program, diagnostic: Diagnostic) -> Diagnostic:
    found = program.locate(diagnostic.start)
    if found is None:
        return diagnostic
    segment, start = found
    end_found = program.locate(diagnostic.end, end=True)
    end = end_found[1] if end_found is not None and end_found[0] is segment else start
    fix = diagnostic.fix
    if fix is not None:
        edits = _map_edits(program, fix.edits)
        fix = None if edits is None else Fix(fix.applicability, fix.message, tuple(edits))
    origin = diagnostic.origin
    if origin is not None:
        where = program.locate(origin.location)
        if where is not None:
            origin = Origin(where[1], _message(program, origin.description, segment.cell))
    return NotebookDiagnostic(diagnostic.code, _message(program, diagnostic.message, segment.cell),
                              diagnostic.filename, start, end, origin, fix, cell=segment.cell)


def _check(program: Program, filename: str, settings) -> List[Diagnostic]:
    from .linter import check_source
    return check_source(program.text, filename, settings)


def lint_notebook(data: bytes, filename: str, settings=None) -> List[Diagnostic]:
    try:
        notebook = Notebook.parse(data)
    except NotebookError as exc:
        return [errors.file_error(errors.NOTEBOOK_ERROR, filename, str(exc))]
    if not notebook.is_python:
        return []
    program = build_program(notebook.code_sources(), filename)
    found = program.errors + [to_cells(program, d) for d in _check(program, filename, settings)]
    return sorted(found, key=lambda d: d.sort_key())


# -- writing back -------------------------------------------------------------------------------

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


def _set_source(cell: Dict[str, Any], text: str) -> None:
    if isinstance(cell.get("source"), list):
        parts = []
        position = 0
        for match in LINE_BREAK.finditer(text):
            parts.append(text[position:match.end()])
            position = match.end()
        if position < len(text):
            parts.append(text[position:])
        cell["source"] = parts
    else:
        cell["source"] = text


def fix_notebook(data: bytes, filename: str, settings=None, unsafe: bool = False):
    from .fixes.apply import EditError, apply_edits, apply_fixes
    from .linter import MAX_FIX_ROUNDS, FixResult, fix_applicable, unified_diff
    try:
        notebook = Notebook.parse(data)
    except NotebookError as exc:
        return FixResult(filename, data, diagnostics=[errors.file_error(errors.NOTEBOOK_ERROR, filename, str(exc))])
    if not notebook.is_python:
        return FixResult(filename, data)
    original_sources = notebook.code_sources()
    sources = dict(original_sources)
    fixed_count = 0
    for _round in range(MAX_FIX_ROUNDS):
        program = build_program(sources, filename)
        found = _check(program, filename, settings)
        fixable = [d for d in found if fix_applicable(d, unsafe)]
        mapped = [(d, _map_edits(program, d.fix.edits)) for d in fixable]
        mapped = [(d, edits) for d, edits in mapped if edits is not None]
        if not mapped:
            break
        applied = apply_fixes(program.text, [d.fix for d, _ in mapped])
        if not applied.applied:
            break
        by_cell: Dict[int, List[NotebookEdit]] = {}
        seen = set()
        for index in applied.applied:
            for edit in mapped[index][1]:
                if edit not in seen:
                    seen.add(edit)
                    by_cell.setdefault(edit.cell, []).append(edit)
        new_sources = dict(sources)
        try:
            for cell, edits in by_cell.items():
                text = apply_edits(sources[cell] + "\n", edits)
                if not text.endswith("\n"):
                    raise EditError("an edit removed the end of the cell")
                new_sources[cell] = text[:-1]
        except EditError:
            break
        if any(neutralise(new_sources[cell])[0] is None for cell in by_cell):
            return FixResult(filename, data, diagnostics=lint_notebook(data, filename, settings),
                             error="fixes would introduce a syntax error; the notebook was left unchanged")
        sources = new_sources
        fixed_count += len(applied.applied)
    program = build_program(sources, filename)
    remaining = sorted(program.errors + [to_cells(program, d) for d in _check(program, filename, settings)],
                       key=lambda d: d.sort_key())
    result = FixResult(filename, data, fixed_count=fixed_count, diagnostics=remaining)
    if sources == original_sources:
        return result
    layout = detect_layout(data, notebook.data)
    if layout is None:
        return FixResult(filename, data, diagnostics=lint_notebook(data, filename, settings),
                         error="cannot reproduce the notebook's JSON layout exactly; it was not fixed")
    for number, text in sources.items():
        if text != original_sources[number]:
            _set_source(notebook.cells[number - 1], text)
    result.fixed = dump(notebook.data, layout)
    result.diff = "".join(unified_diff(original_sources[number], sources[number], f"{filename}:cell {number}")
                          for number in sorted(sources) if sources[number] != original_sources[number])
    return result
