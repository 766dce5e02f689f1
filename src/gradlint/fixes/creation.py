"""GL002 fix: keep the leaf a leaf by creating it where it lives.

`torch.randn(3, requires_grad=True).cuda()` -> `torch.randn(3, requires_grad=True, device="cuda")`;
`nn.Parameter(t).cuda()` -> `nn.Parameter(t.cuda())`.
"""
from __future__ import annotations

import ast
from typing import Optional

from ..analysis import torch_api as api
from ..analysis.source import SourceText
from ..analysis.values import Why
from ..diagnostic import SAFE, Edit, Fix
from .text import end_of

DTYPE_OF_METHOD = {"double": "float64", "float": "float32", "half": "float16", "bfloat16": "bfloat16"}


def creation_fix(why: Why, source: SourceText) -> Optional[Fix]:
    move = why.node
    if not (isinstance(move, ast.Call) and isinstance(move.func, ast.Attribute)):
        return None
    inner = move.func.value
    if not isinstance(inner, ast.Call):
        return None
    keywords = {k.arg for k in inner.keywords}
    # `.cuda()` part: from the end of the inner call to the end of the move call.
    suffix = Edit(end_of(source, inner), end_of(source, move), "")
    if is_parameter_call(inner):
        # nn.Parameter takes no device or dtype: move the data before wrapping it.
        if len(inner.args) != 1 or keywords - {"requires_grad"}:
            return None
        argument = inner.args[0]
        move_text = source.slice(end_of(source, inner), end_of(source, move))
        at = end_of(source, argument)
        return Fix(SAFE, f"Move the tensor before wrapping it: `{move_text}` inside the Parameter",
                   (Edit(at, at, move_text), suffix))
    if "requires_grad" in keywords and None not in keywords and is_factory_call(inner):
        extra = placement_keywords(why.move, move, inner, source)
        if extra is None or any(k.split("=")[0] in keywords for k in extra):
            return None
        closing = closing_paren(source, inner)
        if closing is None:
            return None
        before = source.text_before(closing)
        separator = " " if before.rstrip().endswith(",") else ", "
        insertion = Edit(closing, closing, separator + ", ".join(extra))
        return Fix(SAFE, f"Create the tensor with {', '.join(extra)}", (insertion, suffix))
    return None


def is_factory_call(call: ast.Call) -> bool:
    """`torch.randn(...)` and the other factories that take `device=` and `dtype=`."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return f"torch.{name}" in api.FACTORIES


def is_parameter_call(call) -> bool:
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "Parameter"


def torch_prefix(inner: ast.Call) -> Optional[str]:
    """`torch` in `torch.randn(...)` (or the alias the file uses)."""
    func = inner.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return None


def placement_keywords(method: str, move: ast.Call, inner: ast.Call, source: SourceText):
    if method == "cuda":
        if move.args or move.keywords:
            return None
        return ['device="cuda"']
    if method in DTYPE_OF_METHOD:
        prefix = torch_prefix(inner)
        return [f"dtype={prefix}.{DTYPE_OF_METHOD[method]}"] if prefix and not move.args else None
    if method == "type" and len(move.args) == 1 and isinstance(move.args[0], ast.Attribute):
        return [f"dtype={source.segment(move.args[0])}"]
    if method == "to":
        out = []
        for argument in move.args:
            text = source.segment(argument)
            is_dtype = isinstance(argument, ast.Attribute) and f"torch.{argument.attr}" in api.DTYPE_NAMES
            out.append(f"dtype={text}" if is_dtype else f"device={text}")
        for keyword in move.keywords:
            if keyword.arg not in ("device", "dtype"):
                return None
            out.append(f"{keyword.arg}={source.segment(keyword.value)}")
        return out or None
    return None


def closing_paren(source: SourceText, call: ast.Call):
    """The location of a call's closing parenthesis (its last character)."""
    end = end_of(source, call)
    return type(end)(end.line, end.column - 1)
