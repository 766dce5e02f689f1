"""Flow state: facts per key, layered so that branches copy only what they change.

A branch works on a child layer over its parent; merging branches writes the join of the keys they
changed into the parent. Cost is proportional to what the branches change, not to the state's size,
so long functions with many `if`s stay linear.
"""
from __future__ import annotations

from typing import Iterable, Optional

from .values import join_values

_MISSING = object()
_ABSENT = object()  # memo entry: no layer below has the key
MEMO_AFTER_HOPS = 4


class State:
    """One layer of facts over a parent layer.

    A layer that has children is never written again (branches and merges always continue in new
    layers), so what a lookup finds below a layer stays true: `memo` keeps such answers for keys
    found many layers down, and long chains cost one walk per key and layer, not one per lookup.
    """

    __slots__ = ("parent", "local", "dead", "memo")

    def __init__(self, parent: Optional["State"] = None):
        self.parent = parent
        self.local: dict = {}
        self.dead = False  # no path reaches here (after return, raise, break, continue)
        self.memo: Optional[dict] = None

    def get(self, key, default=None):
        layer, hops = self, 0
        checkpoints = None  # layers at hops 4, 8, 16...: they remember the answer for their subtree
        value = _MISSING
        while layer is not None:
            value = layer.local.get(key, _MISSING)
            if value is _MISSING and layer.memo is not None:
                value = layer.memo.get(key, _MISSING)
            if value is not _MISSING:
                break
            layer = layer.parent
            hops += 1
            if hops & (hops - 1) == 0 and hops >= MEMO_AFTER_HOPS and layer is not None:
                if checkpoints is None:
                    checkpoints = [self]
                checkpoints.append(layer)
        if checkpoints:
            remembered = _ABSENT if value is _MISSING else value
            for checkpoint in checkpoints[:-1] if value is not _MISSING else checkpoints:
                if checkpoint.memo is None:
                    checkpoint.memo = {}
                checkpoint.memo[key] = remembered
        if value is _MISSING or value is _ABSENT:
            return default
        return value

    def set(self, key, value) -> None:
        self.local[key] = value

    def child(self) -> "State":
        return State(self)

    def changes_since(self, ancestor: "State") -> dict:
        """What the layers above `ancestor` set, nearest layer first: {key: value}."""
        changes: dict = {}
        layer = self
        while layer is not None and layer is not ancestor:
            for key, value in layer.local.items():
                changes.setdefault(key, value)
            layer = layer.parent
        return changes

    def merge_into(self, base: "State", branches: Iterable["State"]) -> None:
        """Set `self` (a layer over `base`, usually `base` itself) to the join of `branches`.

        Each branch's changes are gathered in one walk; a key a branch did not change is read from
        `base` once. Cost: what the branches changed, not the depth of the chains.
        """
        live = [b for b in branches if not b.dead]
        if not live:
            self.dead = True
            return
        changes = [branch.changes_since(base) for branch in live]
        keys: set = set()
        for changed in changes:
            keys.update(changed)
        for key in keys:
            joined = _MISSING
            unchanged = _MISSING
            for changed in changes:
                value = changed.get(key, _MISSING)
                if value is _MISSING:
                    if unchanged is _MISSING:
                        unchanged = base.get(key)
                    value = unchanged
                joined = value if joined is _MISSING else join_values(joined, value)
            self.local[key] = joined


def merged(base: "State", branches: Iterable["State"]) -> "State":
    """A new layer over `base` holding the join of `branches` (all layers over `base`)."""
    out = base.child()
    out.merge_into(base, branches)
    return out
