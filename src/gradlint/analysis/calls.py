"""Calls: the entry point and dispatch by what is called.

torch's API is in torch_calls and, for torch.nn modules, module_calls (from the table in
torch_api), code in the file in inlining, Python builtins and containers in builtin_calls. Anything we cannot see (other libraries, too-deep calls)
gets unknown results, and the tensors handed to it "escape": they may be retained there, so they are
never reported afterwards.
"""
from __future__ import annotations

import ast
from typing import List, Optional, Tuple

from . import numpy_api as np_api
from . import torch_api as api
from .arguments import Args, Kwargs
from .values import NOTHING, UNKNOWN, Obj, T, Value

Kind = api.Kind
BUILTINS = "builtins."
from .builtin_calls import BuiltinCallsMixin
from .inlining import InliningMixin
from .module_calls import ModuleCallsMixin
from .module_dtypes import ModuleDtypesMixin
from .numpy_calls import NumpyCallsMixin
from .torch_calls import TorchCallsMixin


class CallsMixin(TorchCallsMixin, ModuleCallsMixin, InliningMixin, BuiltinCallsMixin, NumpyCallsMixin, ModuleDtypesMixin):
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

    def call_method(self, receiver: Value, name: str, node, args: Args, kwargs: Kwargs) -> Value:
        out = NOTHING
        member = api.tensor_member(name)
        kind = member.kind if member is not None else None
        if kind is Kind.BACKWARD:
            self.run_backward(node, args, kwargs, inputs_position=3, roots=receiver)
        if name == api.FORWARD_HOOK_REGISTRATION:
            self.register_hook(receiver, node, args, kwargs)
            return UNKNOWN
        module_member = api.module_member(name)
        if module_member is not None and (module_member.training is not None or module_member.any_mode):
            self.change_modes(receiver, module_member, args, kwargs)
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
            elif obj.sort is T.MODULE:
                for function in self.module_attribute(obj, name):
                    out |= self.call_object(function, node, args, kwargs)
            elif obj.sort is T.CONST and self.array_dtype(frozenset({obj})):
                out |= self.array_method(frozenset({obj}), name, args, kwargs) or UNKNOWN
            elif obj.sort is T.CONST or obj.sort is T.OPTIMIZER:
                out |= self.opaque()
            elif obj.sort is T.PARAMETER_SLOTS:  # `_parameters.pop(...)`, `.update(...)`: not followed
                self.escape(frozenset({obj}) | frozenset(o for v in self.all_values(args, kwargs) for o in v))
                out |= UNKNOWN
            elif kind is not Kind.BACKWARD and kind is not Kind.RETAIN_GRAD:
                self.escape_arguments(args, kwargs)
                out |= UNKNOWN
        self.converted_one_of(receiver, name)
        return out

    def call_object(self, obj: Obj, node, args: Args, kwargs: Kwargs) -> Value:
        if obj.sort is T.CONST and obj.qualname:
            return self.call_qualified(obj.qualname, node, args, kwargs)
        if obj.sort is T.FUNCTION:
            return self.inline(obj, node, args, kwargs)
        if obj.sort is T.CLASS:
            return self.instantiate(obj, node, args, kwargs)
        if obj.sort is T.TORCH_MODULE:
            self.recompute_reparametrized(obj, node)
            return self.hooked(obj, node, args, self.call_module(obj, node, args, kwargs))
        if obj.sort is T.INSTANCE:
            if obj.is_module:
                self.recompute_reparametrized(obj, node)
                return self.hooked(obj, node, args, self.instance_method(obj, api.FORWARD, node, args, kwargs))
            return self.instance_method(obj, "__call__", node, args, kwargs)
        if obj.sort is T.CONST:
            return self.opaque()
        self.escape_arguments(args, kwargs)
        return UNKNOWN

    def call_qualified(self, qualname: str, node, args: Args, kwargs: Kwargs) -> Value:
        if qualname.startswith(BUILTINS):
            return self.call_builtin(qualname[len(BUILTINS):], node, args, kwargs)
        if api.is_torch(qualname):
            return self.torch_call(qualname, node, args, kwargs)
        if qualname.startswith("math."):
            return self.opaque()
        if np_api.is_numpy(qualname):
            array = self.numpy_call(qualname, node, args, kwargs)
            if array is not None:
                self.escape_arguments(args, kwargs)
                return array
        kind = api.kind_of(qualname)
        if kind is Kind.NAMED_TUPLE_FACTORY:
            return self.record_class(node, args)
        if kind is Kind.NAMESPACE_CLASS:
            return self.namespace_instance(node, args, kwargs)
        if kind is Kind.CHAIN:
            return self.chain(node, args, kwargs)
        spec = api.function(qualname)
        if kind is Kind.BUILTIN_CONTAINER and spec is not None and spec.container is not None:
            return self.call_builtin(spec.container, node, args, kwargs)
        self.escape_arguments(args, kwargs)
        return UNKNOWN
