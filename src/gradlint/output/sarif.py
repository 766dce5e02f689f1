"""SARIF 2.1.0: one run, the rules' metadata (with their docs as help), results with fixes."""
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


def _result(d, index: dict) -> dict:
    result = {
        "ruleId": d.code,
        "level": "error",
        "message": {"text": d.message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(d.filename)},
                                            "region": _region(d.start, d.end)}}],
    }
    if d.code in index:
        result["ruleIndex"] = index[d.code]
    if d.origin is not None:
        result["relatedLocations"] = [{
            "id": 0, "message": {"text": d.origin.description},
            "physicalLocation": {"artifactLocation": {"uri": _uri(d.filename)},
                                 "region": {"startLine": d.origin.location.line,
                                            "startColumn": d.origin.location.column}}}]
    if d.fix is not None and d.fix.edits:
        result["fixes"] = [{
            "description": {"text": d.fix.message},
            "artifactChanges": [{
                "artifactLocation": {"uri": _uri(d.filename)},
                "replacements": [{"deletedRegion": _region(e.start, e.end), "insertedContent": {"text": e.content}}
                                 for e in d.fix.edits],
            }],
        }]
    properties = {}
    if cell_of(d):
        properties["cell"] = cell_of(d)
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
            "results": [_result(d, index) for d in report.diagnostics],
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
