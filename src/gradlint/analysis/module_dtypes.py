"""The dtype of a module's parameters after `model.double()`, `model.half()`, `model.to(torch.float64)`.

`dtype = next(model.parameters()).dtype` after `model.double()` is torch.float64. The fact lives in
the flow state, keyed by the module, stamped with the last conversion event on the path: converting
a module converts its submodules too, and code we cannot see may convert a module handed to it, so
any later conversion or escape (a new stamp) makes every earlier fact unknown but the one it sets.
Joins of paths that disagree on the stamp make them all unknown. A conversion's stamp is (call,
module): only that conversion sets it, together with the module's fact, so loops reach a fixpoint.
"""
from __future__ import annotations

from typing import Optional

from . import torch_api as api
from .arguments import Args, Kwargs
from .host import HostBase
from .keys import CONVERSION_STAMP as STAMP
from .keys import MODULE_DTYPE
from .values import T, Value

UNKNOWN_DTYPE = "?"
INVALIDATED = ("invalidated",)  # the stamp after an event that may convert any module
KEEPING_MEMBERS = frozenset({api.Kind.MODULE_CALL, api.Kind.MODULE_SELF, api.Kind.PARAMETER_ITERATOR,
                             api.Kind.NAMED_PARAMETER_ITERATOR, api.Kind.FORWARD_HOOK_REGISTRATION})


class ModuleDtypesMixin(HostBase):
    def new_module(self, module) -> None:
        """A module made here: its dtype is not known."""
        if self.state.get(STAMP) is None:  # (paths that disagree on it: nothing is known)
            self.state.set(STAMP, INVALIDATED)
        self.state.set((MODULE_DTYPE, module), (UNKNOWN_DTYPE, INVALIDATED))

    def convert_module(self, module, spec: api.Spec, node, args: Args, kwargs: Kwargs) -> Value:
        """`model.double()`: the module itself, its parameters converted in place."""
        dtype = None if spec.keeps_dtype else self.conversion_dtype(spec, args, kwargs)
        if dtype is not None:  # (None: a device move, no dtype changes)
            stamp = (id(node), id(module))
            self.state.set(STAMP, stamp)
            self.state.set((MODULE_DTYPE, module), (dtype, stamp))
        return frozenset({module})

    def converted_one_of(self, receiver: Value, name: str) -> None:
        """`(a if c else b).double()`: which module was converted is not known."""
        spec = api.module_member(name)
        if len(receiver) > 1 and spec is not None and spec.kind is api.Kind.MODULE_SELF and not spec.keeps_dtype:
            self.state.set(STAMP, INVALIDATED)

    def conversion_dtype(self, spec: api.Spec, args: Args, kwargs: Kwargs) -> Optional[str]:
        """The dtype a conversion gives the parameters (None: unchanged, UNKNOWN_DTYPE: not known)."""
        if spec.dtype is not None:
            return spec.dtype
        if not spec.dtype_argument:
            return UNKNOWN_DTYPE  # `apply(fn)`
        dtype = None
        for _, value in args:
            named = self.dtype_name(value)
            if named is not None:
                dtype = named
            elif not self.is_device_value(value):  # a tensor, or a dtype we cannot name
                return UNKNOWN_DTYPE
        others = set(kwargs) - {"device", "non_blocking"}
        if others == {"dtype"}:
            return self.dtype_name(kwargs["dtype"][1]) or UNKNOWN_DTYPE
        return UNKNOWN_DTYPE if others else dtype

    def is_device_value(self, value: Value) -> bool:
        """A device surely (`"cuda"`, `torch.device(...)`), never a dtype."""
        return bool(value) and all(o.sort is T.CONST and (o.device is not None or (
            isinstance(o.const, str) and self.device_name(frozenset({o})) != "?")) for o in value)

    def module_dtype(self, module) -> Optional[str]:
        """The dtype of the module's parameters on every path here (None: not known)."""
        fact = self.state.get((MODULE_DTYPE, module))
        stamp = self.state.get(STAMP)
        if fact is None or stamp is None or fact[1] != stamp or stamp == INVALIDATED or fact[0] == UNKNOWN_DTYPE:
            return None
        return fact[0]

    def module_may_change(self, module) -> None:
        """A module handed to code we cannot see may be converted there; a module given a new
        attribute, child or state may hold parameters of another dtype (its own, or a parent's)."""
        if module.sort in (T.TORCH_MODULE, T.INSTANCE) and self.state.get(STAMP) != INVALIDATED:
            self.state.set(STAMP, INVALIDATED)

    def module_member_called(self, module, spec: Optional[api.Spec]) -> None:
        """A module method other than running it, a conversion or reading its parameters
        (`load_state_dict(sd, assign=True)`, `add_module`) may change its parameters' dtype."""
        if spec is None or spec.kind not in KEEPING_MEMBERS:
            self.module_may_change(module)
