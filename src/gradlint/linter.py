"""The pipeline: a program becomes diagnostics (parse, analyse, rules, then the user's selection and
noqa comments), and fixes are applied to a source round after round.

Everything here works on `sources.Program` / `sources.Source` and in program coordinates; the
source's position map turns results into its own coordinates (`result.LintResult.to_source`).
Nothing here knows what kind of source it works on.
"""
from __future__ import annotations

import ast
import gc
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import List, Optional, Sequence

from . import errors
from .analysis.hot import optimizer_aliases
from .analysis.interpreter import analyse
from .analysis.source import SourceText
from .diagnostic import Diagnostic
from .prefilter import finding_offsets
from .project import for_file
from .result import LintResult
from .rules import RULES, RuleContext, selected
from .sources import FixError, Program, Source, SourceError, load

__all__ = ["FixResult", "LintResult", "check_program", "check_source", "fix_bytes", "fix_file", "fix_source",
           "fix_text", "lint_bytes", "lint_file", "lint_program", "lint_source", "selected"]


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


#: `imports=` default: the project's own modules are followed when `filename` is a file on disk.
AUTO = object()


def lint_source(source: str, filename: str = "<string>", select: Optional[Sequence[str]] = None,
                ignore: Optional[Sequence[str]] = None, *, exhaustive: bool = False, imports=AUTO,
                fix_lines: Optional[range] = None) -> List[Diagnostic]:
    """Lint Python source text; never raises for bad input (GL9xx diagnostics instead).
    `exhaustive` turns the analysis' speed shortcuts off (cold code, large files): the result must
    be the same, only slower (`bench/exhaustive.py` checks that on whole trees). `imports`: the
    resolver of the project's modules the file imports (`project.ProjectImports`; None: none is
    followed; default: the one for `filename`)."""
    with cyclic_gc_paused():
        return _lint_source(source, filename, select, ignore, exhaustive, imports, fix_lines)


def hot_offsets(tree: ast.Module, text: SourceText) -> List[int]:
    """Where a finding could be (see analysis/hot.py): the pre-filter's byte offsets, plus the
    names the module binds to torch.optim."""
    return finding_offsets(text.data, optimizer_aliases(tree, text))


def _lint_source(source: str, filename: str, select: Optional[Sequence[str]],
                 ignore: Optional[Sequence[str]], exhaustive: bool, imports=AUTO,
                 fix_lines: Optional[range] = None) -> List[Diagnostic]:
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
        if imports is AUTO:
            imports = for_file(filename)
        facts = analyse(tree, text, exhaustive, hot_offsets(tree, text), imports)
        context = RuleContext(filename, text, fix_lines)
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


def check_source(source: str, filename: str = "<string>", settings=None, imports=AUTO,
                 fix_lines: Optional[range] = None) -> List[Diagnostic]:
    """`lint_source` plus what the user configured: rule selection, per-file-ignores and noqa
    comments (`# noqa: GL001`, `# gradlint: noqa`)."""
    from . import noqa
    from .config import Settings
    settings = settings if settings is not None else Settings()
    if source.startswith("\ufeff"):
        source = source[1:]
    suppressions = noqa.file_suppressions(source)
    if suppressions.skip_file:
        return []
    found = lint_source(source, filename, sorted(settings.enabled) or None, None, imports=imports, fix_lines=fix_lines)
    found = settings.filter(found, filename)
    return noqa.filter_suppressed(found, source, suppressions)


def check_program(program: Program, settings=None, imports=AUTO, fix_lines: Optional[range] = None) -> List[Diagnostic]:
    """What the user is shown for a program, in program coordinates."""
    return check_source(program.text, program.filename, settings, imports, fix_lines)


#: Above this many characters a program's fixes are checked when `--fix` applies them, not while
#: linting (each check parses the whole text again).
CHECK_FIXES_UP_TO = 1_000_000


def lint_program(source: Source, settings=None) -> LintResult:
    """The source's program linted, keeping only the fixes that can be carried into the source."""
    program = source.program
    imports = for_file(program.filename)
    found = check_program(program, settings, imports)
    if len(program.text) <= CHECK_FIXES_UP_TO:
        found = with_working_fixes(source, found)
    return LintResult(program.filename, found, program.positions, list(program.errors),
                      imports.dependencies() if imports is not None else [])


def with_working_fixes(source: Source, found: List[Diagnostic]) -> List[Diagnostic]:
    """A fix that cannot be applied to the source (it does not fit, would break the syntax, or edits
    a line the source cannot take an edit on) is dropped, so that a finding shows `[*]` only when
    `--fix` will repair it. The fixes are tried together first (one parse); only when that fails,
    or for a fix that overlapped another, is each tried on its own."""
    fixes = [d.fix for d in found if d.fix is not None]
    if not fixes:
        return found
    try:
        working = {id(fixes[index]) for index in source.apply_fixes(fixes)[1]}
    except FixError:
        working = set()
    return [d if d.fix is None or id(d.fix) in working or source.fix_applies(d.fix) else replace(d, fix=None)
            for d in found]


def lint_result(data: bytes, filename: str, settings=None) -> LintResult:
    """Lint a file's bytes as `filename` (its kind by the name); what workers return and the cache
    stores."""
    try:
        source = load(data, filename)
    except SourceError as exc:
        return LintResult(filename, errors=[exc.diagnostic])
    return lint_program(source, settings)


def lint_bytes(data: bytes, filename: str, settings=None) -> List[Diagnostic]:
    """Lint a file's bytes as `filename`: diagnostics in the file's own coordinates."""
    return lint_result(data, filename, settings).to_source()


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


# -- fixing --------------------------------------------------------------------------------------

MAX_FIX_ROUNDS = 20


def fix_applicable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and bool(fix.edits) and (fix.applicability == "safe" or unsafe)


@dataclass
class FixResult:
    """What fixing one file did. `fixed` is the new content (None: unchanged); `diagnostics` are
    the findings that remain (in the file's coordinates); `diff` is a unified diff of the change;
    `error` says why fixes were not applied or written (the file is then left as it was)."""

    filename: str
    original: bytes
    fixed: Optional[bytes] = None
    fixed_count: int = 0
    diagnostics: List[Diagnostic] = field(default_factory=list)
    diff: bytes = b""
    error: Optional[str] = None
    written: bool = False


def fix_source(source: Source, settings=None, unsafe: bool = False, linted: Optional[LintResult] = None):
    """Apply fixes round after round until none applies (each round re-lints the result).
    `linted`: the source's lint result when the caller has it (from the cache), else it is linted.

    Returns (fixed source, number of findings fixed, what remains as a LintResult, error or None).
    Every fix was checked on its own (`lint_program`); fixes that break the syntax only together
    are applied one per round. Fixes that do not settle are gradlint's bug: reported, and nothing
    is changed."""
    result = original = linted if linted is not None else lint_program(source, settings)
    current, fixed = source, 0
    seen = {current.program.text}
    for _round in range(MAX_FIX_ROUNDS):
        fixable = [d.fix for d in result.diagnostics if fix_applicable(d, unsafe)]
        if not fixable:
            return current, fixed, result, None
        try:
            updated, applied = current.apply_fixes(fixable)
        except FixError:
            updated, applied = current.apply_fixes(fixable[:1])
        if not applied:
            return current, fixed, result, None
        if updated.program.text in seen:
            return source, 0, original, _bug("fixes undo each other; the file was left unchanged")
        seen.add(updated.program.text)
        current, fixed = updated, fixed + len(applied)
        result = lint_program(current, settings)
    if any(fix_applicable(d, unsafe) for d in result.diagnostics):
        return source, 0, original, _bug(f"fixes did not converge after {MAX_FIX_ROUNDS} rounds; the file was left "
                                         f"unchanged")
    return current, fixed, result, None


def _bug(what: str) -> str:
    return f"{what}; this is gradlint's fault, please report it at {errors.ISSUES_URL}"


def fix_text(text: str, filename: str, settings=None, unsafe: bool = False):
    """`fix_source` for Python text: (new text, number fixed, remaining diagnostics, error or None)."""
    from .sources.python_file import PythonFile
    source = PythonFile(filename, text.encode("utf-8", "surrogatepass"), text, "utf-8")
    fixed, count, remaining, problem = fix_source(source, settings, unsafe)
    return fixed.text, count, remaining.to_source(), problem


def fix_bytes(data: bytes, filename: str, settings=None, unsafe: bool = False,
              linted: Optional[LintResult] = None) -> FixResult:
    """Fix a file's bytes in memory; nothing is written. Bytes outside the edits stay as they were
    (line endings, BOM, encoding cookie, a notebook's JSON layout). `linted`: their lint result
    under the same name and settings, when known (see fix_source)."""
    try:
        source = load(data, filename)
    except SourceError as exc:
        return FixResult(filename, data, diagnostics=[exc.diagnostic])
    fixed, count, remaining, problem = fix_source(source, settings, unsafe, linted)
    result = FixResult(filename, data, fixed_count=count, diagnostics=remaining.to_source(), error=problem)
    if fixed is not source:
        try:
            new = fixed.to_bytes()
        except FixError as exc:
            return FixResult(filename, data, diagnostics=lint_program(source, settings).to_source(), error=str(exc))
        if new != data:
            result.fixed = new
            result.diff = fixed.diff(source)
    return result


def fix_file(path: str, settings=None, unsafe: bool = False, write: bool = True,
             display_name: Optional[str] = None) -> FixResult:
    """Fix one file; with `write`, write it when (and only when) it changed, and not at all if it
    changed on disk while gradlint worked on it."""
    name = display_name or path
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FixResult(name, b"", diagnostics=[errors.file_error(
            errors.READ_ERROR, name, f"cannot read the file: {exc.strerror or exc}")])
    result = fix_bytes(data, name, settings, unsafe)
    return write_fixed(path, result, settings) if write else result


def write_fixed(path: str, result: FixResult, settings=None) -> FixResult:
    """Write what fixing `path` produced into it (see fixes.apply.write_in_place); when it cannot
    be written, the result says why and holds the findings of the file as it stays."""
    from .fixes.apply import ChangedOnDisk, write_in_place
    if result.fixed is None:
        return result
    try:
        result.written = write_in_place(path, result.fixed, expected=result.original)
        return result
    except ChangedOnDisk:
        result.error = "the file changed on disk while gradlint was fixing it; it was not written"
    except OSError as exc:
        result.error = f"cannot write the fixed file: {exc.strerror or exc}"
    result.diagnostics = lint_bytes(result.original, result.filename, settings)
    result.fixed, result.fixed_count, result.diff = None, 0, b""
    return result
