"""Each rule's inline examples (as in Fixit): `valid` snippets give no finding of the rule, and
`invalid` snippets give one on each line marked `# error` and nowhere else."""
from __future__ import annotations

import pytest

from gradlint import lint_source
from gradlint.rules import RULES

SECTIONS = ("## What it does", "## Why is this bad", "## Example", "## Use instead", "## Fix safety")


def cases(kind):
    return [(rule, index, code) for rule in RULES for index, code in enumerate(getattr(rule, kind))]


@pytest.mark.parametrize("rule,index,code", cases("valid"), ids=lambda v: getattr(v, "code", str(v))[:12])
def test_valid_examples(rule, index, code):
    assert [d for d in lint_source(code) if d.code == rule.code] == []


@pytest.mark.parametrize("rule,index,code", cases("invalid"), ids=lambda v: getattr(v, "code", str(v))[:12])
def test_invalid_examples(rule, index, code):
    marked = {n for n, line in enumerate(code.splitlines(), 1) if line.rstrip().endswith("# error")}
    assert marked, "an invalid example must mark its finding with `# error`"
    assert {d.line for d in lint_source(code) if d.code == rule.code} == marked


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_documents_itself(rule):
    for section in SECTIONS:
        assert section in rule.docs, f"{rule.code} docs lack {section}"
    assert rule.valid and rule.invalid and rule.summary and rule.name
