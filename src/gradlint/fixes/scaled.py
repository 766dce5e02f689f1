"""GL001 and GL004 fix for scaled initialisations: keep the weight a leaf.

`w = torch.randn(3, 3, requires_grad=True) * 0.01` makes `w` the product, a non-leaf: its `.grad`
stays None and optimizers refuse it. Scaling first and asking for grad last keeps the values and
makes `w` the leaf: `w = (torch.randn(3, 3) * 0.01).requires_grad_()`.
"""
from __future__ import annotations

import ast
from typing import List, Optional, Union

from ..analysis.facts import GradRead, NonLeafOptimizerArgument
from ..analysis.source import SourceText
from ..diagnostic import SAFE, Edit, Fix
from .creation import is_factory_call
from .retain import chosen_bindings
from .text import end_of, location

# What may stand beside the factory call: numbers and names (`std`), and calls on them (`math.sqrt(n)`).
SCALARS = (ast.Constant, ast.Name, ast.Attribute)


def scaled_leaf_fix(finding: Union[GradRead, NonLeafOptimizerArgument], source: SourceText) -> Optional[Fix]:
    """The rewrite, when the tensor read (GL001) or handed to an optimizer (GL004) is one name
    bound once to a scaled factory call."""
    bindings = chosen_bindings(finding)
    if len(bindings) != 1:
        return None
    statement = bindings[0].statement
    if not (isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None
            and isinstance(statement.value, ast.BinOp)):
        return None
    factories = [node for node in operands(statement.value) if is_grad_factory(node)]
    if len(factories) != 1 or not all(is_scalar(node) for node in operands(statement.value)
                                      if node is not factories[0]):
        return None
    removal = keyword_removal(source, factories[0])
    if removal is None:
        return None
    value = statement.value
    start = location(source, value.lineno, value.col_offset)
    end = end_of(source, value)
    edits = (Edit(start, start, "("), removal, Edit(end, end, ").requires_grad_()"))
    return Fix(SAFE, "Scale first, then ask for grad: the weight stays a leaf", edits)


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


def keyword_removal(source: SourceText, call: ast.Call) -> Optional[Edit]:
    """Remove `, requires_grad=True` (the keyword and the comma before it)."""
    arguments = list(call.args) + list(call.keywords)
    index = next(i for i, a in enumerate(arguments) if isinstance(a, ast.keyword) and a.arg == "requires_grad")
    if index == 0 or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    keyword = arguments[index]
    previous = arguments[index - 1]
    start, end = end_of(source, previous), end_of(source, keyword)
    if "#" in source.slice(start, end):
        return None  # a comment in between would go with it
    return Edit(start, end, "")
