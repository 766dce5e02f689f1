"""The command line: `gradlint [PATHS]...`, modelled on `ruff check`."""
from __future__ import annotations

import sys
from typing import List, Tuple

import click

from . import __version__
from .errors import is_file_error
from .linter import lint_paths


def split_codes(values: Tuple[str, ...]) -> List[str]:
    return [code.strip().upper() for value in values for code in value.split(",") if code.strip()]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable (comma-separated).")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when findings remain.")
@click.version_option(__version__, "--version", prog_name="gradlint")
def main(paths, select, ignore, exit_zero) -> None:
    """Find `.grad` reads that are always None in PyTorch code."""
    diagnostics = lint_paths(list(paths) or ["."], split_codes(select) or None, split_codes(ignore) or None)
    for diagnostic in diagnostics:
        click.echo(f"{diagnostic.filename}:{diagnostic.line}:{diagnostic.column}: "
                   f"{diagnostic.code} {diagnostic.message}")
    findings = [d for d in diagnostics if not is_file_error(d)]
    if findings:
        click.echo(f"Found {len(findings)} error{'s' if len(findings) != 1 else ''}.")
    elif not diagnostics:
        click.echo("All checks passed!")
    if any(d.code == "GL999" for d in diagnostics):
        sys.exit(2)
    sys.exit(0 if exit_zero or not diagnostics else 1)
