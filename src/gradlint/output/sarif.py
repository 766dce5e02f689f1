"""SARIF 2.1.0: one run, the rules' metadata (with their docs as help), results with fixes.

Regions are in the file as it is on disk, which is what SARIF consumers open. In a notebook that is
the `.ipynb` JSON: a cell position becomes the line and column of its character inside the cell's
JSON string (GitHub code scanning then shows the notebook line that holds the code), the message
starts with the cell position (`cell 4:2:9: ...`), and `properties` carry the cell and the
cell-relative region. Fix replacements are given only for Python files: an edit to a notebook cell
is not a text replacement in its JSON, so notebook fixes are listed as `properties.cellEdits`."""
from __future__ import annotations

import json
import os
from pathlib import Path

from . import FILE_ERROR_NAMES, README_URL, Report, cell_of, rule_url

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(filename: str) -> str:
    if filename == "-":
        return "stdin"
    return Path(os.path.abspath(filename)).as_uri()


def _rules(codes):
    from ..rules import RULES
    rules = []
    for rule in RULES:
        rules.append({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.summary},
            "help": {"text": rule.docs.strip(), "markdown": rule.docs.strip()},
            "helpUri": rule_url(rule.code),
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["autograd", "correctness"]},
        })
    for code in sorted(c for c in codes if c in FILE_ERROR_NAMES):
        rules.append({"id": code, "name": FILE_ERROR_NAMES[code],
                      "shortDescription": {"text": f"gradlint could not lint the file ({FILE_ERROR_NAMES[code]})"},
                      "helpUri": rule_url(code), "defaultConfiguration": {"level": "error"}})
    return rules


def _region(start, end) -> dict:
    return {"startLine": start.line, "startColumn": start.column, "endLine": end.line, "endColumn": end.column}


def _file_region(report: Report, d, cell, start, end=None) -> dict:
    """The region of a (cell) position in the file as it is on disk."""
    first = report.sources.file_location(d.filename, cell, start)
    if first is None:
        return {"startLine": 1}  # the file: a notebook position that cannot be found in its JSON
    region = {"startLine": first.line, "startColumn": first.column}
    last = report.sources.file_location(d.filename, cell, end) if end is not None else None
    if last is not None and last >= first:
        region.update(endLine=last.line, endColumn=last.column)
    return region


def _result(report: Report, d, index: dict) -> dict:
    cell = cell_of(d)
    message = f"cell {cell}:{d.start.line}:{d.start.column}: {d.message}" if cell else d.message
    location = {"physicalLocation": {"artifactLocation": {"uri": _uri(d.filename)},
                                     "region": _file_region(report, d, cell, d.start, d.end)}}
    if cell:
        location["logicalLocations"] = [{"name": f"cell {cell}", "fullyQualifiedName": f"{d.filename}:cell {cell}"}]
    result = {"ruleId": d.code, "level": "error", "message": {"text": message}, "locations": [location]}
    if d.code in index:
        result["ruleIndex"] = index[d.code]
    if d.origin is not None:
        origin = d.origin
        where = f"cell {origin.cell}:{origin.location.line}:{origin.location.column}: " if origin.cell else ""
        result["relatedLocations"] = [{
            "id": 0, "message": {"text": where + origin.description},
            "physicalLocation": {"artifactLocation": {"uri": _uri(d.filename)},
                                 "region": _file_region(report, d, origin.cell, origin.location)}}]
    properties = {}
    if cell:
        properties["cell"] = cell
        properties["cellRegion"] = _region(d.start, d.end)
    if d.fix is not None and d.fix.edits and any(e.cell is not None for e in d.fix.edits):
        properties["cellEdits"] = [{"cell": e.cell, "deletedRegion": _region(e.start, e.end), "insertedText": e.content}
                                   for e in d.fix.edits]
    elif d.fix is not None and d.fix.edits:
        result["fixes"] = [{
            "description": {"text": d.fix.message},
            "artifactChanges": [{
                "artifactLocation": {"uri": _uri(d.filename)},
                "replacements": [{"deletedRegion": _region(e.start, e.end), "insertedContent": {"text": e.content}}
                                 for e in d.fix.edits],
            }],
        }]
    if d.fix is not None:
        properties["fixApplicability"] = d.fix.applicability
    if properties:
        result["properties"] = properties
    return result


def render(report: Report) -> str:
    rules = _rules({d.code for d in report.diagnostics})
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "gradlint", "informationUri": README_URL,
                                "version": report.version or "0", "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(report, d, index) for d in report.diagnostics],
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
