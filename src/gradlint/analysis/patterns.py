"""`match` patterns: which objects a pattern may match, and what its captures bind.

A capture binds as an assignment does (`case y:` binds y to the subject, `case (name, p):` binds p
to the second element of a known tuple); a literal in a pattern rules out the objects it cannot
match (`case ("weight", p)` does not match `("hidden", h)`). What is not followed (positions of a
class pattern, a star) binds a value that may be anything.
"""
from __future__ import annotations

import ast
from typing import Dict

from .host import HostBase
from .values import NOTHING, UNKNOWN, Obj, T, Value

LITERALS = (bool, int, float, str, bytes, type(None))
UNKNOWN_CONST = object()


class PatternsMixin(HostBase):
    def maybe_bound(self, names) -> None:
        """After a failed match: the names it captures may have been bound (CPython may leave them)."""
        for name in names:
            old = self.lookup(name)
            self.bind_name(name, (old or NOTHING) | UNKNOWN)

    def matching(self, pattern, subject: Value) -> Value:
        """The objects among `subject` that the pattern may match (a literal that differs from a
        known constant, or a sequence of another length, cannot)."""
        if isinstance(pattern, ast.MatchAs):
            return subject if pattern.pattern is None else self.matching(pattern.pattern, subject)
        if isinstance(pattern, ast.MatchOr):
            return NOTHING.union(*(self.matching(p, subject) for p in pattern.patterns))
        if isinstance(pattern, (ast.MatchValue, ast.MatchSingleton)):
            wanted = self.known_const(self.eval(pattern.value), UNKNOWN_CONST) \
                if isinstance(pattern, ast.MatchValue) else pattern.value
            if wanted is UNKNOWN_CONST or not isinstance(wanted, LITERALS):
                return subject
            return frozenset(o for o in subject if self.known_const(frozenset({o}), wanted) == wanted)
        if isinstance(pattern, ast.MatchSequence) and not any(isinstance(p, ast.MatchStar) for p in pattern.patterns):
            return frozenset(o for o in subject if self.may_match_items(o, pattern.patterns))
        return subject

    def may_match_items(self, obj: Obj, patterns) -> bool:
        if obj.sort is T.TENSOR or isinstance(self.known_const(frozenset({obj}), UNKNOWN_CONST), LITERALS):
            return False  # a tensor, a number or a string is no sequence to a pattern
        shape = self.shape(obj) if obj.sort in (T.LIST, T.TUPLE) else None
        if shape is None or shape.items is None or shape.keys is not None:
            return True
        return len(shape.items) == len(patterns) and all(
            self.matching(p, item) for p, item in zip(patterns, shape.items))

    def captures(self, pattern, subject: Value) -> Dict[str, Value]:
        """What each name a pattern captures is bound to when it matches `subject`."""
        out: Dict[str, Value] = {}
        self.capture(pattern, subject, out)
        return out

    def capture(self, pattern, subject: Value, out: Dict[str, Value]) -> None:
        if isinstance(pattern, ast.MatchAs):
            if pattern.pattern is not None:
                self.capture(pattern.pattern, subject, out)
            if pattern.name:
                out[pattern.name] = out.get(pattern.name, NOTHING) | subject
        elif isinstance(pattern, ast.MatchOr):
            for alternative in pattern.patterns:  # each binds the same names
                self.capture(alternative, subject, out)
        elif isinstance(pattern, ast.MatchSequence):
            starred = any(isinstance(p, ast.MatchStar) for p in pattern.patterns)
            for index, part in enumerate(pattern.patterns):
                item = UNKNOWN if starred else self.sequence_item(subject, index, len(pattern.patterns))
                self.capture(part, item, out)
        elif isinstance(pattern, ast.MatchStar):
            if pattern.name:
                out[pattern.name] = UNKNOWN
        elif isinstance(pattern, ast.MatchMapping):
            for key, part in zip(pattern.keys, pattern.patterns):
                self.capture(part, self.mapping_item(subject, self.eval(key)), out)
            if pattern.rest:
                out[pattern.rest] = UNKNOWN
        elif isinstance(pattern, ast.MatchClass):
            self.eval(pattern.cls)
            for part in pattern.patterns:  # positions follow __match_args__: not followed
                self.capture(part, UNKNOWN, out)
            for name, part in zip(pattern.kwd_attrs, pattern.kwd_patterns):
                self.capture(part, self.attribute_value(subject, name, pattern), out)
        elif isinstance(pattern, ast.MatchValue):
            self.eval(pattern.value)

    def sequence_item(self, subject: Value, index: int, length: int) -> Value:
        """Element `index` of a subject that matched a sequence pattern of `length` elements."""
        out = NOTHING
        for obj in subject:
            shape = self.shape(obj) if obj.sort in (T.LIST, T.TUPLE) else None
            if shape is not None and shape.items is not None and shape.keys is None:
                if len(shape.items) == length:
                    out |= shape.items[index]
            else:
                out |= UNKNOWN
        return out or UNKNOWN

    def mapping_item(self, subject: Value, key: Value) -> Value:
        wanted = self.known_const(key, UNKNOWN)
        out = NOTHING
        for obj in subject:
            shape = self.shape(obj) if obj.sort is T.DICT else None
            if (shape is not None and shape.items is not None and shape.keys is not None
                    and wanted is not UNKNOWN and wanted in shape.keys):
                out |= shape.items[shape.keys.index(wanted)]
            else:
                out |= UNKNOWN
        return out or UNKNOWN


def irrefutable(pattern) -> bool:
    """A pattern that matches any subject: a capture or `_`, alone, with `as`, or in an `|`."""
    if isinstance(pattern, ast.MatchAs):
        return pattern.pattern is None or irrefutable(pattern.pattern)
    if isinstance(pattern, ast.MatchOr):
        return any(irrefutable(p) for p in pattern.patterns)
    return False
