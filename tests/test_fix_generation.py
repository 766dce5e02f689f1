"""The fixes the rules propose, on the shapes of code they meet (fixed texts checked whole)."""
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
    # GL003: the late call moves up
    ("y = x * 2\ny.sum().backward()\ny.retain_grad()\nprint(y.grad)\n",
     "y = x * 2\ny.retain_grad()\ny.sum().backward()\nprint(y.grad)\n"),
])
def test_retain_fixes(body, expected):
    assert fixed(HEAD + body) == HEAD + expected


def test_no_fix_where_the_backward_is_not_shown_to_reach_the_tensor():
    # The branches join before the backward: the analysis cannot show which tensor it reached, and
    # a retain fix is offered only where it is proven to fill the read.
    source = HEAD + "if len(x) > 1:\n    y = x * 2\nelse:\n    y = x * 3\ny.sum().backward()\nprint(y.grad)\n"
    (diagnostic,) = lint_source(source)
    assert diagnostic.fix is None and "no fix: no backward() before this read is shown to reach `y`" in diagnostic.message


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
    # grad is asked for after the move: the same draws and values
    ("w = torch.randn(3, requires_grad=True).cuda()", "w = torch.randn(3).cuda().requires_grad_()"),
    ("w = torch.randn(3, requires_grad=True,).double()", "w = torch.randn(3,).double().requires_grad_()"),
    ("w = torch.randn(3, requires_grad=True).to(torch.float64)", "w = torch.randn(3).to(torch.float64).requires_grad_()"),
    ("dt = torch.float64; w = torch.ones(3, requires_grad=True).to(dt)",
     "dt = torch.float64; w = torch.ones(3).to(dt).requires_grad_()"),
    ("ref = torch.zeros(1, dtype=torch.float64); w = torch.ones(3, requires_grad=True).to(ref.dtype)",
     "ref = torch.zeros(1, dtype=torch.float64); w = torch.ones(3).to(ref.dtype).requires_grad_()"),
    ("w = torch.ones(3, requires_grad=True).type(torch.DoubleTensor)",
     "w = torch.ones(3).type(torch.DoubleTensor).requires_grad_()"),
    ("w = torch.rand(3, requires_grad=True).double().to(torch.complex64)",
     "w = torch.rand(3).double().to(torch.complex64).requires_grad_()"),
    ("w = torch.tensor([0.1], requires_grad=True).double()", "w = torch.tensor([0.1]).double().requires_grad_()"),
    ("w = (torch.ones(3, requires_grad=True)).double()", "w = (torch.ones(3)).double().requires_grad_()"),
    ("w = torch.ones(\n    3,\n    requires_grad=True,\n).double()", "w = torch.ones(\n    3,\n).double().requires_grad_()"),
    ("w = torch.ones(requires_grad=True, size=(3,)).double()", "w = torch.ones(size=(3,)).double().requires_grad_()"),
    ("w = torch.randn(3).requires_grad_().double()", "w = torch.randn(3).double().requires_grad_()"),
    ("w = torch.nn.Parameter(torch.randn(3)).double()", "w = torch.nn.Parameter(torch.randn(3).double())"),
    ("w = torch.nn.Parameter(torch.randn(3) * 0.01).double()", "w = torch.nn.Parameter((torch.randn(3) * 0.01).double())"),
    ("a, b = torch.ones(3), torch.ones(3); w = torch.nn.Parameter(a + b).double()",
     "a, b = torch.ones(3), torch.ones(3); w = torch.nn.Parameter((a + b).double())"),
    ("w = (torch.nn.Parameter(torch.ones(3))).double()", "w = (torch.nn.Parameter(torch.ones(3).double()))"),
    # Parameter takes requires_grad= but no device= or dtype=: the move goes inside, even then
    ("w = torch.nn.Parameter(torch.zeros(3), requires_grad=True).to(torch.float64)",
     "w = torch.nn.Parameter(torch.zeros(3).to(torch.float64), requires_grad=True)"),
])
def test_moved_leaf_fixes_create_it_in_place(line, expected):
    source = f"import torch\n{line}\n(w * 2).sum().backward()\nprint(w.grad)\n"
    (diagnostic,) = lint_source(source)
    assert diagnostic.code == "GL002" and diagnostic.fix.applicability == "safe"
    assert fixed(source) == source.replace(line, expected)


MOVE_TAIL = "(w * 2).sum().backward()\nprint(w.grad)\n"


@pytest.mark.parametrize("body, expected, applicability", [
    # a name created with requires_grad=True and rebound by a move: grad is asked for after the move
    ("w = torch.ones(3, requires_grad=True)\nw = w.double()\n",
     "w = torch.ones(3)\nw = w.double().requires_grad_()\n", "safe"),
    ("w = torch.ones(3, requires_grad=True)\nn = 3\nw = w.to(torch.float64)\n",
     "w = torch.ones(3)\nn = 3\nw = w.to(torch.float64).requires_grad_()\n", "safe"),
    # used in between: it would no longer require grad there
    ("w = torch.ones(3, requires_grad=True)\nprint(w.requires_grad)\nw = w.double()\n",
     "w = torch.ones(3)\nprint(w.requires_grad)\nw = w.double().requires_grad_()\n", "unsafe"),
    # `raw.requires_grad_()` of a fresh local read nowhere else
    ("raw = torch.randn(3, dtype=torch.float64)\nw = raw.requires_grad_().float()\n",
     "raw = torch.randn(3, dtype=torch.float64)\nw = raw.float().requires_grad_()\n", "safe"),
    # ... and of one read later: raw.grad would change
    ("raw = torch.randn(3, dtype=torch.float64)\nw = raw.requires_grad_().float()\nprint(raw.requires_grad)\n",
     "raw = torch.randn(3, dtype=torch.float64)\nw = raw.float().requires_grad_()\nprint(raw.requires_grad)\n",
     "unsafe"),
    # in-place writes under no_grad() are allowed on a leaf
    ("w = torch.rand(3, requires_grad=True).double()\nwith torch.no_grad():\n    w.clamp_(min=0)\n",
     "w = torch.rand(3).double().requires_grad_()\nwith torch.no_grad():\n    w.clamp_(min=0)\n", "safe"),
])
def test_moved_leaf_fix_forms(body, expected, applicability):
    source = "import torch\n" + body + MOVE_TAIL
    (diagnostic,) = [d for d in lint_source(source) if d.code == "GL002"]
    assert diagnostic.fix.applicability == applicability
    assert fixed(source, unsafe=True) == "import torch\n" + expected + MOVE_TAIL


@pytest.mark.parametrize("body", [
    # the new leaf would be written in place with grad enabled: RuntimeError after a fix
    "w = torch.rand(3, requires_grad=True).double()\nw[0] = 0.0\n",
    "w = torch.rand(3, requires_grad=True).double()\nw.clamp_(min=0)\n",
    "w = torch.rand(3, requires_grad=True).double()\nw += 1\n",
    "w = torch.rand(3, requires_grad=True).double()\nps = [w]\nfor p in ps:\n    p.mul_(2)\n",
    "def clip(t):\n    t.clamp_(0, 1)\nw = torch.rand(3, requires_grad=True).double()\nclip(w)\n",
    "w = torch.nn.Parameter(torch.rand(3)).double()\nw.add_(1)\n",
    # the read is right on the moved tensor: no backward could fill it
    "print(torch.ones(3, requires_grad=True).double().grad)\nw = torch.ones(3, requires_grad=True)\n",
    # created on one path only, moved on one path only
    "w = torch.ones(3, requires_grad=True)\nif len(w) > 2:\n    w = w.double()\n",
])
def test_moved_leaf_without_a_fix(body):
    source = "import torch\n" + body + MOVE_TAIL
    assert all(d.fix is None for d in lint_source(source) if d.code == "GL002")


def test_a_parameter_stored_on_a_module_is_an_unsafe_fix():
    # nn.Parameter(t.double()) on self is registered: parameters(), state_dict() and .to() change
    source = ("import torch\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n"
              "        super().__init__()\n        self.s = nn.Parameter(torch.ones(2)).double()\n"
              "m = M()\nm.s.sum().backward()\nprint(m.s.grad)\n")
    (diagnostic,) = lint_source(source)
    assert diagnostic.code == "GL002" and diagnostic.fix.applicability == "unsafe"
    assert "self.s = nn.Parameter(torch.ones(2).double())" in fixed(source, unsafe=True)


def test_gl004_asks_for_grad_after_the_move():
    source = "import torch\nw = torch.ones(3, requires_grad=True).double()\nopt = torch.optim.SGD([w], lr=0.1)\n"
    (diagnostic,) = lint_source(source)
    assert diagnostic.code == "GL004" and diagnostic.fix.applicability == "safe"
    assert "torch.ones(...).double().requires_grad_()" in diagnostic.message
    assert fixed(source) == source.replace("torch.ones(3, requires_grad=True).double()",
                                           "torch.ones(3).double().requires_grad_()")


@pytest.mark.parametrize("line, advice", [
    ("raw = torch.randn(3, dtype=torch.float64)\nw = raw.requires_grad_().float()", "raw.float().requires_grad_()"),
    ("w = torch.tensor([1.0], requires_grad=True).double()", "torch.tensor(...).double().requires_grad_()"),
    ("w = torch.ones(3, requires_grad=True)\nw = w.double()", "w = w.double().requires_grad_()"),
])
def test_moved_leaf_advice_is_code_that_works(line, advice):
    source = "import torch\n" + line + "\n" + MOVE_TAIL
    (diagnostic,) = lint_source(source)
    assert advice in diagnostic.message and "dtype=..." not in diagnostic.message


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


@pytest.mark.parametrize("later", [
    "w[0] = 0.0", "w.clamp_(min=0)", "w += 1", "w.add_(torch.ones(3))", "w.data.clamp_(min=0); w.mul_(2)",
])
def test_scaled_initialisation_written_in_place_keeps_retain_grad(later):
    # a leaf that requires grad refuses in-place writes: the rewrite would raise there (root cause 5)
    source = "import torch\nw = torch.randn(3, requires_grad=True) * 0.01\n" + later + "\nw.sum().backward()\nprint(w.grad)\n"
    text = fixed(source)
    assert "w.retain_grad()" in text and "requires_grad_()" not in text


def test_scaled_initialisation_written_under_no_grad_stays_a_leaf():
    source = ("import torch\nw = torch.randn(3, requires_grad=True) * 0.01\nw.sum().backward()\n"
              "with torch.no_grad():\n    w -= 0.1 * w.grad\n    w.clamp_(min=0)\n")
    (diagnostic,) = [d for d in lint_source(source) if d.code == "GL001"]
    assert diagnostic.fix.applicability == "safe"
    assert "w = (torch.randn(3) * 0.01).requires_grad_()" in fixed(source)


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


# -- retain fixes at the byte level ------------------------------

@pytest.mark.parametrize("data, expected", [
    # a CR-only file
    (b"import torch\rx = torch.ones(2, requires_grad=True)\ry = x * 3\r(y * 2).sum().backward()\rprint(y.grad)\r",
     b"import torch\rx = torch.ones(2, requires_grad=True)\ry = x * 3\ry.retain_grad()\r(y * 2).sum().backward()\r"
     b"print(y.grad)\r"),
    # a form feed in the indentation is not copied; the guard indents by the file's own step
    (b"import torch\nx = torch.ones(2, requires_grad=True)\ndef f():\n\x0c  y = x * 3\n  (y * 2).sum().backward()\n"
     b"  print(y.grad)\nf()\n",
     b"import torch\nx = torch.ones(2, requires_grad=True)\ndef f():\n\x0c  y = x * 3\n  if y.requires_grad:\n"
     b"    y.retain_grad()\n  (y * 2).sum().backward()\n  print(y.grad)\nf()\n"),
    # a binding on a backslash-continued line, indented deeper than its block, takes `; ...`
    (b"import torch\nx = torch.ones(2, requires_grad=True)\nif True:\n    z = 1; \\\n        y = x * 3\n"
     b"(y * 2).sum().backward()\nprint(y.grad)\n",
     b"import torch\nx = torch.ones(2, requires_grad=True)\nif True:\n    z = 1; \\\n        y = x * 3; y.retain_grad()\n"
     b"(y * 2).sum().backward()\nprint(y.grad)\n"),
])
def test_retain_fix_keeps_the_bytes_around_it(data, expected):
    result = fix_bytes(data, "t.py")
    assert result.error is None and result.fixed == expected


def test_a_mixed_ending_file_keeps_the_binding_lines_own_line_break():
    data = b"import torch\r\nx = torch.ones(2, requires_grad=True)\r\ny = x * 3\n(y * 2).sum().backward()\nprint(y.grad)\n"
    result = fix_bytes(data, "t.py")
    head = b"import torch\r\nx = torch.ones(2, requires_grad=True)\r\ny = x * 3\ny.retain_grad()"
    assert result.error is None and result.fixed.startswith(head)
    assert result.fixed[len(head):].lstrip(b"\r\n") == b"(y * 2).sum().backward()\nprint(y.grad)\n"


def test_deleting_a_last_line_without_a_line_break_adds_none():
    from gradlint.analysis.source import SourceText
    from gradlint.fixes.apply import apply_edits
    from gradlint.fixes.text import layout, statement_deletion
    text = "import torch\nif True:\n    a = 1\n    b = 2"
    tree = ast.parse(text)
    source = SourceText(text)
    edit = statement_deletion(source, tree.body[1].body[1], layout(tree))
    assert apply_edits(text, [edit]) == "import torch\nif True:\n    a = 1"
    edit = statement_deletion(source, tree.body[1].body[0], layout(tree))
    assert apply_edits(text, [edit]) == "import torch\nif True:\n    b = 2"


def test_a_retain_in_a_function_is_guarded_and_runs_without_grad():
    source = ("import torch\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.lin = torch.nn.Linear(3, 1)\n    def forward(self, x):\n        self.h = self.lin(x)\n"
              "        return self.h.sum()\nnet = Net()\nnet(torch.ones(2, 3)).backward()\nprint(net.h.grad)\n"
              "with torch.no_grad():\n    net(torch.ones(2, 3))\n")
    (diagnostic,) = lint_source(source)
    assert diagnostic.fix.applicability == "safe"
    assert "        self.h = self.lin(x)\n        if self.h.requires_grad:\n            self.h.retain_grad()\n" in fixed(source)


HOOKED = "import torch\nimport torch.nn as nn\nnet = nn.Linear(3, 2)\nacts = []\n"


@pytest.mark.parametrize("hook, expected", [
    # a lambda keeps its value: a forward hook that returns one replaces the module's output
    ("net.register_forward_hook(lambda m, i, o: acts.append(o))\n",
     "net.register_forward_hook(lambda m, i, o: (o.retain_grad() if o.requires_grad else None, acts.append(o))[1])\n"),
    # a def: the guarded call goes first (after the docstring), with the body's indentation
    ('def keep(m, i, out):\n  "Keep it."\n  acts.append(out)\nnet.register_forward_hook(keep)\n',
     'def keep(m, i, out):\n  "Keep it."\n  if out.requires_grad:\n    out.retain_grad()\n  acts.append(out)\n'
     'net.register_forward_hook(keep)\n'),
])
def test_forward_hook_output_retains_in_the_hook(hook, expected):
    tail = "net(torch.ones(1, 3)).sum().backward()\nprint(acts[0].grad)\n"
    (diagnostic,) = lint_source(HOOKED + hook + tail)
    assert diagnostic.fix is not None and "in the forward hook" in diagnostic.fix.message
    assert fixed(HOOKED + hook + tail) == HOOKED + expected + tail


def test_no_hook_fix_when_the_read_comes_before_the_backward():
    source = HOOKED + ("net.register_forward_hook(lambda m, i, o: acts.append(o))\n"
                       "loss = net(torch.ones(1, 3)).sum()\nprint(acts[0].grad)\nloss.backward()\n")
    (diagnostic,) = lint_source(source)
    assert diagnostic.fix is None and "no backward() runs after" in diagnostic.message


def test_a_hook_registered_with_keywords_is_not_followed():
    # with_kwargs=True passes (module, args, kwargs, output): the analysis does not guess
    source = HOOKED + ("net.register_forward_hook(lambda m, a, k, o: acts.append(o), with_kwargs=True)\n"
                       "net(torch.ones(1, 3)).sum().backward()\nprint(acts[0].grad)\n")
    assert lint_source(source) == []


SUBCLASS = "import torch\n\n\nclass T(torch.Tensor):\n    {body}\n\n\n"


@pytest.mark.parametrize("body, fixable", [
    ("pass", True),
    ("def __new__(cls, data):\n        return data.as_subclass(cls)", False),  # made its own way
    ("@classmethod\n    def __torch_function__(cls, f, types, args=(), kwargs=None):\n"
     "        return super().__torch_function__(f, types, args, kwargs or {})", False),
])
def test_subclass_wrap_fix_only_for_a_plain_subclass(body, fixable):
    source = SUBCLASS.format(body=body) + \
        "w = T(torch.ones(3, requires_grad=True))\n(w * 2).sum().backward()\nprint(w.grad)\n"
    fixes = [d.fix for d in lint_source(source) if d.fix is not None]
    assert bool(fixes) == fixable
    if fixable:
        assert "w = T(torch.ones(3)).requires_grad_()\n" in fixed(source)


@pytest.mark.parametrize("body, expected", [
    # made in a dict or tuple literal: retained where the literal holds it
    ('d = {"h": x * 2, "n": 1}\nd["h"].sum().backward()\nprint(d["h"].grad)\n',
     'd = {"h": x * 2, "n": 1}\nd["h"].retain_grad()\nd["h"].sum().backward()\nprint(d["h"].grad)\n'),
    ("p = (x, x * 2)\np[1].sum().backward()\nprint(p[1].grad)\n",
     "p = (x, x * 2)\np[1].retain_grad()\np[1].sum().backward()\nprint(p[1].grad)\n"),
    # made before: retained where it was made, not in the literal
    ("h = x * 2\nd = {'h': h}\nh.sum().backward()\nprint(d['h'].grad)\n",
     "h = x * 2\nh.retain_grad()\nd = {'h': h}\nh.sum().backward()\nprint(d['h'].grad)\n"),
])
def test_retain_fixes_in_literals(body, expected):
    assert fixed(HEAD + body) == HEAD + expected


def test_a_literal_in_a_function_gets_the_guarded_call():
    source = HEAD + 'def f(t):\n    d = {"h": t * 2}\n    d["h"].sum().backward()\n    return d["h"].grad\nf(x)\n'
    assert '    d = {"h": t * 2}\n    if d["h"].requires_grad:\n        d["h"].retain_grad()\n' in fixed(source)


RECORD = "from dataclasses import dataclass\n\n\n@dataclass\nclass Out:\n    h: torch.Tensor\n{extra}\n\n"


@pytest.mark.parametrize("extra, fixable", [
    ("", True),
    ("\n    def __post_init__(self):\n        self.h = self.h * 1", False),  # stores another tensor
])
def test_retain_fix_in_a_record_field(extra, fixable):
    source = HEAD + RECORD.format(extra=extra) + "o = Out(x * 2)\no.h.sum().backward()\nprint(o.h.grad)\n"
    text = fixed(source)
    assert ("o = Out(x * 2)\no.h.retain_grad()\n" in text) == fixable
