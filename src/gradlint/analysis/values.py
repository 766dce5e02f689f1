"""The abstract values the interpreter computes.

A runtime value is approximated by a *points-to set*: the abstract objects it may be. An abstract
object stands for every runtime object made at one place (an allocation site, in one call context).
Immutable facts about an object live on `Obj`; what can change as the program runs (a tensor's leaf
status, whether it retains grad) lives in the flow state, keyed by the object (keys.py).

Three kinds of "unknown", never confused:
- `UNKNOWN` (a value): anything at all, a tensor included — what code we cannot see returns; a
  tensor handed to such code "escapes" and is never reported afterwards;
- an opaque constant (`Interpreter.opaque()`, a CONST whose `const` is unset): a Python value that
  is surely not a tensor, whose value we do not know (`len(x)`, `math.sqrt(n)`);
- `Leaf.UNKNOWN` (in a tensor's state): surely a tensor, but whether it is a leaf, or requires
  grad, is not known on some path.
"""
from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, field, replace
from typing import Any, Dict, FrozenSet, List, Optional, Tuple, Union


class T(enum.Enum):
    """What sort of thing an object is."""

    TENSOR = "tensor"
    TORCH_MODULE = "torch module"  # an instance of a torch.nn layer
    INSTANCE = "instance"  # an instance of a class defined in the file
    CLASS = "class"
    FUNCTION = "function"
    LIST = "list"
    TUPLE = "tuple"
    DICT = "dict"
    CONST = "const"  # a Python literal (number, string, bool, None, dtype, device string)
    PARAMETERS = "parameters"  # the iterator from module.parameters() and friends
    PARAMETER_SLOTS = "parameter slots"  # a torch.nn layer's `_parameters` dict
    OPTIMIZER = "optimizer"
    MODULE = "module"  # a module of the project, imported with `import X` (site: its frame's key)
    UNKNOWN = "unknown"


class Leaf(enum.Enum):
    """The leaf status of a tensor on one path."""

    RG_LEAF = "requires-grad leaf"
    NONLEAF = "non-leaf"
    PLAIN = "leaf without grad"
    UNKNOWN = "unknown"


class Retain(enum.Enum):
    NO = "no"
    EARLY = "retained before backward"
    LATE = "retained after backward"
    MAYBE = "maybe retained"  # passed where we cannot see: someone may retain it


class Category(enum.Enum):
    COMPUTED = "computed"
    MOVED = "moved"  # a device/dtype copy (or wrap) of a requires-grad leaf
    REPARAMETRIZED = "reparametrized"


class Event(enum.Enum):
    """What made a tensor a non-leaf, as a Why records it (rules/reasons.py tells it in words)."""

    COMPUTED = "an op computed it from a tensor that requires grad"  # code: the op
    MODULE_OUTPUT = "a layer with parameters made it"  # code: the call; name: the child run (`model[0]`)
    IN_PLACE = "an in-place op made a plain tensor part of the graph"  # code: the op
    WRITTEN_INTO = "a write into a plain tensor made it part of the graph"  # code: the target
    COPIED = "a device/dtype move copied a requires-grad leaf"  # code: the move as written (`.to(device)`)
    WRAPPED = "a tensor subclass wrapped a requires-grad leaf"  # code: the wrap
    GPU_COPY = "a move copies a requires-grad leaf when the device is a GPU"  # code: the move
    REPARAMETRIZED = "a reparametrization made an attribute computed"  # code: the function; name: the attribute
    RECOMPUTED = "a forward recomputed a reparametrized attribute"  # as REPARAMETRIZED, other_line: its
    # line, call: the forward call (the Why's line)
    GRAPH_GRAD = "backward(create_graph=True) made a gradient with a graph"  # code: the tensor; other_line: the backward


@dataclass(frozen=True)
class Why:
    """Where and how a tensor stopped being a leaf: facts and exact source text, never a sentence
    (the rules write those, rules/reasons.py)."""

    line: int
    column: int
    event: Event
    code: str = ""  # the source text of what did it (see Event)
    category: Category = Category.COMPUTED
    gpu_only: bool = False  # a leaf on the CPU, a copy on a GPU (`.to(device)`)
    move: Optional[str] = None  # for MOVED: the method (`cuda`, `to`, `double`...)
    node: Any = field(default=None, compare=False)  # for MOVED: the call that copied it
    changes: str = "device"  # for MOVED: what the copy changed ("device" or "dtype")
    originals: Optional[str] = None  # for REPARAMETRIZED: the leaves whose .grad is filled instead
    name: str = ""  # see Event
    other_line: int = 0  # see Event
    call: str = ""  # see Event
    then_requires_grad: int = 0  # the line of a requires_grad_() that did not make it a leaf
    module: str = ""  # made by code in another module of the project (how messages name it)


@dataclass(eq=False)
class Obj:
    """An abstract object (compared by identity)."""

    sort: T
    site: Any = None
    label: str = ""  # a short readable name for messages
    qualname: Optional[str] = None  # classes and functions from torch; torch modules' class
    node: Optional[ast.AST] = None  # function/class definition, or the creating expression
    const: Any = None  # for CONST: the Python value
    device: Optional[str] = None  # tensors: "cpu", "cuda", or None when unknown; CONST: "?", a device object
    dtype: Optional[str] = None
    fresh: bool = False  # a tensor straight from a factory (contiguous, own storage)
    maybe_plain: bool = False  # tensors: a gradient that may not require grad
    # classes (CLASS) and instances (INSTANCE) of classes defined in the code
    of_class: Optional["Obj"] = None  # an instance's class
    bases: Tuple[Value, ...] = ()  # a class's bases (each a value)
    namespace: Optional[Dict[str, Value]] = None  # what a class body bound
    fields: Optional[List[str]] = None  # a record class's (dataclass, namedtuple) __init__ fields
    is_module: bool = False  # an nn.Module subclass, or an instance of one
    named_tuple: bool = False  # a namedtuple class (its instances are tuples of their fields)
    plain_fields: bool = False  # a record instance whose fields read back what was stored (fixes/retain.py)
    # functions (FUNCTION)
    closure: Any = None  # the frames.Frame the function was defined in (None: the module's)
    bound_self: Optional[Value] = None  # a bound method's instance
    # FUNCTION: the grad mode a decorator sets; CONST: a grad-mode object (`torch.no_grad()`),
    # "unknown" when the mode it sets is not known
    grad_mode: Union[bool, str, None] = None
    # PARAMETER_SLOTS: the layer whose `_parameters` dict it is
    slots_of: Optional["Obj"] = None
    # CONST: a numpy array of this dtype (numpy_calls.py)
    array_dtype: Optional[str] = None
    # CONST: `x.device` / `x.dtype` of a tensor of unknown placement: ("device" | "dtype", id of x)
    same_placement: Optional[Tuple[str, int]] = None

    def order(self):
        """A sort key stable across runs (identity hashes are not): where it was made."""
        node = self.node
        return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0), self.sort.value,
                repr(self.site[1]) if self.site else "", self.label)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<{self.sort.value} {self.label or self.qualname or ''}>"


UNKNOWN_OBJ = Obj(T.UNKNOWN, label="?")
Value = FrozenSet[Obj]
NOTHING: Value = frozenset()
UNKNOWN: Value = frozenset({UNKNOWN_OBJ})


@dataclass(frozen=True)
class Binding:
    """A statement that bound a non-leaf to a name or attribute path."""

    statement: Any = field(compare=False)
    target: str
    sure: bool  # every object bound there is a non-leaf requiring grad (retain_grad() cannot raise)
    line: int = 0
    in_time: bool = True  # no backward() ran between the tensor's creation and this binding
    column: int = 0
    fresh: bool = False  # the statement made the tensor: every path that has it passed here first
    tensors: bool = False  # every value bound there is a tensor (in every run the analysis saw)
    node: Any = field(default=None, compare=False)  # the target (fixes copy its exact source)
    suffix: str = ""  # the tensor is held at this key or position of what the target names (`["h"]`)


NOT_RETAINED = frozenset({Retain.NO})  # (a path without a retain_grad() keeps the other's retain count)


@dataclass(frozen=True)
class TensorState:
    """What may be true of a tensor object on the paths reaching a point."""

    leaf: FrozenSet[Leaf]
    retain: FrozenSet[Retain] = frozenset({Retain.NO})
    why: Optional[Why] = None
    created_epoch: int = 0  # backward passes run when it was made (-1: uncertain)
    retain_epoch: int = -1
    retain_line: int = 0
    backward_line: int = 0  # the backward() a late retain_grad() came after
    binding: Tuple[Any, ...] = ()  # Binding records: where a fix may insert retain_grad()
    retain_statement: Any = None  # the statement that called retain_grad()
    birth: int = 0  # which making of the object this is (-1: differs between paths)
    inputs: Tuple[Any, ...] = ()  # (object, birth) of the non-leaves it was computed from, on every path
    reached: int = -1  # epoch count of a backward() that reached it since it was made, on every path
    closed: bool = False  # `inputs` holds every non-leaf it was computed from (each operand was known)
    spared: bool = False  # retained in time, and no backward() since the retain may have reached it

    def join(self, other: "TensorState") -> "TensorState":
        if other is self:
            return self
        return TensorState(
            leaf=self.leaf | other.leaf,
            retain=self.retain | other.retain,
            why=self.why or other.why,
            created_epoch=self.created_epoch if self.created_epoch == other.created_epoch else -1,
            retain_epoch=(other.retain_epoch if self.retain == NOT_RETAINED else self.retain_epoch
                          if other.retain == NOT_RETAINED or self.retain_epoch == other.retain_epoch else -1),
            retain_line=self.retain_line or other.retain_line,
            backward_line=self.backward_line or other.backward_line,
            binding=self.binding + tuple(b for b in other.binding if b not in self.binding),
            retain_statement=self.retain_statement if self.retain_statement is other.retain_statement else None,
            birth=self.birth if self.birth == other.birth else -1,
            inputs=self.inputs if self.inputs == other.inputs else (),
            reached=min(self.reached, other.reached),
            closed=self.closed and other.closed and self.inputs == other.inputs,
            spared=self.spared and other.spared,
        )

    def with_(self, **changes) -> "TensorState":
        return replace(self, **changes)

    def relative(self, epoch: Optional["Epoch"]) -> "TensorState":
        """The state with its backward-pass counts told relative to `epoch` (what decisions compare:
        made or retained since how many passes, or at an unsure count), and `reached` as a yes/no."""
        return replace(self, created_epoch=epoch_offset(self.created_epoch, epoch),
                       retain_epoch=epoch_offset(self.retain_epoch, epoch), reached=0 if self.reached >= 0 else -1)


UNSURE_EPOCH = -(1 << 30)


def epoch_offset(count: int, epoch: Optional["Epoch"]) -> int:
    if epoch is None:
        return count
    if count < 0 or count < epoch.floor:
        return UNSURE_EPOCH
    return count - epoch.count


@dataclass(frozen=True)
class Shape:
    """The elements of a list, tuple or dict object.

    `items` is exact (position by position, or key by key for dicts) while the analysis knows the
    layout; otherwise `summary` holds every element the container may hold.
    """

    items: Optional[Tuple[Value, ...]] = None
    keys: Optional[Tuple[Any, ...]] = None  # dicts: the literal keys, parallel to items
    summary: Value = NOTHING
    must: Value = NOTHING  # summaries: objects the container holds on every path

    def members(self) -> Value:
        """Objects held on every path."""
        if self.items is None:
            return self.must
        return frozenset(o for item in self.items if len(item) == 1 for o in item) | self.must

    @property
    def exact(self) -> bool:
        return self.items is not None

    def everything(self) -> Value:
        if self.items is None:
            return self.summary
        out = self.summary
        for item in self.items:
            out = out | item
        return out

    def join(self, other: "Shape") -> "Shape":
        if other is self:
            return self
        if self.items is not None and other.items is not None and self.keys == other.keys and len(self.items) == len(other.items):
            return Shape(tuple(a | b for a, b in zip(self.items, other.items)), self.keys,
                         self.summary | other.summary)
        return Shape(summary=self.everything() | other.everything(), must=self.members() & other.members())


@dataclass(frozen=True)
class Epoch:
    """How many backward passes ran on the path, and below which count comparisons are unsure.

    Paths that ran different numbers of backward passes merge into the larger count, and every
    object made before the merge is from then on "unsure" (its counts are below `floor`).
    """

    count: int = 0
    floor: int = 0

    def join(self, other: "Epoch") -> "Epoch":
        if self == other:
            return self
        top = max(self.count, other.count)
        return Epoch(top, max(top, self.floor, other.floor))

    @property
    def saturated(self) -> bool:
        """Every count made before is unsure: one more backward pass changes nothing comparable."""
        return self.floor >= self.count


@dataclass(frozen=True)
class Children:
    """The children of an nn.Sequential, in order (None: not known, as after branches that appended
    different ones)."""

    items: Optional[Tuple[Value, ...]]

    def join(self, other: "Children") -> "Children":
        if other == self:
            return self
        if self.items is not None and other.items is not None and len(self.items) == len(other.items):
            return Children(tuple(a | b for a, b in zip(self.items, other.items)))
        return Children(None)

    def appended(self, child: Value) -> "Children":
        return Children(None if self.items is None else self.items + (child,))


@dataclass(frozen=True)
class Hooks:
    """The forward hooks registered on a module, in order (`sure` False: on some paths others, or
    none, were registered: a hook the analysis does not follow may run)."""

    items: Tuple[Value, ...] = ()
    sure: bool = True

    def join(self, other: "Hooks") -> "Hooks":
        if other == self:
            return self
        common = 0
        while common < min(len(self.items), len(other.items)) and self.items[common] == other.items[common]:
            common += 1
        return Hooks(self.items[:common], False)

    def added(self, hook: Value) -> "Hooks":
        return Hooks(self.items + (hook,), self.sure)


@dataclass(frozen=True)
class Reparams:
    """The attributes of a module that a reparametrization computes: (name, (its torch_api spec, the
    function's short name), the call's line) each. `unsure`: names reparametrized on some paths only (their
    value is not known)."""

    items: Tuple[Tuple[str, Any, int], ...] = ()
    unsure: FrozenSet[str] = frozenset()

    def join(self, other: "Reparams") -> "Reparams":
        if other == self:
            return self
        common = tuple(item for item in self.items if item in other.items)
        names = {item[0] for item in self.items + other.items} - {item[0] for item in common}
        return Reparams(common, self.unsure | other.unsure | frozenset(names))

    def added(self, name: str, how, line: int) -> "Reparams":
        return Reparams(tuple(i for i in self.items if i[0] != name) + ((name, how, line),), self.unsure - {name})

    def removed(self, name: Optional[str]) -> "Reparams":
        """After the reparametrization of `name` (None: of any) was removed: not known."""
        gone = frozenset(i[0] for i in self.items if name is None or i[0] == name) | ({name} if name else set())
        return Reparams(tuple(i for i in self.items if i[0] not in gone), self.unsure | gone)

    def entry(self, name: str):
        return next((item for item in self.items if item[0] == name), None)


NO_REPARAMS = Reparams()


@dataclass(frozen=True)
class Modes:
    """What the modules' `training` flags are: all True (as constructed) until a train()/eval()
    call; after one, only the flag of the module it was called on, `last`, is known (the call set
    its submodules' too, which are not followed). `changed` with no `last`: no flag is known.
    `escaped`: a module went to code we cannot see, which may switch it at any later call: no
    flag is known from then on."""

    changed: bool = False
    last: Optional[Tuple[Any, bool]] = None  # (module object, its flag)
    escaped: bool = False

    def join(self, other: "Modes") -> "Modes":
        return self if other == self else Modes(True, None, self.escaped or other.escaped)

    def flag(self, module) -> Optional[bool]:
        if not self.changed:
            return True
        return self.last[1] if self.last is not None and self.last[0] is module else None

    def unknown(self) -> "Modes":
        return Modes(True, None, self.escaped)

    def set(self, module, flag: bool) -> "Modes":
        return self.unknown() if self.escaped else Modes(True, (module, flag))


TRAINING_MODES = Modes()


@dataclass(frozen=True)
class Slot:
    """What a torch.nn layer's parameter slot holds after `module._parameters[name] = value`:
    `value`, and with `original` the layer's own parameter on some paths; `registered`: whether it
    is a registered parameter (yielded by parameters()) on every path (None: on some)."""

    value: Value
    original: bool = False
    registered: Optional[bool] = True


@dataclass(frozen=True)
class Slots:
    """A torch.nn layer's replaced parameter slots by name (a name not listed holds the layer's own
    parameter, a leaf)."""

    items: Tuple[Tuple[str, Slot], ...] = ()
    changed: bool = False  # some slot may have been replaced where the analysis did not follow

    def get(self, name: str) -> Optional[Slot]:
        return dict(self.items).get(name)

    def with_slot(self, name: str, slot: Slot) -> "Slots":
        return Slots(tuple(sorted({**dict(self.items), name: slot}.items())), self.changed)

    def join(self, other: "Slots") -> "Slots":
        if other == self:
            return self
        mine, theirs = dict(self.items), dict(other.items)
        joined = {}
        for name in set(mine) | set(theirs):
            a, b = mine.get(name), theirs.get(name)
            if a is None or b is None:  # the layer's own parameter on the other path
                slot = a if a is not None else b
                assert slot is not None  # (the name is in one of the two)
                joined[name] = Slot(slot.value, True, slot.registered)
            else:
                joined[name] = Slot(a.value | b.value, a.original or b.original,
                                    a.registered if a.registered == b.registered else None)
        return Slots(tuple(sorted(joined.items())), self.changed or other.changed)

    def widened(self) -> "Slots":
        return Slots(tuple((name, Slot(slot.value | UNKNOWN, True, None)) for name, slot in self.items), True)


def join_values(a, b):
    """Join two flow facts of the same key (values, tensor states, shapes, scalars). None: the key
    is not set on that path (for hooks: none registered)."""
    if a is None:
        return b.join(_EMPTY[type(b)]) if type(b) in _EMPTY else b
    if b is None:
        return a.join(_EMPTY[type(a)]) if type(a) in _EMPTY else a
    if a is b:
        return a
    if isinstance(a, frozenset):
        return a | b
    if isinstance(a, (TensorState, Shape, Epoch, Children, Hooks, Reparams, Modes, Slots)):
        return a.join(b)
    return a if a == b else None


NO_HOOKS = Hooks()
# Facts whose absence on a path means "none": joined with that, not ignored.
_EMPTY = {Hooks: NO_HOOKS, Reparams: NO_REPARAMS, Modes: TRAINING_MODES}


def same_fact(old, new, old_epoch: Optional[Epoch], new_epoch: Optional[Epoch]) -> bool:
    """Whether a fact at a loop's start is unchanged by one more pass over the loop: equal, up to
    how many backward passes ran (the count grows by the passes of each iteration, but once every
    count before the loop's start is unsure, only counts relative to the current one matter)."""
    if old is new or old == new:
        return True
    if isinstance(old, Epoch) and isinstance(new, Epoch):
        return old.saturated and new.saturated
    if isinstance(old, TensorState) and isinstance(new, TensorState):
        return old.relative(old_epoch) == new.relative(new_epoch)
    return False


def widened(fact):
    """A fact that kept changing at a loop's start, made into one that more passes cannot change
    (what may be anything, never a proof)."""
    if isinstance(fact, frozenset):
        return fact | UNKNOWN
    if isinstance(fact, TensorState):
        return replace(fact, leaf=fact.leaf | {Leaf.UNKNOWN}, retain=fact.retain | {Retain.MAYBE},
                       created_epoch=-1, retain_epoch=-1, birth=-1, inputs=(), reached=-1,
                       closed=False, spared=False)
    if isinstance(fact, Shape):
        return Shape(summary=fact.everything() | UNKNOWN)
    if isinstance(fact, Epoch):
        return Epoch(fact.count, max(fact.count, fact.floor))
    if isinstance(fact, Children):
        return Children(None)
    if isinstance(fact, Hooks):
        return Hooks((), False)
    if isinstance(fact, Modes):
        return fact.unknown()
    if isinstance(fact, Reparams):
        return Reparams((), fact.unsure | {item[0] for item in fact.items})
    if isinstance(fact, Slots):
        return fact.widened()
    return None


def ordered(value) -> list:
    """The objects of a value in a deterministic order."""
    return sorted(value, key=Obj.order)
