"""GL003: `.grad` read after a `retain_grad()` that ran after the backward."""
from __future__ import annotations

from ..diagnostic import Location, Origin
from ..fixes.retain import retain_plan
from .base import Invalid, Rule, none_verdict


class LateRetainGrad(Rule):
    code = "GL003"
    name = "late-retain-grad"
    summary = "`retain_grad()` called after `backward()` leaves `.grad` None"
    docs = """
## What it does
Finds reads of `.grad` on a non-leaf whose `retain_grad()` ran only after the `backward()` that
should have filled it.

## Why is this bad
`retain_grad()` registers a hook for the *next* backward pass. Called afterwards it does nothing
for the pass that already ran, so `.grad` is `None` — and PyTorch does not even warn, because the
tensor now retains grad.

## Example
```python
y = x * 3
loss = (y * 4).sum()
loss.backward()
y.retain_grad()
print(y.grad)  # None, silently
```

## Use instead
```python
y = x * 3
y.retain_grad()
loss = (y * 4).sum()
loss.backward()
print(y.grad)
```

## Fix safety
The fix calls `retain_grad()` right after the statement that makes and binds the tensor, like
GL001's fix (offered only when a `backward()` reaching the tensor runs between there and the read;
guarded with `if t.requires_grad:` inside functions; safe under the same conditions). The late call
is deleted only when it is a bare `t.retain_grad()` statement on a name the fix retains at each of
its assignments in the same scope (`pass` is left where its block would be empty); a late call
inside a larger statement or in a helper stays, and does nothing more.
"""
    valid = [
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\ny.retain_grad()\ny.sum().backward()\nprint(y.grad)\n",
    ]
    invalid = [
        Invalid("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\ny.sum().backward()\ny.retain_grad()\n"
                "print(y.grad)\n", (6, 9, 6, 13),
                "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\ny.retain_grad()\n"
                "y.sum().backward()\nprint(y.grad)\n"),
    ]

    def check(self, facts, context):
        for read in facts.grad_reads:
            if not read.late_retain:
                continue
            state = read.state
            origin = Origin(Location(state.retain_line, 1), f"retain_grad() on line {state.retain_line}")
            fix, why_not = retain_plan(read, context.source, facts.tree) if context.wants_fix(read.span) else (None, None)
            message = self.message(read) + (f" (no fix: {why_not})" if why_not else "")
            yield self.diagnostic(context, read.span, message, origin, fix)

    @staticmethod
    def message(read) -> str:
        subject, state = read.subject, read.state
        after = f" on line {state.backward_line}" if state.backward_line else ""
        mixed = any(len(s.retain) > 1 for s in read.states or (state,))  # not called at all on some paths
        where = ", on the paths where it ran at all" if mixed else ""
        return (f"`{subject}.grad` {none_verdict(read)}: {subject}.retain_grad() on line {state.retain_line} "
                f"ran after backward(){after}{where}; call it before backward()")
