"""GL004: a non-leaf tensor passed to a torch.optim optimizer."""
from __future__ import annotations

from ..analysis.values import Category
from ..fixes.creation import IN_PLACE_ADVICE, move_advice, moved_leaf_fix, written_in_place
from ..fixes.scaled import scaled_leaf_fix, scaled_written_in_place
from .advice import leaf_first_advice
from .base import Invalid, Rule, origin_of
from .reasons import describe


class NonLeafOptimizerParameter(Rule):
    code = "GL004"
    name = "non-leaf-optimizer-parameter"
    summary = "an optimizer given a non-leaf tensor raises `ValueError: can't optimize a non-leaf Tensor`"
    docs = """
## What it does
Finds tensors passed to a `torch.optim` optimizer that are not leaves: computed (`w * 0.01`) or
moved after `requires_grad=True` (`torch.randn(3, requires_grad=True).cuda()`), also inside a list
or `module.parameters()`: a layer whose parameter slot holds a computed tensor
(`m._parameters["weight"] = w.clone()`, as learn2learn's `clone_module` and weight-drop wrappers do)
yields it as a parameter.

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
is rewritten to `w = (torch.randn(3, 3) * 0.01).requires_grad_()`: the same values, now a leaf. A
tensor moved after `requires_grad=True` (`torch.ones(3, requires_grad=True).double()`) asks for grad
after the move instead: `torch.ones(3).double().requires_grad_()` (GL002's fix, with its
conditions). Both are safe only when no in-place write to the tensor may follow with grad enabled
(`w[0] = 0`, `w.clamp_(min=0)`, `w += 1` outside `torch.no_grad()`): torch refuses those on a leaf
that requires grad, so then there is no fix. Elsewhere there is no automatic fix: where the leaf
should be made is a design choice; the message says how.
"""
    valid = [
        "import torch\nw = torch.randn(3, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.1)\n",
    ]
    invalid = [
        Invalid("import torch\nw = torch.randn(3, requires_grad=True) * 0.01\nopt = torch.optim.SGD([w], lr=0.1)\n",
                (3, 24, 3, 25),
                "import torch\nw = (torch.randn(3) * 0.01).requires_grad_()\nopt = torch.optim.SGD([w], lr=0.1)\n"),
    ]

    def check(self, facts, context):
        for argument in facts.optimizer_arguments:
            why = argument.state.why
            if not context.wants_fix(argument.span):
                yield self.diagnostic(context, argument.span, self.message(argument), origin_of(why))
                continue
            if why is not None and why.category is Category.MOVED:
                fix = moved_leaf_fix(argument, context.source, facts.tree)
            else:
                fix = scaled_leaf_fix(argument, context.source, facts.tree)
            message = self.message(argument)
            if fix is None and why is not None and why.category is Category.MOVED \
                    and written_in_place(argument, context.source, facts.tree):
                message += IN_PLACE_ADVICE
            elif fix is None and why is not None and why.category is not Category.MOVED \
                    and scaled_written_in_place(argument, context.source, facts.tree):
                message += IN_PLACE_ADVICE
            yield self.diagnostic(context, argument.span, message, origin_of(why), fix)

    @staticmethod
    def message(argument) -> str:
        why = argument.state.why
        reason = describe(why) if why else "it is computed"
        if why is not None and why.category is Category.MOVED:
            advice = move_advice(why)
        else:
            advice = leaf_first_advice(why) or "pass the leaf, or make the final tensor a leaf: (expr).detach().requires_grad_()"
        where = " on a GPU" if why is not None and why.gpu_only else ""
        what = "holds a non-leaf" if argument.held else "is not a leaf"
        return (f"{argument.optimizer} raises ValueError{where}: can't optimize a non-leaf Tensor: "
                f"`{argument.subject}` {what} ({reason}); {advice}")
