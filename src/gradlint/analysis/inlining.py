"""Code in the file: functions and classes defined there are inlined at each call with the
caller's values, so a helper returning `x * 2` gives a non-leaf, and a helper that reads `t.grad` is
checked with what it was passed. Too-deep, recursive or too-frequent calls get unknown results, and
what they were handed escapes."""
from __future__ import annotations

import ast
from typing import List, Optional, Union, cast

from . import torch_api as api
from .arguments import Args, Kwargs
from .host import HostBase
from .keys import ATTRIBUTE, GRAD_MODE, VARIABLE
from .state import merged
from .values import NOTHING, UNKNOWN, Obj, Shape, T, Value
from .visits import CallStep

MAX_CALL_DEPTH = 4
MAX_INLINES_PER_FUNCTION = 16  # beyond, calls of that function are unknown (their arguments escape)


class InliningMixin(HostBase):
    def instantiate(self, cls: Obj, node, args: Args, kwargs: Kwargs) -> Value:
        if self.subclasses_tensor(cls):
            tensors = [o for _, v in args for o in v if o.sort is T.TENSOR]
            if tensors:
                return self.copy_of(frozenset(tensors), node, cls.label, None, None, wrap=True)
            return UNKNOWN
        # One object per class made here (`(A if c else B)()`): its class never changes.
        where = (getattr(cls.node, "lineno", 0), getattr(cls.node, "col_offset", 0))
        instance = self.site_obj(node, T.INSTANCE, ("instance of",) + where, label=cls.label)
        instance.of_class = cls
        instance.is_module = cls.is_module
        if instance.is_module:
            self.new_module(instance)
        self.module_made(instance)
        init = self.class_lookup(cls, "__init__")
        if init is not None:
            for fobj in init:
                if fobj.sort is T.FUNCTION:
                    self.inline(fobj, node, args, kwargs, self_value=frozenset({instance}))
        elif cls.fields is not None and self.class_lookup(cls, "__post_init__") is None:
            self.store_fields(instance, cls.fields, args, kwargs)
            if self.plain_fields(cls):
                instance.plain_fields = True
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
                names = [e.value for e in args[1][0].elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                fields = names if len(names) == len(args[1][0].elts) else None
        if fields is None:
            return UNKNOWN
        cls = self.site_obj(node, T.CLASS, label=self.known_const(args[0][1], None) or "namedtuple")
        cls.bases, cls.namespace, cls.fields, cls.named_tuple = (), {}, fields, True
        return frozenset({cls})

    def plain_fields(self, cls: Obj) -> bool:
        """Reading a field of the record gives what was stored (no __getattr__, __getattribute__
        or method of a field's name)."""
        if any(self.class_lookup(cls, name) is not None for name in ("__getattr__", "__getattribute__")):
            return False
        return not any(o.sort is T.FUNCTION for name in cls.fields or () for o in self.class_lookup(cls, name) or ())

    def namespace_instance(self, node, args: Args, kwargs: Kwargs) -> Value:
        """`types.SimpleNamespace(h=t)`: an object whose attributes are its keyword arguments."""
        if args or "**" in kwargs:
            self.escape_arguments(args, kwargs)
            return UNKNOWN
        instance = self.site_obj(node, T.INSTANCE, label="SimpleNamespace")
        instance.plain_fields = True
        for name, (_node, value) in kwargs.items():
            self.set_attribute(instance, name, value)
        return frozenset({instance})

    def subclasses_tensor(self, cls: Obj, depth: int = 0) -> bool:
        for base in cls.bases:
            for obj in base:
                if obj.sort is T.CONST and obj.qualname == api.TENSOR:
                    return True
                if obj.sort is T.CLASS and depth < 8 and self.subclasses_tensor(obj, depth + 1):
                    return True
        return False

    def class_is_known(self, cls: Obj, depth: int = 0) -> bool:
        """Every base is a class of the file, `object` or torch.nn.Module."""
        for base in cls.bases:
            for obj in base:
                if obj.sort is T.CLASS:
                    if depth > 8 or not self.class_is_known(obj, depth + 1):
                        return False
                elif not (obj.sort is T.CONST and (obj.qualname == "builtins.object"
                                                   or api.kind_of(obj.qualname) is api.Kind.MODULE_BASE)):
                    return False
        return True

    def instance_method(self, obj: Obj, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        attribute = self.state.get((ATTRIBUTE, obj, name))
        if attribute is not None:
            out = NOTHING
            for callee in attribute:
                out |= self.call_object(callee, node, args, kwargs)
            return out
        cls = obj if obj.sort is T.CLASS else obj.of_class
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
        if obj.is_module and cls is not None and self.class_is_known(cls):
            member = api.module_member(name)
            self.module_member_called(obj, member)
            if member is not None and member.kind is api.Kind.MODULE_SELF:
                return self.convert_module(obj, member, node, args, kwargs)
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
        fnode = cast(Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda], fobj.node)  # a function's node
        if self_value is None:
            self_value = fobj.bound_self  # a bound method
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
        closure = fobj.closure or self.module_frame
        context = (self.context + (id(node),))[-3:]
        frame = self.new_frame(fnode, closure, context)
        entry = self.state
        self.state = entry.child()
        self.anchors.append(entry)
        saved_grad = self.state.get(GRAD_MODE, True)
        if fobj.grad_mode is False:
            self.state.set(GRAD_MODE, False)
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
            self.state.set(GRAD_MODE, saved_grad)
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
            self.state.set((VARIABLE, frame.key, name), value)

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
