"""Expressions: the value of each expression, and the `.grad` reads inside them."""
from __future__ import annotations

import ast
import builtins
import operator
from contextlib import closing
from typing import Any, Callable, Dict, Generator, List, Optional, Tuple

from . import torch_api as api
from .host import HostBase
from .keys import ATTRIBUTE, ELEMENTS, SLOTS, TENSOR, VIEWS, VIEW_OF, VIEW_ROOT
from .values import (NOTHING, UNKNOWN, Category, Event, Leaf, Obj, Shape, T, TensorState, Value, Why)

MAX_EXACT_ELEMENTS = 8  # comprehensions and map() over longer sequences see a summary element

_UNSET = object()
MAX_REPEATED = 64  # `[None] * n` with a literal n up to this is kept position by position
Kind = api.Kind
NONTENSOR_ATTRIBUTES = frozenset({Kind.NONTENSOR_ATTRIBUTE, Kind.REQUIRES_GRAD_ATTRIBUTE, Kind.LEAF_TEST_ATTRIBUTE})


class ExpressionsMixin(HostBase):
    def eval(self, node) -> Value:
        if node is None:
            return self.const(None)
        handler = getattr(self, "expr_" + type(node).__name__, None)
        if handler is None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.eval(child)
            return UNKNOWN
        return handler(node)

    # ----------------------------------------------------------------- constants and names
    def const(self, value=_UNSET, **fields) -> Value:
        """A Python value that is not a tensor; `const()` alone: one we don't know."""
        cache = self.__dict__.setdefault("_consts", {})
        key = (type(value).__name__, value if isinstance(value, (int, float, str, bool, type(None))) else id(value),
               tuple(sorted(fields.items())))
        obj = cache.get(key)
        if obj is None:
            obj = Obj(T.CONST, const=value, label=repr(value), **fields)
            cache[key] = obj
        return frozenset({obj})

    def opaque(self) -> Value:
        """A Python value that is surely not a tensor, of unknown value (see values.py)."""
        return self.const()

    def qual(self, qualname: str) -> Value:
        cache = self.__dict__.setdefault("_quals", {})
        obj = cache.get(qualname)
        if obj is None:
            obj = Obj(T.CONST, const=_UNSET, qualname=qualname, label=qualname.rsplit(".", 1)[-1])
            cache[qualname] = obj
        return frozenset({obj})

    def truth(self, value: Value) -> Optional[bool]:
        if len(value) != 1:
            return None
        (obj,) = value
        if obj.sort in (T.LIST, T.TUPLE, T.DICT):
            shape = self.shape(obj)
            return bool(shape.items) if shape is not None and shape.exact and not shape.summary else None
        if obj.sort is T.CONST and obj.qualname is None and obj.const is not _UNSET:
            try:
                return bool(obj.const)
            except Exception:  # noqa: BLE001 - any odd constant is simply unknown
                return None
        return None

    def known_const(self, value: Value, default=_UNSET):
        if len(value) == 1:
            (obj,) = value
            if obj.sort is T.CONST and obj.qualname is None and obj.const is not _UNSET:
                return obj.const
        return default

    def qualname_of(self, node) -> Optional[str]:
        """The torch (or other imported) name an expression refers to, without evaluating calls."""
        if isinstance(node, ast.Name):
            value = self.lookup(node.id)
        elif isinstance(node, ast.Attribute):
            base = self.qualname_of(node.value)
            return f"{base}.{node.attr}" if base else None
        else:
            return None
        if value and len(value) == 1:
            (obj,) = value
            if obj.sort is T.CONST and obj.qualname:
                return obj.qualname
        return None

    def expr_Constant(self, node: ast.Constant) -> Value:
        return self.const(node.value)

    def expr_Name(self, node: ast.Name) -> Value:
        value = self.lookup(node.id)
        if value is None:
            return self.qual("builtins." + node.id) if hasattr(builtins, node.id) else UNKNOWN
        return value or UNKNOWN

    # ----------------------------------------------------------------- attributes
    def expr_Attribute(self, node: ast.Attribute) -> Value:
        if node.attr == api.GRAD:
            return self.read_attribute(node)
        return self.attribute_value(self.eval(node.value), node.attr, node)

    def read_attribute(self, node: ast.Attribute) -> Value:
        base = self.eval(node.value)
        return self.grad_value(node.value, base, self.source.attribute_span(node))

    def grad_value(self, subject, base: Value, span) -> Value:
        """Check a `.grad` read; its value is None when every path makes it a finding."""
        if self.check_grad_read(subject, base, span):
            return self.const(None)
        return self.graph_grad(subject, base) or UNKNOWN

    def attribute_value(self, base: Value, name: str, node) -> Value:
        out = NOTHING
        for obj in base:
            if obj.sort is T.CONST and obj.qualname:
                out |= self.qual(f"{obj.qualname}.{name}")
            elif obj.sort is T.TENSOR:
                out |= self.tensor_attribute(obj, name, node)
            elif obj.sort in (T.INSTANCE, T.TORCH_MODULE, T.CLASS):
                out |= self.object_attribute(obj, name)
            elif obj.sort is T.MODULE:
                out |= self.module_attribute(obj, name)
            elif obj.sort is T.CONST and (array := self.array_attribute(obj, name)) is not None:
                out |= array
            elif obj.sort is T.TUPLE and name in api.PAIR_FIELDS:
                shape = self.shape(obj)
                index = api.PAIR_FIELDS.index(name)
                out |= shape.items[index] if shape and shape.items is not None and len(shape.items) == 2 else UNKNOWN
            else:
                out |= UNKNOWN
        return out or UNKNOWN

    def tensor_attribute(self, obj: Obj, name: str, node) -> Value:
        spec = api.tensor_member(name)
        kind = spec.kind if spec is not None else None
        if kind is Kind.DETACHED_ATTRIBUTE:
            return frozenset({self.new_tensor(node, {Leaf.PLAIN}, device=obj.device, dtype=obj.dtype)})
        if kind is Kind.SELF_ATTRIBUTE and obj.dtype in api.REAL_FLOAT_DTYPES:
            return frozenset({obj})
        if kind is Kind.VIEW_ATTRIBUTE or kind is Kind.SELF_ATTRIBUTE:
            return self.op_result(node, [frozenset({obj})], self.source.segment(node), view=spec is not None and spec.view)
        if kind is Kind.DEVICE_ATTRIBUTE:  # `.to(x.device)` never copies x
            return self.const(obj.device) if obj.device in ("cpu", "cuda") else self.const(same_placement=("device", id(obj)))
        if kind is Kind.DTYPE_ATTRIBUTE:
            return self.qual(api.torch_name(obj.dtype)) if obj.dtype else self.const(same_placement=("dtype", id(obj)))
        if kind in NONTENSOR_ATTRIBUTES:
            return self.opaque()
        return UNKNOWN

    def object_attribute(self, obj: Obj, name: str) -> Value:
        if name == api.TRAINING and (flag := self.training_flag(obj)) is not None:
            return self.const(flag)
        slots = self.state.get((SLOTS, obj)) if obj.sort is T.TORCH_MODULE else None
        slot = slots.get(name) if slots is not None else None
        if slots is not None and slots.changed and (slot is not None or api.is_layer_parameter(name)):
            return UNKNOWN  # the slots changed where the analysis did not follow
        if slot is not None:  # replaced: what was stored, or on some paths the layer's own
            return slot.value | (frozenset({self.parameter_of(obj, name)}) if slot.original else NOTHING)
        value = self.reparametrized_read(obj, name) or self.state.get((ATTRIBUTE, obj, name))
        if value is not None:
            return value
        spec = api.module_member(name) if obj.sort is T.TORCH_MODULE else None
        if spec is not None and spec.kind is Kind.PARAMETER_SLOTS and slots is not None:
            return frozenset({self.site_obj(obj.node, T.PARAMETER_SLOTS, ("slots", id(obj)), label=name,
                                            slots_of=obj)})
        if obj.sort is T.TORCH_MODULE:
            if api.is_layer_parameter(name) and api.kind_of(obj.qualname) is Kind.MODULE_WITH_PARAMETERS:
                return frozenset({self.parameter_of(obj, name)})
            return UNKNOWN
        cls = obj if obj.sort is T.CLASS else obj.of_class
        found = self.class_lookup(cls, name) if cls is not None else None
        if found is None:
            return UNKNOWN
        if obj.sort is T.INSTANCE:
            return frozenset(self.bound_method(f, obj) if f.sort is T.FUNCTION and not self.is_static(f) else f
                             for f in found)
        return found

    def bound_method(self, function: Obj, instance: Obj) -> Obj:
        """`self.save` read as a value: the function with `self` bound."""
        bound = self.site_obj(function.node, T.FUNCTION, ("bound", id(instance)), label=function.label)
        bound.closure, bound.grad_mode = function.closure, function.grad_mode
        bound.bound_self = frozenset({instance})
        return bound

    def class_lookup(self, cls: Obj, name: str, depth: int = 0) -> Optional[Value]:
        if cls is None or depth > 8 or cls.sort is not T.CLASS:
            return None
        namespace = cls.namespace or {}
        if name in namespace:
            return namespace[name]
        for base in cls.bases:
            for parent in base:
                found = self.class_lookup(parent, name, depth + 1)
                if found is not None:
                    return found
        return None

    def parameter_of(self, module: Obj, name: str) -> Obj:
        """The parameter `module.<name>` of a torch.nn layer: a leaf that requires grad."""
        param = self.site_obj(module.node, T.TENSOR, ("parameter", name, id(module)),
                              label=name, device=module.device, dtype=module.dtype)
        if self.state.get((TENSOR, param)) is None:
            self.set_tensor_state(param, TensorState(frozenset({Leaf.RG_LEAF})))
            self.state.set((ATTRIBUTE, module, name), frozenset({param}))
        return param

    # ----------------------------------------------------------------- subscripts
    def expr_Subscript(self, node: ast.Subscript) -> Value:
        base = self.eval(node.value)
        return self.subscript_value(base, node)

    def subscript_value(self, base: Value, node: ast.Subscript) -> Value:
        index = self.eval(node.slice)
        out = NOTHING
        for obj in base:
            if obj.sort is T.TENSOR:
                out |= self.op_result(node, [frozenset({obj})], self.source.segment(node),
                                      view=True if basic_index(node.slice) else None)
            elif obj.sort in (T.LIST, T.TUPLE, T.DICT):
                out |= self.container_item(obj, index, node)
            elif (items := self.tuple_items(obj)) is not None:
                position = self.known_const(index)
                known = isinstance(position, int) and -len(items) <= position < len(items)
                out |= items[position] if known else UNKNOWN
            elif obj.sort is T.PARAMETER_SLOTS and obj.slots_of is not None \
                    and isinstance(slot_name := self.known_const(index, None), str):
                out |= self.object_attribute(obj.slots_of, slot_name)
            elif obj.sort is T.TORCH_MODULE and (children := self.children(obj)) is not None:
                position = self.known_const(index)
                if isinstance(position, int) and -len(children) <= position < len(children):
                    out |= children[position]
                else:
                    out |= UNKNOWN
            elif self.array_dtype(frozenset({obj})) is not None:  # `X[:, 0:1]`: the same dtype
                out |= frozenset({obj})
            else:
                out |= UNKNOWN
        return out or UNKNOWN

    def tuple_fields(self, obj: Obj) -> Optional[List[str]]:
        """The fields of a named tuple instance, in the order indexing and unpacking see them
        (None: not one, or its class may index or iterate otherwise)."""
        cls = obj.of_class
        if cls is None or not cls.named_tuple or any(
                self.class_lookup(cls, method) is not None for method in ("__getitem__", "__iter__")):
            return None
        return cls.fields

    def tuple_items(self, obj: Obj) -> Optional[List[Value]]:
        """A named tuple instance's items, position by position (None: not a named tuple)."""
        fields = self.tuple_fields(obj) if obj.sort is T.INSTANCE else None
        return None if fields is None else [self.object_attribute(obj, field) for field in fields]

    def container_item(self, obj: Obj, index: Value, node) -> Value:
        shape = self.shape(obj)
        if shape is None:
            return UNKNOWN
        key = self.known_const(index)
        if isinstance(node.slice, ast.Slice):
            return frozenset({self.new_container(node, T.LIST, Shape(summary=shape.everything()))})
        if shape.items is not None and key is not _UNSET:
            if shape.keys is not None:
                if key in shape.keys:
                    return shape.items[shape.keys.index(key)]
            elif isinstance(key, int) and -len(shape.items) <= key < len(shape.items):
                return shape.items[key]
            return UNKNOWN
        # An element we cannot pin down: a finding only if every element would be one (a plain
        # constant, as the None of `[None] * n` not yet filled in, would raise on `.grad`).
        everything = shape.everything()
        tensors = [o for o in everything if o.sort is T.TENSOR]
        if tensors and all(self.tensor_state(o).leaf == {Leaf.NONLEAF} for o in tensors) and all(
                o.sort is T.TENSOR or (o.sort is T.CONST and o.qualname is None) for o in everything):
            return everything
        return UNKNOWN

    # ----------------------------------------------------------------- containers
    def new_container(self, node, sort: T, shape: Shape, key=None) -> Obj:
        obj = self.site_obj(node, sort, key)
        self.state.set((ELEMENTS, obj), shape)
        return obj

    def shape(self, obj: Obj) -> Optional[Shape]:
        return self.state.get((ELEMENTS, obj))

    def container_add(self, obj: Obj, value: Value) -> None:
        shape = self.shape(obj) or Shape(summary=UNKNOWN)
        if shape.items is not None and shape.keys is None:
            self.state.set((ELEMENTS, obj), Shape(shape.items + (value,)))
        else:
            must = shape.members() | (value if len(value) == 1 else NOTHING)
            self.state.set((ELEMENTS, obj), Shape(summary=shape.everything() | value, must=must))

    def container_set(self, obj: Obj, index: Value, value: Value, strong: bool) -> None:
        shape = self.shape(obj) or Shape(summary=UNKNOWN)
        key = self.known_const(index)
        if shape.items is not None and key is not _UNSET and strong:
            items = list(shape.items)
            if shape.keys is not None:
                keys = list(shape.keys)
                if key in keys:
                    items[keys.index(key)] = value
                else:
                    keys.append(key)
                    items.append(value)
                self.state.set((ELEMENTS, obj), Shape(tuple(items), tuple(keys), shape.summary))
                return
            if isinstance(key, int) and -len(items) <= key < len(items):
                items[key] = value
                self.state.set((ELEMENTS, obj), Shape(tuple(items), None, shape.summary))
                return
        self.state.set((ELEMENTS, obj), Shape(summary=shape.everything() | value))

    def expr_Tuple(self, node) -> Value:
        return self.literal_sequence(node, T.TUPLE)

    def expr_List(self, node) -> Value:
        return self.literal_sequence(node, T.LIST)

    def expr_Set(self, node) -> Value:
        return self.literal_sequence(node, T.LIST)

    def literal_sequence(self, node, sort: T) -> Value:
        items, summary, exact = [], NOTHING, True
        for element in node.elts:
            if isinstance(element, ast.Starred):
                summary |= self.iterate(self.eval(element.value))
                exact = False
            else:
                items.append(self.eval(element))
        shape = Shape(tuple(items)) if exact else Shape(summary=summary.union(*items))
        return frozenset({self.new_container(node, sort, shape)})

    def expr_Dict(self, node: ast.Dict) -> Value:
        keys, items, summary, exact = [], [], NOTHING, True
        for key_node, value_node in zip(node.keys, node.values):
            value = self.eval(value_node)
            if key_node is None:
                for obj in value:
                    shape = self.shape(obj) if obj.sort is T.DICT else None
                    summary |= shape.everything() if shape else UNKNOWN
                exact = False
                continue
            key = self.known_const(self.eval(key_node))
            if key is _UNSET or key in keys:
                exact = False
            keys.append(key)
            items.append(value)
        shape = Shape(tuple(items), tuple(keys)) if exact else Shape(summary=summary.union(*items))
        return frozenset({self.new_container(node, T.DICT, shape)})

    def iterate(self, value: Value) -> Value:
        """What a `for` over `value` binds, one element at a time (any of them)."""
        out = NOTHING
        for obj in value:
            if obj.sort in (T.LIST, T.TUPLE, T.PARAMETERS):
                shape = self.shape(obj)
                out |= shape.everything() if shape else UNKNOWN
            elif obj.sort is T.DICT:
                shape = self.shape(obj)
                out |= frozenset().union(*(self.const(k) for k in shape.keys)) if shape and shape.exact \
                    and shape.keys else self.opaque()
            elif (items := self.tuple_items(obj)) is not None:
                out |= NOTHING.union(*items)
            elif obj.sort is T.TENSOR:
                origin = obj.node if getattr(obj.node, "lineno", None) else None
                text = f"unpacking {self.source.segment(origin)}" if origin is not None else "unpacking it"
                out |= self.op_result(origin or ast.Pass(), [frozenset({obj})], text, key="rows")
            elif obj.sort is T.CONST and obj.qualname is None:
                out |= self.opaque()
            elif obj.sort is T.TORCH_MODULE and (children := self.children(obj)) is not None:  # `for layer in seq`
                out |= frozenset().union(*children)
            else:
                out |= UNKNOWN
        return out

    # ----------------------------------------------------------------- comprehensions
    def comprehension(self, node, element_nodes, first: Optional[Value] = None) -> List[Value]:
        """The values of a comprehension's element expressions (any element). Its own scope holds
        its targets; its first iterable is evaluated in the scope around it (`first`: already
        evaluated), and a walrus inside binds there (PEP 572)."""
        frame = self.frame
        if first is None:
            first = self.eval(node.generators[0].iter)
        targets = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        comp = type(frame)(("comp", id(node), self.context), frame, frozenset(targets))
        comp.runs_surely = self.runs_an_element(node, first)
        self.frame = comp
        try:
            for index, generator in enumerate(node.generators):
                iterable = first if index == 0 else self.eval(generator.iter)
                self.bind(generator.target, self.iterate(iterable) or UNKNOWN, node)
                for condition in generator.ifs:
                    self.eval(condition)
            return [self.eval(e) for e in element_nodes]
        finally:
            self.frame = frame

    def runs_an_element(self, node, first: Value) -> bool:
        """Does the comprehension surely compute an element (one loop over a non-empty literal
        sequence, no `if`)?"""
        if len(node.generators) != 1 or node.generators[0].ifs or len(first) != 1:
            return False
        (obj,) = first
        shape = self.shape(obj) if obj.sort in (T.LIST, T.TUPLE) else None
        return shape is not None and shape.exact and bool(shape.items)

    def expr_ListComp(self, node) -> Value:
        first = self.eval(node.generators[0].iter)
        exact = self.exact_comprehension(node, first) if isinstance(node, ast.ListComp) else None
        if exact is not None:
            return frozenset({self.new_container(node, T.LIST, Shape(exact))})
        (element,) = self.comprehension(node, [node.elt], first)
        return frozenset({self.new_container(node, T.LIST, Shape(summary=element))})

    expr_SetComp = expr_ListComp
    expr_GeneratorExp = expr_ListComp

    def exact_comprehension(self, node: ast.ListComp, first: Value) -> Optional[Tuple[Value, ...]]:
        """`[t * 2 for t in (a, b)]`: one loop, no `if`, over a short sequence of known layout
        (`first`, the iterable's value) runs once per element, in order, each making objects of its
        own (None: not such a one)."""
        if len(node.generators) != 1 or node.generators[0].ifs or node.generators[0].is_async:
            return None
        generator = node.generators[0]
        items = self.exact_elements(first)
        if items is None or len(items) > MAX_EXACT_ELEMENTS:
            return None
        frame, context = self.frame, self.context
        targets = frozenset(n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name))
        results = []
        try:
            for index, item in enumerate(items):
                self.context = context + (("iteration", id(node), index),)
                self.frame = type(frame)(("comp", id(node), self.context), frame, targets)
                self.bind(generator.target, item, node)
                results.append(self.eval(node.elt))
        finally:
            self.frame, self.context = frame, context
        return tuple(results)

    def expr_DictComp(self, node) -> Value:
        _, value = self.comprehension(node, [node.key, node.value])
        return frozenset({self.new_container(node, T.DICT, Shape(summary=value))})

    def expr_Lambda(self, node: ast.Lambda) -> Value:
        fobj = self.site_obj(node, T.FUNCTION, label="lambda")
        fobj.closure = self.frame
        fobj.grad_mode = True
        return frozenset({fobj})

    # ----------------------------------------------------------------- operators
    def expr_BinOp(self, node: ast.BinOp) -> Value:
        operands = [self.eval(node.left), self.eval(node.right)]
        if isinstance(node.op, ast.Add) and any(o.sort in (T.LIST, T.TUPLE) for v in operands for o in v):
            summary = NOTHING
            for value in operands:
                summary |= self.iterate(value)
            return frozenset({self.new_container(node, T.LIST, Shape(summary=summary))})
        if isinstance(node.op, ast.Mult) and operands[0] and all(o.sort in (T.LIST, T.TUPLE) for o in operands[0]):
            return self.repeated(node, operands[0], operands[1])
        return self.binary_result(node, operands)

    def repeated(self, node, sequence: Value, count: Value) -> Value:
        """`[None] * n`: the sequence's elements n times (exactly, for a small literal n)."""
        times = self.known_const(count, None)
        if len(sequence) == 1 and type(times) is int and 0 <= times <= MAX_REPEATED:
            (obj,) = sequence
            shape = self.shape(obj)
            if shape is not None and shape.items is not None and shape.keys is None and not shape.summary:
                return frozenset({self.new_container(node, obj.sort, Shape(shape.items * times))})
        sort = T.TUPLE if all(o.sort is T.TUPLE for o in sequence) else T.LIST
        return frozenset({self.new_container(node, sort, Shape(summary=self.iterate(sequence)))})

    def binary_result(self, node, operands: List[Value]) -> Value:
        if any(o.sort is T.TENSOR for v in operands for o in v):
            return self.op_result(node, operands, self.source.segment(node))
        folded = self.fold(node, operands)
        if folded is not None:
            return folded
        if self.has_array(operands):
            return self.array_arithmetic(operands) or UNKNOWN  # an array of a dtype not followed
        if all(o.sort is T.CONST for v in operands for o in v):
            return self.opaque()
        return UNKNOWN

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Value:
        operand = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            truth = self.truth(operand)
            return self.const(not truth) if truth is not None else self.opaque()
        return self.binary_result(node, [operand])

    def expr_BoolOp(self, node: ast.BoolOp) -> Value:
        out = NOTHING
        with closing(self.guarded_operands(node)) as operands:
            for item in operands:
                out |= self.eval(item)
        return out

    def guarded_operands(self, node: ast.BoolOp) -> Generator[ast.expr, None, None]:
        """The operands of `a and b and ...` in order, each evaluated with the `is_leaf` guards of
        the operands before it in force (`x.is_leaf and x.grad`: the later operands read a leaf's
        grad). Close it (`contextlib.closing`) to drop the guards when stopping early."""
        guards = 0
        try:
            for item in node.values:
                yield item
                guard = self.leaf_guard(item) if isinstance(node.op, ast.And) else None
                if guard:
                    self.leaf_guards.append(guard)
                    guards += 1
        finally:
            for _ in range(guards):
                self.leaf_guards.pop()

    def expr_Compare(self, node: ast.Compare) -> Value:
        operands = [self.eval(node.left)] + [self.eval(c) for c in node.comparators]
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)):
            left, right = (self.known_const(v) for v in operands)
            if left is None and right is None:  # both known to be None
                return self.const(isinstance(node.ops[0], ast.Is))
        folded = self.fold(node, operands) or self.fold_dtypes(node, operands)
        if folded is not None:
            return folded
        if any(o.sort is T.TENSOR for v in operands for o in v) and not any(
                isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)) for op in node.ops):
            return frozenset({self.new_tensor(node, {Leaf.PLAIN})})
        return self.opaque()

    def fold(self, node, operands: List[Value]) -> Optional[Value]:
        """Compute an operator on literal numbers, strings and bools (`if 1 > 0:`, `i + 1`)."""
        values = [self.known_const(v) for v in operands]
        if any(v is _UNSET or not isinstance(v, FOLDABLE) for v in values):
            return None
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
            return None  # identity of literals is an implementation detail
        if any(isinstance(v, (int, float)) and abs(v) > 2 ** 32 for v in values):
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.LShift, ast.Mult)):
            return None  # unbounded results ("x" * 10**9, 2 ** 10**9): not worth computing
        try:
            result = evaluate_operator(node, values)
        except Exception:  # noqa: BLE001 - division by zero, type errors: simply unknown
            return None
        return self.const(result) if isinstance(result, FOLDABLE) else None

    def fold_dtypes(self, node: ast.Compare, operands: List[Value]) -> Optional[Value]:
        """`dtype == torch.float16` of known dtypes (dtype objects are unique: `is` says the same)."""
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
            return None
        dtypes = [api.dtype_object(next(iter(v)).qualname) if len(v) == 1 else None for v in operands]
        if None in dtypes:
            return None
        return self.const((dtypes[0] == dtypes[1]) == isinstance(node.ops[0], (ast.Eq, ast.Is)))

    def expr_IfExp(self, node: ast.IfExp) -> Value:
        truth = self.truth(self.eval(node.test))
        if truth is True:
            return self.eval(node.body)
        if truth is False:
            return self.eval(node.orelse)
        return self.eval(node.body) | self.eval(node.orelse)

    def expr_JoinedStr(self, node) -> Value:
        for value in node.values:
            self.eval(value)
        return self.opaque()

    def expr_FormattedValue(self, node) -> Value:
        self.eval(node.value)
        return self.opaque()

    def expr_NamedExpr(self, node) -> Value:
        value = self.eval(node.value)
        self.bind_walrus(node.target.id, value)
        self.record_binding(value, node, node.target.id, node.target)
        return value

    def expr_Starred(self, node) -> Value:
        return self.eval(node.value)

    def expr_Await(self, node) -> Value:
        self.eval(node.value)
        return UNKNOWN

    def expr_Slice(self, node) -> Value:
        for part in (node.lower, node.upper, node.step):
            if part is not None:
                self.eval(part)
        return self.opaque()

    # ----------------------------------------------------------------- tensor results
    def view_roots(self, value: Value) -> Value:
        """The tensors whose autograd state the views in `value` share (themselves if not views)."""
        out = NOTHING
        for obj in value:
            if obj.sort is T.TENSOR:
                roots = self.state.get((VIEW_ROOT, obj))
                out |= roots or frozenset({obj})
        return out

    def op_result(self, node, operands: List[Value], text: str, key=None, view=False) -> Value:
        """The result of a differentiable op: a non-leaf when an input may require grad.

        `view`: True for an op that returns a view of its first operand, None when it may.
        """
        tensors = [o for v in operands for o in v if o.sort is T.TENSOR]
        if not tensors and any(o.sort is not T.CONST for v in operands for o in v):
            return UNKNOWN
        may_rg = may_unknown = sure_rg = False
        all_may_plain = True
        for value in operands:
            kinds = self.leaf_kinds(value) if value else {Leaf.PLAIN}
            may_rg |= bool(kinds & {Leaf.RG_LEAF, Leaf.NONLEAF})
            sure_rg |= kinds <= {Leaf.RG_LEAF, Leaf.NONLEAF}
            may_unknown |= Leaf.UNKNOWN in kinds
            all_may_plain &= bool(kinds & {Leaf.PLAIN, Leaf.UNKNOWN})
        grad = self.grad_enabled()
        leaf = set()
        roots = self.view_roots(operands[0]) if view is not False and operands else NOTHING
        root_kinds = self.leaf_kinds(roots) if roots else set()
        if grad is False and view is not False and root_kinds & {Leaf.RG_LEAF, Leaf.NONLEAF}:
            # A view keeps its root base's requires_grad even under no_grad (as a leaf).
            leaf.add(Leaf.RG_LEAF if view else Leaf.UNKNOWN)
            if root_kinds & {Leaf.PLAIN, Leaf.UNKNOWN}:
                leaf.add(Leaf.PLAIN)
        elif grad is False:
            leaf.add(Leaf.PLAIN)
        elif grad is None:
            leaf.add(Leaf.UNKNOWN if may_rg or may_unknown else Leaf.PLAIN)
        elif sure_rg:
            leaf.add(Leaf.NONLEAF)  # one input surely requires grad: whatever the others are
        else:
            if may_rg:
                leaf.add(Leaf.NONLEAF)
            if may_unknown:
                leaf.add(Leaf.UNKNOWN)
            if all_may_plain:
                leaf.add(Leaf.PLAIN)
        devices = {o.device for o in tensors}
        dtypes = {o.dtype for o in tensors}
        if not dtypes <= api.FLOAT_DTYPES or self.has_array(operands) or self.file.autocast_possible or \
                any(o.sort is T.UNKNOWN for v in operands for o in v):
            # int tensors divided give floats; arrays (or unknowns) promote like tensors; autocast
            # may compute in a lower precision
            dtypes = {None}
        why = None
        if Leaf.NONLEAF in leaf:
            why = Why(node.lineno, node.col_offset, Event.COMPUTED, text, Category.COMPUTED, node=node) \
                if hasattr(node, "lineno") else None
        result = self.new_tensor(node, leaf, why, key=key, device=devices.pop() if len(devices) == 1 else None,
                                 dtype=dtypes.pop() if len(dtypes) == 1 else None, inputs=self.graph_inputs(operands),
                                 closed=self.graph_closed(operands))
        if view is not False and operands:
            for base in operands[0]:
                if base.sort is T.TENSOR:  # remember it: asking the base for grad reaches its views
                    self.state.set((VIEWS, base), (self.state.get((VIEWS, base)) or frozenset()) | {result})
            self.state.set((VIEW_OF, result), view)  # True: surely a view; None: maybe
            # torch keeps every view's `_base` at the root: a maybe-view may be its own root
            self.state.set((VIEW_ROOT, result), roots | (NOTHING if view else frozenset({result})))
        return frozenset({result})


FOLDABLE = (bool, int, float, str, type(None))


OPERATORS: Dict[type, Callable[..., Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod, ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
    ast.RShift: operator.rshift, ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert,
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def evaluate_operator(node, values):
    """Apply a unary, binary or comparison node's operator(s) to literal values (KeyError if unknown)."""
    if isinstance(node, ast.BinOp):
        return OPERATORS[type(node.op)](values[0], values[1])
    if isinstance(node, ast.UnaryOp):
        return OPERATORS[type(node.op)](values[0])
    result = True
    for op, left, right in zip(node.ops, values, values[1:]):
        result = result and OPERATORS[type(op)](left, right)
    return result


def basic_index(index) -> bool:
    """Indexing with ints, slices, `...` and None only: the result is a view."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for part in parts:
        if isinstance(part, ast.Slice) or (isinstance(part, ast.Constant) and (
                part.value is None or part.value is Ellipsis or type(part.value) is int)):
            continue
        if isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.USub) and isinstance(part.operand, ast.Constant):
            continue
        return False
    return True
