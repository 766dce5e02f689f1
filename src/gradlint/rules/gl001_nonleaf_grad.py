"""GL001: `.grad` read of a computed non-leaf that does not retain grad."""
from __future__ import annotations

import ast

from ..analysis.values import Category, Retain
from ..fixes.retain import retain_plan
from ..fixes.scaled import scaled_leaf_fix
from .advice import leaf_first_advice
from .base import Invalid, Rule, none_verdict, origin_of
from .reasons import describe


class NonLeafGradRead(Rule):
    code = "GL001"
    name = "non-leaf-grad"
    summary = "`.grad` of a computed non-leaf tensor is always None"
    docs = """
## What it does
Finds reads of `.grad` on tensors computed from a tensor that requires grad (`y = x * 3`,
`out = model(x)`, `h[0]`, `loss`), when `y.retain_grad()` did not run before `backward()`. In a
loop that starts from a leaf and rebinds the name to an expression of it at the end of the body
(`x = x - lr * x.grad`, iterated attacks), the read is None from the second iteration on. A read
that is None in some iterations only (a name that holds a non-leaf at first and a leaf later) is
reported for those iterations ("in the first iteration of the loop", "in iterations 1 to 2"),
never as "always None"; it has no automatic fix. A read in a function that is None for some of its
calls only names them ("in the call on line 50"). It also finds a non-leaf that retained its grad
in time when no `backward()` since the `retain_grad()` reaches it (the loss is computed from a
second forward pass, or from a `detach()`ed copy): reported only when every tensor each such loss
is computed from is known; no automatic fix.

## Why is this bad
`backward()` fills `.grad` only on leaf tensors. On any other tensor `.grad` stays `None`, so code
that logs, clips or inspects it silently works on nothing. PyTorch only warns at run time, once per
line.

## Example
```python
x = torch.tensor(2.0, requires_grad=True)
y = x * 3
z = y * 4
z.backward()
print(y.grad)  # None
```

## Use instead
```python
x = torch.tensor(2.0, requires_grad=True)
y = x * 3
y.retain_grad()
z = y * 4
z.backward()
print(y.grad)  # tensor(4.)
```
or read the gradient of the leaf (`x.grad`), or, for a weight initialised as
`torch.randn(3, 3, requires_grad=True) * 0.01`, scale first and ask for grad last:
`(torch.randn(3, 3) * 0.01).requires_grad_()`.

## Fix safety
The fix inserts `y.retain_grad()` right after the statement that makes and binds `y` (an
assignment, a walrus statement; first in the body of `for y in [...]`), on the target exactly as
written (`self.h`, `d["k"]`, never a target that calls something, like `get().h`). It is offered
only when a `backward()` that reaches `y` runs between that statement and the read on every path
(else the message says why there is no fix). `retain_grad()` raises on a tensor that does not
require grad, so inside a function (which may also run under `torch.no_grad()` or on a plain
tensor, from callers gradlint cannot see) the call is guarded, `if y.requires_grad:` on its own
line; that is safe when the binding is a tensor in every run gradlint saw. At module level the plain
call is safe when every run of the statement binds a non-leaf that requires grad. Otherwise (a
value that may not be a tensor, a one-line suite that cannot take the guard) the fix is unsafe.
A scaled initialisation (`w = torch.randn(3, 3, requires_grad=True) * 0.01`, numbers and names
beside one factory) is instead rewritten to keep `w` a leaf:
`w = (torch.randn(3, 3) * 0.01).requires_grad_()`. The values are the same, `w.grad` is filled
and optimizers accept `w`; it is safe.
"""
    valid = [
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\ny.backward()\nprint(x.grad)\n",
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\ny.retain_grad()\ny.sum().backward()\nprint(y.grad)\n",
        "import torch\nx = torch.ones(2)\ny = x * 2\nprint(y.grad)\n",
        "def f(t):\n    return t.grad\n",
    ]
    invalid = [
        Invalid("import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x * 3\nz = y * 4\nz.backward()\n"
                "print(y.grad)\n", (6, 9, 6, 13),
                "import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x * 3\ny.retain_grad()\nz = y * 4\n"
                "z.backward()\nprint(y.grad)\n"),
        Invalid("import torch\nimport torch.nn as nn\nm = nn.Linear(3, 1)\nout = m(torch.ones(1, 3))\n"
                "out.sum().backward()\nprint(out.grad)\n", (6, 11, 6, 15),
                "import torch\nimport torch.nn as nn\nm = nn.Linear(3, 1)\nout = m(torch.ones(1, 3))\n"
                "out.retain_grad()\nout.sum().backward()\nprint(out.grad)\n"),
        # in a function that may also run under no_grad: the retain is guarded
        Invalid("import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
                "        super().__init__()\n        self.lin = nn.Linear(2, 2)\n\n    def forward(self, x):\n"
                "        self.h = self.lin(x)\n        return self.h.sum()\n\n\nnet = Net()\n"
                "net(torch.ones(1, 2)).backward()\nprint(net.h.grad)\n", (17, 13, 17, 17),
                "import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
                "        super().__init__()\n        self.lin = nn.Linear(2, 2)\n\n    def forward(self, x):\n"
                "        self.h = self.lin(x)\n        if self.h.requires_grad:\n            self.h.retain_grad()\n"
                "        return self.h.sum()\n\n\nnet = Net()\nnet(torch.ones(1, 2)).backward()\nprint(net.h.grad)\n"),
        # no backward() reaches y: a retain would not fill it, so no fix is offered
        Invalid("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\n(x * 4).sum().backward()\n"
                "print(y.grad)\n", (5, 9, 5, 13)),
        # retained in time, but the only backward() since does not reach y: no fix
        Invalid("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\ny.retain_grad()\n"
                "(x * 4).sum().backward()\nprint(y.grad)\n", (6, 9, 6, 13)),
        # a leaf rebound to a non-leaf at the end of a loop body: no automatic fix
        Invalid("import torch\nx = torch.ones(2, requires_grad=True)\nfor _ in range(3):\n    x.sum().backward()\n"
                "    print(x.grad)\n    x = x * 0.5\n", (5, 13, 5, 17)),
    ]

    def check(self, facts, context):
        for read in facts.grad_reads:
            why = read.state.why
            if read.late_retain or (why is not None and why.category is Category.MOVED):
                continue
            # None in some iterations of a loop only (a leaf rebound in a loop wants rebinding a
            # leaf, not retain_grad()): no automatic fix.
            fix, why_not = None, None
            # retained in time already: what is missing is a backward() that reaches it
            if not read.loops and not read.unreached and context.wants_fix(read.span):
                fix = scaled_leaf_fix(read, context.source)
                if fix is None:
                    fix, why_not = retain_plan(read, context.source, facts.tree)
                if why is not None and why.category is Category.REPARAMETRIZED:
                    why_not = None  # the advice is to read the original parameters, not to retain
            message = self.message(read, facts.tree) + (f" (no fix: {why_not})" if why_not else "")
            yield self.diagnostic(context, read.span, message, origin_of(why), fix)

    @staticmethod
    def message(read, tree=None) -> str:
        subject, why = read.subject, read.state.why
        if Retain.EARLY in read.state.retain:
            return unreached_message(read)
        reason = describe(why) if why else "it is computed from a tensor that requires grad"
        advice = f"call {subject}.retain_grad() before backward()" if subject.isidentifier() or \
            subject.replace(".", "").replace("_", "").isalnum() else "bind it to a name and call retain_grad() on it before backward()"
        if read.loops and read.loops[-1].later and subject.isidentifier() \
                and rebinds_in_loop(tree, read.loops[-1].line, subject):
            advice = f"to step a leaf in a loop, rebind a leaf: {subject} = (...).detach().requires_grad_()"
        elif leaf_first_advice(why):
            advice = f"{leaf_first_advice(why)}; or {advice}"
        elif why is not None and why.category is Category.REPARAMETRIZED:
            advice = f"read .grad of the original parameters ({why.originals or 'e.g. weight_orig'})"
        else:
            advice += ", or read .grad of the leaf it comes from"
        called = f" (in the call on line {read.escaped_call})" if read.escaped_call and not read.calls else ""
        return f"`{subject}.grad` {none_verdict(read)}: {subject} is not a leaf ({reason}){called}; {advice}"


def rebinds_in_loop(tree, line: int, name: str) -> bool:
    """The loop on `line` assigns `name` in its body (`x = x - lr * x.grad`): a leaf stepped by
    rebinding it. (Not its own target: `for t in (x, u)` visits tensors, it steps nothing.)"""
    loop = next((node for node in ast.walk(tree) if isinstance(node, (ast.For, ast.AsyncFor, ast.While))
                 and node.lineno == line), None) if tree is not None else None
    if loop is None:
        return True  # not found: keep the advice the iterations suggest
    return any(isinstance(target, ast.Name) and target.id == name
               for statement in loop.body for node in ast.walk(statement)
               for target in assigned_targets(node))


def assigned_targets(node) -> list:
    if isinstance(node, ast.Assign):
        return [n for t in node.targets for n in ast.walk(t)]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
        return [node.target]
    return []


def unreached_message(read) -> str:
    """A non-leaf retained in time, but no backward() since its retain_grad() reaches it."""
    subject, state = read.subject, read.state
    called = f" (in the call on line {read.escaped_call})" if read.escaped_call and not read.calls else ""
    return (f"`{subject}.grad` {none_verdict(read)}: {subject} retains its grad (retain_grad() on line "
            f"{state.retain_line}), but no backward() since then reaches it (no loss differentiated after "
            f"that is computed from {subject}){called}; call backward() on a loss computed from {subject}")
