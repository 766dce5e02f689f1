"""The fixes the rules propose, on the shapes of code issue 3 lists (fixed texts checked whole)."""
from __future__ import annotations

import ast

import pytest

from gradlint import lint_source
from gradlint.linter import fix_bytes, fix_text

HEAD = "import torch\nx = torch.ones(2, requires_grad=True)\n"


def fixed(source: str, unsafe: bool = False) -> str:
    text, _count, _remaining, error = fix_text(source, "t.py", unsafe=unsafe)
    assert error is None
    ast.parse(text)
    return text


@pytest.mark.parametrize("body, expected", [
    # a plain binding, keeping the comment on its line
    ("y = x * 3  # note\ny.sum().backward()\nprint(y.grad)\n",
     "y = x * 3  # note\ny.retain_grad()\ny.sum().backward()\nprint(y.grad)\n"),
    # a one-line suite and a semicolon line: the call joins the same line
    ("if True: y = x * 2\ny.sum().backward()\nprint(y.grad)\n",
     "if True: y = x * 2; y.retain_grad()\ny.sum().backward()\nprint(y.grad)\n"),
    ("y = x * 2; z = 1\ny.sum().backward()\nprint(y.grad)\n",
     "y = x * 2; y.retain_grad(); z = 1\ny.sum().backward()\nprint(y.grad)\n"),
    # tuple unpacking and an annotated assignment
    ("a, b = x * 2, x * 3\n(a + b).sum().backward()\nprint(a.grad)\n",
     "a, b = x * 2, x * 3\na.retain_grad()\n(a + b).sum().backward()\nprint(a.grad)\n"),
    ("y: torch.Tensor = x * 2\ny.sum().backward()\nprint(y.grad)\n",
     "y: torch.Tensor = x * 2\ny.retain_grad()\ny.sum().backward()\nprint(y.grad)\n"),
    # a binding in a loop, indented like its block (tabs kept)
    ("for i in range(3):\n\th = x * i\n\th.sum().backward()\n\tprint(h.grad)\n",
     "for i in range(3):\n\th = x * i\n\th.retain_grad()\n\th.sum().backward()\n\tprint(h.grad)\n"),
    # both branches that bind the non-leaf
    ("if len(x) > 1:\n    y = x * 2\nelse:\n    y = x * 3\ny.sum().backward()\nprint(y.grad)\n",
     "if len(x) > 1:\n    y = x * 2\n    y.retain_grad()\nelse:\n    y = x * 3\n    y.retain_grad()\n"
     "y.sum().backward()\nprint(y.grad)\n"),
    # GL003: the late call moves up
    ("y = x * 2\ny.sum().backward()\ny.retain_grad()\nprint(y.grad)\n",
     "y = x * 2\ny.retain_grad()\ny.sum().backward()\nprint(y.grad)\n"),
])
def test_retain_fixes(body, expected):
    assert fixed(HEAD + body) == HEAD + expected


def test_no_fix_without_a_name():
    source = HEAD + "(x * 2).sum().backward()\nprint((x * 2).grad)\n"
    (diagnostic,) = lint_source(source)
    assert diagnostic.code == "GL001" and diagnostic.fix is None


def test_a_binding_that_may_not_be_a_tensor_is_an_unsafe_fix():
    # `y.retain_grad()` right after the binding raises when y is None there
    source = HEAD + "y = x * 2 if len(x) > 1 else None\ny.sum().backward()\nprint(y.grad)\n"
    (diagnostic,) = lint_source(source)
    assert diagnostic.fix.applicability == "unsafe"
    assert fixed(source) == source  # --fix alone leaves it
    assert "y.retain_grad()" in fixed(source, unsafe=True)


def test_line_endings_bom_and_cookie_are_kept():
    body = b"y = x * 3\r\ny.sum().backward()\r\nprint(y.grad)\r\n"
    data = b"\xef\xbb\xbf# -*- coding: utf-8 -*-\r\n" + HEAD.replace("\n", "\r\n").encode() + body
    result = fix_bytes(data, "t.py")
    assert result.error is None
    assert result.fixed == data.replace(b"y = x * 3\r\n", b"y = x * 3\r\ny.retain_grad()\r\n")


@pytest.mark.parametrize("line, expected", [
    ("w = torch.randn(3, requires_grad=True).cuda()", 'w = torch.randn(3, requires_grad=True, device="cuda")'),
    ("w = torch.randn(3, requires_grad=True,).double()", "w = torch.randn(3, requires_grad=True, dtype=torch.float64)"),
    ("w = torch.randn(3, requires_grad=True).to(torch.float64)", "w = torch.randn(3, requires_grad=True, dtype=torch.float64)"),
    ("w = torch.nn.Parameter(torch.randn(3)).double()", "w = torch.nn.Parameter(torch.randn(3).double())"),
    # Parameter takes requires_grad= but no device= or dtype=: the move goes inside, even then
    ("w = torch.nn.Parameter(torch.zeros(3), requires_grad=True).to(torch.float64)",
     "w = torch.nn.Parameter(torch.zeros(3).to(torch.float64), requires_grad=True)"),
])
def test_moved_leaf_fixes_create_it_in_place(line, expected):
    source = f"import torch\n{line}\n(w * 2).sum().backward()\nprint(w.grad)\n"
    (diagnostic,) = lint_source(source)
    assert diagnostic.code == "GL002" and diagnostic.fix.applicability == "safe"
    assert fixed(source) == source.replace(line, expected)


@pytest.mark.parametrize("line, expected", [
    ("w = torch.randn(3, requires_grad=True) * 0.01", "w = (torch.randn(3) * 0.01).requires_grad_()"),
    ("w = 0.01 * torch.randn(3, requires_grad=True)", "w = (0.01 * torch.randn(3)).requires_grad_()"),
    ("w = -torch.rand(3, requires_grad=True) / math.sqrt(3)", "w = (-torch.rand(3) / math.sqrt(3)).requires_grad_()"),
    ("w = torch.randn(3,\n                requires_grad=True) * 2", "w = (torch.randn(3) * 2).requires_grad_()"),
    ("w = torch.zeros(3, dtype=torch.float64, requires_grad=True,) + 1",
     "w = (torch.zeros(3, dtype=torch.float64,) + 1).requires_grad_()"),
])
def test_scaled_initialisations_stay_leaves(line, expected):
    source = "import math\nimport torch\n" + line + "\nw.sum().backward()\nprint(w.grad)\n"
    assert fixed(source) == "import math\nimport torch\n" + expected + "\nw.sum().backward()\nprint(w.grad)\n"


@pytest.mark.parametrize("line", [
    "w = torch.randn(3, requires_grad=True) * torch.randn(3, requires_grad=True)",  # two leaves
    "w = torch.randn(3,  # size\n                requires_grad=True) * 2",  # the comment would go
    "w = torch.randn(3, requires_grad=True) * torch.ones(3)",  # a tensor beside it
])
def test_other_initialisations_get_retain_grad(line):
    source = "import torch\n" + line + "\nw.sum().backward()\nprint(w.grad)\n"
    assert "w.retain_grad()" in fixed(source)


def test_the_message_names_the_call_that_passed_the_tensor_in():
    source = ("import torch\n"
              "def show(t):\n    print(t.grad)\n"
              "def train():\n    x = torch.ones(2, requires_grad=True)\n    y = x * 2\n"
              "    y.sum().backward()\n    print(y.grad)\n    show(y)\n"
              "train()\n")
    messages = {d.line: d.message for d in lint_source(source)}
    assert "(in the call on line 9)" in messages[3]  # show(y), inside train
    assert "in the call" not in messages[8]  # train() made y itself


def test_a_sequential_childs_output_is_named_in_the_message():
    source = ("import torch\n"
              "model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))\n"
              "feats = []\n"
              "model[0].register_forward_hook(lambda m, i, o: feats.append(o))\n"
              "model(torch.randn(2, 3)).sum().backward()\n"
              "print(feats[0].grad)\n")
    (diagnostic,) = lint_source(source)
    assert "`model[0]` in `model(torch.randn(2, 3))` on line 5" in diagnostic.message


def test_a_guard_that_proves_the_grad_none_skips_its_branch():
    source = ("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\ny.sum().backward()\n"
              "if isinstance(y, torch.Tensor) and y.grad is not None:\n    print(y.grad)\n")
    assert [d.line for d in lint_source(source)] == [5]  # line 6 never runs


def test_a_condition_decided_early_drops_its_leaf_guards():
    source = ("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\ny.sum().backward()\n"
              "if y.is_leaf and False:\n    pass\nprint(y.grad)\n")
    assert [d.line for d in lint_source(source)] == [7]
