"""ruff's JSON schema: a list of objects with code, message, filename, location {row, column},
end_location, fix {applicability, message, edits [{content, location, end_location}]} or null,
url, noqa_row, and cell (the notebook cell, else null). Columns are 1-based, ends exclusive."""
from __future__ import annotations

import json

from . import Report, absolute, cell_of, rule_url


def _location(location) -> dict:
    return {"column": location.column, "row": location.line}


def as_dict(diagnostic) -> dict:
    fix = diagnostic.fix
    return {
        "cell": cell_of(diagnostic),
        "code": diagnostic.code,
        "end_location": _location(diagnostic.end),
        "filename": absolute(diagnostic.filename),
        "fix": None if fix is None else {
            "applicability": fix.applicability,
            "edits": [{"content": edit.content, "end_location": _location(edit.end),
                       "location": _location(edit.start)} for edit in fix.edits],
            "message": fix.message,
        },
        "location": _location(diagnostic.start),
        "message": diagnostic.message,
        "noqa_row": diagnostic.start.line,
        "url": rule_url(diagnostic.code),
    }


def render(report: Report) -> str:
    return json.dumps([as_dict(d) for d in report.diagnostics], indent=2, ensure_ascii=False) + "\n"
