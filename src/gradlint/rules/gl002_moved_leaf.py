"""GL002: `.grad` read of a tensor that lost leaf status through a device/dtype move or a wrap."""
from __future__ import annotations

from ..analysis.values import Category
from ..fixes.creation import IN_PLACE_ADVICE, filled_after_fix, move_advice, moved_leaf_fix, written_in_place
from .base import Invalid, Rule, none_verdict, origin_of
from .reasons import describe


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
w = torch.randn(3).cuda().requires_grad_()
```
Ask for grad after the move: the same random draws and the same values. (Creating the tensor with
`device=` or `dtype=` is also a leaf, but draws other numbers.) For parameters,
`nn.Parameter(t.cuda())`.

## Fix safety
The fix removes `requires_grad=True` from the creation (or the `.requires_grad_()` before the move)
and appends `.requires_grad_()` after the last move of the chain:
`torch.rand(3, requires_grad=True).double()` -> `torch.rand(3).double().requires_grad_()`;
`x = torch.ones(3, requires_grad=True)` ... `x = x.to(device)` -> `x = torch.ones(3)` ...
`x = x.to(device).requires_grad_()`; `nn.Parameter(t * 0.01).double()` ->
`nn.Parameter((t * 0.01).double())`. No value changes. The moved tensor becomes a leaf, and torch
refuses in-place writes to a leaf that requires grad: where one may follow with grad enabled
(`w[0] = 0`, `w.clamp_(min=0)`, `w += 1`, outside `torch.no_grad()`) there is no fix. It is unsafe
where the earlier tensor may still be read (the name created with `requires_grad=True` is used
between the creation and the move, or read after `y = x.double()`; `raw.requires_grad_()` of a
tensor read elsewhere), where the value reaches code the file does not show, and for a Parameter
stored on a module (it becomes a registered parameter).
"""
    valid = [
        "import torch\nw = torch.randn(3, device='cpu', requires_grad=True)\n(w * 2).sum().backward()\nprint(w.grad)\n",
        "import torch\nw = torch.randn(3, requires_grad=True).float()\n(w * 2).sum().backward()\nprint(w.grad)\n",
    ]
    invalid = [
        Invalid("import torch\nw = torch.randn(3, requires_grad=True).double()\n(w * 2).sum().backward()\n"
                "print(w.grad)\n", (4, 9, 4, 13),
                "import torch\nw = torch.randn(3).double().requires_grad_()\n(w * 2).sum().backward()\n"
                "print(w.grad)\n"),
    ]

    def check(self, facts, context):
        for read in facts.grad_reads:
            why = read.state.why
            if read.late_retain or why is None or why.category is not Category.MOVED:
                continue
            fix, message = None, self.message(read)
            if context.wants_fix(read.span):
                fix = moved_leaf_fix(read, context.source, facts.tree)
                if fix is None and written_in_place(read, context.source, facts.tree):
                    message += IN_PLACE_ADVICE
                elif fix is None and not filled_after_fix(read):
                    message += f" (no fix: no backward() before this read is shown to reach `{read.subject}`)"
            yield self.diagnostic(context, read.span, message, origin_of(why), fix)

    @staticmethod
    def message(read) -> str:
        subject, why = read.subject, read.state.why
        if why.move == "as_subclass" or (why.move and why.move[0].isupper()):
            advice = "wrap the leaf itself, or read .grad of the tensor before wrapping"
        else:
            advice = move_advice(why)
        verdict = "is None on a GPU" if why.gpu_only else none_verdict(read)
        return f"`{subject}.grad` {verdict}: {subject} is not a leaf ({describe(why)}); {advice}"
