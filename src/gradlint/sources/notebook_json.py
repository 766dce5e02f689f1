"""Where a cell's characters are in the notebook file itself: the JSON line and column of a cell
position, for outputs whose consumers open the `.ipynb` file as text (SARIF: GitHub code scanning
shows the file's lines). A cell's `source` is a JSON string, or a list of strings (usually one per
line, each on its own JSON line), so a cell line maps to the JSON line of its string."""
from __future__ import annotations

import json
import re
from typing import Dict, List, Optional, Tuple

from ..diagnostic import Location

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


class _Scanner:
    """A JSON reader that records where each cell's source strings start (offset of the quote)."""

    def __init__(self, text: str):
        self.text = text
        self.strings: Dict[int, List[Tuple[int, str]]] = {}  # cell index (0-based) -> [(offset, value)]

    def value(self, i: int, path: tuple) -> int:
        i = _WHITESPACE.match(self.text, i).end()
        char = self.text[i:i + 1]
        if char == "{":
            i = _WHITESPACE.match(self.text, i + 1).end()
            if self.text[i:i + 1] == "}":
                return i + 1
            while True:
                i = _WHITESPACE.match(self.text, i).end()
                key, i = _scanstring(self.text, i + 1)
                i = _WHITESPACE.match(self.text, i).end() + 1  # the colon
                i = self.value(i, path + (key,))
                i = _WHITESPACE.match(self.text, i).end()
                if self.text[i] == "}":
                    return i + 1
                i += 1  # the comma
        if char == "[":
            i = _WHITESPACE.match(self.text, i + 1).end()
            if self.text[i:i + 1] == "]":
                return i + 1
            index = 0
            while True:
                i = self.value(i, path + (index,))
                i = _WHITESPACE.match(self.text, i).end()
                if self.text[i] == "]":
                    return i + 1
                i, index = i + 1, index + 1
        if char == '"':
            value, end = _scanstring(self.text, i + 1)
            if len(path) >= 3 and path[0] == "cells" and path[2] == "source" and isinstance(path[1], int):
                self.strings.setdefault(path[1], []).append((i, value))
            return end
        match = _SCALAR.match(self.text, i)
        if match is None:
            raise ValueError(f"unexpected JSON at {i}")
        return match.end()


def _raw_offset(text: str, quote: int, characters: int) -> int:
    """The offset in `text` of the decoded character `characters` of the string opening at `quote`."""
    i = quote + 1
    for _ in range(characters):
        if text[i] != "\\":
            i += 1
        elif text[i + 1] != "u":
            i += 2
        elif 0xD800 <= int(text[i + 2:i + 6], 16) < 0xDC00 and text[i + 6:i + 8] == "\\u":
            i += 12  # a surrogate pair: one character
        else:
            i += 6
    return i


class NotebookText:
    def __init__(self, raw: bytes):
        self.text = raw.decode("utf-8-sig")
        scanner = _Scanner(self.text)
        scanner.value(0, ())
        self.strings = scanner.strings
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", self.text)]

    def file_location(self, cell: int, location: Location) -> Optional[Location]:
        """The 1-based line and character column in the file of a (1-based) cell position."""
        strings = self.strings.get(cell - 1, [])
        source = "".join(value for _, value in strings)
        lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", source) or [""]
        if not 1 <= location.line <= len(lines) + 1:
            return None
        offset = sum(len(line) for line in lines[: location.line - 1]) + location.column - 1
        for quote, value in strings:
            if offset <= len(value) and (offset < len(value) or quote == strings[-1][0]):
                position = _raw_offset(self.text, quote, offset)
                line = max(n for n, start in enumerate(self.line_starts) if start <= position)
                return Location(line + 1, position - self.line_starts[line] + 1)
            offset -= len(value)
        return None
