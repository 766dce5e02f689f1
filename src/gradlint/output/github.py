"""GitHub Actions workflow commands: `::error title=...,file=...,line=...,col=...::message`.

`file=` is absolute, as ruff writes it: the runner resolves it against the workspace whatever
directory gradlint ran in (a path relative to a subdirectory would name the wrong file). The
message keeps the path as given, like the concise format."""
from __future__ import annotations

from . import Report, absolute, position


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    out = []
    for d in report.diagnostics:
        cell = getattr(d, "cell", None)
        title = f"gradlint ({d.code})" + (f" in cell {cell}" if cell else "")
        properties = [f"title={_property(title)}", f"file={_property(absolute(d.filename))}",
                      f"line={d.start.line}", f"col={d.start.column}",
                      f"endLine={d.end.line}", f"endColumn={d.end.column}"]
        marker = "[*] " if report.is_fixable(d) else ""
        message = f"{position(d)}: {d.code} {marker}{d.message}"
        out.append(f"::error {','.join(properties)}::{_data(message)}\n")
    return "".join(out)
