"""What gradlint knows about numpy, as data: the dtype of the arrays numpy's functions make.

Only dtypes matter here: `torch.tensor(a, requires_grad=True)` of a float64 array is a float64
leaf, which `.float()` then copies (a non-leaf). An array whose dtype cannot be proven (loaded from
a file, made by a function not listed) has no dtype: the analysis stays silent about it.
Facts checked with numpy 2 (and unchanged since numpy 1.x for these cases).
"""
from __future__ import annotations

import enum
from typing import Dict, Optional

NUMPY = "numpy"
FLOAT64 = "float64"


class Rule(enum.Enum):
    """How a numpy function's result dtype is found."""

    FLOAT64_WITH_SIZE = "a float64 array when given a size (without one: a Python float)"
    FLOAT64_UNLESS_DTYPE = "its dtype= argument, float64 without one (zeros, ones, empty, eye)"
    FLOAT64_FROM_NUMBERS = "float64 when its first two arguments are Python numbers, unless dtype= (linspace)"
    SHARED = "the dtype all its array arguments share, unless dtype= (concatenate, stack)"
    DTYPE_OR_ARRAY = "its dtype= argument, or the dtype of the array it is given (array, asarray)"
    EACH_ARGUMENT = "a tuple of arrays, each of its argument's dtype (meshgrid)"


FUNCTIONS: Dict[str, Rule] = {}
# The samplers, and where their size is (`np.random.rand()` alone is a Python float: float32 in
# torch). -1: the dimensions, as positional arguments (`rand(None)` raises: any one is a size).
SIZE_POSITION: Dict[str, int] = {}
for _names, _position in (("rand randn", -1), ("random random_sample ranf sample standard_normal", 0),
                          ("uniform normal", 2)):
    for _name in _names.split():
        FUNCTIONS[f"{NUMPY}.random.{_name}"] = Rule.FLOAT64_WITH_SIZE
        SIZE_POSITION[f"{NUMPY}.random.{_name}"] = _position
for _name in "zeros ones empty eye identity".split():
    FUNCTIONS[f"{NUMPY}.{_name}"] = Rule.FLOAT64_UNLESS_DTYPE
FUNCTIONS[f"{NUMPY}.linspace"] = Rule.FLOAT64_FROM_NUMBERS
for _name in "concatenate hstack vstack stack column_stack row_stack".split():
    FUNCTIONS[f"{NUMPY}.{_name}"] = Rule.SHARED
for _name in "array asarray copy".split():
    FUNCTIONS[f"{NUMPY}.{_name}"] = Rule.DTYPE_OR_ARRAY
FUNCTIONS[f"{NUMPY}.meshgrid"] = Rule.EACH_ARGUMENT

# How many positional arguments come before dtype (more: a positional dtype, not followed).
POSITIONAL: Dict[str, int] = {f"{NUMPY}.{_name}": _count for _name, _count in (
    ("zeros", 1), ("ones", 1), ("empty", 1), ("identity", 1), ("eye", 3), ("linspace", 4), ("concatenate", 2),
    ("stack", 2), ("hstack", 1), ("vstack", 1), ("column_stack", 1), ("row_stack", 1), ("array", 1),
    ("asarray", 1), ("copy", 1))}
# Keyword arguments that change what is returned (`out=`: that array; `retstep=`: a pair).
UNFOLLOWED_KEYWORDS = frozenset({"out", "retstep"})

# Array methods and attributes that keep the dtype (views, copies, reshapes).
SAME_DTYPE_METHODS = frozenset("reshape flatten ravel copy squeeze transpose swapaxes".split())
SAME_DTYPE_ATTRIBUTES = frozenset("T".split())
# Reductions of a float array keep its dtype, given at most an axis (`a.mean(0, np.float64)`: a dtype).
REDUCTIONS = frozenset("min max mean sum std var".split())
REDUCTION_KEYWORDS = frozenset("axis keepdims ddof".split())
ASTYPE = "astype"  # the method converting to its first argument's dtype

# Names of float dtypes: numpy's own, their strings, and Python's `float` (float64 in numpy).
DTYPES: Dict[str, str] = {}
for _names, _dtype in (("float64 double float_", "float64"), ("float32 single", "float32"),
                       ("float16 half", "float16")):
    for _name in _names.split():
        DTYPES[f"{NUMPY}.{_name}"] = _dtype
for _dtype in ("float64", "float32", "float16"):
    DTYPES[_dtype] = _dtype  # dtype="float32"
DTYPES["builtins.float"] = "float64"


def is_numpy(qualname: str) -> bool:
    return qualname == NUMPY or qualname.startswith(NUMPY + ".")


def function(qualname: str) -> Optional[Rule]:
    return FUNCTIONS.get(qualname)


def dtype_of(name: object) -> Optional[str]:
    """The float dtype a qualified name or a string stands for in numpy, or None."""
    return DTYPES.get(name) if isinstance(name, str) else None
