"""`path:line:col: CODE [*] message`, one line per finding (ruff's concise format)."""
from __future__ import annotations

import click

from . import Report, position


def line(report: Report, diagnostic) -> str:
    color = report.color
    where = position(diagnostic)
    code = click.style(diagnostic.code, fg="red", bold=True) if color else diagnostic.code
    marker = ""
    if report.is_fixable(diagnostic):
        marker = (click.style("[*]", fg="cyan") if color else "[*]") + " "
    if color:
        where = click.style(where, bold=True)
    return f"{where}: {code} {marker}{diagnostic.message}"


def render(report: Report) -> str:
    return "".join(line(report, d) + "\n" for d in report.diagnostics)
