"""Advice shared by the rules, chosen from the syntax of what made the tensor (never its text)."""
from __future__ import annotations

import ast
from typing import Optional

from ..analysis.values import Why
from ..fixes.scaled import is_grad_factory, operands


def leaf_first_advice(why: Optional[Why]) -> Optional[str]:
    """For a tensor computed straight from a factory asked for grad (`torch.randn(3,
    requires_grad=True) * 0.01`, `torch.zeros(3, requires_grad=True).exp()`): compute first, ask
    for grad last. None when the expression holds no such factory call."""
    node = why.node if why is not None else None
    if not isinstance(node, ast.expr):
        return None
    if isinstance(node, (ast.BinOp, ast.UnaryOp)) and any(is_grad_factory(n) for n in operands(node)):
        return ("keep the scaled weight a leaf: scale first, then ask for grad: "
                "(torch.randn(...) * s).requires_grad_()")
    if isinstance(node, ast.Call) and any(is_grad_factory(n) for n in call_inputs(node)):
        return "keep it a leaf: compute it first, then ask for grad: (...).requires_grad_()"
    return None


def call_inputs(call: ast.Call) -> list:
    """What a call computes from: its receiver (`t.exp()`) and its positional arguments."""
    receiver = [call.func.value] if isinstance(call.func, ast.Attribute) else []
    return receiver + list(call.args)
