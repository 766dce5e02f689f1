"""Frames: the scope activations the interpreter runs code in (split from interpreter.py so that
host.py, the typed interface the interpreter's mixins share, can name them without an import cycle)."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

from .state import State
from .values import Value


class Frame:
    """A scope activation: the module, a class body, a comprehension, or one inlined call of a
    function. `key[0]` is its kind: "module", "class", "comp", or a function's "f"."""

    unit: Any = None  # module frames of other project modules: their imports.ModuleUnit (not imported: a cycle via host.py)

    def __init__(self, key, parent: Optional["Frame"], local_names=frozenset(), globals_=frozenset(),
                 is_module=False, nonlocals=frozenset()):
        self.key = key
        self.parent = parent
        self.local_names = local_names
        self.globals = globals_
        self.nonlocals = nonlocals
        self.is_module = is_module
        self.kind: str = key[0]
        self.runs_surely = True  # comprehensions: the element runs at least once
        self.returns: List[Tuple[State, Value]] = []
        # The module frame has no reference to itself: a cycle would leave the whole analysis
        # (states, objects, the tree) to the cyclic garbage collector.
        self._module = None if is_module else parent.module  # type: ignore[union-attr]

    @property
    def module(self) -> "Frame":
        return self if self._module is None else self._module
