"""IPython cell syntax: turn a cell's text into the Python text IPython would run, line for line.

A cell is first compiled as it is (most cells are plain Python). Only when that fails:
- a cell whose lines all share a leading indentation loses it, as IPython's `leading_indent`
  transform does before running the cell (the lines that lost it are recorded: their columns shift);
- the lines IPython itself treats as magics are replaced by `pass` (line magics `%...`, shell escapes
  `!...`, `x = !cmd`, `x = %magic`, help `obj?` / `?obj`, auto-call `/f x`, and automagics such as
  `pip install x` without the `%`), only at the start of a logical line, so a continuation line that
  starts with the `%` operator stays code. A `%%time`-like cell magic keeps its Python body; any other
  cell magic (`%%bash`, `%%writefile`, ...) makes the cell not Python (every line neutralised).
Lines are never added or removed, so program lines and cell lines correspond one to one.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: Cell magics whose body is Python that runs in the notebook's namespace.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "memit", "profile", "tensorboard"}
ASSIGNED_MAGIC = re.compile(r"^\s*[\w.\[\]\s,()*]+?\s*=\s*[!%]")
#: Line magics IPython runs without their `%` (automagic, on by default) when a line starts with the
#: name and a word follows: `pip install torch`, `cd data`, `conda install -y x`. Only lines of cells
#: that do not compile as Python are looked at, so `pip = 3` or `cd(x)` are never taken for magics.
AUTOMAGIC = re.compile(r"(?:pip|conda|mamba|micromamba|uv|cd|pwd|env|load_ext|reload_ext|matplotlib|pylab|"
                       r"run|time|timeit|who|whos|reset|history|mkdir|rmdir|ls|cat|cp|mv|rm|alias)"
                       r"(?:\s*\Z|\s+(?![=+\-*/%<>!&|^@.,:;)\]}]|\w+\s*[=(\[]))")


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
    return bool(ASSIGNED_MAGIC.match(code) or AUTOMAGIC.match(stripped))


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


@dataclass(frozen=True)
class CellText:
    """A cell as IPython would run it: `text` is None when it does not compile even so."""

    text: Optional[str]
    neutralised: FrozenSet[int] = frozenset()  # 1-based lines replaced by `pass` (magics)
    error: Optional[SyntaxError] = None
    indent: str = ""  # the common indentation removed
    dedented: FrozenSet[int] = frozenset()  # 1-based lines that lost `indent`


def leading_indent(lines: List[str]) -> Tuple[str, Set[int]]:
    """IPython's `leading_indent`: the first non-blank line's indentation, and the 1-based lines
    that start with it (they lose it)."""
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return "", set()
    return indent, {number for number, line in enumerate(lines, 1) if line.startswith(indent)}


def neutralise(source: str) -> CellText:
    """The cell's text as IPython would run it, with the same lines (see the module docstring)."""
    error = _compiles(source)
    if error is None:
        return CellText(source)
    lines, breaks = _split(source)
    indent, dedented = leading_indent(lines)
    if indent:
        lines = [line[len(indent):] if number in dedented else line for number, line in enumerate(lines, 1)]
    text, replaced, error = _neutralise_magics(lines, breaks, compile_first=bool(indent))
    return CellText(text, frozenset(replaced), error, indent, frozenset(dedented))


def _neutralise_magics(lines: List[str], breaks: List[str],
                       compile_first: bool) -> Tuple[Optional[str], Set[int], Optional[SyntaxError]]:
    lines = list(lines)
    if compile_first:  # the dedented text may be plain Python (the text as given was compiled already)
        joined = "".join(line + (breaks[i] if i < len(breaks) else "") for i, line in enumerate(lines))
        if _compiles(joined) is None:
            return joined, set(), None
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


