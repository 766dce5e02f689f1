"""Calls of torch.nn modules: made, run (with their forward hooks and reparametrized weights),
their methods (children, parameters, train()/eval(), conversions); torch_api's table says what
each module and method is."""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import Optional, Tuple

from . import torch_api as api
from .arguments import Args, Kwargs
from .host import HostBase
from .keys import ATTRIBUTE, CHILDREN, HOOKS, MODES, REPARAMS, SLOTS
from .values import (NO_REPARAMS, NOTHING, TRAINING_MODES, UNKNOWN, Category, Children, Event, Hooks, Leaf, Modes, Obj,
                     Shape, Slots, T, TensorState, Value, Why, ordered)

Kind = api.Kind
Recompute = api.Recompute


class ModuleCallsMixin(HostBase):
    def register_hook(self, receiver: Value, node, args: Args, kwargs: Kwargs) -> None:
        """`module.register_forward_hook(fn)`: fn runs on each output of that module (from here
        on, on this path: the registered hooks live in the flow state). With keywords
        (`with_kwargs=True` changes the hook's parameters, `prepend=True` the order) it is not
        followed."""
        hook = args[0][1] if args else UNKNOWN
        modules = [o for o in receiver if o.sort in (T.TORCH_MODULE, T.INSTANCE)]
        if modules and not kwargs and len(args) == 1 and len(modules) == len(receiver) and all(o.sort is T.FUNCTION for o in hook):
            for module in modules:
                hooks = self.state.get((HOOKS, module)) or Hooks()
                if len(modules) > 1:  # registered on one of them: on the other, not
                    hooks = hooks.join(hooks.added(hook))
                else:
                    hooks = hooks.added(hook)
                self.state.set((HOOKS, module), hooks)
            self.resolved_hook_sites.add(node)
        else:
            self.unresolved_hooks = True

    def hooked(self, module: Obj, node, args: Args, output: Value) -> Value:
        """A module output after its forward hooks ran (or, for hooks we cannot see, escaped)."""
        hooks = self.state.get((HOOKS, module)) or Hooks()
        for hook in hooks.items:
            inputs = frozenset({self.new_container(node, T.TUPLE, Shape(tuple(v for _, v in args)), key="hook")})
            result = NOTHING
            if len(hook) == 1:
                self.bind_hook_output(next(iter(hook)), output)
            for fobj in hook:
                result |= self.inline(fobj, node, [(node, frozenset({module})), (node, inputs), (node, output)], {})
            replaced = frozenset(o for o in result if not (o.sort is T.CONST and o.const is None))
            if replaced:  # a hook that returns a value replaces the output
                output = replaced | (output if replaced != result else NOTHING)
        if self.unresolved_hooks or not hooks.sure or self.file.unresolved_hooks or \
                not self.file.forward_hook_sites <= self.resolved_hook_sites:
            self.escape(output)  # a hook we cannot see (or not yet registered where it runs) may retain it
        return output

    def bind_hook_output(self, fobj: Obj, output: Value) -> None:
        """The hook is where its output may retain grad: it runs on the output as the module makes
        it, before anything else sees it (a Binding on the hook, for the retain fix)."""
        fnode = fobj.node
        if not isinstance(fnode, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return
        params = fnode.args.posonlyargs + fnode.args.args
        index = 2 + (fobj.bound_self is not None)  # (module, inputs, output) after a bound self
        if len(params) > index:
            self.note_binding(output, fnode, params[index].arg, params[index])

    def call_new_module(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        module = self.site_obj(node, T.TORCH_MODULE, qualname=q, label=q.rsplit(".", 1)[-1])
        self.new_module(module)
        self.module_made(module)
        if spec.kind is Kind.MODULE_WITH_PARAMETERS:
            self.state.set((SLOTS, module), Slots())  # every slot holds the layer's own parameter
        return frozenset({module})

    def call_sequential(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        (module,) = self.call_new_module(q, spec, node, args, kwargs)
        self.state.set((CHILDREN, module), Children(tuple(v for _, v in args)))
        return frozenset({module})

    def call_wrapper_module(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        """`nn.DataParallel(model)`: a module holding `model` (as `.module`) whose call calls it."""
        wrapper = self.site_obj(node, T.TORCH_MODULE, qualname=q, label=q.rsplit(".", 1)[-1])
        name = spec.attribute or "module"
        wrapped = self.argument(args, kwargs, name, 0)
        self.state.set((ATTRIBUTE, wrapper, name), wrapped[1] if wrapped is not None else UNKNOWN)
        return frozenset({wrapper})

    def call_module_container(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        """nn.ModuleList / ModuleDict behave as their list or dict."""
        if args:
            return self.call_builtin(spec.container, node, args, {})
        sort = T.LIST if spec.container == "list" else T.DICT
        return frozenset({self.new_container(node, sort, Shape((), None if sort is T.LIST else ()))})

    def call_reparametrization(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        if not args:
            return UNKNOWN
        default = spec.attribute
        name = self.known_const(kwargs["name"][1], None) if "name" in kwargs else (
            self.known_const(args[1][1], None) if len(args) > 1 else default)
        short = q.rsplit(".", 1)[-1]
        for module in args[0][1]:
            if isinstance(name, str) and module.sort in (T.TORCH_MODULE, T.INSTANCE):
                reparams = (self.state.get((REPARAMS, module)) or NO_REPARAMS).added(name, (spec, short), node.lineno)
                self.state.set((REPARAMS, module), reparams)
                why = self.why(node, Event.REPARAMETRIZED, short, name=name)
                if spec.recompute is Recompute.AT_FORWARD:  # `weight.data` until the first forward
                    weight = self.new_tensor(node, {Leaf.PLAIN}, key=("reparam", id(module), name))
                else:
                    grad = True if spec.recompute is Recompute.ON_READ else self.grad_enabled()
                    weight = self.computed_attribute(node, ("reparam", id(module), name), why, grad, spec, name)
                self.state.set((ATTRIBUTE, module, name), frozenset({weight}))
        return args[0][1]

    def call_reparametrization_removal(self, q: str, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        if not args:
            return UNKNOWN
        name = self.known_const(kwargs["name"][1], None) if "name" in kwargs else (
            self.known_const(args[1][1], None) if len(args) > 1 else spec.attribute)
        for module in args[0][1]:
            reparams = self.state.get((REPARAMS, module)) or NO_REPARAMS
            self.state.set((REPARAMS, module), reparams.removed(name if isinstance(name, str) else None))
        return args[0][1]

    def computed_attribute(self, node, key, why: Why, grad, spec: api.Spec, name: str) -> Obj:
        """A reparametrized attribute computed (from parameters that may be frozen) in grad mode `grad`."""
        if grad is True and not self.file.parameters_may_be_frozen:
            why = replace(why, category=Category.REPARAMETRIZED, originals=spec.originals.format(name=name))
            return self.new_tensor(node, {Leaf.NONLEAF}, why, key=key)
        return self.new_tensor(node, {Leaf.PLAIN if grad is False else Leaf.UNKNOWN}, key=key)

    def recompute_reparametrized(self, module: Obj, node) -> None:
        """`module(x)`: its forward pre-hooks compute its hook-reparametrized attributes anew, in
        the grad mode of the call."""
        reparams = self.state.get((REPARAMS, module))
        for name, (spec, short), line in reparams.items if reparams else ():
            if spec.recompute is not Recompute.ON_READ:
                why = self.why(node, Event.RECOMPUTED, short, name=name, other_line=line,
                               call=self.source.segment(node))
                weight = self.computed_attribute(node, ("reparam", id(module), name, "forward"), why,
                                                 self.grad_enabled(), spec, name)
                self.state.set((ATTRIBUTE, module, name), frozenset({weight}))

    def forget_reparametrized(self, module: Obj) -> None:
        """The module went where we cannot see: its forward may have run there, in any grad mode."""
        reparams = self.state.get((REPARAMS, module))
        for name, (spec, _), _ in reparams.items if reparams else ():
            if spec.recompute is not Recompute.ON_READ:
                self.state.set((ATTRIBUTE, module, name), UNKNOWN)

    def reparametrized_read(self, module: Obj, name: str) -> Optional[Value]:
        """`module.<name>` of a reparametrized attribute when it is not what the state holds:
        unknown where the reparametrization happened on some paths only, or where the attribute is
        computed at each read and the read may be outside grad mode. None: read the state."""
        reparams = self.state.get((REPARAMS, module))
        if reparams is None:
            return None
        if name in reparams.unsure:
            return UNKNOWN
        entry = reparams.entry(name)
        if entry is not None and entry[1][0].recompute is Recompute.ON_READ and self.grad_enabled() is not True:
            return UNKNOWN
        return None

    def call_module(self, module: Obj, node, args: Args, kwargs: Kwargs) -> Value:
        spec = api.function(module.qualname) if module.qualname else None
        kind = spec.kind if spec is not None else None
        inputs = [self.flatten_tensors(v) for v in self.all_values(args, kwargs)]
        if kind is Kind.SEQUENTIAL:
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
        if kind is Kind.WRAPPER_MODULE:
            out = NOTHING
            attribute = spec.attribute if spec is not None and spec.attribute else "module"
            for wrapped in self.object_attribute(module, attribute):
                out |= self.call_object(wrapped, node, args, kwargs)
            return out or UNKNOWN
        if kind is Kind.IDENTITY_MODULE:
            return inputs[0] if inputs else UNKNOWN
        if kind is Kind.MAYBE_IDENTITY_MODULE:
            return self.maybe_identity(node, inputs[0]) if inputs else UNKNOWN
        if kind is Kind.PARAMETER_FREE_MODULE:
            return self.op_result(node, inputs, self.source.segment(node))
        if spec is None or kind is not Kind.MODULE_WITH_PARAMETERS:
            return UNKNOWN
        grad = self.grad_enabled()
        # What the output is computed from: the inputs, and what was stored on the module (a
        # parameter replaced by a computed tensor is part of the graph).
        stored, _ = self.slot_parameters(module)
        graph = inputs + [self.state.get(key) or UNKNOWN for key in self.attribute_keys(module)] + \
            [frozenset({obj}) for obj in ordered(stored)]
        output = self.module_output(node, grad, inputs, graph=graph)
        structure = spec.structure
        if structure is not None:
            return self.structured_output(node, structure, output, grad, inputs, graph=graph)
        return output

    def structured_output(self, node, structure, first: Value, grad, inputs, path=(), graph=None) -> Value:
        """`out, (h, c) = lstm(x)`: a tuple tree whose tensors all come from the parameters."""
        items = []
        for index, part in enumerate(structure):
            where = path + (index,)
            if isinstance(part, tuple):
                items.append(self.structured_output(node, part, first, grad, inputs, where, graph))
            elif part == "?":
                items.append(UNKNOWN)
            elif where == (0,):
                items.append(first)
            else:
                items.append(self.module_output(node, grad, inputs, key=where, graph=graph))
        return frozenset({self.new_container(node, T.TUPLE, Shape(tuple(items)), key=("output",) + path)})

    def module_output(self, node, grad, inputs, key=None, graph=None) -> Value:
        """The output of a layer with parameters: a non-leaf whenever grad mode is on. `graph`: what
        it is computed from (its inputs and the module's stored tensors)."""
        graph = inputs if graph is None else graph
        if grad is True and not self.file.parameters_may_be_frozen:
            child = ""
            if self.child_path and isinstance(node, ast.Call):
                child = self.source.segment(node.func) + "".join(f"[{i}]" for i in self.child_path)
            why = self.why(node, Event.MODULE_OUTPUT, self.source.segment(node), name=child)
            return frozenset({self.new_tensor(node, {Leaf.NONLEAF}, why, key=key, inputs=self.graph_inputs(graph),
                                              closed=self.graph_closed(graph), **self.layer_placement(inputs))})
        return self.op_result(node, inputs, self.source.segment(node), key=key)

    def layer_placement(self, inputs) -> dict:
        """A layer runs only where its input is and only on its parameters' dtype: its output has
        the device and the (float) dtype its tensor inputs share (not under autocast)."""
        tensors = frozenset(o for value in inputs for o in value)
        if not tensors or any(o.sort is not T.TENSOR for o in tensors):
            return {}
        placement = self.placement_of(tensors)
        if placement["dtype"] not in api.FLOAT_DTYPES or self.file.autocast_possible:
            placement["dtype"] = None
        return placement

    def module_method(self, module: Obj, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        spec = api.module_member(name)
        kind = spec.kind if spec is not None else None
        if kind is Kind.MODULE_CALL:  # `m.forward(x)` skips the pre-hooks, `m.__call__(x)` runs them
            self.forget_reparametrized(module)
            return self.call_module(module, node, args, kwargs)
        self.module_member_called(module, spec)
        known = self.state.get((CHILDREN, module))
        if known is not None and kind is Kind.CHILD_APPEND and args:
            self.state.set((CHILDREN, module), known.appended(args[-1][1]))
            return frozenset({module}) if spec is not None and spec.returns_self else self.const(None)
        if known is not None and kind is Kind.CHILDREN_CHANGE:
            self.forget_layout(module)
            self.escape_arguments(args, kwargs)
            return UNKNOWN
        if kind is Kind.MODULE_SELF:
            return self.convert_module(module, spec, node, args, kwargs)
        if kind is Kind.CHILD_ITERATOR and spec is not None:
            return self.child_iterator(module, node, spec.named)
        found = self.parameters_of(module, name, node)
        if found is None:  # `register_parameter`, `load_state_dict`...: what its slots hold is not known
            self.escape_slots(module, 0)
        return found or UNKNOWN

    def change_modes(self, receiver: Value, spec: api.Spec, args: Args, kwargs: Kwargs) -> None:
        """`m.train()` / `m.eval()` / `m.train(False)`: m's training flag is known from here on (its
        submodules' changed too: they are no longer known, nor any other module's)."""
        if not any(self.is_module(o) or o.sort is T.UNKNOWN for o in receiver):
            return  # not a module: an `eval` of something else
        flag = spec.training
        if spec.mode_argument and flag is True:
            flag = self.flag(args, kwargs, "mode", 0, True)
        modes = self.modes()
        if flag is not None and not spec.any_mode and len(receiver) == 1 and self.is_module(next(iter(receiver))):
            self.state.set(MODES, modes.set(next(iter(receiver)), flag))
        else:
            self.state.set(MODES, modes.unknown())

    def modes(self) -> Modes:
        return self.state.get(MODES) or TRAINING_MODES

    def forget_modes(self, escaped: bool = False) -> None:
        """Code we cannot see may have called train()/eval() on any module (`escaped`: a module
        went there, and may be switched by any later call)."""
        modes = self.modes().unknown()
        self.state.set(MODES, Modes(True, None, True) if escaped else modes)

    def module_made(self, module: Obj) -> None:
        """A module object made anew (in training mode): a flag known for its last making is stale."""
        modes = self.state.get(MODES)
        if modes is not None and modes.last is not None and modes.last[0] is module:
            self.forget_modes()

    def training_flag(self, obj: Obj) -> Optional[bool]:
        """`module.training` where the analysis knows it (None: unknown)."""
        if obj.sort is T.INSTANCE and not (obj.is_module and obj.of_class is not None
                                           and self.class_is_known(obj.of_class)):
            return None
        if obj.sort not in (T.INSTANCE, T.TORCH_MODULE):
            return None
        return self.modes().flag(obj)

    def child_iterator(self, module: Obj, node, named: bool) -> Value:
        """`seq.children()` / `seq.named_children()`: a tuple of the distinct children in order (a
        module held twice is yielded once), names unknown (`add_module` names them)."""
        distinct = self.distinct_children(module)
        if distinct is None:
            return UNKNOWN
        items = distinct
        if named:
            items = tuple(frozenset({self.new_container(node, T.TUPLE, Shape((self.opaque(), child)),
                                                        key=("child", index))})
                          for index, child in enumerate(distinct))
        return frozenset({self.new_container(node, T.TUPLE, Shape(items), key="children")})

    def distinct_children(self, module: Obj) -> Optional[Tuple[Value, ...]]:
        """An nn.Sequential's children when each is one known module (None: not known)."""
        children = self.children(module)
        if children is None or any(len(child) != 1 or not self.is_module(next(iter(child))) for child in children):
            return None
        return tuple(dict.fromkeys(children))

    @staticmethod
    def is_module(obj: Obj) -> bool:
        return obj.sort is T.TORCH_MODULE or (obj.sort is T.INSTANCE and obj.is_module)

    def children(self, module: Obj) -> Optional[Tuple[Value, ...]]:
        """An nn.Sequential's children on every path here (None: unknown)."""
        known = self.state.get((CHILDREN, module))
        return known.items if known is not None else None

    def parameters_of(self, module: Obj, name: str, node) -> Optional[Value]:
        """`module.parameters()` / `named_parameters()`: leaves that require grad, and what was
        stored in the layer's parameter slots (`must`: the tensors it yields on every path)."""
        spec = api.module_member(name)
        if spec is None or spec.kind not in (Kind.PARAMETER_ITERATOR, Kind.NAMED_PARAMETER_ITERATOR):
            return None
        dtype = self.module_dtype(module)  # one object per dtype: an object's dtype never changes
        param = self.site_obj(node, T.TENSOR, ("some parameter", id(module), dtype), label="parameter", dtype=dtype)
        self.set_tensor_state(param, TensorState(frozenset({Leaf.RG_LEAF})))
        element, must = self.slot_parameters(module)
        element |= {param}
        if spec.kind is Kind.NAMED_PARAMETER_ITERATOR:
            element = frozenset({self.new_container(node, T.TUPLE, Shape((self.opaque(), element)), key="pair")})
            must = NOTHING
        return frozenset({self.new_container(node, T.PARAMETERS, Shape(summary=element, must=must))})

    def slot_parameters(self, module: Obj) -> Tuple[Value, Value]:
        """The tensors stored in a layer's parameter slots that parameters() may yield, and those it
        yields on every path (a registered slot holding one tensor, never the layer's own)."""
        slots = self.state.get((SLOTS, module)) if module.sort is T.TORCH_MODULE else None
        if slots is None:
            return NOTHING, NOTHING
        if slots.changed:
            return UNKNOWN, NOTHING
        may, must = NOTHING, NOTHING
        for _, slot in slots.items:
            if slot.registered is False:
                continue
            may |= frozenset(o for o in slot.value if o.sort is not T.CONST)
            if slot.registered and not slot.original and len(slot.value) == 1 \
                    and next(iter(slot.value)).sort is T.TENSOR:
                must |= slot.value
        return may, must
