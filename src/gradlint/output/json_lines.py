"""One JSON object per line (the `json` format's objects), compact as ruff writes them."""
from __future__ import annotations

import json

from . import Report
from .json import as_dict


def render(report: Report) -> str:
    return "".join(json.dumps(as_dict(d), ensure_ascii=False, separators=(",", ":")) + "\n"
                   for d in report.diagnostics)
