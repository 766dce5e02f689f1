"""GL001 and GL004 fix for scaled initialisations: keep the weight a leaf.

`w = torch.randn(3, 3, requires_grad=True) * 0.01` makes `w` the product, a non-leaf: its `.grad`
stays None and optimizers refuse it. Scaling first and asking for grad last keeps the values and
makes `w` the leaf: `w = (torch.randn(3, 3) * 0.01).requires_grad_()`.

A leaf that requires grad refuses in-place writes while grad is enabled: after `w[0] = 0.0`,
`w.clamp_(min=0)` or `w += 1` (outside `torch.no_grad()`) the rewrite would raise, so there it is
not offered (GL001 falls back to `retain_grad()`); where `w` reaches code the file does not show,
it is unsafe.
"""
from __future__ import annotations

import ast
from typing import List, Optional, Tuple, Union

from ..analysis.facts import GradRead, NonLeafOptimizerArgument
from ..analysis.source import SourceText
from ..diagnostic import SAFE, UNSAFE, Edit, Fix
from .creation import is_factory_call, keyword_removal
from .inplace import leaf_safety
from .retain import chosen_bindings
from .text import end_of, location

# What may stand beside the factory call: numbers and names (`std`), and calls on them (`math.sqrt(n)`).
SCALARS = (ast.Constant, ast.Name, ast.Attribute)


def scaled_leaf_fix(finding: Union[GradRead, NonLeafOptimizerArgument], source: SourceText,
                    module: Optional[ast.Module] = None) -> Optional[Fix]:
    """The rewrite, when the tensor read (GL001) or handed to an optimizer (GL004) is one name
    bound once to a scaled factory call. `module`: the tree the analysis ran on (`Facts.tree`)."""
    return scaled_plan(finding, source, module)[0]


def scaled_written_in_place(finding: Union[GradRead, NonLeafOptimizerArgument], source: SourceText,
                            module: Optional[ast.Module] = None) -> bool:
    """A scaled initialisation that gets no rewrite because it is written in place later."""
    return scaled_plan(finding, source, module)[1]


def scaled_plan(finding, source: SourceText, module: Optional[ast.Module]) -> Tuple[Optional[Fix], bool]:
    """(the fix or None, whether an in-place write later is what rules it out)."""
    if isinstance(finding, GradRead) and not filled(finding):
        return None, False
    bindings = chosen_bindings(finding)
    if len(bindings) != 1:
        return None, False
    statement = bindings[0].statement
    if not (isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None
            and isinstance(statement.value, ast.BinOp)):
        return None, False
    factories = [node for node in operands(statement.value) if is_grad_factory(node)]
    if len(factories) != 1 or not all(is_scalar(node) for node in operands(statement.value)
                                      if node is not factories[0]):
        return None, False
    removal = keyword_removal(source, factories[0])
    if removal is None:
        return None, False
    value = statement.value
    verdict = leaf_safety(source, value, module)
    if verdict.mutated:
        return None, True  # `w[0] = 0.0` on the new leaf would raise
    start = location(source, value.lineno, value.col_offset)
    end = end_of(source, value)
    edits = (Edit(start, start, "("), removal, Edit(end, end, ").requires_grad_()"))
    applicability = SAFE if verdict.clear else UNSAFE
    return Fix(applicability, "Scale first, then ask for grad: the weight stays a leaf", edits), False


def filled(read: GradRead) -> bool:
    """A backward() reaches the tensor between its making and the read on every path, in every
    call context, and it is the same binding in all of them: made a leaf, its `.grad` is filled
    (else the rewrite would only silence it)."""
    states = getattr(read, "states", None) or (read.state,)
    statements = {id(b.statement) for b in read.state.binding}
    return all(getattr(state, "reached", 0) >= 0 and {id(b.statement) for b in state.binding} == statements
               for state in states)


def operands(node: ast.expr) -> List[ast.expr]:
    """The operands of an arithmetic expression tree (`(a - 0.5) * 2 * b` -> a, 0.5, 2, b)."""
    if isinstance(node, ast.BinOp):
        return operands(node.left) + operands(node.right)
    if isinstance(node, ast.UnaryOp):
        return operands(node.operand)
    return [node]


def is_grad_factory(node: ast.expr) -> bool:
    """`torch.randn(..., requires_grad=True)` (any factory, any alias of torch)."""
    if not (isinstance(node, ast.Call) and is_factory_call(node)):
        return False
    return any(k.arg == "requires_grad" and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in node.keywords)


def is_scalar(node: ast.expr) -> bool:
    """A number, a name or attribute, or a call of one on such things (`math.sqrt(2 / n)`): not
    a tensor factory. (Were a name a tensor that requires grad, the fixed line still runs.)"""
    if isinstance(node, ast.Call):
        return not is_factory_call(node) and all(is_scalar(n) for argument in node.args for n in operands(argument))
    return isinstance(node, SCALARS)
