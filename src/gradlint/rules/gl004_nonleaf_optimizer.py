"""GL004: a non-leaf tensor passed to a torch.optim optimizer."""
from __future__ import annotations

from ..analysis.values import Category
from ..fixes.scaled import scaled_leaf_fix
from .base import Rule, origin_of


class NonLeafOptimizerParameter(Rule):
    code = "GL004"
    name = "non-leaf-optimizer-parameter"
    summary = "an optimizer given a non-leaf tensor raises `ValueError: can't optimize a non-leaf Tensor`"
    docs = """
## What it does
Finds tensors passed to a `torch.optim` optimizer that are not leaves: computed (`w * 0.01`) or
moved after `requires_grad=True` (`torch.randn(3, requires_grad=True).cuda()`).

## Why is this bad
The optimizer raises `ValueError: can't optimize a non-leaf Tensor` when it is built. With
`.to(device)` it raises only on the GPU machine.

## Example
```python
w = torch.randn(3, 3, requires_grad=True) * 0.01
opt = torch.optim.SGD([w], lr=0.1)  # ValueError
```

## Use instead
```python
w = (torch.randn(3, 3) * 0.01).requires_grad_()
opt = torch.optim.SGD([w], lr=0.1)
```

## Fix safety
A scaled initialisation bound to the name passed (`w = torch.randn(3, 3, requires_grad=True) * 0.01`)
is rewritten to `w = (torch.randn(3, 3) * 0.01).requires_grad_()`: the same values, now a leaf; it
is safe. Elsewhere there is no automatic fix: where the leaf should be made is a design choice; the
message says how.
"""
    valid = [
        "import torch\nw = torch.randn(3, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.1)\n",
    ]
    invalid = [
        "import torch\nw = torch.randn(3, requires_grad=True) * 0.01\nopt = torch.optim.SGD([w], lr=0.1)  # error\n",
    ]

    def check(self, facts, context):
        for argument in facts.optimizer_arguments:
            yield self.diagnostic(context, argument.span, self.message(argument), origin_of(argument.state.why),
                                  scaled_leaf_fix(argument, context.source))

    @staticmethod
    def message(argument) -> str:
        why = argument.state.why
        reason = why.text if why else "it is computed"
        if why is not None and why.category is Category.MOVED:
            advice = "create the leaf where it lives: torch.randn(..., device=..., dtype=..., requires_grad=True)"
        else:
            advice = "pass the leaf, or make the final tensor a leaf: (expr).detach().requires_grad_()"
        where = " on a GPU" if why is not None and why.gpu_only else ""
        return (f"{argument.optimizer} raises ValueError{where}: can't optimize a non-leaf Tensor: "
                f"`{argument.subject}` is not a leaf ({reason}); {advice}")
