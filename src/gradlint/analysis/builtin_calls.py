"""Python builtins and the methods of lists, tuples and dicts."""
from __future__ import annotations

import ast
from typing import Optional, Tuple

from . import torch_api as api

from .arguments import Args, Kwargs
from .expressions import MAX_EXACT_ELEMENTS
from .host import HostBase
from .keys import ELEMENTS
from .state import merged
from .values import NOTHING, UNKNOWN, Obj, Shape, T, Value

MAX_UNROLLED_RANGE = 8
MAX_EXACT_STRING = 64  # `zip("xwbuv", ...)`: longer strings are iterated as a summary
# Builtins whose result is never a tensor, whatever they are given.
NEVER_TENSOR = frozenset({"len", "isinstance", "issubclass", "print", "id", "str", "repr", "int", "float", "bool",
                          "complex", "hash", "callable", "hasattr", "format", "any", "all", "type", "vars", "dir"})


class BuiltinCallsMixin(HostBase):
    def call_builtin(self, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        values = [v for _, v in args]
        if name == "getattr" and len(args) >= 2:
            attribute = self.known_const(values[1], None)
            if attribute == api.GRAD:
                return self.grad_value(args[0][0], values[0], self.source.span(args[1][0]))
            if isinstance(attribute, str):
                return self.attribute_value(values[0], attribute, node)
            return UNKNOWN
        if name == "setattr" and len(args) >= 3:
            attribute = self.known_const(values[1], None)
            if isinstance(attribute, str):
                self.bind_attribute(values[0], attribute, values[2], node, None)
            else:
                self.escape(values[2])
                for obj in values[0]:
                    self.module_may_change(obj)
            return self.const(None)
        if name in ("list", "tuple", "sorted", "reversed", "set", "frozenset"):
            sort = T.TUPLE if name == "tuple" else T.LIST
            if not values:
                return frozenset({self.new_container(node, sort, Shape(()))})
            source = values[0]
            if len(source) == 1 and name in ("list", "tuple"):
                (obj,) = source
                shape = self.shape(obj) if obj.sort in (T.LIST, T.TUPLE) else None
                if shape is not None and shape.exact and shape.keys is None:
                    return frozenset({self.new_container(node, sort, shape)})
            return frozenset({self.new_container(node, sort, Shape(summary=self.iterate(source)))})
        if name == "dict":
            summary = NOTHING
            for value in values:
                summary |= self.dict_values_of(value)
            for _, value in kwargs.values():
                summary |= value
            return frozenset({self.new_container(node, T.DICT, Shape(summary=summary))})
        if name in ("enumerate", "zip") and values and not kwargs \
                and not any(isinstance(arg, ast.Starred) for arg, _ in args):
            columns = [self.exact_elements(v) for v in values]
            if name == "enumerate" and len(values) == 1 and columns[0] is not None:
                columns = [tuple(self.const(i) for i in range(len(columns[0]))), columns[0]]
            if all(column is not None for column in columns) and (name == "zip" or len(columns) == 2):
                # `zip("xwb", (x, w, b))` over exact sequences: exact pairs, so a loop unrolls
                rows = zip(*columns)
                return frozenset({self.new_container(node, T.LIST, Shape(tuple(
                    frozenset({self.new_container(node, T.TUPLE, Shape(row), key=("pair", index))})
                    for index, row in enumerate(rows))))})
        if name == "enumerate" and values:
            pair = self.new_container(node, T.TUPLE, Shape((self.opaque(), self.iterate(values[0]))), key="pair")
            return frozenset({self.new_container(node, T.LIST, Shape(summary=frozenset({pair})))})
        if name == "zip":
            pair = self.new_container(node, T.TUPLE, Shape(tuple(self.iterate(v) for v in values)), key="pair")
            return frozenset({self.new_container(node, T.LIST, Shape(summary=frozenset({pair})))})
        if name == "iter" and values:
            return values[0]
        if name == "next" and values:
            return self.iterate(values[0]) or UNKNOWN
        if name in ("min", "max") and values:
            # One of the arguments itself (or of the iterable's elements), never a computed value.
            chosen = NOTHING.union(*values) if len(values) > 1 else self.iterate(values[0])
            return (chosen | (kwargs["default"][1] if "default" in kwargs else NOTHING)) or UNKNOWN
        if name in ("sum", "abs"):
            operands = [self.iterate(v) if name != "abs" else v for v in values[:1]]
            if any(o.sort is T.TENSOR for v in operands for o in v):
                return self.op_result(node, operands, self.source.segment(node))
            return self.opaque()
        if name == "range":
            bounds = [self.known_const(v, None) for v in values]
            if bounds and all(type(b) is int for b in bounds) and len(bounds) <= 3:
                numbers = range(*bounds)
                if len(numbers) <= MAX_UNROLLED_RANGE:  # small literal ranges unroll exactly
                    return frozenset({self.new_container(node, T.TUPLE, Shape(tuple(self.const(i) for i in numbers)))})
            return self.opaque()
        if name == "map" and len(values) > 1 and all(o.sort is T.FUNCTION for o in values[0]) \
                and not any(isinstance(arg, ast.Starred) for arg, _ in args):
            return self.mapped(node, values[0], args[1:])
        if name in ("map", "filter", "super"):
            self.escape_arguments(args, kwargs)
            return UNKNOWN
        if name not in NEVER_TENSOR and any(o.sort in (T.TENSOR, T.UNKNOWN) for v in self.all_values(args, kwargs)
                                            for o in v):
            return UNKNOWN  # `pow(t, 2)`, `round(t)`: a tensor in, maybe a tensor out
        return self.opaque()

    def exact_elements(self, value: Value) -> Optional[Tuple[Value, ...]]:
        """The elements, in order, of one list or tuple of known layout, or of a literal string
        (None: not known exactly)."""
        if len(value) != 1:
            return None
        (obj,) = value
        if obj.sort in (T.LIST, T.TUPLE):
            shape = self.shape(obj)
            if shape is not None and shape.items is not None and shape.keys is None and not shape.summary:
                return shape.items
            return None
        text = self.known_const(value, None)
        if isinstance(text, str) and len(text) <= MAX_EXACT_STRING:
            return tuple(self.const(c) for c in text)
        return None

    def dict_values_of(self, value: Value) -> Value:
        """The values `dict(value)` holds: those of a dict, or the second item of each pair."""
        out = NOTHING
        for obj in value:
            if obj.sort is T.DICT:
                shape = self.shape(obj)
                out |= shape.everything() if shape is not None else UNKNOWN
                continue
            for pair in self.iterate(frozenset({obj})) or UNKNOWN:
                items = self.shape(pair) if pair.sort in (T.TUPLE, T.LIST) else None
                out |= items.items[1] if items is not None and items.items is not None and len(items.items) == 2 \
                    else UNKNOWN
        return out

    def mapped(self, node, functions: Value, iterables: Args) -> Value:
        """`map(f, xs, ys)`: a list of what `f` returns for an element of each. `f` is run once on
        any elements, as a comprehension's element is; it may also not run at all (empty input)."""
        columns = [self.exact_elements(value) for _, value in iterables]
        if len(functions) == 1 and all(column is not None for column in columns):
            exact = [column for column in columns if column is not None]
            if min(map(len, exact)) <= MAX_EXACT_ELEMENTS:
                return frozenset({self.new_container(node, T.LIST, Shape(self.mapped_exactly(
                    node, functions, [arg for arg, _ in iterables], exact)))})
        elements = [(arg, self.iterate(value) or UNKNOWN) for arg, value in iterables]
        entry = self.state
        self.state = entry.child()
        results = NOTHING
        for function in functions:
            results |= self.call_object(function, node, elements, {})
        self.state = merged(entry, [self.state, entry.child()])
        return frozenset({self.new_container(node, T.LIST, Shape(summary=results))})

    def mapped_exactly(self, node, functions: Value, arguments: list, columns) -> Tuple[Value, ...]:
        """`map(f, (a, b))` over sequences of known layout: `f` runs once per element, in order,
        each run making objects of its own."""
        context, results = self.context, []
        try:
            for index, row in enumerate(zip(*columns)):
                self.context = context + (("iteration", id(node), index),)
                out = NOTHING
                for function in functions:
                    out |= self.call_object(function, node, list(zip(arguments, row)), {})
                results.append(out or UNKNOWN)
        finally:
            self.context = context
        return tuple(results)

    def container_method(self, obj: Obj, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        values = [v for _, v in args]
        shape = self.shape(obj)
        if obj.sort is T.LIST:
            if name == "append" and values:
                self.container_add(obj, values[0])
                return self.const(None)
            if name == "extend" and values:
                self.container_add_all(obj, self.iterate(values[0]))
                return self.const(None)
            if name == "insert" and len(values) > 1:
                self.container_add_all(obj, values[1])
                return self.const(None)
            if name == "pop":
                return shape.everything() if shape else UNKNOWN
            if name == "copy":
                return frozenset({self.new_container(node, T.LIST, shape or Shape(summary=UNKNOWN))})
            if name in ("clear", "index", "count", "sort", "reverse", "remove"):
                return self.opaque()
        if obj.sort is T.DICT:
            if name in ("values", "items", "keys"):
                items = shape.everything() if shape else UNKNOWN
                if name == "keys":
                    items = self.opaque()
                elif name == "items":
                    items = frozenset({self.new_container(node, T.TUPLE, Shape((self.opaque(), items)), key="pair")})
                return frozenset({self.new_container(node, T.LIST, Shape(summary=items))})
            if name in ("get", "pop", "setdefault") and values:
                item = self.container_item(obj, values[0], ast.Subscript(value=node, slice=ast.Constant(0)))
                if name == "setdefault" and len(values) > 1:
                    self.container_set(obj, values[0], values[1], strong=False)
                return item | (values[1] if len(values) > 1 else self.const(None))
            if name == "update":
                for value in values:
                    for other in value:
                        other_shape = self.shape(other) if other.sort is T.DICT else None
                        self.container_add_all(obj, other_shape.everything() if other_shape else UNKNOWN)
                for _, value in kwargs.values():
                    self.container_add_all(obj, value)
                return self.const(None)
        return self.opaque()

    def container_add_all(self, obj: Obj, value: Value) -> None:
        shape = self.shape(obj) or Shape(summary=UNKNOWN)
        self.state.set((ELEMENTS, obj), Shape(summary=shape.everything() | value))

    def chain(self, node, args: Args, kwargs: Kwargs) -> Value:
        """`itertools.chain(a, b)`: a list holding what each iterable holds."""
        values = self.all_values(args, kwargs)
        elements = NOTHING.union(*(self.iterate(v) for v in values))
        must = NOTHING.union(*(shape.members() for v in values if len(v) == 1 for o in v
                               if o.sort in (T.LIST, T.TUPLE) and (shape := self.shape(o)) is not None))
        return frozenset({self.new_container(node, T.LIST, Shape(summary=elements, must=must))})
