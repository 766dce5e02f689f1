"""Flow state: facts per key, layered so that branches copy only what they change.

A branch works on a child layer over its parent; merging branches writes the join of the keys they
changed into the parent. Cost is proportional to what the branches change, not to the state's size,
so long functions with many `if`s stay linear.
"""
from __future__ import annotations

from typing import Iterable, Optional

from .values import join_values

_MISSING = object()


class State:
    __slots__ = ("parent", "local", "dead")

    def __init__(self, parent: Optional["State"] = None):
        self.parent = parent
        self.local: dict = {}
        self.dead = False  # no path reaches here (after return, raise, break, continue)

    def get(self, key, default=None):
        layer = self
        while layer is not None:
            value = layer.local.get(key, _MISSING)
            if value is not _MISSING:
                return value
            layer = layer.parent
        return default

    def set(self, key, value) -> None:
        self.local[key] = value

    def child(self) -> "State":
        return State(self)

    def changes_since(self, ancestor: "State") -> set:
        keys: set = set()
        layer = self
        while layer is not None and layer is not ancestor:
            keys.update(layer.local)
            layer = layer.parent
        return keys

    def merge_into(self, base: "State", branches: Iterable["State"]) -> None:
        """Set `self` (a layer over `base`, usually `base` itself) to the join of `branches`."""
        live = [b for b in branches if not b.dead]
        if not live:
            self.dead = True
            return
        keys: set = set()
        for branch in live:
            keys |= branch.changes_since(base)
        for key in keys:
            joined = _MISSING
            for branch in live:
                value = branch.get(key)
                joined = value if joined is _MISSING else join_values(joined, value)
            self.local[key] = joined


def merged(base: "State", branches: Iterable["State"]) -> "State":
    """A new layer over `base` holding the join of `branches` (all layers over `base`)."""
    out = base.child()
    out.merge_into(base, branches)
    return out
