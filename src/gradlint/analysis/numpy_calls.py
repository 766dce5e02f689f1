"""numpy arrays, as far as their dtype goes (the table is numpy_api).

An array of a proven dtype is a constant (not a tensor) whose `array_dtype` is that dtype; everything else
numpy makes stays unknown, as any other library's results.
"""
from __future__ import annotations

import ast
from typing import List, Optional

from . import numpy_api as np_api
from .arguments import Args, Kwargs
from .host import HostBase
from .values import Shape, T, Value

Rule = np_api.Rule


class NumpyCallsMixin(HostBase):
    def array(self, dtype: Optional[str]) -> Optional[Value]:
        return self.const(array_dtype=dtype) if dtype is not None else None

    @staticmethod
    def has_array(operands: List[Value]) -> bool:
        """Some operand may be a numpy array of known dtype."""
        return any(o.sort is T.CONST and o.array_dtype for v in operands for o in v)

    @staticmethod
    def array_dtype(value: Value) -> Optional[str]:
        """The dtype of a numpy array of known dtype (None: not one, or not known)."""
        if len(value) == 1:
            (obj,) = value
            if obj.sort is T.CONST:
                return obj.array_dtype
        return None

    def numpy_dtype(self, value: Value) -> Optional[str]:
        """`np.float32`, `"float32"`, `float`: the dtype an argument names (None: not known)."""
        if len(value) == 1:
            (obj,) = value
            if obj.sort is T.CONST:
                return np_api.dtype_of(obj.qualname or self.known_const(value, None))
        return None

    def numpy_call(self, qualname: str, node, args: Args, kwargs: Kwargs) -> Optional[Value]:
        """A numpy function's result when its dtype is proven (None: not known)."""
        rule = np_api.function(qualname)
        if rule is None or len(args) > np_api.POSITIONAL.get(qualname, len(args)) or \
                np_api.UNFOLLOWED_KEYWORDS & set(kwargs) or any(isinstance(a, ast.Starred) for a, _ in args):
            return None
        if "dtype" in kwargs and rule is not Rule.FLOAT64_WITH_SIZE:
            return self.array(self.numpy_dtype(kwargs["dtype"][1]))
        if rule is Rule.FLOAT64_WITH_SIZE:
            return self.array(np_api.FLOAT64) if self.has_size(qualname, args, kwargs) else None
        if rule is Rule.FLOAT64_UNLESS_DTYPE:
            return self.array(np_api.FLOAT64)
        if rule is Rule.FLOAT64_FROM_NUMBERS:
            numbers = [self.known_const(v, None) for _, v in args[:2]]
            plain = len(numbers) == 2 and all(type(n) in (int, float) for n in numbers)
            return self.array(np_api.FLOAT64) if plain else None
        if not args:
            return None
        if rule is Rule.SHARED:
            return self.array(self.shared_dtype(self.array_items(args[0][1])))
        if rule is Rule.EACH_ARGUMENT:
            arrays = [self.array(self.array_dtype(v)) for _, v in args]
            known = [array for array in arrays if array is not None]
            if len(known) != len(arrays):
                return None
            return frozenset({self.new_container(node, T.TUPLE, Shape(tuple(known)))})
        return self.array(self.array_dtype(args[0][1]) or float_literals(args[0][0]))

    def has_size(self, qualname: str, args: Args, kwargs: Kwargs) -> bool:
        """A sampler given a size that is not None (`np.random.rand(3)`, `np.random.normal(0, 1, size=n)`)."""
        position = np_api.SIZE_POSITION[qualname]
        if position < 0:
            return bool(args) and not kwargs
        found = kwargs.get("size") or (args[position] if position < len(args) else None)
        if found is None:
            return False
        value = found[1]
        return all(o.sort in (T.LIST, T.TUPLE) for o in value) or self.known_const(value, None) is not None

    def array_items(self, value: Value) -> List[Value]:
        """The arrays concatenated: the items of a literal list or tuple, or the array itself."""
        if len(value) == 1:
            (obj,) = value
            if obj.sort in (T.LIST, T.TUPLE):
                shape = self.shape(obj)
                if shape is not None and shape.items is not None and shape.keys is None:
                    return list(shape.items)
                return []
        return [value]

    def shared_dtype(self, items: List[Value]) -> Optional[str]:
        dtypes = {self.array_dtype(item) for item in items}
        return dtypes.pop() if len(dtypes) == 1 and items else None

    def may_hold_arrays(self, value: Value, depth: int = 0) -> bool:
        """Data that may hold numpy arrays or scalars (their dtype is the tensor's): an array, an
        unknown value, or a list or tuple holding one."""
        for obj in value:
            if obj.sort is T.UNKNOWN or (obj.sort is T.CONST and obj.array_dtype):
                return True
            if obj.sort in (T.LIST, T.TUPLE):
                shape = self.shape(obj)
                if shape is None or depth > 3 or self.may_hold_arrays(shape.everything(), depth + 1):
                    return True
        return False

    def array_method(self, value: Value, name: str, args: Args, kwargs: Kwargs) -> Optional[Value]:
        """`a.reshape(...)`, `a.astype(np.float32)`: an array of known dtype (None: not known)."""
        dtype = self.array_dtype(value)
        if dtype is None:
            return None
        if name in np_api.SAME_DTYPE_METHODS:
            return value
        if name in np_api.REDUCTIONS and len(args) <= 1 and set(kwargs) <= np_api.REDUCTION_KEYWORDS:
            return value  # (an array, or a numpy scalar of the same dtype)
        if name == np_api.ASTYPE and args:
            return self.array(self.numpy_dtype(args[0][1]))
        return None

    def array_attribute(self, obj, name: str) -> Optional[Value]:
        if obj.array_dtype is not None and name in np_api.SAME_DTYPE_ATTRIBUTES:
            return frozenset({obj})
        return None

    def array_arithmetic(self, operands: List[Value]) -> Optional[Value]:
        """float64 arrays combined with float64 arrays and Python ints and floats stay float64
        (numpy's promotion); any other mix is not followed."""
        if not any(self.array_dtype(v) == np_api.FLOAT64 for v in operands):
            return None
        for value in operands:
            if self.array_dtype(value) != np_api.FLOAT64 and type(self.known_const(value, None)) not in (int, float):
                return None
        return self.array(np_api.FLOAT64)


def float_literals(node) -> Optional[str]:
    """float64 for a literal list (or nested lists) of Python numbers with a float among them."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    numbers: List[object] = []
    pending: List[ast.expr] = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, (ast.List, ast.Tuple)):
            pending.extend(item.elts)
        elif isinstance(item, ast.UnaryOp) and isinstance(item.op, (ast.USub, ast.UAdd)):
            pending.append(item.operand)
        elif isinstance(item, ast.Constant) and type(item.value) in (int, float):
            numbers.append(item.value)
        else:
            return None
    return np_api.FLOAT64 if any(type(n) is float for n in numbers) else None

