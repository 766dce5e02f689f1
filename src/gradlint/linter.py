"""The public entry points: lint a string, or files and directories."""
from __future__ import annotations

import ast
import gc
import warnings
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
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


@contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector. An AST is hundreds of thousands of acyclic objects,
    which the collector would otherwise traverse again and again while they are built and walked
    (it more than doubles the time to parse and analyse the torch sources); what one file leaves
    behind in cycles is collected as usual once the collector is back on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def lint_source(source: str, filename: str = "<string>", select: Optional[Sequence[str]] = None,
                ignore: Optional[Sequence[str]] = None, *, exhaustive: bool = False) -> List[Diagnostic]:
    """Lint Python source text; never raises for bad input (GL9xx diagnostics instead).
    `exhaustive` turns the analysis' speed shortcuts off (cold code, large files): the result must
    be the same, only slower (`bench/exhaustive.py` checks that on whole trees)."""
    with cyclic_gc_paused():
        return _lint_source(source, filename, select, ignore, exhaustive)


def _lint_source(source: str, filename: str, select: Optional[Sequence[str]],
                 ignore: Optional[Sequence[str]], exhaustive: bool) -> List[Diagnostic]:
    if source.startswith("\ufeff"):
        source = source[1:]
    try:
        with warnings.catch_warnings():  # CPython's SyntaxWarnings about the user's code are not ours to print
            warnings.simplefilter("ignore")
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
        facts = analyse(tree, text, exhaustive)
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


def decode_bytes(data: bytes, filename: str):
    """Decode like Python does (BOM, coding cookie): (text, encoding, error diagnostic or None).
    A UTF-8 BOM is dropped from the text (encoding "utf-8-sig" puts it back)."""
    import io
    import tokenize
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), encoding, None
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        return None, None, errors.file_error(errors.DECODE_ERROR, filename, f"cannot decode the file: {reason}")


def decode_source(data: bytes, filename: str):
    """Decode like Python does (BOM, coding cookie); returns (text, error diagnostic or None)."""
    text, _encoding, error = decode_bytes(data, filename)
    return text, error


def check_source(source: str, filename: str = "<string>", settings=None) -> List[Diagnostic]:
    """`lint_source` plus what the user configured: rule selection, per-file-ignores and noqa
    comments (`# noqa: GL001`, `# gradlint: noqa`). What the CLI reports for one file."""
    from . import noqa
    from .config import Settings
    settings = settings if settings is not None else Settings()
    if source.startswith("\ufeff"):
        source = source[1:]
    suppressions = noqa.file_suppressions(source)
    if suppressions.skip_file:
        return []
    found = lint_source(source, filename, sorted(settings.enabled) or None, None)
    found = settings.filter(found, filename)
    return noqa.filter_suppressed(found, source, suppressions)


def is_notebook(filename: str) -> bool:
    return filename.lower().endswith(".ipynb")


def lint_bytes(data: bytes, filename: str, settings=None) -> List[Diagnostic]:
    """Lint a file's bytes as `filename` (a notebook when it ends in .ipynb)."""
    if is_notebook(filename):
        from .notebook import lint_notebook
        return lint_notebook(data, filename, settings)
    text, error = decode_source(data, filename)
    if error is not None:
        return [error]
    return check_source(text, filename, settings)


def lint_file(path: str, select=None, ignore=None, display_name: Optional[str] = None,
              settings=None) -> List[Diagnostic]:
    """Lint one file. `settings` (gradlint.config.Settings) takes precedence over select/ignore."""
    from .config import Settings
    name = display_name or path
    if settings is None:
        settings = Settings.from_codes(select, ignore)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return [errors.file_error(errors.READ_ERROR, name, f"cannot read the file: {exc.strerror or exc}")]
    return lint_bytes(data, name, settings)


def lint_paths(paths: Iterable[str], select=None, ignore=None, *, settings=None, resolver=None,
               force_exclude: Optional[bool] = None, jobs: Optional[int] = None,
               use_cache: bool = True) -> List[Diagnostic]:
    """Lint files and directories (recursing into *.py, *.pyi, *.ipynb); every diagnostic, sorted.

    Settings: `resolver` (gradlint.config.Resolver: each file's closest pyproject.toml, as the CLI
    does), else one `settings` for every file, else `select`/`ignore` codes without any config.
    Files in which no enabled rule can fire are skipped unparsed (gradlint.prefilter); results are
    cached under .gradlint_cache/ unless `use_cache` is False (gradlint.cache); the rest is linted
    by `jobs` worker processes (default: one per CPU; one file or `jobs=1`: in this process)."""
    from os.path import isdir as os_path_isdir

    from .config import Settings
    from .discovery import discover
    from .runner import lint_files
    paths = list(paths)
    if resolver is not None:
        settings_for = resolver.settings_for
    else:
        fixed = settings if settings is not None else Settings.from_codes(select, ignore)
        settings_for = lambda _path: fixed  # noqa: E731
    found: List[Diagnostic] = []
    files, missing = discover(paths, settings_for, force_exclude)
    for path in missing:
        found.append(errors.file_error(errors.READ_ERROR, path, "no such file or directory"))
    named = {path for path in paths if not os_path_isdir(path)}  # named directly: always parsed
    found.extend(lint_files(files, settings_for, jobs=jobs, use_cache=use_cache, unfiltered=named))
    return sorted(found, key=lambda diagnostic: diagnostic.sort_key())


# -- fixing --------------------------------------------------------------------------------------

MAX_FIX_ROUNDS = 5


def fix_applicable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and bool(fix.edits) and (fix.applicability == "safe" or unsafe)


@dataclass
class FixResult:
    """What fixing one file did. `fixed` is the new content (None: unchanged); `diagnostics` are
    the findings that remain; `diff` is a unified diff of the change; `error` says why fixes were
    not applied or written (the file is then left as it was)."""

    filename: str
    original: bytes
    fixed: Optional[bytes] = None
    fixed_count: int = 0
    diagnostics: List[Diagnostic] = field(default_factory=list)
    diff: str = ""
    error: Optional[str] = None
    written: bool = False


def fix_text(text: str, filename: str, settings=None, unsafe: bool = False):
    """Apply fixes to source text until none applies (at most MAX_FIX_ROUNDS re-lints).

    Returns (new text, number of findings fixed, remaining diagnostics, error or None). The new
    text always parses; if a round would break the syntax every change is dropped."""
    from .fixes.apply import apply_fixes
    diagnostics = check_source(text, filename, settings)
    original = diagnostics
    current, fixed = text, 0
    for _round in range(MAX_FIX_ROUNDS):
        fixable = [d for d in diagnostics if fix_applicable(d, unsafe)]
        if not fixable:
            break
        applied = apply_fixes(current, [d.fix for d in fixable])
        if not applied.applied or applied.text == current:
            break
        try:
            ast.parse(applied.text)
        except (SyntaxError, ValueError) as exc:
            return text, 0, original, (f"fixes would introduce a syntax error ({exc}); the file was left "
                                       f"unchanged. This is gradlint's fault, please report it at "
                                       f"{errors.ISSUES_URL}")
        current, fixed = applied.text, fixed + len(applied.applied)
        diagnostics = check_source(current, filename, settings)
    return current, fixed, diagnostics, None


def unified_diff(before: str, after: str, name: str) -> str:
    import difflib
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=name, tofile=name)
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def fix_bytes(data: bytes, filename: str, settings=None, unsafe: bool = False) -> FixResult:
    """Fix a file's bytes in memory; nothing is written. Bytes outside the edits stay as they were
    (line endings, BOM, encoding cookie)."""
    if is_notebook(filename):
        from .notebook import fix_notebook
        return fix_notebook(data, filename, settings, unsafe)
    text, encoding, error = decode_bytes(data, filename)
    if error is not None:
        return FixResult(filename, data, diagnostics=[error])
    if text.encode(encoding) != data:
        return FixResult(filename, data, diagnostics=check_source(text, filename, settings),
                         error="the file does not round-trip through its encoding; not fixed")
    new_text, count, remaining, problem = fix_text(text, filename, settings, unsafe)
    result = FixResult(filename, data, fixed_count=count, diagnostics=remaining, error=problem)
    if new_text != text:
        try:
            result.fixed = new_text.encode(encoding)
        except UnicodeEncodeError:
            return FixResult(filename, data, diagnostics=check_source(text, filename, settings),
                             error=f"the fixed text cannot be encoded as {encoding}; not fixed")
        result.diff = unified_diff(text, new_text, filename)
    return result


def fix_file(path: str, settings=None, unsafe: bool = False, write: bool = True,
             display_name: Optional[str] = None) -> FixResult:
    """Fix one file; with `write`, replace it atomically when (and only when) it changed, and not
    at all if it changed on disk while gradlint worked on it."""
    from .fixes.apply import ChangedOnDisk, write_atomic
    name = display_name or path
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FixResult(name, b"", diagnostics=[errors.file_error(
            errors.READ_ERROR, name, f"cannot read the file: {exc.strerror or exc}")])
    result = fix_bytes(data, name, settings, unsafe)
    if write and result.fixed is not None:
        try:
            result.written = write_atomic(path, result.fixed, expected=data)
        except ChangedOnDisk:
            result.error = "the file changed on disk while gradlint was fixing it; it was not written"
            result.diagnostics = lint_bytes(data, name, settings)
            result.fixed, result.fixed_count, result.diff = None, 0, ""
        except OSError as exc:
            result.error = f"cannot write the fixed file: {exc.strerror or exc}"
            result.diagnostics = lint_bytes(data, name, settings)
            result.fixed, result.fixed_count, result.diff = None, 0, ""
    return result


if __name__ == "__main__":  # pragma: no cover
    for diagnostic in lint_paths(sys.argv[1:]):
        print(diagnostic)
