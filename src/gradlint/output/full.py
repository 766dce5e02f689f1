"""The concise line plus the source line with a caret under the finding, where the tensor stopped
being a leaf, and the fix as a diff."""
from __future__ import annotations

import difflib

import click

from . import Report, cell_of
from .concise import line as concise_line


def _lines(text: str):
    from ..fixes.apply import LINE_BREAK
    return LINE_BREAK.split(text)


def _snippet(report: Report, diagnostic, lines) -> list:
    number = diagnostic.start.line
    if not 1 <= number <= len(lines):
        return []
    first = max(1, number - 1)
    width = len(str(number))
    out = [" " * width + " |"]
    for current in range(first, number + 1):
        out.append(f"{current:>{width}} | {lines[current - 1]}")
    source = lines[number - 1]
    start = diagnostic.start.column - 1
    if diagnostic.end.line == number:
        length = max(1, diagnostic.end.column - diagnostic.start.column)
    else:
        length = max(1, len(source) - start)
    prefix = "".join(ch if ch == "\t" else " " for ch in source[:start])
    caret = "^" * length
    if report.color:
        caret = click.style(caret, fg="red", bold=True)
    out.append(" " * width + " | " + prefix + caret + " " + diagnostic.code)
    out.append(" " * width + " |")
    return out


def _fix_diff(report: Report, diagnostic) -> list:
    """The fix as a diff of each text it edits (in a notebook, each cell, named)."""
    from ..fixes.apply import EditError, apply_edits
    by_cell: dict = {}
    for edit in diagnostic.fix.edits:
        by_cell.setdefault(edit.cell, []).append(edit)
    rows = []
    for cell, edits in sorted(by_cell.items(), key=lambda item: item[0] or 0):
        text = report.sources.text(diagnostic, cell)
        if text is None:
            return []
        try:
            fixed = apply_edits(text, edits)
        except EditError:
            return []
        diff = difflib.unified_diff(text.splitlines(), fixed.splitlines(), lineterm="", n=1)
        if cell is not None and len(by_cell) > 1 or cell is not None and cell != cell_of(diagnostic):
            rows.append(f"    cell {cell}:")
        rows.extend("    " + row for row in diff if not row.startswith(("---", "+++")))
    return rows


def render(report: Report) -> str:
    blocks = []
    for diagnostic in report.diagnostics:
        out = [concise_line(report, diagnostic)]
        text = report.sources.text(diagnostic)
        if text is not None:
            out.extend(_snippet(report, diagnostic, _lines(text)))
        origin = diagnostic.origin
        if origin is not None:
            where = f"line {origin.location.line}" + (f" of cell {origin.cell}" if origin.cell else "")
            out.append(f"  = note: {origin.description} ({where})")
        fix = diagnostic.fix
        if fix is not None:
            how = {"safe": "safe fix", "unsafe": "unsafe fix: needs --unsafe-fixes"}.get(fix.applicability,
                                                                                        fix.applicability)
            out.append(f"  = help: {fix.message} ({how})")
            if fix.edits:
                rows = _fix_diff(report, diagnostic)
                if rows:
                    out.append("")
                    out.extend(rows)
        blocks.append("\n".join(out) + "\n")
    return "\n".join(blocks)
