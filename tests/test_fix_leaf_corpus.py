"""A generated corpus for the fixes that make a leaf (GL002's move fix, the scaled-initialisation
rewrite, GL004's): binding forms crossed with what follows the binding (in-place writes with and
without grad, through an alias, a helper) and the contexts it runs in (module, function, loop,
returned by a helper). Each program runs under real torch before and after `--fix` (safe only) and
`--fix --unsafe-fixes`: no new exception, the same printed values, no `.grad` read left None without
a finding, and a second fix changes nothing."""
from __future__ import annotations

import contextlib
import io
import itertools
import textwrap

import pytest

from gradlint import lint_source
from gradlint.linter import fix_text

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")

BINDINGS = {
    "double": "w = torch.rand(3, requires_grad=True).double()",
    "to_dtype_name": "w = torch.rand(3, requires_grad=True).to(DT)",
    "type": "w = torch.rand(3, requires_grad=True).type(torch.DoubleTensor)",
    "grouped": "w = (torch.rand(3, requires_grad=True)).double()",
    "black": "w = torch.rand(\n    3,\n    requires_grad=True,\n).double()",
    "two_moves": "w = torch.rand(3, requires_grad=True).to('cpu').double()",
    "rebind": "w = torch.rand(3, requires_grad=True)\nw = w.double()",
    "rebind_between": "w = torch.rand(3, requires_grad=True)\nn = 3\nw = w.to(torch.float64)",
    "requires_grad_chain": "raw = torch.rand(3, dtype=torch.float64)\nw = raw.requires_grad_().float()",
    "parameter_expr": "w = torch.nn.Parameter(torch.rand(3) * 0.5).double()",
    "parameter_sum": "a, b = torch.rand(3), torch.rand(3)\nw = torch.nn.Parameter(a + b).double()",
    "scaled": "w = torch.rand(3, requires_grad=True) * 0.5",
    "scaled_shift": "w = (torch.rand(3, requires_grad=True) - 0.5) * 2",
}
FOLLOW_UPS = {
    "none": "",
    "setitem": "w[0] = 0.25",
    "clamp_": "w.clamp_(min=0.1)",
    "iadd": "w += 1",
    "view_write": "w.view(-1)[1] = 0.5",
    "no_grad": "with torch.no_grad():\n    w.mul_(1.0)",
    "alias": "ps = [w]\nfor p in ps:\n    p.add_(0.0)",
    "helper": "bump(w)",
    "data": "w.data.clamp_(min=0.0)",
}
CONTEXTS = ("module", "function", "loop", "returned", "optimizer")
HEAD = ("import torch\n\ntorch.manual_seed(0)\nDT = torch.float64\n\n\ndef bump(t):\n    t.add_(1.0)\n\n\n")
TAIL = ("loss = (w * 2.0).sum()\nloss.backward()\n"
        "print('v', [round(x, 6) for x in w.detach().double().tolist()])\n"
        "print('later', torch.rand(2).tolist())\n"
        "print('g', w.grad)\n")


def program(binding: str, follow_up: str, context: str) -> str:
    body = binding + "\n" + (follow_up + "\n" if follow_up else "")
    if context == "module":
        return HEAD + body + TAIL
    if context == "function":
        return HEAD + "def run():\n" + textwrap.indent(body + TAIL, "    ") + "\n\nrun()\n"
    if context == "optimizer":  # GL004: SGD refuses the non-leaf (ValueError) until the fix
        return HEAD + body + "print('v0', [round(x, 6) for x in w.detach().double().tolist()])\n" \
            + "opt = torch.optim.SGD([w], lr=0.1)\n" + TAIL + "opt.step()\n"
    if context == "loop":
        return HEAD + "for step in range(2):\n" + textwrap.indent(body + TAIL, "    ")
    return (HEAD + "def make():\n" + textwrap.indent(binding + "\nreturn w\n", "    ") + "\n\nw = make()\n"
            + (follow_up + "\n" if follow_up else "") + TAIL)


def run(source: str):
    """(printed lines, the exception's type name or None)"""
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(source, "corpus.py", "exec"), {"__name__": "__main__"})
        except Exception as exc:  # the program's own failure is what is compared
            error = type(exc).__name__
    return out.getvalue().splitlines(), error


CASES = list(itertools.product(BINDINGS, FOLLOW_UPS, CONTEXTS))


@pytest.mark.parametrize("binding, follow_up, context", CASES, ids=["-".join(c) for c in CASES])
def test_leaf_fixes_hold_in_every_context(binding, follow_up, context):
    source = program(BINDINGS[binding], FOLLOW_UPS[follow_up], context)
    before, before_error = run(source)
    # A program seeds torch first and the analysis is a function of the text: when both fixes
    # write the same text, its run and its findings are computed once.
    runs, findings = {}, {}
    for unsafe in (False, True):
        fixed, _count, _remaining, error = fix_text(source, "corpus.py", unsafe=unsafe)
        assert error is None
        if fixed not in runs:
            runs[fixed] = run(fixed)
            findings[fixed] = lint_source(fixed, "corpus.py")
        printed, after_error = runs[fixed]
        after = printed
        values = lambda lines: [line for line in lines if not line.startswith("g ")]  # noqa: E731
        if before_error == "ValueError" and context == "optimizer" and after_error is None:
            after = after[:len(before)]  # the optimizer now accepts the leaf: the rest runs too
        else:
            assert after_error == before_error, (unsafe, fixed)
        assert values(after) == values(before), (unsafe, fixed)
        # a `.grad` read still None after the fix is still reported (the fix did not only silence it)
        reported = {d.line for d in findings[fixed]}
        read_line = next(n for n, line in enumerate(fixed.splitlines(), 1) if "print('g', w.grad)" in line)
        if any(line == "g None" for line in printed):
            assert read_line in reported, (unsafe, fixed)
        again, more, _, _ = fix_text(fixed, "corpus.py", unsafe=unsafe)
        assert again == fixed and more == 0
