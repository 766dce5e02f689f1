"""Diagnostics about files gradlint could not lint (the GL9xx codes): the run always goes on."""
from __future__ import annotations

from .diagnostic import Diagnostic, Location

SYNTAX_ERROR = "GL900"
DECODE_ERROR = "GL901"
READ_ERROR = "GL902"
TOO_COMPLEX = "GL903"
NOTEBOOK_ERROR = "GL904"
INTERNAL_ERROR = "GL999"

ISSUES_URL = "https://github.com/gradlint/gradlint/issues"


def file_error(code: str, filename: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    start = Location(max(line, 1), max(column, 1))
    return Diagnostic(code, message, filename, start, start)
