"""Source text with the position arithmetic `ast` needs (its columns count UTF-8 bytes)."""
from __future__ import annotations

import ast
import itertools
import re
from typing import Any

from .facts import Span

MAX_SEGMENT = 60
PYTHON_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# The characters str.splitlines() ends lines at besides \r and \n.
_OTHER_LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# A node the parser made (a statement, an expression, an argument...): its lineno, col_offset,
# end_lineno and end_col_offset are all set. No ast class says so: ast.AST declares no position,
# and typeshed makes the end ones Optional (for nodes built by hand).
ParsedNode = Any


def python_lines(text: str) -> list:
    """The lines of `text` as Python counts them, line endings kept."""
    if "\r" in text or _OTHER_LINE_BREAKS.search(text):
        return PYTHON_LINE.findall(text)
    return text.splitlines(True)  # the same lines here, several times faster


class SourceText:
    def __init__(self, text: str):
        self.text = text
        # Python ends lines only at \r\n, \r and \n (str.splitlines also splits at form feeds,
        # \x1c-\x1e, \u2028...), and `ast` counts lines the same way.
        self.lines = python_lines(text)
        self._ascii = text.isascii()

    @property
    def data(self) -> bytes:
        """The text as UTF-8 (what byte-level scans such as the pre-filter's work on)."""
        return self.text.encode("utf-8", "surrogatepass")

    def line_byte_offsets(self) -> list:
        """The byte offset in `data` at which each line starts, and the length of `data` last."""
        lines = self.lines if self._ascii else (line.encode("utf-8", "surrogatepass") for line in self.lines)
        return list(itertools.accumulate(map(len, lines), initial=0))

    def column(self, line: int, byte_column: int) -> int:
        """Character column of a byte offset on a 1-based line."""
        if self._ascii or line < 1 or line > len(self.lines):
            return byte_column
        return len(self.lines[line - 1].encode("utf-8")[:byte_column].decode("utf-8", "replace"))

    def span(self, node: ParsedNode) -> Span:
        return Span(node.lineno, self.column(node.lineno, node.col_offset),
                    node.end_lineno, self.column(node.end_lineno, node.end_col_offset))

    def attribute_span(self, node: ParsedNode) -> Span:
        """The span of the attribute name: it ends the node."""
        end = self.column(node.end_lineno, node.end_col_offset)
        return Span(node.end_lineno, end - len(node.attr), node.end_lineno, end)

    def segment(self, node: ParsedNode) -> str:
        """The node's source text on one line, shortened for messages."""
        return shorten(self.full_segment(node))

    def full_segment(self, node: ParsedNode) -> str:
        """The node's source text with whitespace runs collapsed."""
        try:
            if node.lineno == node.end_lineno:
                line = self.lines[node.lineno - 1].encode("utf-8")
                text = line[node.col_offset:node.end_col_offset].decode("utf-8", "replace")
            else:
                text = ast.unparse(node)
        except (IndexError, AttributeError):
            text = ast.unparse(node)
        return " ".join(text.split())

    def offset(self, line: int, column: int) -> int:
        """Character offset of a 1-based (line, column) location."""
        return sum(len(text) for text in self.lines[: line - 1]) + column - 1

    def slice(self, start, end) -> str:
        return self.text[self.offset(start.line, start.column):self.offset(end.line, end.column)]

    def text_before(self, location) -> str:
        line = self.lines[location.line - 1] if location.line <= len(self.lines) else ""
        return line[: location.column - 1]


def shorten(text: str) -> str:
    return text if len(text) <= MAX_SEGMENT else text[: MAX_SEGMENT - 3] + "..."
