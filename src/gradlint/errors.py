"""Diagnostics about files gradlint could not lint (the GL9xx codes): the run always goes on.

Each code is documented here, next to its constant (`FILE_ERRORS`): `gradlint --explain GL900`
prints it, as `--explain GL001` prints a rule's docs. File errors are always on: `--select`,
`--ignore` and a line's `# noqa` do not apply to them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

from .diagnostic import Diagnostic, Location

SYNTAX_ERROR = "GL900"
DECODE_ERROR = "GL901"
READ_ERROR = "GL902"
TOO_COMPLEX = "GL903"
NOTEBOOK_ERROR = "GL904"
INTERNAL_ERROR = "GL999"

ISSUES_URL = "https://github.com/gradlint/gradlint/issues"


@dataclass(frozen=True)
class FileError:
    """A GL9xx code's documentation: what `--explain` prints (Markdown, like a rule's docs)."""

    code: str
    name: str
    summary: str
    docs: str


_EXCLUDE = """Or exclude the file (`extend-exclude` in `[tool.gradlint]`, or `--extend-exclude`)."""
_SKIP = """Or exclude the file (`extend-exclude` in `[tool.gradlint]`, or `--extend-exclude`), or, in a
`.py` file, put `# gradlint: noqa` on a line of its own: the file is then skipped unparsed."""

FILE_ERRORS: Dict[str, FileError] = {e.code: e for e in (
    FileError(SYNTAX_ERROR, "syntax-error", "The file (or a notebook cell) is not valid Python", f"""
## What it is
The file does not parse as Python with the interpreter running gradlint (`ast.parse`). In a
notebook it is one code cell that does not compile even after IPython syntax (`%magic`, `!shell`,
`?help`, automagic commands, an indented cell) has been turned into Python; the other cells are
still linted.

## Why it matters
gradlint cannot see the `.grad` reads of code it cannot parse: that file (or cell) was not
checked at all, and a clean result would be a false all-clear. Code that is valid only for a newer
Python than the one running gradlint gets this error too.

## What to do
Fix the syntax error at the position shown (`python -m py_compile FILE` shows the same error), or
run gradlint with the Python version the code targets. {_SKIP}
"""),
    FileError(DECODE_ERROR, "decode-error", "The file's bytes cannot be decoded as its encoding", f"""
## What it is
The file is not valid UTF-8, or not valid in the encoding its coding cookie
(`# -*- coding: latin-1 -*-`) declares; gradlint decodes source files as Python does.

## Why it matters
Python itself would refuse to import the file, and gradlint could not read its text: the file was
not checked.

## What to do
Save the file as UTF-8 (the default for Python 3 source), or declare its real encoding with a
coding cookie on its first or second line. {_EXCLUDE}
"""),
    FileError(READ_ERROR, "read-error", "The file cannot be read", """
## What it is
gradlint could not read the file: it does not exist (a path named on the command line that does
not exist, as ruff's E902), it is a symbolic link to nothing, or it cannot be opened (permissions,
an I/O error). The message carries the operating system's reason.

## Why it matters
The file was not checked. A path that does not exist is most often a typo in a command, a
pre-commit hook or a CI script, which would otherwise pass silently; gradlint exits with status 2
when a path named on the command line does not exist.

## What to do
Check the path and the file's permissions; remove or repair a dangling symbolic link, or exclude it
(`extend-exclude` in `[tool.gradlint]`).
"""),
    FileError(TOO_COMPLEX, "too-complex", "The file is too deeply nested to parse or analyse", f"""
## What it is
The file nests expressions or statements so deeply that Python's parser, or gradlint's analysis,
runs out of recursion depth (generated code with thousands of nested brackets or `elif`s, for
instance).

## Why it matters
gradlint gives up on the whole file rather than report a partial result: the file was not checked.

## What to do
Such files are usually generated; exclude them. If hand-written code gets this error, please report
it at {ISSUES_URL}. {_SKIP}
"""),
    FileError(NOTEBOOK_ERROR, "notebook-error", "The .ipynb file is not a notebook gradlint can read", f"""
## What it is
A `.ipynb` file that is not a Jupyter notebook in nbformat 4: not UTF-8, not JSON, no `cells`
list, a cell without `cell_type`, a `source` that is not a string or a list of strings, or an old
nbformat 3 notebook.

## Why it matters
No cell of the notebook was checked.

## What to do
Open and save the notebook in Jupyter (which also upgrades nbformat 3), or repair the JSON (a merge
conflict left in the file is a common cause). {_EXCLUDE}
"""),
    FileError(INTERNAL_ERROR, "internal-error", "gradlint failed on this file: a bug in gradlint", f"""
## What it is
gradlint raised an unexpected exception while linting the file. The message names the exception
and where it was raised. Other files are still linted, but the run exits with status 2.

## Why it matters
It is gradlint's fault, not the code's: the file was not checked, and the same bug may hide real
findings elsewhere.

## What to do
Please report it at {ISSUES_URL} with the message and, if you can, the file (or a smaller file that
shows the same error). Until it is fixed, exclude the file (`extend-exclude` in `[tool.gradlint]`)
to get a clean run.
"""),
)}

#: The GL9xx codes' names, as `--statistics`, SARIF and JSON show them.
FILE_ERROR_NAMES: Dict[str, str] = {code: error.name for code, error in FILE_ERRORS.items()}


def is_file_error(code: str) -> bool:
    return code in FILE_ERRORS


def file_error(code: str, filename: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    start = Location(max(line, 1), max(column, 1))
    return Diagnostic(code, message, filename, start, start)


def missing_path(path: str) -> Diagnostic:
    """A path named on the command line that does not exist (ruff: `E902 No such file or directory
    (os error 2)` at 1:1)."""
    return file_error(READ_ERROR, path, "cannot read the file: No such file or directory (os error 2)")
