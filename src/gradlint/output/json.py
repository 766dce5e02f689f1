"""ruff's JSON schema (checked field by field against `ruff check --output-format json` 0.17.6):
a list of objects with the keys in ruff's (alphabetical) order — cell (the 1-based notebook cell,
else null), code, end_location, filename (absolute), fix ({applicability, edits [{cell, content,
end_location, location}], message} or null), location, message, name (the rule's name), noqa_row
(the line a `# noqa` comment silences the finding on; null for GL9xx, which noqa cannot silence, as
ruff's null for syntax errors), severity ("error"), url. Locations are {column, row}, 1-based,
ends exclusive; in a notebook, rows count from the top of the cell.

One key more than ruff: each fix edit's `cell`, since a gradlint fix may edit another cell than the
finding's (e.g. `retain_grad()` where the tensor is bound); null in a Python file."""
from __future__ import annotations

import json

from . import Report, absolute, cell_of, rule_name, rule_url
from ..errors import is_file_error


def _location(location) -> dict:
    return {"column": location.column, "row": location.line}


def _edit(edit) -> dict:
    return {"cell": getattr(edit, "cell", None), "content": edit.content,
            "end_location": _location(edit.end), "location": _location(edit.start)}


def as_dict(diagnostic) -> dict:
    fix = diagnostic.fix
    return {
        "cell": cell_of(diagnostic),
        "code": diagnostic.code,
        "end_location": _location(diagnostic.end),
        "filename": absolute(diagnostic.filename),
        "fix": None if fix is None else {
            "applicability": fix.applicability,
            "edits": [_edit(edit) for edit in fix.edits],
            "message": fix.message,
        },
        "location": _location(diagnostic.start),
        "message": diagnostic.message,
        "name": rule_name(diagnostic.code),
        "noqa_row": None if is_file_error(diagnostic.code) else diagnostic.start.line,
        "severity": "error",
        "url": rule_url(diagnostic.code),
    }


def render(report: Report) -> str:
    return json.dumps([as_dict(d) for d in report.diagnostics], indent=2, ensure_ascii=False) + "\n"
