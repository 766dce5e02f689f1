"""A generated corpus for the retain fixes (GL001's insertion, GL003's move): the binding forms a
non-leaf is made in, crossed with the contexts the binding runs in (module level, a helper also
called under no_grad and with a plain tensor, a module's forward also run in eval under no_grad, a
training loop) and the two fix kinds (no retain; a retain after backward()). Each program runs
under real torch before and after `--fix` and `--fix --unsafe-fixes`: no new exception, the same
printed values, every read the fix claims filled, a read left None still reported, and a second fix
changes nothing."""
from __future__ import annotations

import contextlib
import io
import itertools
import textwrap
import warnings

import pytest

from gradlint import lint_source
from gradlint.linter import fix_text

torch = pytest.importorskip("torch")

# (statements that make the non-leaf from the leaf `x`, the expression read, statements using it)
BINDINGS = {
    "name": ("h = x * 3", "h"),
    "attribute": ("box.h = x * 3", "box.h"),
    "subscript": ("slots['h'] = x * 3", "slots['h']"),
    "walrus": ("z = (h := x * 3) * 1", "h"),
    "tuple": ("h, k = x * 3, x * 4", "h"),
    "module_output": ("h = lin(x)", "h"),
    "index_view": ("h = x[1:]", "h"),
    "written_buffer": ("h = torch.zeros(3)\nh[:] = x * 3", "h"),
}
KINDS = ("missing", "late")
CONTEXTS = ("module", "helper", "forward", "loop")
HEAD = """import torch
import torch.nn as nn
from types import SimpleNamespace

torch.manual_seed(0)
lin = nn.Linear(3, 3)
box = SimpleNamespace()
slots = {}
"""


def program(binding: str, kind: str, context: str) -> str:
    make, read = BINDINGS[binding]
    late = f"{read}.retain_grad()\n" if kind == "late" else ""
    report = f"print('g', {read}.grad)\nprint('v', [round(v, 4) for v in {read}.detach().flatten().tolist()])\n"
    if context == "module":
        return HEAD + "x = torch.rand(3, requires_grad=True)\n" + make + "\n" + \
            f"{read}.sum().backward()\n" + late + report
    if context == "helper":  # also called under no_grad, and with a plain tensor
        return HEAD + "def step(x):\n" + textwrap.indent(make + f"\nreturn {read}\n", "    ") + \
            "\n\nx = torch.rand(3, requires_grad=True)\nout = step(x)\nout.sum().backward()\n" + \
            ("out.retain_grad()\n" if kind == "late" else "") + \
            "print('g', out.grad)\nwith torch.no_grad():\n    print('n', step(x).sum().item() > -1)\n" \
            "print('p', step(torch.rand(3)).requires_grad)\n"
    if context == "forward":  # the module's forward also runs in eval under no_grad
        body = make.replace("x * 3", "self.scale * x").replace("lin(x)", "self.lin(x)").replace(
            "x[1:]", "(self.scale * x)[1:]")
        body = body.replace("box.h", "self.h") if binding == "attribute" else body
        stored = "self.h" if binding == "attribute" else read
        return HEAD + "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
            "        self.lin = nn.Linear(3, 3)\n        self.scale = nn.Parameter(torch.ones(3))\n\n" \
            "    def forward(self, x):\n" + textwrap.indent(make_forward(body, stored), "        ") + \
            "\n\nnet = Net()\nx = torch.rand(3)\nnet(x).sum().backward()\n" + \
            ("net.out.retain_grad()\n" if kind == "late" else "") + \
            "print('g', net.out.grad)\nnet.eval()\nwith torch.no_grad():\n    print('n', net(x).sum().item() > -1)\n"
    return HEAD + "x = torch.rand(3, requires_grad=True)\nfor step in range(2):\n" + textwrap.indent(
        make + f"\n{read}.sum().backward()\n" + late + report, "    ")


def make_forward(body: str, stored: str) -> str:
    return body + f"\nself.out = {stored}\nreturn self.out\n"


def run(source: str):
    """(printed lines, the exception's type name or None)"""
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(compile(source, "corpus.py", "exec"), {"__name__": "__main__"})
        except Exception as exc:  # the program's own failure is what is compared
            error = type(exc).__name__
    return out.getvalue().splitlines(), error


def grads(lines):
    return [line for line in lines if line.startswith("g ")]


def values(lines):
    return [line for line in lines if not line.startswith("g ")]


CASES = list(itertools.product(BINDINGS, KINDS, CONTEXTS))


@pytest.mark.parametrize("binding, kind, context", CASES, ids=["-".join(c) for c in CASES])
def test_retain_fixes_hold_in_every_context(binding, kind, context):
    source = program(binding, kind, context)
    before, before_error = run(source)
    assert before_error is None, source
    assert any(line == "g None" for line in before), source  # the bug is there
    found = [d for d in lint_source(source, "corpus.py") if d.code in ("GL001", "GL003")]
    for unsafe in (False, True):
        fixed, count, remaining, error = fix_text(source, "corpus.py", unsafe=unsafe)
        assert error is None
        after, after_error = run(fixed)
        assert after_error is None, (unsafe, fixed)
        assert values(after) == values(before), (unsafe, fixed)
        if count:  # what a fix claims, it fills: no fixable finding was silenced without a value
            assert count == len(found) - len([d for d in remaining if d.code in ("GL001", "GL003")])
        still_none = [n for n, line in enumerate(fixed.splitlines(), 1)
                      if ".grad)" in line and "print('g'" in line]
        if any(line == "g None" for line in grads(after)):
            reported = {d.line for d in lint_source(fixed, "corpus.py")}
            assert set(still_none) & reported, (unsafe, fixed)
        again, more, _, _ = fix_text(fixed, "corpus.py", unsafe=unsafe)
        assert again == fixed and more == 0


def test_the_corpus_is_fixed_where_a_fix_is_proven():
    """Most of the corpus gets a fix that fills its read: the checks above are not vacuous."""
    filled = 0
    for binding, kind, context in CASES:
        fixed, count, _, _ = fix_text(program(binding, kind, context), "corpus.py", unsafe=True)
        filled += bool(count) and "g None" not in run(fixed)[0]
    assert filled >= len(CASES) // 2, filled
