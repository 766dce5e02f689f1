"""The rule interface: a rule turns analysis facts into diagnostics, and documents itself.

Modelled on Fixit: each rule carries its code, message, docs and `valid` / `invalid` examples that
the test suite runs (`tests/test_rule_examples.py`).
"""
from __future__ import annotations

from typing import Iterable, List, Optional, Tuple

from ..analysis.facts import Facts, Span
from ..diagnostic import Diagnostic, Fix, Location, Origin
from .reasons import describe


class Rule:
    code: str = ""
    name: str = ""
    summary: str = ""
    #: Markdown with the sections What it does / Why is this bad / Example / Use instead / Fix safety.
    docs: str = ""
    #: Snippets the rule must not report.
    valid: List[str] = []
    #: Snippets the rule must report (`Invalid`: where, and what its fix must give).
    invalid: List["Invalid"] = []

    def check(self, facts: Facts, context: "RuleContext") -> Iterable[Diagnostic]:
        raise NotImplementedError

    def diagnostic(self, context: "RuleContext", span: Span, message: str, origin: Optional[Origin] = None,
                   fix: Optional[Fix] = None) -> Diagnostic:
        return Diagnostic(
            code=self.code, message=message, filename=context.filename,
            start=Location(span.line, span.column + 1), end=Location(span.end_line, span.end_column + 1),
            origin=origin, fix=fix)


class Invalid(str):
    """An invalid example, as Fixit's `Invalid(code, range, expected_replacement)`: the snippet
    (this string), the range of the one finding it must give (line, column, end line, end column:
    1-based, end exclusive) and the snippet after that finding's fix (None: the rule offers none
    there), with the fix's applicability. `tests/test_rule_examples.py` runs them, and `--explain`
    says a fix is available when an example has one."""

    range: Tuple[int, int, int, int]
    fixed: Optional[str]
    applicability: Optional[str]

    def __new__(cls, source: str, range: Tuple[int, int, int, int], fixed: Optional[str] = None,
                applicability: Optional[str] = None) -> "Invalid":
        example = super().__new__(cls, source)
        example.range = range
        example.fixed = fixed
        example.applicability = applicability or ("safe" if fixed is not None else None)
        return example


class RuleContext:
    """What a rule may look at besides the facts. `fix_lines`: the lines whose findings want fixes
    (None: all); a front end that shows only some findings (the IPython extension: the cell about
    to run) spares building the others' fixes."""

    def __init__(self, filename: str, source, fix_lines: Optional[range] = None):
        self.filename = filename
        self.source = source  # analysis.source.SourceText
        self.fix_lines = fix_lines

    def wants_fix(self, span: Span) -> bool:
        return self.fix_lines is None or span.line in self.fix_lines


def origin_of(why) -> Optional[Origin]:
    if why is None or getattr(why, "module", None):  # made in another module: no place in this file
        return None
    return Origin(Location(why.line, why.column + 1), describe(why))


def none_verdict(read, always: str = "is always None") -> str:
    """How the read is None: always, or in some iterations of a loop (those after the first: a leaf
    rebound to a non-leaf at the end of the loop body), within some iterations of the loops
    around it."""
    loops = getattr(read, "loops", ())
    calls = getattr(read, "calls", ())
    if calls and not loops:
        return "is None " + calls_text(calls)
    if not loops:
        return always
    return "is None " + " within ".join(iterations_text(loop) for loop in reversed(loops))


def iterations_text(loop) -> str:
    where = f"of the loop on line {loop.line}"
    if loop.later:
        return f"in the later iterations {where}"
    if loop.last is None:
        return f"in every iteration {where}" if loop.first == 1 else f"in iterations {loop.first} and later {where}"
    if loop.first == loop.last:
        return f"in the first iteration {where}" if loop.first == 1 else f"in iteration {loop.first} {where}"
    return f"in iterations {loop.first} to {loop.last} {where}"


def calls_text(calls) -> str:
    """"in the call on line 50", "in the calls on line 50 and on line 60"; a call inside a call:
    "in the call on line 50, through the call on line 12". (Line references are written "on line N",
    which notebooks turn into cell lines.)"""
    paths = [", through the call ".join(f"on line {line}" for line in claim) for claim in calls]
    if len(paths) == 1:
        return f"in the call {paths[0]}"
    return f"in the calls {', '.join(paths[:-1])} and {paths[-1]}"
