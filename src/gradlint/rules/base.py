"""The rule interface: a rule turns analysis facts into diagnostics, and documents itself.

Modelled on Fixit: each rule carries its code, message, docs and `valid` / `invalid` examples that
the test suite runs (`tests/test_rule_examples.py`).
"""
from __future__ import annotations

from typing import Iterable, List, Optional

from ..analysis.facts import Facts, Span
from ..diagnostic import Diagnostic, Fix, Location, Origin


class Rule:
    code: str = ""
    name: str = ""
    summary: str = ""
    #: Markdown with the sections What it does / Why is this bad / Example / Use instead / Fix safety.
    docs: str = ""
    #: Snippets the rule must not report.
    valid: List[str] = []
    #: Snippets the rule must report, once per line marked `# error`.
    invalid: List[str] = []

    def check(self, facts: Facts, context: "RuleContext") -> Iterable[Diagnostic]:
        raise NotImplementedError

    def diagnostic(self, context: "RuleContext", span: Span, message: str, origin: Optional[Origin] = None,
                   fix: Optional[Fix] = None) -> Diagnostic:
        return Diagnostic(
            code=self.code, message=message, filename=context.filename,
            start=Location(span.line, span.column + 1), end=Location(span.end_line, span.end_column + 1),
            origin=origin, fix=fix)


class RuleContext:
    """What a rule may look at besides the facts."""

    def __init__(self, filename: str, source):
        self.filename = filename
        self.source = source  # analysis.source.SourceText


def origin_of(why) -> Optional[Origin]:
    if why is None:
        return None
    return Origin(Location(why.line, why.column + 1), why.text)


def none_verdict(read, always: str = "is always None") -> str:
    """How the read is None: always, or in the iterations of a loop after the first (a leaf rebound
    to a non-leaf at the end of the loop body)."""
    if getattr(read, "repeated_loop", None) is not None:
        return f"is None in the later iterations of the loop on line {read.repeated_loop}"
    return always
