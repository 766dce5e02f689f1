"""Advice in messages follows the syntax of what made the tensor, not its text."""
from __future__ import annotations

import pytest

from gradlint import lint_source

SCALE = "scale first, then ask for grad"
COMPUTE = "compute it first, then ask for grad"


@pytest.mark.parametrize("made, advice", [
    ("torch.randn(3, requires_grad=True) * 0.01", SCALE),
    ("-torch.ones(3, requires_grad=True) / 2", SCALE),
    ("torch.randn(3, requires_grad=True).exp()", COMPUTE),
    ("torch.sigmoid(torch.zeros(3, requires_grad=True))", COMPUTE),
    ("leaf * 2", None),  # computed from a leaf made elsewhere: retain it, or read the leaf
    ("make(requires_grad=True) * 2", None),  # not a torch factory: the text is not the syntax
])
def test_leaf_first_advice(made, advice):
    text = (f"import torch\nleaf = torch.ones(3, requires_grad=True)\n"
            "def make(requires_grad):\n    return torch.ones(3, requires_grad=requires_grad)\n"
            f"w = {made}\n"
            "opt = torch.optim.SGD([w], lr=0.1)\n")
    (finding,) = lint_source(text, "a.py")
    assert finding.code == "GL004"
    if advice is None:
        assert SCALE not in finding.message and COMPUTE not in finding.message
    else:
        assert advice in finding.message


@pytest.mark.parametrize("loop, stepping", [
    ("for _ in range(3):\n    x.sum().backward()\n    print(x.grad)\n    x = x * 0.5\n", True),
    ("for x in (a, a * 2):\n    x.sum().backward()\n    print(x.grad)\n", False),  # visits tensors, steps none
])
def test_stepping_advice_only_for_a_loop_that_rebinds_the_name(loop, stepping):
    text = "import torch\na = torch.ones(2, requires_grad=True)\nx = a\n" + loop
    (finding,) = lint_source(text, "a.py")
    assert finding.code == "GL001" and "later iterations" in finding.message
    assert ("to step a leaf in a loop" in finding.message) is stepping
