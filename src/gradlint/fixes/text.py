"""Text positions for building edits from `ast` nodes (whose columns count UTF-8 bytes)."""
from __future__ import annotations

import ast
from typing import Optional

from ..analysis.source import SourceText
from ..diagnostic import Edit, Location


def location(source: SourceText, line: int, byte_column: int) -> Location:
    return Location(line, source.column(line, byte_column) + 1)


def end_of(source: SourceText, node: ast.AST) -> Location:
    return location(source, node.end_lineno, node.end_col_offset)


def line_text(source: SourceText, line: int) -> str:
    """A line without its line ending."""
    return source.lines[line - 1].rstrip("\r\n") if 0 < line <= len(source.lines) else ""


def newline_of(source: SourceText, line: int) -> str:
    text = source.lines[line - 1] if 0 < line <= len(source.lines) else ""
    if text.endswith("\r\n"):
        return "\r\n"
    if text.endswith(("\n", "\r")):
        return text[-1]
    first = source.lines[0] if source.lines else ""
    return "\r\n" if first.endswith("\r\n") else "\n"


def indentation(source: SourceText, line: int) -> str:
    text = line_text(source, line)
    return text[: len(text) - len(text.lstrip(" \t\f"))]


def stands_alone(source: SourceText, stmt: ast.stmt) -> bool:
    """The statement has its lines to itself: nothing before it, only a comment after it."""
    first = source.lines[stmt.lineno - 1].encode("utf-8")[: stmt.col_offset]
    if first.strip(b" \t\f"):
        return False
    last = source.lines[stmt.end_lineno - 1].encode("utf-8")[stmt.end_col_offset:]
    rest = last.strip()
    return not rest or rest.startswith(b"#")


def insert_after(source: SourceText, stmt: ast.stmt, code: str) -> Edit:
    """An edit placing `code` as the next statement after `stmt`, in the same block."""
    if stands_alone(source, stmt):
        line = stmt.end_lineno
        at = Location(line, len(line_text(source, line)) + 1)
        return Edit(at, at, newline_of(source, line) + indentation(source, stmt.lineno) + code)
    at = end_of(source, stmt)
    return Edit(at, at, f"; {code}")


def statement_deletion(source: SourceText, stmt: ast.stmt) -> Optional[Edit]:
    """An edit removing a statement that has its lines to itself (with its line ending)."""
    if not stands_alone(source, stmt):
        return None
    start = Location(stmt.lineno, 1)
    if stmt.end_lineno < len(source.lines):
        end = Location(stmt.end_lineno + 1, 1)
    else:
        end = Location(stmt.end_lineno, len(source.lines[stmt.end_lineno - 1]) + 1)
    return Edit(start, end, "")
