"""GL002: `.grad` read of a tensor that lost leaf status through a device/dtype move or a wrap."""
from __future__ import annotations

import ast

from ..analysis.values import Category
from ..fixes.creation import creation_fix, is_parameter_call
from .base import Rule, none_verdict, origin_of


class MovedLeafGradRead(Rule):
    code = "GL002"
    name = "moved-leaf-grad"
    summary = "`.grad` of a requires-grad tensor moved or converted after creation is always None"
    docs = """
## What it does
Finds reads of `.grad` on a tensor created with `requires_grad=True` and then copied to another
device or dtype (`.cuda()`, `.to("cuda")`, `.to(device)`, `.double()`, `.half()`, `.to(torch.float64)`,
`.type(...)`), or wrapped (`nn.Parameter(t).cuda()`, `t.as_subclass(...)`).

## Why is this bad
The move returns a *copy* that is a non-leaf; the leaf that receives the gradient is the
temporary before the move, which nothing keeps. `w.grad` stays `None` and an optimizer given `w`
raises `ValueError: can't optimize a non-leaf Tensor`. `.to(device)` is worse: on a CPU it returns
the tensor itself (still a leaf), so the code works on a laptop and silently breaks on the GPU.

## Example
```python
w = torch.randn(3, requires_grad=True).cuda()
loss = (w * 2).sum()
loss.backward()
print(w.grad)  # None
```

## Use instead
```python
w = torch.randn(3, device="cuda", requires_grad=True)
```
or `torch.randn(3).cuda().requires_grad_()`; for parameters, `nn.Parameter(t.cuda())`.

## Fix safety
The fix moves `requires_grad=True` to the end of the chain (or the device/dtype into the factory).
It changes no values and is safe when the tensor was created in the same statement.
"""
    valid = [
        "import torch\nw = torch.randn(3, device='cpu', requires_grad=True)\n(w * 2).sum().backward()\nprint(w.grad)\n",
        "import torch\nw = torch.randn(3, requires_grad=True).float()\n(w * 2).sum().backward()\nprint(w.grad)\n",
    ]
    invalid = [
        "import torch\nw = torch.randn(3, requires_grad=True).double()\n(w * 2).sum().backward()\nprint(w.grad)  # error\n",
    ]

    def check(self, facts, context):
        for read in facts.grad_reads:
            why = read.state.why
            if read.late_retain or why is None or why.category is not Category.MOVED:
                continue
            yield self.diagnostic(context, read.span, self.message(read), origin_of(why),
                                  creation_fix(why, context.source))

    @staticmethod
    def message(read) -> str:
        subject, why = read.subject, read.state.why
        moved = why.node.func.value if isinstance(why.node, ast.Call) and isinstance(why.node.func, ast.Attribute) else None
        if why.move == "as_subclass" or (why.move and why.move[0].isupper()):
            advice = "wrap the leaf itself, or read .grad of the tensor before wrapping"
        elif is_parameter_call(moved):
            advice = (f"move the tensor before wrapping it: nn.Parameter(t{written_move(why)}), "
                      "or move the whole module")
        elif why.changes == "dtype":
            advice = f"create it with the dtype: {written_factory(moved)}(..., dtype=..., requires_grad=True)"
        else:
            advice = f"create it on the device: {written_factory(moved)}(..., device=..., requires_grad=True)"
        verdict = "is None on a GPU" if why.gpu_only else none_verdict(read)
        return f"`{subject}.grad` {verdict}: {subject} is not a leaf ({why.text}); {advice}"


def written_move(why) -> str:
    """The move as the code wrote it (`.cuda()`, `.to(torch.float64)`), when it is short."""
    move = why.node
    if not (isinstance(move, ast.Call) and isinstance(move.func, ast.Attribute)):
        return ".cuda()"
    arguments = [ast.unparse(a) for a in move.args] + [ast.unparse(k) for k in move.keywords]
    text = f".{move.func.attr}({', '.join(arguments)})"
    return text if len(text) <= 30 else ".cuda()"


def written_factory(moved) -> str:
    """`torch.rand` when the moved tensor came from `torch.rand(...)`; else `torch.randn`."""
    if isinstance(moved, ast.Call) and isinstance(moved.func, ast.Attribute) and isinstance(moved.func.value, ast.Name):
        return f"{moved.func.value.id}.{moved.func.attr}"
    return "torch.randn"
