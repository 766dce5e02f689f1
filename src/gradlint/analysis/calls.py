"""Calls: torch's API (from the tables in torch_api), Python builtins, and code in the file.

Functions and classes defined in the file are inlined at each call with the caller's values, so a
helper returning `x * 2` gives a non-leaf, and a helper that reads `t.grad` is checked with what it
was passed. Anything we cannot see (other libraries, too-deep calls) gets unknown results, and the
tensors handed to it "escape": they may be retained there, so they are never reported afterwards.
"""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

from . import torch_api as api
from .source import shorten
from .state import merged
from .values import (NOTHING, UNKNOWN, Category, Children, Hooks, Leaf, Obj, Shape, T, TensorState, Value, Why,
                     ordered)
from .visits import CallStep

Args = List[Tuple[ast.AST, Value]]
Kwargs = Dict[str, Tuple[ast.AST, Value]]
MAX_CALL_DEPTH = 4
MAX_INLINES_PER_FUNCTION = 16  # beyond, calls of that function are unknown (their arguments escape)
MAX_UNROLLED_RANGE = 8
# nn.Sequential methods that change its children in ways not followed.
SEQUENTIAL_CHANGES = frozenset("insert extend pop register_module __setitem__ __delitem__ __iadd__".split())


class CallsMixin:
    # ----------------------------------------------------------------- entry
    def expr_Call(self, node: ast.Call) -> Value:
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = self.eval(func.value)
            args, kwargs = self.call_arguments(node)
            return self.call_method(receiver, func.attr, node, args, kwargs) or UNKNOWN
        callee = self.eval(func)
        args, kwargs = self.call_arguments(node)
        out = NOTHING
        for obj in callee:
            out |= self.call_object(obj, node, args, kwargs)
        return out or UNKNOWN

    def call_arguments(self, node: ast.Call) -> Tuple[Args, Kwargs]:
        args: Args = []
        for arg in node.args:
            value = self.eval(arg)
            if isinstance(arg, ast.Starred):
                args.append((arg, self.iterate(value) | UNKNOWN))
            else:
                args.append((arg, value))
        kwargs: Kwargs = {}
        for keyword in node.keywords:
            kwargs[keyword.arg or "**"] = (keyword.value, self.eval(keyword.value))
        return args, kwargs

    def all_values(self, args: Args, kwargs: Kwargs) -> List[Value]:
        return [v for _, v in args] + [v for _, v in kwargs.values()]

    def escape_arguments(self, args: Args, kwargs: Kwargs) -> None:
        for value in self.all_values(args, kwargs):
            self.escape(value)

    def flag(self, args: Args, kwargs: Kwargs, name: str, position: Optional[int], default):
        """A literal argument's value (positional or keyword), `None` when not a literal."""
        if name in kwargs:
            return self.truth(kwargs[name][1])
        if position is not None and position < len(args):
            return self.truth(args[position][1])
        return default

    def argument(self, args: Args, kwargs: Kwargs, name: str, position: Optional[int]):
        if name in kwargs:
            return kwargs[name]
        if position is not None and position < len(args) and not isinstance(args[position][0], ast.Starred):
            return args[position]
        return None

    # ----------------------------------------------------------------- dispatch
    def run_backward(self, node, args: Args, kwargs: Kwargs, inputs_position: int, roots: Value = NOTHING) -> None:
        """`backward()`; with `inputs=`, the tensors named there get their .grad filled (and
        retain it from then on, leaves or not), as if retain_grad() ran just before. `roots`: the
        tensor differentiated (what it reaches is known only without `inputs=`)."""
        inputs = self.argument(args, kwargs, "inputs", inputs_position)
        if inputs is not None:
            self.retain(self.flatten_tensors(inputs[1]), node)
        self.backward(node, roots if inputs is None else NOTHING)

    def call_method(self, receiver: Value, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        out = NOTHING
        if name == "backward":
            self.run_backward(node, args, kwargs, inputs_position=3, roots=receiver)
        if name == api.FORWARD_HOOK_REGISTRATION:
            self.register_hook(receiver, node, args)
            return UNKNOWN
        tensors = frozenset(o for o in receiver if o.sort is T.TENSOR)
        if tensors:
            out |= self.tensor_method(tensors, receiver, name, node, args, kwargs)
        for obj in receiver:
            if obj.sort is T.TENSOR:
                continue
            if obj.sort is T.CONST and obj.qualname:
                out |= self.call_qualified(f"{obj.qualname}.{name}", node, args, kwargs)
            elif obj.sort is T.TORCH_MODULE:
                out |= self.module_method(obj, name, node, args, kwargs)
            elif obj.sort in (T.INSTANCE, T.CLASS):
                out |= self.instance_method(obj, name, node, args, kwargs)
            elif obj.sort in (T.LIST, T.TUPLE, T.DICT):
                out |= self.container_method(obj, name, node, args, kwargs)
            elif obj.sort is T.CONST or obj.sort is T.OPTIMIZER:
                out |= self.opaque()
            elif name not in ("backward", "retain_grad"):
                self.escape_arguments(args, kwargs)
                out |= UNKNOWN
        return out

    def call_object(self, obj: Obj, node, args: Args, kwargs: Kwargs) -> Value:
        if obj.sort is T.CONST and obj.qualname:
            return self.call_qualified(obj.qualname, node, args, kwargs)
        if obj.sort is T.FUNCTION:
            return self.inline(obj, node, args, kwargs)
        if obj.sort is T.CLASS:
            return self.instantiate(obj, node, args, kwargs)
        if obj.sort is T.TORCH_MODULE:
            return self.hooked(obj, node, args, self.call_module(obj, node, args, kwargs))
        if obj.sort is T.INSTANCE:
            if obj.extra.get("is_module"):
                return self.hooked(obj, node, args, self.instance_method(obj, "forward", node, args, kwargs))
            return self.instance_method(obj, "__call__", node, args, kwargs)
        if obj.sort is T.CONST:
            return self.opaque()
        self.escape_arguments(args, kwargs)
        return UNKNOWN

    def register_hook(self, receiver: Value, node, args: Args) -> None:
        """`module.register_forward_hook(fn)`: fn runs on each output of that module (from here
        on, on this path: the registered hooks live in the flow state)."""
        hook = args[0][1] if args else UNKNOWN
        modules = [o for o in receiver if o.sort in (T.TORCH_MODULE, T.INSTANCE)]
        if modules and len(modules) == len(receiver) and all(o.sort is T.FUNCTION for o in hook):
            for module in modules:
                hooks = self.state.get(("hooks", module)) or Hooks()
                if len(modules) > 1:  # registered on one of them: on the other, not
                    hooks = hooks.join(hooks.added(hook))
                else:
                    hooks = hooks.added(hook)
                self.state.set(("hooks", module), hooks)
            self.resolved_hook_sites.add(node)
        else:
            self.unresolved_hooks = True

    def hooked(self, module: Obj, node, args: Args, output: Value) -> Value:
        """A module output after its forward hooks ran (or, for hooks we cannot see, escaped)."""
        hooks = self.state.get(("hooks", module)) or Hooks()
        for hook in hooks.items:
            inputs = frozenset({self.new_container(node, T.TUPLE, Shape(tuple(v for _, v in args)), key="hook")})
            result = NOTHING
            for fobj in hook:
                result |= self.inline(fobj, node, [(node, frozenset({module})), (node, inputs), (node, output)], {})
            replaced = frozenset(o for o in result if not (o.sort is T.CONST and o.const is None))
            if replaced:  # a hook that returns a value replaces the output
                output = replaced | (output if replaced != result else NOTHING)
        if self.unresolved_hooks or not hooks.sure or self.file.unresolved_hooks or \
                not self.file.forward_hook_sites <= self.resolved_hook_sites:
            self.escape(output)  # a hook we cannot see (or not yet registered where it runs) may retain it
        return output

    def call_qualified(self, qualname: str, node, args: Args, kwargs: Kwargs) -> Value:
        if qualname.startswith("builtins."):
            return self.call_builtin(qualname[len("builtins."):], node, args, kwargs)
        if qualname.startswith("torch."):
            return self.torch_call(qualname, node, args, kwargs)
        if qualname.startswith("math."):
            return self.opaque()
        if qualname in api.NAMED_TUPLE_FACTORIES:
            return self.record_class(node, args)
        if qualname in api.NAMESPACE_CLASSES:
            return self.namespace_instance(node, args, kwargs)
        if qualname in api.CHAINING_FUNCTIONS:
            values = self.all_values(args, kwargs)
            elements = NOTHING.union(*(self.iterate(v) for v in values))
            must = NOTHING.union(*(self.shape(o).members() for v in values if len(v) == 1 for o in v
                                   if o.sort in (T.LIST, T.TUPLE) and self.shape(o) is not None))
            return frozenset({self.new_container(node, T.LIST, Shape(summary=elements, must=must))})
        self.escape_arguments(args, kwargs)
        return UNKNOWN

    # ----------------------------------------------------------------- torch functions
    def torch_call(self, q: str, node, args: Args, kwargs: Kwargs) -> Value:
        values = self.all_values(args, kwargs)
        if q in api.MAYBE_IDENTITY_FUNCTIONS and args and any(o.sort is T.TENSOR for o in args[0][1]):
            return self.maybe_identity(node, args[0][1])
        if q in api.FACTORIES:
            return self.factory(q, node, args, kwargs)
        if q in api.LEGACY_TENSOR_TYPES:
            return frozenset({self.new_tensor(node, {Leaf.PLAIN}, device="cpu", dtype=api.LEGACY_TENSOR_TYPES[q],
                                              fresh=True)})
        if q in api.PARAMETER_CLASSES:
            return self.parameter(node, args, kwargs)
        if q in api.VARIABLE_CLASSES:
            if self.flag(args, kwargs, "requires_grad", 1, False) is True:
                return self.parameter(node, args, kwargs)
            return args[0][1] if args else UNKNOWN
        if q in api.GRAD_MODE_CONTEXTS:
            mode = api.GRAD_MODE_CONTEXTS[q]
            if q.endswith("inference_mode") and self.flag(args, kwargs, "mode", 0, True) is not True:
                mode = True
            return self.const(None, grad_mode=mode)
        if q in api.SET_GRAD_ENABLED:
            mode = self.flag(args, kwargs, "mode", 0, None)
            self.state.set("grad", mode)
            return self.const(None, grad_mode=mode if mode is not None else "unknown")
        if q == "torch.device":
            return self.device_const(args)
        if q in api.MODULES_WITH_PARAMETERS or q in api.PARAMETER_FREE_MODULES or \
                q in api.IDENTITY_MODULES or q in api.MAYBE_IDENTITY_MODULES:
            return frozenset({self.site_obj(node, T.TORCH_MODULE, qualname=q, label=q.rsplit(".", 1)[-1])})
        if q in api.SEQUENTIAL:
            module = self.site_obj(node, T.TORCH_MODULE, qualname=q, label="Sequential")
            self.state.set(("children", module), Children(tuple(v for _, v in args)))
            return frozenset({module})
        if q in api.MODULE_LISTS:  # nn.ModuleList / ModuleDict behave as their list or dict
            if args:
                return self.call_builtin("list" if q.endswith("List") else "dict", node, args, {})
            sort = T.LIST if q.endswith("List") else T.DICT
            return frozenset({self.new_container(node, sort, Shape((), None if sort is T.LIST else ()))})
        if api.is_optimizer(q):
            self.check_optimizer(q, args, kwargs)
            return frozenset({self.site_obj(node, T.OPTIMIZER, qualname=q)})
        if q in api.BACKWARD_FUNCTIONS:
            self.run_backward(node, args, kwargs, inputs_position=5, roots=args[0][1] if args else NOTHING)
            return self.const(None)
        if q in api.REPARAMETRIZATIONS or (q.startswith(api.PRUNE_PREFIX) and q not in api.PRUNE_NONPRUNING):
            return self.reparametrize(q, node, args, kwargs)
        if q in api.VECTORIZERS:
            return self.vectorize(node, args)
        if q in api.NONDIFFERENTIABLE_FUNCTIONS:
            return frozenset({self.new_tensor(node, {Leaf.PLAIN})})
        if q in api.FUNCTIONAL or q in api.DIFFERENTIABLE_FUNCTIONS:
            name = q.rsplit(".", 1)[-1]
            operands = [operand for v in values for operand in self.operands_of(v)]
            return self.shaped_op(name, node, operands, len(args) + len(kwargs) - 1, q)
        if q in ("torch.compile", "torch.jit.script", "torch.jit.trace") and args:
            return args[0][1]
        if q.startswith("torch.nn.init."):
            return args[0][1] if args else UNKNOWN
        return UNKNOWN

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

    def shaped_op(self, name: str, node, operands: List[Value], extra_args: int, text=None) -> Value:
        """A differentiable op, with the container its result comes in (tuple, pair or tensor)."""
        label = self.source.segment(node)
        view = True if name in api.VIEW_METHODS else (None if name in api.MAYBE_VIEW_METHODS else False)
        if name in api.SPLITTING_OPS:
            piece = self.op_result(node, operands, label, view=view)
            return frozenset({self.new_container(node, T.TUPLE, Shape(summary=piece))})
        if name in api.VALUES_INDICES_OPS and (extra_args >= 1 or name in api.ALWAYS_PAIR_OPS):
            values = self.op_result(node, operands, label, key="values")
            indices = frozenset({self.new_tensor(node, {Leaf.PLAIN}, key="indices")})
            return frozenset({self.new_container(node, T.TUPLE, Shape((values, indices)))})
        return self.op_result(node, operands, label, view=view)

    def factory(self, q: str, node, args: Args, kwargs: Kwargs) -> Value:
        requires_grad = self.flag(args, kwargs, "requires_grad", None, False)
        leaf = {True: Leaf.RG_LEAF, False: Leaf.PLAIN}.get(requires_grad, Leaf.UNKNOWN)
        device, dtype = self.placement(kwargs)
        if q in api.LIKE_FACTORIES and args:
            sources = [o for o in args[0][1] if o.sort is T.TENSOR]
            source = sources[0] if len(sources) == 1 else None
            device = device if "device" in kwargs else (source.device if source else None)
            dtype = dtype if "dtype" in kwargs else (source.dtype if source else None)
        else:
            if "device" not in kwargs:
                device = None if self.file.defaults_changed else "cpu"
            if "dtype" not in kwargs:
                dtype = self.default_dtype(q, args)
        return frozenset({self.new_tensor(node, {leaf}, device=device, dtype=dtype, fresh=True)})

    def default_dtype(self, q: str, args: Args) -> Optional[str]:
        if self.file.defaults_changed:
            return None
        if q in api.FLOAT_FACTORIES:
            return "float32"
        if q == "torch.tensor" and args and isinstance(self.known_const(args[0][1], None), float):
            return "float32"
        if args and any(isinstance(n, ast.Constant) and isinstance(n.value, float) for n in ast.walk(args[0][0])):
            return "float32" if q in ("torch.tensor", "torch.full", "torch.arange") else None
        return "float32" if q in ("torch.zeros", "torch.ones", "torch.empty", "torch.full", "torch.eye") else None

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
        return self.const(None, device="?")

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
            if obj.sort is T.CONST and obj.qualname in api.DTYPE_NAMES:
                return api.DTYPE_NAMES[obj.qualname]
            if obj.sort is T.CONST and isinstance(obj.const, str) and obj.const in api.DTYPE_NAMES:
                return api.DTYPE_NAMES[obj.const]
        return None

    def parameter(self, node, args: Args, kwargs: Kwargs) -> Value:
        requires_grad = self.flag(args, kwargs, "requires_grad", 1, True)
        leaf = {True: Leaf.RG_LEAF, False: Leaf.PLAIN}.get(requires_grad, Leaf.UNKNOWN)
        sources = [o for o in (args[0][1] if args else ()) if o.sort is T.TENSOR]
        source = sources[0] if len(sources) == 1 else None
        return frozenset({self.new_tensor(node, {leaf}, device=source.device if source else None,
                                          dtype=source.dtype if source else None, fresh=True)})

    def reparametrize(self, q: str, node, args: Args, kwargs: Kwargs) -> Value:
        if not args:
            return UNKNOWN
        default = api.REPARAMETRIZATIONS.get(q, None)
        name = self.known_const(kwargs["name"][1], None) if "name" in kwargs else (
            self.known_const(args[1][1], None) if len(args) > 1 else default)
        short = q.rsplit(".", 1)[-1]
        for module in args[0][1]:
            if isinstance(name, str) and module.sort in (T.TORCH_MODULE, T.INSTANCE):
                why = self.why(node, f"`{short}()` on line {node.lineno} made {name} a computed tensor",
                               category=Category.REPARAMETRIZED)
                weight = self.new_tensor(node, {Leaf.NONLEAF}, why, key=("reparam", id(module)))
                self.state.set(("a", module, name), frozenset({weight}))
        return args[0][1]

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
        elif all(o.sort in (T.LIST, T.TUPLE) for o in value) and value:
            # A list that holds a non-leaf on every path makes the constructor raise.
            elements = NOTHING
            for obj in value:
                shape = self.shape(obj)
                elements |= shape.everything() if shape else UNKNOWN
            nonleaves = frozenset(o for o in elements if o.sort is T.TENSOR
                                  and self.tensor_state(o).leaf == {Leaf.NONLEAF})
            if elements and nonleaves == elements:  # nothing but non-leaves in it
                self.check_optimizer_argument(node, elements, name)
            elif len(value) == 1 and nonleaves and self.always_contains(next(iter(value)), nonleaves):
                self.check_optimizer_argument(node, frozenset({ordered(nonleaves)[0]}), name)

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

    # ----------------------------------------------------------------- tensor methods
    def tensor_method(self, tensors: Value, receiver: Value, name: str, node, args: Args,
                      kwargs: Kwargs) -> Value:
        values = [v for v in self.all_values(args, kwargs)]
        text = self.source.segment(node)
        if name == "retain_grad":
            self.retain(receiver, node)
            return self.const(None)
        if name == "backward" or name == "register_hook":
            return UNKNOWN
        if name == "requires_grad_":
            return self.set_requires_grad(tensors, self.flag(args, kwargs, "requires_grad", 0, True), node)
        if name == api.DETACH_IN_PLACE:
            for obj in tensors:
                self.set_tensor_state(obj, self.tensor_state(obj).with_(leaf=frozenset({Leaf.PLAIN}), why=None))
            return tensors
        if name in api.DETACHING_METHODS:
            return frozenset({self.new_tensor(node, {Leaf.PLAIN}, **self.placement_of(tensors))})
        if name in api.MOVE_METHODS:
            return self.move(tensors, name, node, args, kwargs)
        if name in api.NON_FLOAT_METHODS:
            return frozenset({self.new_tensor(node, {Leaf.PLAIN})})
        if name in api.NONDIFFERENTIABLE_METHODS:
            if name in ("item", "tolist", "size", "dim", "numel", "ndimension", "nelement", "stride",
                        "element_size", "data_ptr", "get_device", "is_contiguous", "equal",
                        "allclose", "is_floating_point", "is_complex", "storage_offset"):
                return self.opaque()
            return frozenset({self.new_tensor(node, {Leaf.PLAIN})})
        if name in api.NEW_TENSOR_METHODS:
            requires_grad = self.flag(args, kwargs, "requires_grad", None, False)
            leaf = {True: Leaf.RG_LEAF, False: Leaf.PLAIN}.get(requires_grad, Leaf.UNKNOWN)
            return frozenset({self.new_tensor(node, {leaf}, fresh=True)})
        if name == "as_subclass":
            return self.copy_of(tensors, node, "as_subclass", None, None, wrap=True)
        if name in api.MAYBE_IDENTITY_METHODS:
            return self.maybe_identity(node, tensors)
        if name in api.IDENTITY_WHEN_FRESH and all(o.fresh for o in tensors):
            return tensors
        if name in api.IN_PLACE_METHODS:
            self.in_place(tensors, values, node, f"`{text}`")
            return tensors
        if name in api.DIFFERENTIABLE_METHODS:
            return self.shaped_op(name, node, [tensors] + values, len(args) + len(kwargs))
        return UNKNOWN

    @staticmethod
    def placement_of(tensors: Value) -> dict:
        """The device and dtype the tensors share (None where they differ or are unknown)."""
        devices, dtypes = {o.device for o in tensors}, {o.dtype for o in tensors}
        return {"device": devices.pop() if len(devices) == 1 else None,
                "dtype": dtypes.pop() if len(dtypes) == 1 else None}

    def maybe_identity(self, node, value: Value) -> Value:
        """An op that may hand back its input itself: a requires-grad leaf may stay a leaf."""
        kept = frozenset(o for o in value if o.sort is not T.TENSOR
                         or Leaf.RG_LEAF not in self.tensor_state(o).leaf)
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
            elif flag is False and Leaf.RG_LEAF in leaf:
                leaf = (leaf - {Leaf.RG_LEAF}) | {Leaf.PLAIN}
            elif flag is None:
                leaf = {Leaf.UNKNOWN}
            why = state.why
            if flag is True and Leaf.NONLEAF in leaf and why is not None and "requires_grad_()" not in why.text:
                why = Why(why.line, why.column, why.text + f"; `requires_grad_()` on line {node.lineno} "
                          "does not make a non-leaf a leaf", why.category, why.gpu_only, why.move)
            self.set_tensor_state(obj, state.with_(leaf=frozenset(leaf), why=why))
        return tensors

    def views_require_grad(self, base: Obj) -> None:
        """Views taken earlier (and views of those) share their root base's autograd state: when
        the root is asked for grad, they require grad too. A view asked for grad is not a root:
        only it changes, not the views taken of it (torch keeps every view's `_base` at the root)."""
        is_view = self.state.get(("view of", base), False)
        if is_view is True:
            return
        sure = is_view is False  # a maybe-view (reshape) may or may not be the root
        pending, seen = [base], {base}
        while pending:
            for view in self.state.get(("views", pending.pop())) or ():
                if view in seen:
                    continue
                seen.add(view)
                pending.append(view)
                state = self.tensor_state(view)
                if Leaf.PLAIN in state.leaf:
                    leaf = (state.leaf - {Leaf.PLAIN} if sure else state.leaf) | {Leaf.RG_LEAF}
                    self.set_tensor_state(view, state.with_(leaf=leaf))

    def in_place(self, tensors: Value, operands: List[Value], node, text: str) -> None:
        """An in-place write: a plain tensor that absorbs a requires-grad value becomes a non-leaf."""
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
                why = Why(node.lineno, node.col_offset, f"{text} on line {node.lineno} made it part of the graph")
                self.set_tensor_state(obj, state.with_(leaf=frozenset(leaf), why=state.why or why,
                                                       created_epoch=self.epoch().count))

    # ----------------------------------------------------------------- moves
    def move(self, tensors: Value, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        device, dtype, copy, understood = self.move_target(name, args, kwargs)
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

    def move_target(self, name: str, args: Args, kwargs: Kwargs):
        """(device, dtype, copy, understood) of a move; device "?" is a variable device."""
        if name in api.DEVICE_METHODS:
            return api.DEVICE_METHODS[name], None, False, True
        if name in api.DTYPE_METHODS:
            return None, api.DTYPE_METHODS[name], False, True
        if name == "type":
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
            if any(o.sort is T.TENSOR or o.sort is T.UNKNOWN for o in value):
                return None, None, False, False  # `.to(other)`: whatever `other` is
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
            for kind in ("device", "dtype"):
                owner = obj.extra.get("same_" + kind) if obj.sort is T.CONST else None
                if owner is not None:
                    return kind, ("same", owner)
        return None

    def is_device_like(self, value: Value) -> bool:
        return all(o.sort is T.CONST and o.qualname is None for o in value)

    def copy_of(self, sources: Value, node, name: str, device, dtype, key=None, gpu_only=False,
                wrap=False, non_float=False, changes="device") -> Value:
        kinds = set()
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
                call = self.call_suffix(node, name)
                if gpu_only:
                    text = f"`{call}` on line {node.lineno} copies it when the device is a GPU"
                else:
                    text = f"`{call}` on line {node.lineno} {'wrapped' if wrap else 'copied'} it"
                why = Why(node.lineno, node.col_offset, text, Category.MOVED,
                          gpu_only=gpu_only, move=name, node=node, changes=changes)
            else:
                why = next((self.tensor_state(o).why for o in ordered(sources) if self.tensor_state(o).why), None)
        first = ordered(sources)[0]
        return frozenset({self.new_tensor(node, leaf, why, key=key, inputs=self.graph_inputs([sources]),
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

    # ----------------------------------------------------------------- modules
    def call_module(self, module: Obj, node, args: Args, kwargs: Kwargs) -> Value:
        q = module.qualname
        inputs = [self.flatten_tensors(v) for v in self.all_values(args, kwargs)]
        if q in api.SEQUENTIAL:
            value = inputs[0] if inputs else UNKNOWN
            children = self.children(module)
            if children is None:  # which children it has depends on the path
                self.escape(value)
                return UNKNOWN
            saved = self.context, self.child_path
            try:
                for index, child in enumerate(children):
                    # Each child's output is an object of its own, named `model[i]` in messages.
                    self.context = saved[0] + (("child", index),)
                    self.child_path = saved[1] + (index,)
                    out = NOTHING
                    for obj in child:
                        out |= self.call_object(obj, node, [(node, value)], {})
                    value = out or UNKNOWN
            finally:
                self.context, self.child_path = saved
            return value
        if q in api.IDENTITY_MODULES:
            return inputs[0] if inputs else UNKNOWN
        if q in api.MAYBE_IDENTITY_MODULES:
            return self.maybe_identity(node, inputs[0]) if inputs else UNKNOWN
        if q in api.PARAMETER_FREE_MODULES:
            return self.op_result(node, inputs, self.source.segment(node))
        if q not in api.MODULES_WITH_PARAMETERS:
            return UNKNOWN
        grad = self.grad_enabled()
        output = self.module_output(node, grad, inputs)
        structure = api.STRUCTURED_OUTPUT_MODULES.get(q)
        if structure is not None:
            return self.structured_output(node, structure, output, grad, inputs)
        return output

    def structured_output(self, node, structure, first: Value, grad, inputs, path=()) -> Value:
        """`out, (h, c) = lstm(x)`: a tuple tree whose tensors all come from the parameters."""
        items = []
        for index, part in enumerate(structure):
            where = path + (index,)
            if isinstance(part, tuple):
                items.append(self.structured_output(node, part, first, grad, inputs, where))
            elif part == "?":
                items.append(UNKNOWN)
            elif where == (0,):
                items.append(first)
            else:
                items.append(self.module_output(node, grad, inputs, key=where))
        return frozenset({self.new_container(node, T.TUPLE, Shape(tuple(items)), key=("output",) + path)})

    def module_output(self, node, grad, inputs, key=None) -> Value:
        """The output of a layer with parameters: a non-leaf whenever grad mode is on."""
        if grad is True and not self.file.parameters_may_be_frozen:
            call = f"`{self.source.segment(node)}`"
            if self.child_path and isinstance(node, ast.Call):
                child = self.source.segment(node.func) + "".join(f"[{i}]" for i in self.child_path)
                call = f"`{child}` in {call}"
            why = self.why(node, f"{call} on line {node.lineno} is the output of a module with parameters")
            return frozenset({self.new_tensor(node, {Leaf.NONLEAF}, why, key=key, inputs=self.graph_inputs(inputs))})
        return self.op_result(node, inputs, self.source.segment(node), key=key)

    def module_method(self, module: Obj, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        if name in ("forward", "__call__"):
            return self.call_module(module, node, args, kwargs)
        known = self.state.get(("children", module))
        if known is not None and name in ("add_module", "append") and args:
            self.state.set(("children", module), known.appended(args[-1][1]))
            return frozenset({module}) if name == "append" else self.const(None)
        if known is not None and name in SEQUENTIAL_CHANGES:
            self.forget_layout(module)
            self.escape_arguments(args, kwargs)
            return UNKNOWN
        if name in api.MODULE_SELF_METHODS:
            return frozenset({module})
        return self.parameters_of(module, name, node) or UNKNOWN

    def children(self, module: Obj) -> Optional[Tuple[Value, ...]]:
        """An nn.Sequential's children on every path here (None: unknown)."""
        known = self.state.get(("children", module))
        return known.items if known is not None else None

    def parameters_of(self, module: Obj, name: str, node) -> Optional[Value]:
        """`module.parameters()` / `named_parameters()`: leaves that require grad."""
        if name not in api.PARAMETER_ITERATORS and name not in api.NAMED_PARAMETER_ITERATORS:
            return None
        param = self.site_obj(node, T.TENSOR, ("some parameter", id(module)), label="parameter")
        self.set_tensor_state(param, TensorState(frozenset({Leaf.RG_LEAF})))
        element = frozenset({param})
        if name in api.NAMED_PARAMETER_ITERATORS:
            element = frozenset({self.new_container(node, T.TUPLE, Shape((self.opaque(), element)), key="pair")})
        return frozenset({self.new_container(node, T.PARAMETERS, Shape(summary=element))})

    # ----------------------------------------------------------------- code in the file
    def instantiate(self, cls: Obj, node, args: Args, kwargs: Kwargs) -> Value:
        if self.subclasses_tensor(cls):
            tensors = [o for _, v in args for o in v if o.sort is T.TENSOR]
            if tensors:
                return self.copy_of(frozenset(tensors), node, cls.label, None, None, wrap=True)
            return UNKNOWN
        # One object per class made here (`(A if c else B)()`): its class never changes.
        where = (getattr(cls.node, "lineno", 0), getattr(cls.node, "col_offset", 0))
        instance = self.site_obj(node, T.INSTANCE, ("instance of",) + where, label=cls.label)
        instance.extra["class"] = cls
        instance.extra["is_module"] = bool(cls.extra.get("is_module"))
        init = self.class_lookup(cls, "__init__")
        if init is not None:
            for fobj in init:
                if fobj.sort is T.FUNCTION:
                    self.inline(fobj, node, args, kwargs, self_value=frozenset({instance}))
        elif "fields" in cls.extra and self.class_lookup(cls, "__post_init__") is None:
            self.store_fields(instance, cls.extra["fields"], args, kwargs)
        elif args or kwargs or not self.class_is_known(cls):
            # A generated __init__ we do not model keeps its arguments where we can't see.
            self.escape_arguments(args, kwargs)
        return frozenset({instance})

    def store_fields(self, instance: Obj, fields: List[str], args: Args, kwargs: Kwargs) -> None:
        """A record's generated __init__: each argument becomes the field it names, in order."""
        if any(isinstance(node, ast.Starred) for node, _ in args) or "**" in kwargs or len(args) > len(fields):
            self.escape_arguments(args, kwargs)
            return
        for field, (_node, value) in zip(fields, args):
            self.set_attribute(instance, field, value)
        for name, (_node, value) in kwargs.items():
            if name in fields:
                self.set_attribute(instance, name, value)
            else:
                self.escape(value)

    def record_class(self, node, args: Args) -> Value:
        """`collections.namedtuple("Name", "a b")` / `(..., ["a", "b"])`: a class with those fields."""
        fields = None
        if len(args) >= 2:
            spec = self.known_const(args[1][1], None)
            if isinstance(spec, str):
                fields = spec.replace(",", " ").split()
            elif isinstance(args[1][0], (ast.List, ast.Tuple)):
                names = [e.value for e in args[1][0].elts if isinstance(e, ast.Constant)]
                fields = names if len(names) == len(args[1][0].elts) and all(isinstance(n, str) for n in names) \
                    else None
        if fields is None:
            return UNKNOWN
        cls = self.site_obj(node, T.CLASS, label=self.known_const(args[0][1], None) or "namedtuple")
        cls.extra.update(bases=[], namespace={}, fields=fields)
        return frozenset({cls})

    def namespace_instance(self, node, args: Args, kwargs: Kwargs) -> Value:
        """`types.SimpleNamespace(h=t)`: an object whose attributes are its keyword arguments."""
        if args or "**" in kwargs:
            self.escape_arguments(args, kwargs)
            return UNKNOWN
        instance = self.site_obj(node, T.INSTANCE, label="SimpleNamespace")
        for name, (_node, value) in kwargs.items():
            self.set_attribute(instance, name, value)
        return frozenset({instance})

    def subclasses_tensor(self, cls: Obj, depth: int = 0) -> bool:
        for base in cls.extra.get("bases", ()):
            for obj in base:
                if obj.sort is T.CONST and obj.qualname == "torch.Tensor":
                    return True
                if obj.sort is T.CLASS and depth < 8 and self.subclasses_tensor(obj, depth + 1):
                    return True
        return False

    def class_is_known(self, cls: Obj, depth: int = 0) -> bool:
        """Every base is a class of the file, `object` or torch.nn.Module."""
        for base in cls.extra.get("bases", ()):
            for obj in base:
                if obj.sort is T.CLASS:
                    if depth > 8 or not self.class_is_known(obj, depth + 1):
                        return False
                elif not (obj.sort is T.CONST and obj.qualname in api.MODULE_BASES | {"builtins.object"}):
                    return False
        return True

    def instance_method(self, obj: Obj, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        attribute = self.state.get(("a", obj, name))
        if attribute is not None:
            out = NOTHING
            for callee in attribute:
                out |= self.call_object(callee, node, args, kwargs)
            return out
        cls = obj if obj.sort is T.CLASS else obj.extra.get("class")
        found = self.class_lookup(cls, name) if cls is not None else None
        if found is not None:
            out = NOTHING
            for fobj in found:
                if fobj.sort is T.FUNCTION:
                    bound = None if obj.sort is T.CLASS or self.is_static(fobj) else frozenset({obj})
                    out |= self.inline(fobj, node, args, kwargs, self_value=bound)
                else:
                    out |= self.call_object(fobj, node, args, kwargs)
            return out
        if obj.extra.get("is_module") and cls is not None and self.class_is_known(cls):
            if name in api.MODULE_SELF_METHODS:
                return frozenset({obj})
            found = self.parameters_of(obj, name, node)
            if found is not None:
                return found
            return UNKNOWN
        self.escape_arguments(args, kwargs)
        return UNKNOWN

    @staticmethod
    def is_static(fobj: Obj) -> bool:
        node = fobj.node
        return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod")
                   for d in getattr(node, "decorator_list", ()))

    def inline(self, fobj: Obj, node, args: Args, kwargs: Kwargs, self_value: Optional[Value] = None) -> Value:
        fnode = fobj.node
        if self_value is None:
            self_value = fobj.extra.get("self")  # a bound method
        if self.runs_later(fnode):
            # Generators and coroutines run their body when iterated or awaited, not when called.
            self.escape_arguments(args, kwargs)
            return UNKNOWN
        if self.uninformative_call(fnode, args, kwargs, self_value):
            # Nothing known flows in: the standalone analysis of the function says all there is.
            return UNKNOWN
        inlined_before = self.inline_counts.get(fnode, 0)
        if len(self.call_stack) >= MAX_CALL_DEPTH or fnode in self.call_stack or self.budget <= 0 \
                or inlined_before >= MAX_INLINES_PER_FUNCTION:
            self.escape_arguments(args, kwargs)
            if self_value:
                self.escape(self_value)
            return UNKNOWN
        self.inlined.add(fnode)
        self.inline_counts[fnode] = inlined_before + 1
        closure = fobj.extra.get("closure", self.module_frame)
        context = (self.context + (id(node),))[-3:]
        frame = self.new_frame(fnode, closure, context)
        entry = self.state
        self.state = entry.child()
        self.anchors.append(entry)
        saved_grad = self.state.get("grad", True)
        if fobj.extra.get("grad_mode") is False:
            self.state.set("grad", False)
        saved = (self.frame, self.context, self.path)
        self.call_stack.append(fnode)
        self.call_lines.append(node.lineno)
        try:
            self.bind_parameters(fnode, frame, args, kwargs, self_value)
            self.frame, self.context = frame, context
            self.path = self.path + (CallStep(node, self.child_path),)
            if isinstance(fnode, ast.Lambda):
                frame.returns.append((self.state, self.eval(fnode.body)))
                self.kill_path()
            else:
                self.exec_block(fnode.body)
        finally:
            self.anchors.pop()
            self.call_stack.pop()
            self.call_lines.pop()
            self.frame, self.context, self.path = saved
        exits = [state for state, _ in frame.returns] + [self.state]
        result = NOTHING
        for _, value in frame.returns:
            result |= value
        if not self.state.dead:
            result |= self.const(None)
        # Functions defined in the call keep the frame as their closure, and the exit states hold
        # those functions: drop the states, or the cycle leaves them all to the cyclic collector.
        frame.returns = []
        self.state = merged(entry, exits)
        if not self.state.dead:
            self.state.set("grad", saved_grad)
        return result or UNKNOWN

    def runs_later(self, fnode) -> bool:
        cached = self.deferred_bodies.get(fnode)
        if cached is None:
            cached = isinstance(fnode, ast.AsyncFunctionDef) or self.scope_of(fnode).has_yield
            self.deferred_bodies[fnode] = cached
        return cached

    @staticmethod
    def uninformative_call(fnode, args: Args, kwargs: Kwargs, self_value) -> bool:
        """Every argument is unknown (and there is at least one): inlining would learn nothing."""
        values = [v for _, v in args] + [v for _, v in kwargs.values()]
        if self_value is not None:
            values.append(self_value)
        return bool(values) and all(v == UNKNOWN for v in values)

    def bind_parameters(self, fnode, frame, args: Args, kwargs: Kwargs, self_value) -> None:
        spec = fnode.args
        positional = ([(fnode, self_value)] if self_value is not None else []) + list(args)
        params = spec.posonlyargs + spec.args
        starred = any(isinstance(n, ast.Starred) for n, _ in positional)
        defaults = [None] * (len(params) - len(spec.defaults)) + list(spec.defaults)
        used = set()

        def put(name, value):
            self.state.set(("v", frame.key, name), value)

        for index, param in enumerate(params):
            if index < len(positional) and not starred:
                put(param.arg, positional[index][1])
            elif param.arg in kwargs:
                put(param.arg, kwargs[param.arg][1])
                used.add(param.arg)
            elif starred:
                put(param.arg, UNKNOWN)
            else:
                default = defaults[index]
                put(param.arg, self.eval_default(default))
        extra = positional[len(params):]
        if spec.vararg is not None:
            summary = NOTHING.union(*(v for _, v in extra)) if extra else NOTHING
            put(spec.vararg.arg, frozenset({self.new_container(fnode, T.TUPLE, Shape(summary=summary),
                                                               key="*args")}))
        for param, default in zip(spec.kwonlyargs, spec.kw_defaults):
            if param.arg in kwargs:
                put(param.arg, kwargs[param.arg][1])
                used.add(param.arg)
            else:
                put(param.arg, self.eval_default(default))
        if spec.kwarg is not None:
            rest = [v for k, (_, v) in kwargs.items() if k not in used]
            put(spec.kwarg.arg, frozenset({self.new_container(
                fnode, T.DICT, Shape(summary=NOTHING.union(*rest) | UNKNOWN), key="**kwargs")}))

    def eval_default(self, node) -> Value:
        if node is None:
            return UNKNOWN
        if isinstance(node, ast.Constant):
            return self.const(node.value)
        return UNKNOWN

    # ----------------------------------------------------------------- builtins and containers
    def call_builtin(self, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        values = [v for _, v in args]
        if name == "getattr" and len(args) >= 2:
            attribute = self.known_const(values[1], None)
            if attribute == "grad":
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
                for pair in self.iterate(value):
                    shape = self.shape(pair) if pair.sort in (T.TUPLE, T.LIST) else None
                    summary |= shape.everything() if shape else UNKNOWN
            for _, value in kwargs.values():
                summary |= value
            return frozenset({self.new_container(node, T.DICT, Shape(summary=summary))})
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
        if name in ("sum", "min", "max", "abs"):
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
        if name in ("map", "filter", "super"):
            self.escape_arguments(args, kwargs)
            return UNKNOWN
        return self.opaque()

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
                item = self.container_item(obj, values[0], ast.Subscript(slice=ast.Constant(0)))
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
        self.state.set(("e", obj), Shape(summary=shape.everything() | value))
