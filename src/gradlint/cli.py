"""The command line: `gradlint [PATHS]...`, modelled on `ruff check`.

Exit status: 0 when no findings remain (or with --exit-zero), 1 with findings (with --diff: when
there is a diff), 2 on a usage error, an invalid configuration, a path that does not exist (reported
as a GL902 finding, as ruff reports E902), or an internal error (GL999). Summary lines and warnings
follow ruff 0.17's wording.

Per-file results come only from gradlint.runner (lint_paths, fix_files) and gradlint.linter
(lint_bytes, fix_bytes), so that the runner (parallel workers, cache) can change how they are computed.
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import Dict, List, Optional, Tuple

import click

from .version import __version__
from .config import CliOverrides, ConfigError, Resolver, validate_selector
from .diagnostic import Diagnostic
from .errors import INTERNAL_ERROR, missing_path
from .linter import fix_applicable, fix_bytes, lint_bytes
from .runner import fix_files, lint_paths
from .output import FORMATS, TEXT_FORMATS, Report, SourceLookup, render, rule_name

ISSUES_URL = "https://github.com/gradlint/gradlint/issues"


def split_codes(values: Tuple[str, ...]) -> List[str]:
    return [code.strip().upper() for value in values for code in value.split(",") if code.strip()]


def split_values(values: Tuple[str, ...]) -> List[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _codes_option(ctx, param, value):
    codes = split_codes(value)
    for code in codes:
        if not validate_selector(code):
            from .rules import RULES
            known = ", ".join(rule.code for rule in RULES)
            raise click.BadParameter(f"unknown rule code or prefix {code!r} (known: {known}, or ALL)")
    return tuple(codes)


def _plural(count: int, word: str, plural: Optional[str] = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def use_color() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


# -- --explain -----------------------------------------------------------------------------------

FIX_SOMETIMES = "Fix is sometimes available."
FIX_NOT = "Fix is not available."


def fix_availability(rule) -> str:
    """ruff's wording, derived from the rule's `invalid` examples (each says what its fix gives,
    and tests/test_rule_examples.py checks it): a fix is sometimes available when one has a fix."""
    if any(getattr(example, "fixed", None) is not None for example in getattr(rule, "invalid", ())):
        return FIX_SOMETIMES
    return FIX_NOT


def explain_rules(selector: str, output_format: str) -> int:
    """`--explain CODE|NAME|all`: the rules' docs, then the GL9xx file errors' (gradlint.errors)."""
    import json
    from .errors import FILE_ERRORS
    from .output import rule_url
    from .rules import RULES
    documented = list(RULES) + list(FILE_ERRORS.values())
    wanted = selector.strip()
    if wanted.lower() == "all":
        entries = documented
    else:
        entries = [e for e in documented if e.code == wanted.upper() or e.name == wanted.lower()]
    if not entries:
        click.echo(f"error: unknown rule {selector!r}; known rules: "
                   f"{', '.join(e.code for e in documented)} (or `all`)", err=True)
        return 2
    if output_format in ("json", "json-lines"):
        items = [{"code": e.code, "name": e.name, "summary": e.summary, "fix": fix_availability(e),
                  "explanation": e.docs.strip(), "url": rule_url(e.code)} for e in entries]
        click.echo(json.dumps(items if wanted.lower() == "all" else items[0], indent=2))
        return 0
    blocks = []
    for e in entries:
        blocks.append(f"# {e.name} ({e.code})\n\n{e.summary}\n\n{fix_availability(e)}\n\n{e.docs.strip()}\n\n"
                      f"Documentation: {rule_url(e.code)}\n")
    click.echo("\n".join(blocks), nl=False)
    return 0


# -- summaries -----------------------------------------------------------------------------------
# ruff 0.17's wording (crates/ruff/src/printer.rs), checked against `ruff check` 0.17.6.

def _fixes(count: int) -> str:
    return _plural(count, "fix", "fixes")


def summary(remaining: List[Diagnostic], fixed: int, fixable: int, hidden: int, fix_mode: bool) -> str:
    """`hidden`: findings with an unsafe fix that --unsafe-fixes would enable (0 when unsafe fixes
    were turned off explicitly: ruff then gives no hint)."""
    lines = []
    total = len(remaining) + fixed
    if fixed:
        lines.append(f"Found {_plural(total, 'error')} ({fixed} fixed, {len(remaining)} remaining).")
    elif remaining:
        lines.append(f"Found {_plural(len(remaining), 'error')}.")
    else:
        lines.append("All checks passed!")
    unsafe = f"{_plural(hidden, 'unsafe fix', 'unsafe fixes')} available with `--fix --unsafe-fixes`"
    if fixable and not fix_mode:
        extra = f" ({unsafe})" if hidden else ""
        lines.append(f"[*] {fixable} fixable with `--fix`{extra}.")
    elif hidden:
        lines.append(f"{unsafe}.")
    return "\n".join(lines) + "\n"


def diff_summary(would_fix: int, hidden: int) -> str:
    """After `--diff`: nothing when there is nothing to fix, not even with --unsafe-fixes."""
    if would_fix:
        extra = ""
        if hidden:
            extra = f" ({hidden} additional {'fix' if hidden == 1 else 'fixes'} available with `--unsafe-fixes`)"
        return f"Would fix {_plural(would_fix, 'error')}{extra}.\n"
    if hidden:
        return f"No errors would be fixed ({_fixes(hidden)} available with `--unsafe-fixes`).\n"
    return ""


def statistics_text(diagnostics: List[Diagnostic], is_fixable, output_format: str) -> str:
    """ruff's `--statistics`: count, code, `[*]`/`[ ]` (only when some rule is fixable), name."""
    import json
    counts: Dict[str, List[Diagnostic]] = {}
    for d in diagnostics:
        counts.setdefault(d.code, []).append(d)
    rows = sorted(counts.items(), key=lambda item: (-len(item[1]), item[0]))
    if output_format in ("json", "json-lines"):
        return json.dumps([{"code": code, "name": rule_name(code), "count": len(items),
                            "fixable": any(is_fixable(d) for d in items),
                            "fixable_count": sum(1 for d in items if is_fixable(d))}
                           for code, items in rows], indent=2) + "\n"
    if not rows:
        return ""
    any_fixable = any(is_fixable(d) for d in diagnostics)
    count_width = max(len(str(len(items))) for _, items in rows)
    code_width = max(len(code) for code, _ in rows)

    def marker(items):
        if not any_fixable:
            return ""
        return "[*] " if any(is_fixable(d) for d in items) else "[ ] "
    return "".join(f"{len(items):>{count_width}}\t{code:<{code_width}}\t{marker(items)}{rule_name(code)}\n"
                   for code, items in rows)


# -- the command ---------------------------------------------------------------------------------

class Command(click.Command):
    """`gradlint server ...` runs the language server (gradlint.server); anything else is the linter.
    (A directory named `server` is linted as `gradlint ./server`.)"""

    def main(self, args=None, *rest, **options):
        argv = list(sys.argv[1:] if args is None else args)
        if argv[:1] == ["server"]:
            from .server import main as server_main
            sys.exit(server_main(argv[1:]))
        return super().main(args, *rest, **options)


@click.command(cls=Command, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, callback=_codes_option, metavar="CODES",
              help="Rule codes or prefixes to enable (comma-separated); replaces the config's selection.")
@click.option("--ignore", multiple=True, callback=_codes_option, metavar="CODES",
              help="Rule codes or prefixes to disable (comma-separated).")
@click.option("--extend-select", multiple=True, callback=_codes_option, metavar="CODES",
              help="Rule codes or prefixes to enable on top of the selection.")
@click.option("--fix/--no-fix", "fix", default=False, help="Apply safe fixes (and unsafe ones with --unsafe-fixes).")
@click.option("--unsafe-fixes/--no-unsafe-fixes", default=None,
              help="Also apply (and mark as fixable) fixes that may change behaviour.")
@click.option("--diff", is_flag=True, help="Print a diff of what --fix would change; write nothing.")
@click.option("--output-format", type=click.Choice(FORMATS), default="concise", show_default=True,
              help="How to print findings.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True),
              help="Write the findings to this file instead of standard output.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of each one.")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when findings remain.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Use this TOML file ([tool.gradlint] of a pyproject.toml, or top-level keys) for every path.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--exclude", multiple=True, metavar="PATTERNS",
              help="Gitignore-style patterns to exclude (replaces the defaults and the config's `exclude`).")
@click.option("--extend-exclude", multiple=True, metavar="PATTERNS", help="Patterns to exclude on top of `exclude`.")
@click.option("--force-exclude/--no-force-exclude", default=None,
              help="Apply excludes to paths named on the command line too (for pre-commit).")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None,
              help="Skip what .gitignore files ignore in directory walks (default: on).")
@click.option("--stdin-filename", metavar="PATH",
              help="Lint standard input as if it were this file (with `-` as the path).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Parallel workers (0: one per CPU).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--show-files", is_flag=True, help="List the files that would be linted, and exit.")
@click.option("--explain", metavar="CODE",
              help="Print the documentation of a rule or a GL9xx file error (or `all`), and exit.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only: no summary.")
@click.version_option(__version__, "-V", "--version", prog_name="gradlint", message="%(prog)s %(version)s")
def main(paths, select, ignore, extend_select, fix, unsafe_fixes, diff, output_format, output_file, statistics,
         exit_zero, config_file, isolated, exclude, extend_exclude, force_exclude, respect_gitignore,
         stdin_filename, jobs, no_cache, show_files, explain, quiet) -> None:
    """Find `.grad` reads that are always None in PyTorch code.

    PATHS are files (.py, .pyi, .ipynb) and directories (default: the current directory);
    `-` reads standard input. `gradlint server` runs the language server (the `lsp` extra).
    """
    if explain:
        sys.exit(explain_rules(explain, output_format))
    try:
        overrides = CliOverrides(
            select=tuple(select) if select else None, ignore=tuple(ignore), extend_select=tuple(extend_select),
            exclude=tuple(split_values(exclude)) if exclude else None, extend_exclude=tuple(split_values(extend_exclude)),
            unsafe_fixes=unsafe_fixes, force_exclude=force_exclude, respect_gitignore=respect_gitignore)
        resolver = Resolver(overrides, config_file, isolated)
        options = dict(fix=fix, diff=diff, output_format=output_format, output_file=output_file,
                       statistics=statistics, exit_zero=exit_zero, quiet=quiet, jobs=jobs, use_cache=not no_cache,
                       force_exclude=force_exclude)
        if show_files:
            code = list_files(list(paths) or ["."], resolver, force_exclude, quiet)
        elif stdin_filename is not None or list(paths) == ["-"]:
            if [p for p in paths if p != "-"]:
                raise click.UsageError("with --stdin-filename or `-`, give no other paths")
            code = run_stdin(stdin_filename or "-", resolver, unsafe_fixes, **options)
        else:
            if "-" in paths:
                raise click.UsageError("`-` (standard input) cannot be combined with other paths")
            code = run(list(paths) or ["."], resolver, unsafe_fixes, **options)
    except ConfigError as exc:
        click.echo(f"error: invalid configuration: {exc}", err=True)
        sys.exit(2)
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
        raise
    except BrokenPipeError:  # `gradlint . | head`: the reader went away; not an internal error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's final flush is silent too
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - report, exit 2
        click.echo(f"error: GL999 internal error: {type(exc).__name__}: {exc}\n"
                   f"This is gradlint's fault; please report it at {ISSUES_URL} with this traceback:\n"
                   f"{traceback.format_exc()}", err=True)
        sys.exit(2)
    sys.exit(code)


NO_FILES_WARNING = "warning: No Python files found under the given path(s)"  # ruff's, to stderr


def list_files(paths, resolver, force_exclude, quiet: bool = False) -> int:
    from .discovery import discover
    files, missing = discover(paths, resolver.settings_for, force_exclude)
    for path in missing:
        click.echo(f"error: {path}: No such file or directory", err=True)
    for path in sorted(files):
        click.echo(path)
    if not files and not missing and not quiet:
        click.echo(NO_FILES_WARNING, err=True)
    return 2 if missing else 0


def _unsafe_for(resolver: Resolver, cli_unsafe: Optional[bool]):
    def unsafe(filename: str) -> bool:
        if cli_unsafe is not None:
            return cli_unsafe
        return bool(resolver.settings_for(filename if filename != "-" else ".").unsafe_fixes)
    return unsafe


def _unsafe_hint_for(resolver: Resolver, cli_unsafe: Optional[bool]):
    """Whether the summary may hint at --unsafe-fixes for a file: not when unsafe fixes were turned
    off explicitly (`--no-unsafe-fixes`, `unsafe-fixes = false`), as in ruff."""
    def hint(filename: str) -> bool:
        if cli_unsafe is not None:
            return cli_unsafe is not False
        return resolver.settings_for(filename if filename != "-" else ".").unsafe_fixes is not False
    return hint


def _emit(text: str, output_file: Optional[str], color: bool, err: bool = False) -> None:
    if not text:
        return
    if output_file and not err:
        with open(output_file, "a", encoding="utf-8") as handle:
            handle.write(click.unstyle(text))
        return
    click.echo(text, nl=False, err=err, color=color)


def report_findings(diagnostics: List[Diagnostic], sources: SourceLookup, is_fixable, hidden_fixable, fixed: int,
                    *, fix: bool, output_format: str, output_file, statistics: bool, quiet: bool,
                    err: bool = False) -> None:
    color = use_color() and not output_file and not err
    if output_file:
        open(output_file, "w").close()
    diagnostics = sorted(diagnostics, key=lambda d: d.sort_key())
    if statistics:
        _emit(statistics_text(diagnostics, is_fixable, output_format), output_file, color, err)
    else:
        report = Report(diagnostics, is_fixable, sources, color, __version__)
        _emit(render(output_format, report), output_file, color, err)
    # ruff's --statistics prints no summary when nothing remains (not even "All checks passed!").
    if output_format in TEXT_FORMATS and not quiet and not (statistics and not diagnostics):
        fixable = sum(1 for d in diagnostics if is_fixable(d))
        hidden = sum(1 for d in diagnostics if hidden_fixable(d, hint=True))
        _emit(summary(diagnostics, fixed, fixable, hidden, fix), output_file, color, err)


def _fixability(unsafe_for, hint_for):
    def is_fixable(d: Diagnostic) -> bool:
        return fix_applicable(d, unsafe_for(d.filename))

    def hidden(d: Diagnostic, hint: bool = False) -> bool:
        """A fix --unsafe-fixes would enable; with `hint`: only where the summary may say so."""
        return (d.fix is not None and bool(d.fix.edits) and not is_fixable(d)
                and (not hint or hint_for(d.filename)))
    return is_fixable, hidden


def _exit_code(diagnostics: List[Diagnostic], exit_zero: bool, failed: bool = False) -> int:
    if failed or any(d.code == INTERNAL_ERROR for d in diagnostics):
        return 2
    if exit_zero:
        return 0
    return 1 if diagnostics else 0


def run(paths: List[str], resolver: Resolver, cli_unsafe: Optional[bool], *, fix, diff, output_format, output_file,
        statistics, exit_zero, quiet, jobs, use_cache, force_exclude) -> int:
    from .discovery import any_files
    missing = [path for path in paths if not os.path.lexists(path)]
    existing = [path for path in paths if path not in missing]
    diagnostics = lint_paths(existing, resolver=resolver, force_exclude=force_exclude, jobs=jobs,
                             use_cache=use_cache) if existing else []
    if not diagnostics and not missing and not quiet and not any_files(existing, resolver.settings_for, force_exclude):
        click.echo(NO_FILES_WARNING, err=True)
    if diff:  # --diff prints no findings: say it here
        for path in missing:
            click.echo(f"error: Failed to lint {path}: No such file or directory (os error 2)", err=True)
    else:  # as ruff's E902: a finding at 1:1 in every output format (and exit status 2)
        diagnostics = sorted(diagnostics + [missing_path(path) for path in missing], key=lambda d: d.sort_key())
    unsafe_for = _unsafe_for(resolver, cli_unsafe)
    is_fixable, hidden = _fixability(unsafe_for, _unsafe_hint_for(resolver, cli_unsafe))
    sources = SourceLookup()
    fixed = 0
    if fix or diff:
        to_fix = sorted({d.filename for d in diagnostics if is_fixable(d)})
        by_file: Dict[str, List[Diagnostic]] = {}
        for d in diagnostics:
            by_file.setdefault(d.filename, []).append(d)
        diffs = []
        would_fix = 0
        for path, result in zip(to_fix, fix_files(to_fix, resolver.settings_for, unsafe_for, write=not diff,
                                                  jobs=jobs, use_cache=use_cache)):
            if result.error:
                click.echo(f"error: Failed to fix {path}: {result.error}", err=True)
            by_file[path] = result.diagnostics
            if diff:
                would_fix += result.fixed_count
                if result.diff:
                    diffs.append(result.diff)
            else:
                fixed += result.fixed_count
                if result.fixed is not None:
                    sources.add(path, result.fixed)
        diagnostics = [d for items in by_file.values() for d in items]
        if diff:
            click.echo(b"".join(diffs), nl=False)
            if not quiet:
                # ruff prints this to standard output; gradlint keeps standard output a clean patch.
                click.echo(diff_summary(would_fix, sum(1 for d in diagnostics if hidden(d))), nl=False, err=True)
            if missing:
                return 2
            return 1 if diffs else 0
    report_findings(diagnostics, sources, is_fixable, hidden, fixed, fix=fix, output_format=output_format,
                    output_file=output_file, statistics=statistics, quiet=quiet)
    return _exit_code(diagnostics, exit_zero, failed=bool(missing))


def run_stdin(filename: str, resolver: Resolver, cli_unsafe: Optional[bool], *, fix, diff, output_format,
              output_file, statistics, exit_zero, quiet, jobs, use_cache, force_exclude) -> int:
    from .discovery import is_excluded_path
    data = sys.stdin.buffer.read()
    settings = resolver.settings_for(filename if filename != "-" else ".")
    stdout = sys.stdout.buffer
    force = settings.force_exclude if force_exclude is None else force_exclude
    if filename != "-" and force and is_excluded_path(filename, settings, False):
        if fix:
            stdout.write(data)
            stdout.flush()
        return 0
    unsafe_for = _unsafe_for(resolver, cli_unsafe)
    is_fixable, hidden = _fixability(unsafe_for, _unsafe_hint_for(resolver, cli_unsafe))
    sources = SourceLookup({filename: data})
    fixed = 0
    if fix or diff:
        result = fix_bytes(data, filename, settings, unsafe_for(filename))
        if result.error:
            click.echo(f"error: Failed to fix {filename}: {result.error}", err=True)
        diagnostics = result.diagnostics
        if diff:
            click.echo(result.diff, nl=False)
            if not quiet:
                click.echo(diff_summary(result.fixed_count if result.diff else 0,
                                        sum(1 for d in diagnostics if hidden(d))), nl=False, err=True)
            return 1 if result.diff else 0
        fixed = result.fixed_count
        new = result.fixed if result.fixed is not None else data
        sources.add(filename, new)
        stdout.write(new)
        stdout.flush()
        # As ruff does: the fixed buffer goes to standard output, what remains to standard error.
        report_findings(diagnostics, sources, is_fixable, hidden, fixed, fix=True, output_format=output_format,
                        output_file=output_file, statistics=statistics, quiet=quiet, err=not output_file)
        return _exit_code(diagnostics, exit_zero)
    diagnostics = lint_bytes(data, filename, settings)
    report_findings(diagnostics, sources, is_fixable, hidden, fixed, fix=False, output_format=output_format,
                    output_file=output_file, statistics=statistics, quiet=quiet)
    return _exit_code(diagnostics, exit_zero)
