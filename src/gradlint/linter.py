"""The public entry points: lint a string, or files and directories."""
from __future__ import annotations

import ast
import sys
import traceback
from typing import Iterable, List, Optional, Sequence

from . import errors
from .analysis.interpreter import analyse
from .analysis.source import SourceText
from .diagnostic import Diagnostic
from .rules import RULES, RuleContext


def selected(code: str, select: Optional[Sequence[str]], ignore: Optional[Sequence[str]]) -> bool:
    """ruff's prefix semantics: the longest matching prefix of select/ignore wins."""
    if code.startswith("GL9"):
        return True
    best_select = max((len(p) for p in (select or ["GL"]) if code.startswith(p) or p == "ALL"), default=-1)
    best_ignore = max((len(p) for p in (ignore or ()) if code.startswith(p) or p == "ALL"), default=-1)
    return best_select >= 0 and best_select > best_ignore


def lint_source(source: str, filename: str = "<string>", select: Optional[Sequence[str]] = None,
                ignore: Optional[Sequence[str]] = None) -> List[Diagnostic]:
    """Lint Python source text; never raises for bad input (GL9xx diagnostics instead)."""
    if source.startswith("\ufeff"):
        source = source[1:]
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        return [errors.file_error(errors.SYNTAX_ERROR, filename, f"SyntaxError: {exc.msg}",
                                  exc.lineno or 1, exc.offset or 1)]
    except (RecursionError, MemoryError):
        return [errors.file_error(errors.TOO_COMPLEX, filename, "too deeply nested for Python's parser")]
    except ValueError as exc:  # e.g. NUL bytes on older Pythons
        return [errors.file_error(errors.SYNTAX_ERROR, filename, f"cannot parse: {exc}")]
    text = SourceText(source)
    try:
        facts = analyse(tree, text)
        context = RuleContext(filename, text)
        found = [d for rule in RULES if selected(rule.code, select, ignore) for d in rule.check(facts, context)]
    except RecursionError:
        return [errors.file_error(errors.TOO_COMPLEX, filename, "too deeply nested to analyse")]
    except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the run
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return [errors.file_error(
            errors.INTERNAL_ERROR, filename,
            f"internal error: {type(exc).__name__}: {exc} (at {where.name}:{where.lineno}); this is "
            f"gradlint's fault, please report it at {errors.ISSUES_URL}")]
    return sorted(found, key=Diagnostic.sort_key)


def decode_source(data: bytes, filename: str):
    """Decode like Python does (BOM, coding cookie); returns (text, error diagnostic or None)."""
    import io
    import tokenize
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), None
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        return None, errors.file_error(errors.DECODE_ERROR, filename, f"cannot decode the file: {reason}")


def lint_file(path: str, select=None, ignore=None, display_name: Optional[str] = None) -> List[Diagnostic]:
    name = display_name or path
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return [errors.file_error(errors.READ_ERROR, name, f"cannot read the file: {exc.strerror or exc}")]
    text, error = decode_source(data, name)
    if error is not None:
        return [error]
    return lint_source(text, name, select, ignore)


def lint_paths(paths: Iterable[str], select=None, ignore=None) -> List[Diagnostic]:
    """Lint files and directories (recursing into *.py); returns every diagnostic, sorted."""
    from .discovery import discover
    found: List[Diagnostic] = []
    files, missing = discover(list(paths))
    for path in missing:
        found.append(errors.file_error(errors.READ_ERROR, path, "no such file or directory"))
    for path in files:
        found.extend(lint_file(path, select, ignore))
    return sorted(found, key=Diagnostic.sort_key)


if __name__ == "__main__":  # pragma: no cover
    for diagnostic in lint_paths(sys.argv[1:]):
        print(diagnostic)
