"""Flow state: facts per key, layered so that branches copy only what they change.

A branch works on a child layer over its parent; merging branches writes the join of the keys they
changed into the parent. Cost is proportional to what the branches change, not to the state's size,
so long functions with many `if`s stay linear.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, Optional, TypeVar, overload

from .values import join_values

if TYPE_CHECKING:
    from .keys import Key

F = TypeVar("F")

_MISSING = object()
_ABSENT = object()  # memo entry: no layer below has the key
MEMO_EVERY = 8  # layers whose depth is a multiple of this remember what lookups found below them


class State:
    """One layer of facts over a parent layer.

    A layer that has children is never written again (branches and merges always continue in new
    layers), so what a lookup finds below a layer stays true. Every MEMO_EVERY-th layer from the
    root keeps (in `memo`) the answers of the lookups that passed through it: a lookup walks at
    most MEMO_EVERY layers before it meets one that knows the answer or passes it on, so deep
    chains (long elif ladders, nested loops) cost one walk per key and layer, not one per lookup.
    """

    __slots__ = ("parent", "local", "dead", "memo", "depth")

    def __init__(self, parent: Optional["State"] = None):
        self.parent = parent
        self.local: Dict["Key[Any]", Any] = {}
        self.dead = False  # no path reaches here (after return, raise, break, continue)
        self.memo: Optional[dict] = None
        self.depth: int = parent.depth + 1 if parent is not None else 0

    @overload
    def get(self, key: "Key[F]") -> Optional[F]: ...

    @overload
    def get(self, key: "Key[F]", default: F) -> F: ...

    def get(self, key, default=None):
        value = self.local.get(key, _MISSING)
        if value is not _MISSING:
            return value
        layer = self.parent
        passed = None  # memo layers this lookup walked through without an answer
        while layer is not None:
            value = layer.local.get(key, _MISSING)
            if value is not _MISSING:
                break
            memo = layer.memo
            if memo is not None:
                value = memo.get(key, _MISSING)
                if value is not _MISSING:
                    break
            if layer.depth % MEMO_EVERY == 0:
                if passed is None:
                    passed = [layer]
                else:
                    passed.append(layer)
            layer = layer.parent
        else:
            value = _ABSENT
        if passed is not None:
            for memo_layer in passed:
                if memo_layer.memo is None:
                    memo_layer.memo = {key: value}
                else:
                    memo_layer.memo[key] = value
        return default if value is _ABSENT else value

    def set(self, key: "Key[F]", value: F) -> None:
        self.local[key] = value

    def child(self) -> "State":
        return State(self)

    def changes_since(self, ancestor: "State") -> Dict["Key[Any]", Any]:
        """What the layers above `ancestor` set, nearest layer first: {key: value}."""
        changes: Dict["Key[Any]", Any] = {}
        layer: Optional[State] = self
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
