"""The keys of the flow state (state.py), typed by the fact they hold.

A key is a `Fact` tag, alone for a fact about the program point (`EPOCH`), or first in a tuple
with what the fact is about (`(TENSOR, obj)`, `(VARIABLE, frame key, name)`). The tag's type
parameter is the type of the fact, so the type checker knows that `state.get((TENSOR, obj))` is a
TensorState (or None) and refuses a key spelled as a bare string. Tags hash by identity, as fast
as the strings they replace.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, FrozenSet, Generic, Optional, Tuple, TypeVar, Union

from .values import Children, Epoch, Hooks, Modes, Obj, Reparams, Shape, Slots, TensorState, Value

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F")


class Fact(Generic[F]):
    """A kind of flow fact (F: the type of its values)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return self.name


#: A state key: the tag alone, or the tag and what the fact is about.
Key = Union[Fact[F], Tuple[Fact[F], "Unpack[Tuple[Any, ...]]"]]

# -- facts about one variable or object --------------------------------------------------------
VARIABLE: Fact[Value] = Fact("variable")  # (VARIABLE, frame key, name): what a name is bound to
ATTRIBUTE: Fact[Value] = Fact("attribute")  # (ATTRIBUTE, obj, name): an attribute set on an object
ATTRIBUTE_NAMES: Fact[FrozenSet[str]] = Fact("attribute names")  # (ATTRIBUTE_NAMES, obj)
TENSOR: Fact[TensorState] = Fact("tensor")  # (TENSOR, obj): leaf status, retain, reasons
ELEMENTS: Fact[Shape] = Fact("elements")  # (ELEMENTS, obj): a list's, tuple's or dict's items
CHILDREN: Fact[Children] = Fact("children")  # (CHILDREN, module): an nn.Sequential's layers
HOOKS: Fact[Hooks] = Fact("hooks")  # (HOOKS, module): its forward hooks
VIEWS: Fact[FrozenSet[Obj]] = Fact("views")  # (VIEWS, tensor): the views taken of it
VIEW_OF: Fact[Optional[bool]] = Fact("view of")  # (VIEW_OF, tensor): a view (True), maybe one (None)
VIEW_ROOT: Fact[FrozenSet[Obj]] = Fact("view root")  # (VIEW_ROOT, view): the tensors it views at the root
GRAPH_GRAD: Fact[Value] = Fact("graph grad")  # (GRAPH_GRAD, leaf, pass): `.grad` made with a graph

REPARAMS: Fact[Reparams] = Fact("reparametrizations")  # (REPARAMS, module): its reparametrized attributes
SLOTS: Fact[Slots] = Fact("parameter slots")  # (SLOTS, layer): what its replaced parameter slots hold
MODULE_DTYPE: Fact[Tuple[str, Tuple[Any, ...]]] = Fact("module dtype")  # (MODULE_DTYPE, module): (dtype, stamp)

# -- facts about the program point --------------------------------------------------------------
EPOCH: Fact[Epoch] = Fact("epoch")  # backward passes run so far
GRAD_MODE: Fact[Optional[bool]] = Fact("grad mode")  # grad enabled (None: not known)
HAVOC: Fact[bool] = Fact("havoc")  # a statement the analysis cannot follow ran: prove nothing
BACKWARD_LINE: Fact[int] = Fact("backward line")  # the line of the last backward()
# (pass, line) of the last backward() when it had create_graph=True, else False (None: not set on
# the path, as for every key: joins keep what the other path set)
CREATE_GRAPH: Fact[Union[bool, Tuple[int, int]]] = Fact("create graph")
RETAINEES: Fact[Value] = Fact("retainees")  # tensors retained in time that a backward may miss
# something went where a backward() may run through it later: set (to UNKNOWN, which every join
# keeps) on any path where it happened
GRAPH_ESCAPED: Fact[Value] = Fact("graph escaped")
MODES: Fact[Modes] = Fact("training modes")  # the modules' training flags known on this path
# the last event that converted a module (module_dtypes.py): a module's dtype fact holds while it is this
CONVERSION_STAMP: Fact[Tuple[Any, ...]] = Fact("module conversion")
