"""Calls into torch: functions, tensor methods and torch.nn modules, dispatched by the kind of
their spec in torch_api (the one table of what gradlint knows about torch's API)."""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import Callable, Dict, List, Optional, Tuple

from . import torch_api as api
from .arguments import Args, Kwargs
from .host import HostBase
from .module_calls import ModuleCallsMixin
from .keys import CREATE_GRAPH, GRAD_MODE, GRAPH_GRAD, VIEWS, VIEW_OF
from .source import shorten
from .values import NOTHING, UNKNOWN, Category, Event, Leaf, Obj, Retain, Shape, T, Value, Why, ordered

Kind = api.Kind
Recompute = api.Recompute
FLOAT32 = api.DefaultDtype.FLOAT.value


class TorchCallsMixin(HostBase):
    def run_backward(self, node, args: Args, kwargs: Kwargs, inputs_position: int, roots: Value = NOTHING) -> None:
        """`backward()`; with `inputs=`, the tensors named there get their .grad filled (and
        retain it from then on, leaves or not), as if retain_grad() ran just before. `roots`: the
        tensor differentiated (what it reaches is known only without `inputs=`). With a literal
        `create_graph=True` (the argument just before `inputs`), the leaves' .grad it fills are
        non-leaves (see graph_grad)."""
        inputs = self.argument(args, kwargs, "inputs", inputs_position)
        if inputs is not None:
            self.retain(self.flatten_tensors(inputs[1]), node)
        self.backward(node, roots if inputs is None else NOTHING)
        graph = inputs is None and self.flag(args, kwargs, "create_graph", inputs_position - 1, False) is True
        self.state.set(CREATE_GRAPH, (self.epoch().count, node.lineno) if graph else False)

    def graph_grad(self, subject, base: Value) -> Optional[Value]:
        """`x.grad` of a requires-grad leaf right after a `backward(create_graph=True)` on every
        path: the gradient with its graph, a non-leaf (or, for a gradient that does not depend on
        anything requiring grad, a tensor without grad: None-.grad either way, unless it is asked
        for grad later). The same object at every read until the next backward. None: not known."""
        made = self.state.get(CREATE_GRAPH)
        epoch = self.epoch()
        if not isinstance(made, tuple) or len(base) != 1 or made[0] != epoch.count or made[0] <= epoch.floor:
            return None
        (obj,) = base
        if obj.sort is not T.TENSOR:
            return None
        state = self.tensor_state(obj)
        if state.leaf != {Leaf.RG_LEAF} or state.retain != {Retain.NO}:  # `x.grad = g`, or escaped
            return None
        key = (GRAPH_GRAD, obj, made[0])
        value = self.state.get(key)
        if value is None:
            why = Why(subject.lineno, subject.col_offset, Event.GRAPH_GRAD, self.source.segment(subject),
                      other_line=made[1])
            grad = self.new_tensor(subject, {Leaf.NONLEAF}, why, key=key, device=obj.device, dtype=obj.dtype)
            grad.maybe_plain = True
            value = frozenset({grad})
            self.state.set(key, value)
        return value

    def torch_call(self, q: str, node, args: Args, kwargs: Kwargs) -> Value:
        spec = api.function(q)
        if spec is not None and spec.maybe_identity and args and any(o.sort is T.TENSOR for o in args[0][1]):
            return self.maybe_identity(node, args[0][1])
        handler = FUNCTION_HANDLERS.get(spec.kind) if spec is not None else None
        if handler is None or spec is None:  # not followed (UNFOLLOWED, unknown to the table, not a function's kind)
            if any(o.sort not in (T.CONST, T.UNKNOWN) for v in self.all_values(args, kwargs) for o in v):
                self.graph_escaped()  # `torch.autograd.grad(...)` fills what it reaches that retains grad
            return UNKNOWN
        return handler(self, q, spec, node, args, kwargs)

    def call_factory(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        requires_grad = self.flag(args, kwargs, "requires_grad", None, False)
        leaf = {True: Leaf.RG_LEAF, False: Leaf.PLAIN}.get(requires_grad, Leaf.UNKNOWN)
        device, dtype = self.placement(kwargs)
        if spec.like and args:
            sources = [o for o in args[0][1] if o.sort is T.TENSOR]
            source = sources[0] if len(sources) == 1 else None
            device = device if "device" in kwargs else (source.device if source else None)
            dtype = dtype if "dtype" in kwargs else (source.dtype if source else None)
        else:
            if "device" not in kwargs:
                device = None if self.file.defaults_changed else "cpu"
            if "dtype" not in kwargs:
                array = self.array_dtype(args[0][1]) if spec.array_dtype and args else None
                dtype = array or self.default_dtype(spec.default_dtype, args)
        return frozenset({self.new_tensor(node, {leaf}, device=device, dtype=dtype, fresh=True)})

    def call_legacy_tensor(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        return frozenset({self.new_tensor(node, {Leaf.PLAIN}, device="cpu", dtype=spec.dtype, fresh=True)})

    def call_parameter(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        return self.parameter(node, args, kwargs)

    def call_variable(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        if self.flag(args, kwargs, "requires_grad", 1, False) is True:
            return self.parameter(node, args, kwargs)
        return args[0][1] if args else UNKNOWN

    def call_grad_mode(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        mode = spec.grad
        if spec.mode_argument and self.flag(args, kwargs, "mode", 0, True) is not True:
            mode = True
        return self.const(grad_mode=mode)

    def call_set_grad_enabled(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        mode = self.flag(args, kwargs, "mode", 0, None)
        self.state.set(GRAD_MODE, mode)
        return self.const(grad_mode=mode if mode is not None else "unknown")

    def call_device(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        return self.device_const(args)

    def call_optimizer(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        self.check_optimizer(q, args, kwargs)
        return frozenset({self.site_obj(node, T.OPTIMIZER, qualname=q)})

    def call_backward(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        self.run_backward(node, args, kwargs, inputs_position=5, roots=args[0][1] if args else NOTHING)
        return self.const(None)

    def call_vectorizer(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        return self.vectorize(node, args)

    def call_nondifferentiable(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        return frozenset({self.new_tensor(node, {Leaf.PLAIN})})

    def call_differentiable(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        operands = [operand for v in self.all_values(args, kwargs) for operand in self.operands_of(v)]
        return self.shaped_op(spec, node, operands, len(args) + len(kwargs) - 1)

    def call_returns_argument(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        return args[0][1] if args else UNKNOWN

    def operands_of(self, value: Value) -> List[Value]:
        """The operands an argument gives an op: itself, or for a list or tuple of known layout
        (`torch.cat([a, b])`) each element on its own, so that one element that surely requires
        grad makes the result surely a non-leaf."""
        if len(value) == 1:
            (obj,) = value
            if obj.sort in (T.LIST, T.TUPLE):
                shape = self.shape(obj)
                if shape is not None and shape.exact and shape.items and all(shape.items):
                    return list(shape.items)
        return [self.flatten_tensors(value)]

    def flatten_tensors(self, value: Value) -> Value:
        """`torch.cat([a, b])`: the tensors inside a list or tuple argument are the operands."""
        out = NOTHING
        for obj in value:
            if obj.sort in (T.LIST, T.TUPLE):
                shape = self.shape(obj)
                out |= shape.everything() if shape else UNKNOWN
            else:
                out |= frozenset({obj})
        return out

    def shaped_op(self, spec: api.Spec, node, operands: List[Value], extra_args: int) -> Value:
        """A differentiable op, with the container its result comes in (tuple, pair or tensor)."""
        label = self.source.segment(node)
        view = spec.view
        if spec.result is api.Result.PIECES:
            piece = self.op_result(node, operands, label, view=view)
            return frozenset({self.new_container(node, T.TUPLE, Shape(summary=piece))})
        if spec.result is api.Result.PAIR or (spec.result is api.Result.PAIR_WITH_DIM and extra_args >= 1):
            values = self.op_result(node, operands, label, key="values")
            indices = frozenset({self.new_tensor(node, {Leaf.PLAIN}, key="indices")})
            return frozenset({self.new_container(node, T.TUPLE, Shape((values, indices)))})
        return self.op_result(node, operands, label, view=view)

    def default_dtype(self, rule: api.DefaultDtype, args: Args) -> Optional[str]:
        if self.file.defaults_changed or rule is api.DefaultDtype.UNKNOWN:
            return None
        if rule is api.DefaultDtype.FLOAT:
            return FLOAT32
        if rule is api.DefaultDtype.FROM_VALUE and args and isinstance(self.known_const(args[0][1], None), float):
            return FLOAT32
        if rule is api.DefaultDtype.FROM_VALUE and args and self.may_hold_arrays(args[0][1]):
            return None  # `torch.tensor([X[0, 0], 1.5])` of a float64 array X: float64
        if args and any(isinstance(n, ast.Constant) and isinstance(n.value, float) for n in ast.walk(args[0][0])):
            return None if rule is api.DefaultDtype.FLOAT_UNLESS_FLOAT_DATA else FLOAT32
        return FLOAT32 if rule is api.DefaultDtype.FLOAT_UNLESS_FLOAT_DATA else None

    def placement(self, kwargs: Kwargs) -> Tuple[Optional[str], Optional[str]]:
        device = dtype = None
        if "device" in kwargs:
            device = self.device_name(kwargs["device"][1])
            device = None if device == "?" else device
        if "dtype" in kwargs:
            dtype = self.dtype_name(kwargs["dtype"][1])
        return device, dtype

    def device_const(self, args: Args) -> Value:
        if args:
            name = self.device_name(args[0][1])
            if name in ("cpu", "cuda"):
                return self.const(name)
        return self.const(device="?")  # surely a device, of a kind we cannot know

    def device_name(self, value: Value) -> Optional[str]:
        """"cpu" / "cuda" for a known device, "?" for a device we cannot know."""
        text = self.known_const(value, None)
        if isinstance(text, str):
            kind = text.split(":")[0]
            return kind if kind in ("cpu", "cuda", "mps", "xpu", "meta") else "?"
        return "?"

    def dtype_name(self, value: Value) -> Optional[str]:
        if len(value) == 1:
            (obj,) = value
            if obj.sort is T.CONST and api.dtype_of(obj.qualname) is not None:
                return api.dtype_of(obj.qualname)
            if obj.sort is T.CONST and isinstance(obj.const, str) and api.dtype_of(obj.const) is not None:
                return api.dtype_of(obj.const)
        return None

    def parameter(self, node, args: Args, kwargs: Kwargs) -> Value:
        requires_grad = self.flag(args, kwargs, "requires_grad", 1, True)
        leaf = {True: Leaf.RG_LEAF, False: Leaf.PLAIN}.get(requires_grad, Leaf.UNKNOWN)
        sources = [o for o in (args[0][1] if args else ()) if o.sort is T.TENSOR]
        source = sources[0] if len(sources) == 1 else None
        return frozenset({self.new_tensor(node, {leaf}, device=source.device if source else None,
                                          dtype=source.dtype if source else None, fresh=True)})

    def vectorize(self, node, args: Args) -> Value:
        if not args:
            return UNKNOWN
        operands = [self.iterate(args[0][1])]
        return self.op_result(node, operands, self.source.segment(node))

    def check_optimizer(self, q: str, args: Args, kwargs: Kwargs) -> None:
        found = self.argument(args, kwargs, "params", 0)
        if found is None:
            return
        node, value = found
        name = q.rsplit(".", 1)[-1]
        if isinstance(node, (ast.List, ast.Tuple)):
            for element in node.elts:
                self.check_optimizer_element(element, name)
        elif all(o.sort in (T.LIST, T.TUPLE, T.PARAMETERS) for o in value) and value:
            # A list that holds a non-leaf on every path makes the constructor raise.
            elements = NOTHING
            for obj in value:
                shape = self.shape(obj)
                elements |= shape.everything() if shape else UNKNOWN
            nonleaves = frozenset(o for o in elements if o.sort is T.TENSOR
                                  and self.tensor_state(o).leaf == {Leaf.NONLEAF})
            if elements and nonleaves == elements:  # nothing but non-leaves in it
                self.check_optimizer_argument(node, elements, name, held=True)
            elif len(value) == 1 and nonleaves and self.always_contains(next(iter(value)), nonleaves):
                self.check_optimizer_argument(node, frozenset({ordered(nonleaves)[0]}), name, held=True)

    def always_contains(self, container: Obj, candidates: Value) -> bool:
        """Some candidate is in the container on every path: an exact slot, or appended for sure."""
        shape = self.shape(container)
        if shape is None:
            return False
        return bool(shape.members() & candidates)

    def check_optimizer_element(self, element, name: str) -> None:
        if isinstance(element, ast.Dict):
            for key, value in zip(element.keys, element.values):
                if isinstance(key, ast.Constant) and key.value == "params":
                    if isinstance(value, (ast.List, ast.Tuple)):
                        for item in value.elts:
                            self.check_optimizer_element(item, name)
                    else:
                        self.check_optimizer_argument(value, self.eval_quiet(value), name)
            return
        if not isinstance(element, ast.Starred):
            self.check_optimizer_argument(element, self.eval_quiet(element), name)

    def eval_quiet(self, node) -> Value:
        """Re-evaluate a simple expression (already evaluated once): a `.grad` read in it is visited
        again, in the same state, which changes no verdict (see visits.py)."""
        if isinstance(node, ast.Name):
            return self.lookup(node.id) or UNKNOWN
        return self.eval(node)

    def tensor_method(self, tensors: Value, receiver: Value, name: str, node, args: Args,
                      kwargs: Kwargs) -> Value:
        spec = api.tensor_member(name)
        if spec is None:
            return UNKNOWN
        kind = spec.kind
        if kind is Kind.RETAIN_GRAD:
            self.retain(receiver, node)
            return self.const(None)
        if kind is Kind.BACKWARD or kind is Kind.REGISTER_HOOK:
            return UNKNOWN
        if kind is Kind.REQUIRES_GRAD_METHOD:
            return self.set_requires_grad(tensors, self.flag(args, kwargs, "requires_grad", 0, True), node)
        if kind is Kind.DETACH_IN_PLACE:
            for obj in tensors:  # a new making: what was computed from it still reaches its old graph
                self.births += 1
                self.set_tensor_state(obj, self.tensor_state(obj).with_(leaf=frozenset({Leaf.PLAIN}), why=None,
                                                                        birth=self.births))
            return tensors
        if kind is Kind.DETACHING:
            return frozenset({self.new_tensor(node, {Leaf.PLAIN}, **self.placement_of(tensors))})
        if kind is Kind.MOVE:
            return self.move(tensors, name, spec, node, args, kwargs)
        if kind is Kind.NON_FLOAT:
            return frozenset({self.new_tensor(node, {Leaf.PLAIN})})
        if kind is Kind.NONDIFFERENTIABLE:
            return self.opaque() if spec.number else frozenset({self.new_tensor(node, {Leaf.PLAIN})})
        if kind is Kind.NEW_TENSOR:
            requires_grad = self.flag(args, kwargs, "requires_grad", None, False)
            leaf = {True: Leaf.RG_LEAF, False: Leaf.PLAIN}.get(requires_grad, Leaf.UNKNOWN)
            return frozenset({self.new_tensor(node, {leaf}, fresh=True)})
        if kind is Kind.WRAP:
            return self.copy_of(tensors, node, name, None, None, wrap=True)
        if kind is Kind.MAYBE_IDENTITY:
            return self.maybe_identity(node, tensors)
        if kind is Kind.IN_PLACE:
            self.in_place(tensors, self.all_values(args, kwargs), node, self.source.segment(node))
            return tensors
        if kind is Kind.DIFFERENTIABLE:
            if spec.identity_when_fresh and all(o.fresh for o in tensors):
                return tensors
            return self.shaped_op(spec, node, [tensors] + self.all_values(args, kwargs), len(args) + len(kwargs))
        return UNKNOWN  # an attribute called as a method

    @staticmethod
    def placement_of(tensors: Value) -> dict:
        """The device and dtype the tensors share (None where they differ or are unknown)."""
        devices, dtypes = {o.device for o in tensors}, {o.dtype for o in tensors}
        return {"device": devices.pop() if len(devices) == 1 else None,
                "dtype": dtypes.pop() if len(dtypes) == 1 else None}

    def maybe_identity(self, node, value: Value) -> Value:
        """An op that may hand back its input itself or a copy: a requires-grad leaf may stay a
        leaf, and a non-leaf's copy made without grad is a plain leaf (else the copy of a tensor
        is what the tensor is)."""
        grad = self.grad_enabled()
        kept = frozenset(o for o in value if o.sort is not T.TENSOR
                         or not self.tensor_state(o).leaf & ({Leaf.RG_LEAF} if grad is True
                                                             else {Leaf.RG_LEAF, Leaf.NONLEAF}))
        if len(kept) == len(value):
            return value
        return kept | frozenset({self.new_tensor(node, {Leaf.UNKNOWN}, key="maybe identity")})

    def set_requires_grad(self, tensors: Value, flag, node) -> Value:
        if flag is True:
            for obj in tensors:
                self.views_require_grad(obj)
        for obj in tensors:
            state = self.tensor_state(obj)
            leaf = set(state.leaf)
            if flag is True and Leaf.PLAIN in leaf:
                leaf = (leaf - {Leaf.PLAIN}) | {Leaf.RG_LEAF}
            elif flag is True and obj.maybe_plain:  # a gradient that may not require grad
                leaf = leaf | {Leaf.RG_LEAF}
            elif flag is False and Leaf.RG_LEAF in leaf:
                leaf = (leaf - {Leaf.RG_LEAF}) | {Leaf.PLAIN}
            elif flag is None:
                leaf = {Leaf.UNKNOWN}
            why = state.why
            if flag is True and Leaf.NONLEAF in leaf and why is not None and not why.then_requires_grad:
                why = replace(why, then_requires_grad=node.lineno)
            self.set_tensor_state(obj, state.with_(leaf=frozenset(leaf), why=why))
        return tensors

    def views_require_grad(self, base: Obj) -> None:
        """Views taken earlier (and views of those) share their root base's autograd state: when
        the root is asked for grad, they require grad too. A view asked for grad is not a root:
        only it changes, not the views taken of it (torch keeps every view's `_base` at the root)."""
        is_view = self.state.get((VIEW_OF, base), False)
        if is_view is True:
            return
        sure = is_view is False  # a maybe-view (reshape) may or may not be the root
        pending, seen = [base], {base}
        while pending:
            for view in self.state.get((VIEWS, pending.pop())) or ():
                if view in seen:
                    continue
                seen.add(view)
                pending.append(view)
                state = self.tensor_state(view)
                if Leaf.PLAIN in state.leaf:
                    leaf = (state.leaf - {Leaf.PLAIN} if sure else state.leaf) | {Leaf.RG_LEAF}
                    self.set_tensor_state(view, state.with_(leaf=leaf))

    def in_place(self, tensors: Value, operands: List[Value], node, code: str, written: bool = False) -> None:
        """An in-place write: a plain tensor that absorbs a requires-grad value becomes a non-leaf."""
        self.graph_rewritten(tensors)
        if self.grad_enabled() is not True:
            return
        incoming = set()
        for value in operands:
            incoming |= self.leaf_kinds(self.flatten_tensors(value))
        if not incoming & {Leaf.RG_LEAF, Leaf.NONLEAF}:
            return
        strong = len(tensors) == 1
        for obj in tensors:
            if obj.sort is not T.TENSOR:
                continue
            state = self.tensor_state(obj)
            if Leaf.PLAIN in state.leaf:
                leaf = (state.leaf - {Leaf.PLAIN} if strong else state.leaf) | {Leaf.NONLEAF}
                why = self.why(node, Event.WRITTEN_INTO if written else Event.IN_PLACE, code)
                self.set_tensor_state(obj, state.with_(leaf=frozenset(leaf), why=state.why or why,
                                                       created_epoch=self.epoch().count))

    def graph_rewritten(self, tensors: Value) -> None:
        """An in-place write gives the tensor, its view root and the root's other views a new
        place in the graph: what they were computed from is no longer known."""
        related: set = set()
        stack = list(self.view_roots(tensors)) + [o for o in tensors if o.sort is T.TENSOR]
        while stack:
            obj = stack.pop()
            if obj not in related:
                related.add(obj)
                views = self.state.get((VIEWS, obj))
                stack.extend(views if views is not None else ())
        for obj in ordered(frozenset(related)):
            state = self.tensor_state(obj)
            if state.closed:
                self.set_tensor_state(obj, state.with_(closed=False))

    def move(self, tensors: Value, name: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        device, dtype, copy, understood = self.move_target(spec, args, kwargs)
        if not understood:
            return frozenset({self.new_tensor(node, {Leaf.UNKNOWN})})
        kept, copied, gpu_only, unknown = [], [], [], []
        for obj in tensors:
            change = bool(copy)
            unsure = False
            gpu = False
            if isinstance(device, tuple):  # `.to(t.device)`: no copy of t itself
                unsure |= device[1] != id(obj)
            elif device == "?":
                if obj.device == "cpu":
                    gpu = True
                else:
                    unsure = True
            elif device is not None:
                if obj.device is None:
                    unsure = True
                elif obj.device != device:
                    change = True
            if isinstance(dtype, tuple):
                unsure |= dtype[1] != id(obj)
            elif dtype is not None:
                if obj.dtype is None:
                    unsure = True
                elif obj.dtype != dtype:
                    change = True
            if change:
                copied.append(obj)
            elif unsure:
                unknown.append(obj)
            elif gpu:
                gpu_only.append(obj)
            else:
                kept.append(obj)
        out = frozenset(kept)
        non_float = isinstance(dtype, str) and dtype not in api.FLOAT_DTYPES
        for group, key, is_gpu in ((copied, "copy", False), (gpu_only, "gpu", True)):
            if group:
                out |= self.copy_of(frozenset(group), node, name, device, dtype, key=key, gpu_only=is_gpu,
                                    non_float=non_float, changes=self.what_changes(group, device, dtype))
        if unknown:  # a copy or the tensor itself: only a requires-grad leaf's result is unknown
            out |= self.maybe_identity(node, frozenset(unknown))
        return out

    @staticmethod
    def what_changes(tensors, device, dtype) -> str:
        """"dtype" when the copy only converts the dtype, else "device"."""
        dtype_changes = isinstance(dtype, str) and any(o.dtype != dtype for o in tensors)
        device_changes = device == "?" or (isinstance(device, str) and any(o.device != device for o in tensors))
        return "dtype" if dtype_changes and not device_changes else "device"

    def move_target(self, spec: api.Spec, args: Args, kwargs: Kwargs):
        """(device, dtype, copy, understood) of a move; device "?" is a variable device."""
        if spec.device is not None:
            return spec.device, None, False, True
        if spec.dtype is not None:
            return None, spec.dtype, False, True
        if spec.dtype_argument:
            if not args and "dtype" not in kwargs:
                return None, None, False, False
            dtype = self.dtype_name((args[0] if args else kwargs["dtype"])[1])
            return None, dtype, False, dtype is not None
        device = dtype = None
        for position, (_, value) in enumerate(args):
            same = self.same_placement(value)
            if same is not None:
                device, dtype = (same[1], dtype) if same[0] == "device" else (device, same[1])
                continue
            as_dtype = self.dtype_name(value)
            if as_dtype is not None:
                dtype = as_dtype
                continue
            if any(o.sort is T.TENSOR for o in value) or isinstance(args[position][0], ast.Starred):
                return None, None, False, False  # `.to(other)`: whatever `other` is
            # Anything else, even unknown (a device parameter, `pl_module.device`, or a dtype or
            # tensor after all), moves a CPU tensor to a GPU only by copying it: "?".
            device = self.device_name(value) if self.is_device_like(value) else "?"
        if "device" in kwargs:
            same = self.same_placement(kwargs["device"][1])
            device = same[1] if same else self.device_name(kwargs["device"][1])
        if "dtype" in kwargs:
            same = self.same_placement(kwargs["dtype"][1])
            dtype = same[1] if same else self.dtype_name(kwargs["dtype"][1])
            if dtype is None:
                return None, None, False, False
        copy = self.flag(args, kwargs, "copy", None, False) is True
        return device, dtype, copy, True

    @staticmethod
    def same_placement(value: Value):
        """("device" | "dtype", ("same", id)) for `x.device` / `x.dtype` of a tensor of unknown placement."""
        if len(value) == 1:
            (obj,) = value
            same = obj.same_placement if obj.sort is T.CONST else None
            if same is not None:
                return same[0], ("same", same[1])
        return None

    def is_device_like(self, value: Value) -> bool:
        return all(o.sort is T.CONST and o.qualname is None for o in value)

    def copy_of(self, sources: Value, node, name: str, device, dtype, key=None, gpu_only=False,
                wrap=False, non_float=False, changes="device") -> Value:
        kinds: set[Leaf] = set()
        for obj in sources:
            kinds |= self.tensor_state(obj).leaf
        grad = self.grad_enabled()
        if grad is False or non_float:
            leaf = {Leaf.PLAIN}
        elif grad is None:
            leaf = {Leaf.UNKNOWN}
        else:
            leaf = set()
            if kinds & {Leaf.RG_LEAF, Leaf.NONLEAF}:
                leaf.add(Leaf.NONLEAF)
            leaf |= kinds & {Leaf.PLAIN, Leaf.UNKNOWN}
        why = None
        if Leaf.NONLEAF in leaf:
            if Leaf.RG_LEAF in kinds:
                event = Event.GPU_COPY if gpu_only else Event.WRAPPED if wrap else Event.COPIED
                why = Why(node.lineno, node.col_offset, event, self.call_suffix(node, name), Category.MOVED,
                          gpu_only=gpu_only, move=name, node=node, changes=changes)
            else:
                why = next((self.tensor_state(o).why for o in ordered(sources) if self.tensor_state(o).why), None)
        first = ordered(sources)[0]
        return frozenset({self.new_tensor(node, leaf, why, key=key, inputs=self.graph_inputs([sources]),
                                          closed=self.graph_closed([sources]),
                                          device=device if isinstance(device, str) and device != "?" else first.device,
                                          dtype=dtype if isinstance(dtype, str) else first.dtype)})

    def call_suffix(self, node, name: str) -> str:
        """`.to(device)` out of `torch.randn(3, requires_grad=True).to(device)`."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            whole, receiver = self.source.full_segment(node), self.source.full_segment(node.func.value)
            if whole.startswith(receiver) and len(whole) > len(receiver):
                return shorten(whole[len(receiver):].lstrip())
            return f".{name}(...)"
        return self.source.segment(node) if isinstance(node, ast.Call) else f".{name}()"


# What a call of a torch function or class does, by the kind of its spec (kinds without a handler
# give an unknown result: dtypes, module bases, the unmodelled, what is read from syntax alone).
# The handler of each kind of function (called with the interpreter as `self`).
FUNCTION_HANDLERS: Dict[api.Kind, Callable[..., Value]] = {
    Kind.FACTORY: TorchCallsMixin.call_factory,
    Kind.LEGACY_TENSOR: TorchCallsMixin.call_legacy_tensor,
    Kind.PARAMETER: TorchCallsMixin.call_parameter,
    Kind.VARIABLE: TorchCallsMixin.call_variable,
    Kind.GRAD_MODE: TorchCallsMixin.call_grad_mode,
    Kind.SET_GRAD_ENABLED: TorchCallsMixin.call_set_grad_enabled,
    Kind.DEVICE: TorchCallsMixin.call_device,
    Kind.MODULE_WITH_PARAMETERS: ModuleCallsMixin.call_new_module,
    Kind.PARAMETER_FREE_MODULE: ModuleCallsMixin.call_new_module,
    Kind.IDENTITY_MODULE: ModuleCallsMixin.call_new_module,
    Kind.MAYBE_IDENTITY_MODULE: ModuleCallsMixin.call_new_module,
    Kind.SEQUENTIAL: ModuleCallsMixin.call_sequential,
    Kind.MODULE_CONTAINER: ModuleCallsMixin.call_module_container,
    Kind.WRAPPER_MODULE: ModuleCallsMixin.call_wrapper_module,
    Kind.OPTIMIZER: TorchCallsMixin.call_optimizer,
    Kind.BACKWARD: TorchCallsMixin.call_backward,
    Kind.REPARAMETRIZATION: ModuleCallsMixin.call_reparametrization,
    Kind.REPARAMETRIZATION_REMOVAL: ModuleCallsMixin.call_reparametrization_removal,
    Kind.VECTORIZER: TorchCallsMixin.call_vectorizer,
    Kind.NONDIFFERENTIABLE: TorchCallsMixin.call_nondifferentiable,
    Kind.DIFFERENTIABLE: TorchCallsMixin.call_differentiable,
    Kind.RETURNS_ARGUMENT: TorchCallsMixin.call_returns_argument,
}
# Kinds whose calls give an unknown result (without escaping their arguments).
UNFOLLOWED = frozenset({Kind.UNMODELLED, Kind.DTYPE, Kind.MODULE_BASE, Kind.TRANSPARENT_DECORATOR,
                        Kind.DEFAULT_CHANGER, Kind.AUTOCAST, Kind.UNINITIALIZED_PARAMETER, Kind.GLOBAL_FORWARD_HOOK,
                        Kind.MAYBE_IDENTITY})
