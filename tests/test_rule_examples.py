"""Each rule's inline examples (as in Fixit): `valid` snippets give no finding of the rule, and each
`invalid` snippet gives exactly one, at its expected range, whose fix gives its expected text (or
that has no fix, when none is expected)."""
from __future__ import annotations

import pytest

from gradlint import lint_source
from gradlint.fixes.apply import apply_edits
from gradlint.rules import RULES
from gradlint.rules.base import Invalid

SECTIONS = ("## What it does", "## Why is this bad", "## Example", "## Use instead", "## Fix safety")


def cases(kind):
    return [(rule, index, code) for rule in RULES for index, code in enumerate(getattr(rule, kind))]


@pytest.mark.parametrize("rule,index,code", cases("valid"), ids=lambda v: getattr(v, "code", str(v))[:12])
def test_valid_examples(rule, index, code):
    assert [d for d in lint_source(code) if d.code == rule.code] == []


@pytest.mark.parametrize("rule,index,code", cases("invalid"), ids=lambda v: getattr(v, "code", str(v))[:12])
def test_invalid_examples(rule, index, code):
    assert isinstance(code, Invalid), "an invalid example says where its finding is and what its fix gives"
    [found] = [d for d in lint_source(code) if d.code == rule.code]
    assert (found.start.line, found.start.column, found.end.line, found.end.column) == code.range
    if code.fixed is None:
        assert found.fix is None or not found.fix.edits
    else:
        assert found.fix.applicability == code.applicability
        assert apply_edits(code, found.fix.edits) == code.fixed
        assert [d for d in lint_source(code.fixed) if d.code == rule.code] == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_documents_itself(rule):
    for section in SECTIONS:
        assert section in rule.docs, f"{rule.code} docs lack {section}"
    assert rule.valid and rule.invalid and rule.summary and rule.name
