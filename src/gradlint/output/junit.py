"""JUnit XML, as ruff writes it: one test suite per file, one failing test case per finding."""
from __future__ import annotations

from itertools import groupby
from xml.etree import ElementTree

from . import Report, cell_of


def render(report: Report) -> str:
    diagnostics = report.diagnostics
    root = ElementTree.Element("testsuites", name="gradlint", tests=str(len(diagnostics) or 1),
                               failures=str(len(diagnostics)), errors="0")
    if not diagnostics:
        suite = ElementTree.SubElement(root, "testsuite", name="gradlint", tests="1", disabled="0",
                                       errors="0", failures="0", package="org.gradlint")
        ElementTree.SubElement(suite, "testcase", name="No errors found")
    for filename, group in groupby(diagnostics, key=lambda d: d.filename):
        group = list(group)
        suite = ElementTree.SubElement(root, "testsuite", name=filename, tests=str(len(group)), disabled="0",
                                       errors="0", failures=str(len(group)), package="org.gradlint")
        for d in group:
            case = ElementTree.SubElement(suite, "testcase", name=f"org.gradlint.{d.code}", classname=filename,
                                          line=str(d.start.line), column=str(d.start.column))
            cell = cell_of(d)
            where = (f"cell {cell}, " if cell else "") + f"line {d.start.line}, col {d.start.column}"
            failure = ElementTree.SubElement(case, "failure", message=d.message)
            failure.text = f"{where}, {d.message}"
    ElementTree.indent(root) if hasattr(ElementTree, "indent") else None
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
