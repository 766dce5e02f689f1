"""A seeded generator of small, always-runnable PyTorch programs.

Every program is drawn from what gradlint's analysis models (factories, arithmetic, reductions, views,
device/dtype moves, no_grad, detach, requires_grad_(), retain_grad(), rebinding, constant `if`s,
short loops, small helpers (one returning a pair), lists and dicts of tensors, lists computed by
`map` or a comprehension, a named tuple's fields, tuple unpacking,
nn.Linear layers with forward hooks that store their outputs, `.grad` reads, backward passes,
optimizers).

The generator keeps a small model of what each statement does at run time (which tensor objects
exist, whether they require grad, are leaves, their shape and dtype) so that it only writes
statements that cannot fail: `retain_grad()` only on tensors that require grad, `backward()` only of
scalars that require grad and always with `retain_graph=True`, no in-place ops on leaves, binary
ops only between broadcastable shapes. The model is *not* the truth about `.grad` (torch is, through
tests/runtime_probe.py); it only keeps the programs valid.

Statements are (lines, effect) pairs: `effect(state)` replays what the statement does, so a loop
body can be checked for its second iteration and a dead branch can be generated on a throwaway copy.

Constructs that are genuine static-analysis limits (tests/test_differential.py,
`test_documented_limit_*`) are not generated.
"""
from __future__ import annotations

import copy
import functools
import random
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

F32, F64 = "float32", "float64"


class Invalid(Exception):
    """The statement would fail (or leave the modelled subset) in this state."""


class Tensor:
    """A modelled tensor *object* (identity matters: `.float()` of float32 returns the same one)."""

    def __init__(self, rg: bool, leaf: bool, shape: Tuple[int, ...], dtype: str, contiguous: bool = True):
        self.rg, self.leaf, self.shape, self.dtype = rg, leaf, shape, dtype
        self.contiguous = contiguous  # False after .t() and views of it: .view(-1) would fail


@dataclass
class State:
    vars: Dict[str, Tensor] = field(default_factory=dict)
    lists: Dict[str, List[Tensor]] = field(default_factory=dict)
    dicts: Dict[str, Dict[str, Tensor]] = field(default_factory=dict)
    records: Dict[str, Tuple[Tensor, Tensor]] = field(default_factory=dict)  # Pair(first, second) instances
    has_pair: bool = False  # the header defined the Pair named tuple
    layers: Tuple[str, ...] = ()  # the nn.Linear(3, 3) layers the header made
    hooked: Dict[str, str] = field(default_factory=dict)  # layer -> the list its forward hook appends to
    no_grad: bool = False
    in_loop: bool = False

    def clone(self) -> "State":
        return copy.deepcopy(self)

    def get(self, name: str) -> Tensor:
        if name not in self.vars:
            raise Invalid(name)
        return self.vars[name]

    def result(self, inputs, shape, dtype) -> Tensor:
        """A freshly computed tensor from `inputs` (a non-leaf when grad flows)."""
        rg = any(t.rg for t in inputs) and not self.no_grad
        # elementwise outputs follow their inputs' strides (TensorIterator), so stay non-contiguous
        return Tensor(rg, not rg, shape, dtype, all(t.contiguous for t in inputs))


Effect = Callable[[State], None]


@dataclass
class Stmt:
    lines: List[str]  # relative indentation included
    effect: Effect

    def indented(self, prefix: str) -> List[str]:
        return [prefix + line for line in self.lines]


def broadcast(a: Tuple[int, ...], b: Tuple[int, ...]) -> Optional[Tuple[int, ...]]:
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(reversed(out))


def promote(a: Tensor, b: Tensor) -> str:
    """torch's dtype promotion for two float tensors: dimensioned operands win over 0-dim ones."""
    dims = [t for t in (a, b) if t.shape]
    pool = dims or [a, b]
    return F64 if any(t.dtype == F64 for t in pool) else F32


def run_all(stmts: List[Stmt], state: State) -> None:
    for stmt in stmts:
        stmt.effect(state)


HELPERS = {
    "scale": (["def scale(t):", "    return t * 2"], 1),
    "combine": (["def combine(a, b):", "    return a + b"], 2),
    "make_leaf": (["def make_leaf():", "    return torch.randn(3, requires_grad=True)"], 0),
    "make_scaled": (["def make_scaled():", "    return torch.randn(3, requires_grad=True) * 0.5"], 0),
    "detached": (["def detached(t):", "    return t.detach()"], 1),
    "to_double": (["def to_double(t):", "    return t.double()"], 1),
    "total": (["def total(t):", "    return t.sum()"], 1),
    "show": (["def show(t):", "    print(t.grad)"], 1),
    "pair": (["def pair(t):", "    return t * 2, t"], 1),
}

# factory(): the calls it makes, by the first eight values of its roll; {kw} is ", requires_grad=True" or ""
FACTORIES = [
    ("torch.tensor([1.0, 2.0, 3.0]{kw})", (3,), F32),
    ("torch.ones(3{kw})", (3,), F32),
    ("torch.zeros(2, 3{kw})", (2, 3), F32),
    ("torch.full((3,), 2.0{kw})", (3,), F32),
    ("torch.randn(3, dtype=torch.float64{kw})", (3,), F64),
    ("torch.rand(1, 3{kw})", (1, 3), F32),
    ("torch.linspace(0.0, 1.0, 3{kw})", (3,), F32),
    ("torch.arange(3.0{kw})", (3,), F32),
]


def _binary(name: str, src: str, other: str) -> Callable[[State], None]:
    """The effect of `name = <src> <op> <other>`: the shapes broadcast (Invalid where they do not), the
    dtypes promote."""
    def effect(st: State) -> None:
        a, b = st.get(src), st.get(other)
        shape = broadcast(a.shape, b.shape)
        if shape is None:
            raise Invalid("shapes")
        if a.dtype != b.dtype:  # a known limit: which dtype wins depends on dimensions
            raise Invalid("mixed dtypes")
        st.vars[name] = st.result([a, b], shape, promote(a, b))
    return effect


def _on_a_tensor(pred=lambda t: True, binds=False):
    """For a statement builder on one existing tensor: picks `src` among the tensors that satisfy `pred`
    and, when the statement `binds` a name, then the `name` (in that order, so that a seed gives the same
    program), and calls build(self, state, src[, name]); the method returns None while there is no such
    tensor."""
    def decorate(build):
        @functools.wraps(build)
        def method(self, state: State) -> Optional[Stmt]:
            names = self.tensors(state, pred)
            if not names:
                return None
            src = self.pick(names)
            return build(self, state, src, self.target(state)) if binds else build(self, state, src)
        return method
    return decorate


class Generator:
    TENSOR_NAMES = ["a", "b", "c", "w", "x", "y", "z", "h"]
    LIST_NAMES = ["ts", "parts"]
    DICT_NAMES = ["feats", "cache"]
    DICT_KEYS = ["k", "q", "out"]
    RECORD_NAMES = ["rec", "out2"]

    def __init__(self, seed: int, avoid=()):
        self.rng = random.Random(seed)
        self.seed = seed
        self.avoid = frozenset(avoid)  # constructs to leave out (exploring past a known bug)

    # -- helpers -------------------------------------------------------------------------------
    def pick(self, seq):
        return self.rng.choice(list(seq))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def tensors(self, state: State, pred=lambda t: True) -> List[str]:
        return sorted(n for n, t in state.vars.items() if pred(t))

    def target(self, state: State) -> str:
        """A name to bind: often a fresh one, sometimes a rebinding."""
        free = [n for n in self.TENSOR_NAMES if n not in state.vars]
        if free and (not state.vars or self.chance(0.6)):
            return self.pick(free)
        return self.pick(self.TENSOR_NAMES)

    # -- simple statements ---------------------------------------------------------------------
    def factory(self, state: State) -> Stmt:
        name = self.target(state)
        rg = self.chance(0.6)
        kw = ", requires_grad=True" if rg else ""
        choice = self.rng.randrange(10)
        like = None
        if choice < len(FACTORIES):
            call, shape, dtype = FACTORIES[choice]
            expr = call.format(kw=kw)
        elif choice == 8 and state.vars:
            src = like = self.pick(self.tensors(state))
            t = state.vars[src]
            expr = f"torch.randn_like({src}{kw})" if rg else f"torch.zeros_like({src})"
            shape, dtype = t.shape, t.dtype
        else:
            expr, shape, dtype = f"torch.randn(3{kw})", (3,), F32
        scaled = self.chance(0.15)
        if scaled:
            expr += " * 0.01"

        def effect(st: State, name=name, rg=rg, shape=shape, dtype=dtype, scaled=scaled, like=like):
            if like is not None:  # replayed (a loop's second iteration): the argument's shape now
                shape, dtype = st.get(like).shape, st.get(like).dtype
            leaf = Tensor(rg, True, shape, dtype)
            st.vars[name] = st.result([leaf], shape, dtype) if scaled else leaf
        return Stmt([f"{name} = {expr}"], effect)

    @_on_a_tensor(binds=True)
    def arith(self, state: State, src: str, name: str) -> Stmt:
        t = state.vars[src]
        kind = self.rng.randrange(8)
        if kind < 3:
            compatible = [n for n in self.tensors(state) if broadcast(t.shape, state.vars[n].shape) is not None]
            other = self.pick(compatible)
            op = self.pick(["+", "*", "-"])
            expr = f"{src} {op} {other}"
            return Stmt([f"{name} = {expr}"], _binary(name, src, other))
        expr = self.pick([f"{src} * 2", f"{src} + 1", f"{src} ** 2", f"-{src}", f"{src}.exp()",
                          f"torch.relu({src})", f"{src}.abs()", f"{src} / 3", f"torch.sin({src})"])

        def effect(st, name=name, src=src):
            a = st.get(src)
            st.vars[name] = st.result([a], a.shape, a.dtype)
        return Stmt([f"{name} = {expr}"], effect)

    @_on_a_tensor(binds=True)
    def reduce(self, state: State, src: str, name: str) -> Stmt:
        expr = f"{src}.{self.pick(['sum', 'mean'])}()"

        def effect(st, name=name, src=src):
            a = st.get(src)
            st.vars[name] = st.result([a], (), a.dtype)
        return Stmt([f"{name} = {expr}"], effect)

    @_on_a_tensor(binds=True)
    def view(self, state: State, src: str, name: str) -> Stmt:
        t = state.vars[src]
        options = [(f"{src}[...]", lambda s: s),
                   (f"{src}.view(-1)", lambda s: (_numel(s),))]
        if not state.no_grad:  # a documented limit: under no_grad a reshape may or may not be a view
            options.append((f"{src}.reshape(-1)", lambda s: (_numel(s),)))
        options += [
                    (f"{src}.unsqueeze(0)", lambda s: (1,) + s),
                    (f"{src}.clone()", lambda s: s),
                    (f"{src}.view_as({src})", lambda s: s)]
        if t.shape:
            options += [(f"{src}[0]", lambda s: s[1:]), (f"{src}[:]", lambda s: s)]
        if len(t.shape) <= 2:
            options.append((f"{src}.t()", lambda s: tuple(reversed(s))))
        expr, reshape = self.pick(options)

        def effect(st, name=name, src=src, reshape=reshape, needs_dim=expr.endswith(("[0]", "[:]")),
                   needs_2d=expr.endswith(".t()"), flat=expr.endswith(".view(-1)"),
                   copies=expr.endswith((".reshape(-1)", ".clone()"))):
            a = st.get(src)
            if (needs_dim and not a.shape) or (needs_2d and len(a.shape) > 2) or (flat and not flattenable(a)):
                raise Invalid("view")
            out = st.result([a], reshape(a.shape), a.dtype)
            out.contiguous = True if copies and not expr_keeps_strides(expr) else a.contiguous
            if needs_2d and len([d for d in a.shape if d > 1]) > 1:
                out.contiguous = False
            st.vars[name] = out
        return Stmt([f"{name} = {expr}"], effect)

    @_on_a_tensor(binds=True)
    def move(self, state: State, src: str, name: str) -> Stmt:
        t = state.vars[src]
        options = [(".double()", F64), (".to(torch.float64)", F64), ('.to("cpu")', None), (".cpu()", None)]
        if t.dtype == F32:
            options += [(".float()", F32), (".to(torch.float32)", F32)]
        suffix, dtype = self.pick(options)

        def effect(st, name=name, src=src, dtype=dtype):
            a = st.get(src)
            if dtype is None or dtype == a.dtype:
                st.vars[name] = a  # returns self: the same object, still a leaf if it was one
            elif dtype == F32:
                raise Invalid("float() of float64")
            else:
                st.vars[name] = st.result([a], a.shape, dtype)
        return Stmt([f"{name} = {src}{suffix}"], effect)

    @_on_a_tensor(binds=True)
    def detach(self, state: State, src: str, name: str) -> Stmt:
        then_rg = self.chance(0.3)
        expr = f"{src}.detach()" + (".requires_grad_()" if then_rg else "")

        def effect(st, name=name, src=src, then_rg=then_rg):
            a = st.get(src)
            st.vars[name] = Tensor(then_rg, True, a.shape, a.dtype, a.contiguous)  # detach() keeps the strides
        return Stmt([f"{name} = {expr}"], effect)

    @_on_a_tensor()
    def requires_grad_(self, state: State, src: str) -> Stmt:

        def effect(st, src=src):
            a = st.get(src)
            if a.leaf:
                a.rg = True  # a non-leaf already requires grad: a no-op
        return Stmt([f"{src}.requires_grad_()"], effect)

    @_on_a_tensor(lambda t: t.rg)
    def retain_grad(self, state: State, src: str) -> Stmt:

        def effect(st, src=src):
            if not st.get(src).rg:
                raise Invalid("retain_grad without grad")
        return Stmt([f"{src}.retain_grad()"], effect)

    def read(self, state: State) -> Optional[Stmt]:
        names = self.tensors(state)
        lists = [n for n, items in state.lists.items() if items]
        if lists and self.chance(0.25):
            lst = self.pick(lists)
            n = len(state.lists[lst])
            index = self.rng.randrange(-1, n)

            def effect(st, lst=lst, index=index):
                if lst not in st.lists or not -len(st.lists[lst]) <= index < len(st.lists[lst]):
                    raise Invalid("index")
            return Stmt([f"print({lst}[{index}].grad)"], effect)
        if not names:
            return None
        src = self.pick(names)

        def effect(st, src=src):
            st.get(src)
        if self.chance(0.15):
            return Stmt([f"g = {src}.grad", "print(g is None)"], effect)
        return Stmt([f"print({src}.grad)"], effect)

    def backward(self, state: State) -> Optional[Stmt]:
        if state.no_grad:
            return None
        names = self.tensors(state)
        grads = self.tensors(state, lambda t: t.rg)
        if not grads:
            return None
        terms = [self.pick(grads)] + [self.pick(names) for _ in range(self.rng.randrange(3))]
        terms = list(dict.fromkeys(terms))
        self.rng.shuffle(terms)
        loss = " + ".join(f"{n}.sum()" for n in terms)

        nonleaves = [n for n in terms if state.vars[n].rg and not state.vars[n].leaf]
        late = self.pick(nonleaves) if nonleaves and self.chance(0.25) else None

        def effect(st, terms=tuple(terms), late=late):
            if st.no_grad or not any(st.get(n).rg for n in terms):
                raise Invalid("backward without grad")
            if late is not None and not st.get(late).rg:
                raise Invalid("retain_grad without grad")
        # a retain_grad() just after the backward it needed to come before (then the read)
        after = [f"{late}.retain_grad()", f"print({late}.grad)"] if late is not None else []
        if self.chance(0.5):
            return Stmt([f"loss = {loss}", "loss.backward(retain_graph=True)"] + after, effect)
        return Stmt([f"({loss}).backward(retain_graph=True)"] + after, effect)

    def list_op(self, state: State) -> Optional[Stmt]:
        names = self.tensors(state)
        if not names:
            return None
        existing = [n for n in state.lists]
        kind = self.rng.randrange(4)
        if kind == 0 or not existing:
            lst = self.pick(self.LIST_NAMES)
            items = [self.pick(names) for _ in range(self.rng.randrange(3))]

            def effect(st, lst=lst, items=tuple(items)):
                st.lists[lst] = [st.get(n) for n in items]
            return Stmt([f"{lst} = [{', '.join(items)}]"], effect)
        lst = self.pick(existing)
        if kind == 1 or not state.lists[lst]:
            src = self.pick(names)

            def effect(st, lst=lst, src=src):
                if lst not in st.lists:
                    raise Invalid("list")
                st.lists[lst].append(st.get(src))
            return Stmt([f"{lst}.append({src})"], effect)
        if kind == 2:
            index = self.rng.randrange(len(state.lists[lst]))
            name = self.target(state)

            def effect(st, lst=lst, index=index, name=name):
                if lst not in st.lists or index >= len(st.lists[lst]):
                    raise Invalid("index")
                st.vars[name] = st.lists[lst][index]
            return Stmt([f"{name} = {lst}[{index}]"], effect)

        def effect(st, lst=lst):
            if lst not in st.lists:
                raise Invalid("list")
        return Stmt([f"for t in {lst}:", "    print(t.grad)"], effect)

    def unpack(self, state: State) -> Optional[Stmt]:
        """`a, b = x * 2, y`: bound element by element (and, once in a while, through a tuple)."""
        names = self.tensors(state)
        if not names:
            return None
        first, second = self.target(state), self.target(state)
        if first == second:
            return None
        src, other = self.pick(names), self.pick(names)
        packed = self.chance(0.3)
        lines = ([f"pack = ({src} * 2, {other})", f"{first}, {second} = pack"] if packed
                 else [f"{first}, {second} = {src} * 2, {other}"])

        def effect(st, first=first, second=second, src=src, other=other):
            a, b = st.get(src), st.get(other)
            st.vars[first] = st.result([a], a.shape, a.dtype)
            st.vars[second] = b
        return Stmt(lines, effect)

    def dict_op(self, state: State) -> Optional[Stmt]:
        """Dicts of tensors with literal keys: made, written, read into a name, read for .grad."""
        names = self.tensors(state)
        if not names:
            return None
        existing = sorted(state.dicts)
        kind = self.rng.randrange(4)
        if kind == 0 or not existing:
            name = self.pick(self.DICT_NAMES)
            items = {key: self.pick(names) for key in self.rng.sample(self.DICT_KEYS, self.rng.randrange(1, 3))}

            def effect(st, name=name, items=tuple(items.items())):
                st.dicts[name] = {key: st.get(src) for key, src in items}
            text = ", ".join(f'"{key}": {src}' for key, src in items.items())
            return Stmt([f"{name} = {{{text}}}"], effect)
        name = self.pick(existing)
        keys = sorted(state.dicts[name])
        if kind == 1:
            key, src = self.pick(self.DICT_KEYS), self.pick(names)
            scaled = self.chance(0.5)

            def effect(st, name=name, key=key, src=src, scaled=scaled):
                if name not in st.dicts:
                    raise Invalid("dict")
                a = st.get(src)
                st.dicts[name][key] = st.result([a], a.shape, a.dtype) if scaled else a
            return Stmt([f'{name}["{key}"] = {src}' + (" * 3" if scaled else "")], effect)
        key = self.pick(keys)

        def present(st, name=name, key=key):
            if name not in st.dicts or key not in st.dicts[name]:
                raise Invalid("key")
            return st.dicts[name][key]
        return self.bind_or_read(state, f'{name}["{key}"]', present, bind=kind == 2)

    def mapped(self, state: State) -> Optional[Stmt]:
        """A list computed element by element: `list(map(lambda t: t * 2, [a, b]))` or the
        comprehension `[t * 2 for t in (a, b)]`."""
        names = self.tensors(state)
        if not names:
            return None
        lst = self.pick(self.LIST_NAMES)
        items = [self.pick(names) for _ in range(self.rng.randint(1, 3))]
        seq = ", ".join(items)
        text = self.pick([f"list(map(lambda t: t * 2, [{seq}]))", f"[t * 2 for t in ({seq},)]"])

        def effect(st, lst=lst, items=tuple(items)):
            st.lists[lst] = [st.result([st.get(n)], st.get(n).shape, st.get(n).dtype) for n in items]
        return Stmt([f"{lst} = {text}"], effect)

    def record_op(self, state: State) -> Optional[Stmt]:
        """`Pair = namedtuple("Pair", "first second")` instances: made, read by field or index."""
        names = self.tensors(state)
        if not state.has_pair or not names:
            return None
        existing = sorted(state.records)
        if not existing or self.chance(0.4):
            name = self.pick(self.RECORD_NAMES)
            first, second = self.pick(names), self.pick(names)
            scaled = self.chance(0.6)

            def effect(st, name=name, first=first, second=second, scaled=scaled):
                a = st.get(first)
                st.records[name] = (st.result([a], a.shape, a.dtype) if scaled else a, st.get(second))
            return Stmt([f"{name} = Pair({first}{' * 2' if scaled else ''}, {second})"], effect)
        name = self.pick(existing)
        field_name, index = self.pick([("first", 0), ("second", 1)])
        access = self.pick([f"{name}.{field_name}", f"{name}[{index}]"])

        def present(st, name=name, index=index):
            if name not in st.records:
                raise Invalid("record")
            return st.records[name][index]
        return self.bind_or_read(state, access, present, bind=self.chance(0.5))

    def bind_or_read(self, state: State, access: str, present: Callable[[State], Tensor], bind: bool) -> Stmt:
        """`name = <access>` (a tensor held in a container or record), or `print(<access>.grad)`;
        `present(st)` is that tensor (Invalid where it is not there)."""
        if bind:
            target = self.target(state)

            def effect(st, target=target, present=present):
                st.vars[target] = present(st)
            return Stmt([f"{target} = {access}"], effect)
        return Stmt([f"print({access}.grad)"], lambda st, present=present: present(st) and None)

    def layer_call(self, state: State) -> Optional[Stmt]:
        """`h = lin(x)` of an nn.Linear(3, 3) (its parameters require grad: the output is a
        non-leaf, except under no_grad); a forward hook may append the output to a list."""
        names = self.tensors(state, lambda t: t.shape[-1:] == (3,) and t.dtype == F32)
        if not state.layers or not names:
            return None
        layer, src, name = self.pick(state.layers), self.pick(names), self.target(state)

        def effect(st, layer=layer, src=src, name=name):
            a = st.get(src)
            if a.shape[-1:] != (3,) or a.dtype != F32:
                raise Invalid("layer input")
            out = Tensor(not st.no_grad, st.no_grad, a.shape, F32)
            st.vars[name] = out
            if layer in st.hooked:
                st.lists.setdefault(st.hooked[layer], []).append(out)
        if self.chance(0.2):
            return Stmt([f"print({layer}.weight.grad is None)"], lambda st: None)
        return Stmt([f"{name} = {layer}({src})"], effect)

    def helper_call(self, state: State, helpers: List[str]) -> Optional[Stmt]:
        names = self.tensors(state)
        usable = [h for h in helpers if HELPERS[h][1] == 0 or names]
        if not usable:
            return None
        helper = self.pick(usable)
        if helper == "show":
            src = self.pick(names)
            return Stmt([f"show({src})"], lambda st, src=src: st.get(src) and None)
        name = self.target(state)
        if helper in ("make_leaf", "make_scaled"):
            def effect(st, name=name, scaled=helper == "make_scaled"):
                leaf = Tensor(True, True, (3,), F32)
                st.vars[name] = st.result([leaf], (3,), F32) if scaled else leaf
            return Stmt([f"{name} = {helper}()"], effect)
        src = self.pick(names)
        if helper == "pair":
            other = self.target(state)
            if other == name:
                return None

            def effect(st, name=name, other=other, src=src):
                a = st.get(src)
                st.vars[name] = st.result([a], a.shape, a.dtype)
                st.vars[other] = a
            return Stmt([f"{name}, {other} = pair({src})"], effect)
        if helper == "combine":
            t = state.vars[src]
            other = self.pick([n for n in names if broadcast(t.shape, state.vars[n].shape) is not None])
            return Stmt([f"{name} = combine({src}, {other})"], _binary(name, src, other))

        def effect(st, name=name, src=src, helper=helper):
            a = st.get(src)
            if helper == "scale":
                st.vars[name] = st.result([a], a.shape, a.dtype)
            elif helper == "total":
                st.vars[name] = st.result([a], (), a.dtype)
            elif helper == "detached":
                st.vars[name] = Tensor(False, True, a.shape, a.dtype, a.contiguous)
            elif helper == "to_double":
                st.vars[name] = a if a.dtype == F64 else st.result([a], a.shape, F64)
        return Stmt([f"{name} = {helper}({src})"], effect)

    def optimizer(self, state: State, last: bool) -> Optional[Stmt]:
        names = self.tensors(state, lambda t: last or t.leaf)
        if not names:
            return None
        params = list(dict.fromkeys(self.pick(names) for _ in range(self.rng.randrange(1, 3))))
        kind = self.pick(["SGD", "Adam"])

        def effect(st, params=tuple(params), last=last):
            if not last and not all(st.get(n).leaf for n in params):
                raise Invalid("optimizer of a non-leaf mid-program")
        return Stmt([f"opt = torch.optim.{kind}([{', '.join(params)}], lr=0.1)"], effect)

    def layers(self, state: State) -> List[str]:
        """One or two nn.Linear(3, 3) layers; a forward hook that stores each output in a list."""
        lines = []
        for layer in self.rng.sample(["lin", "proj"], self.rng.randint(1, 2)):
            lines.append(f"{layer} = torch.nn.Linear(3, 3)")
            state.layers += (layer,)
            if self.chance(0.5):
                acts = f"{layer}_outs"
                state.hooked[layer] = acts
                state.lists[acts] = []
                lines += [f"{acts} = []",
                          f"{layer}.register_forward_hook(lambda module, inputs, output: {acts}.append(output))"]
        return lines + [""]

    # -- compound statements -------------------------------------------------------------------
    def block(self, state: State, budget: int, helpers: List[str], depth: int, allow_backward=True) -> List[Stmt]:
        """1-3 statements, generated (and applied) on `state`."""
        out: List[Stmt] = []
        for _ in range(self.rng.randint(1, 3)):
            stmt = self.statement(state, max(budget - sum(len(s.lines) for s in out), 1), helpers, depth,
                                  allow_backward)
            if stmt is not None:
                out.append(stmt)
        if not out:
            out.append(Stmt(["pass"], lambda st: None))
        return out

    def if_const(self, state: State, budget: int, helpers, depth) -> Optional[Stmt]:
        conds = [("True", True), ("False", False), ("1", True), ("0", False), ('"yes"', True), ('""', False),
                 ("None", False), ("[]", False)]
        cond, taken = self.pick(conds)
        if "empty-if" in self.avoid and cond == "[]":
            cond = "0"
        with_else = self.chance(0.5)
        live = state.clone()
        dead = state.clone()
        body = self.block(live if taken else dead, budget - 2, helpers, depth + 1)
        orelse = self.block(dead if taken else live, budget - 2, helpers, depth + 1) if with_else else []
        lines = [f"if {cond}:"] + [l for s in body for l in s.indented("    ")]
        if with_else:
            lines += ["else:"] + [l for s in orelse for l in s.indented("    ")]
        run = body if taken else orelse

        def effect(st, run=run):
            run_all(run, st)
        return Stmt(lines, effect)

    def loop(self, state: State, budget: int, helpers, depth) -> Optional[Stmt]:
        trial = state.clone()
        trial.in_loop = True
        body = self.block(trial, budget - 1, helpers, depth + 1)
        try:
            run_all(body, trial)  # the second iteration
        except Invalid:
            return None
        lines = ["for i in range(2):"] + [l for s in body for l in s.indented("    ")]

        def effect(st, body=body):
            run_all(body, st)
            run_all(body, st)
        return Stmt(lines, effect)

    def no_grad(self, state: State, budget: int, helpers, depth) -> Optional[Stmt]:
        if state.no_grad:
            return None
        trial = state.clone()
        trial.no_grad = True
        body = self.block(trial, budget - 1, helpers, depth + 1, allow_backward=False)
        lines = ["with torch.no_grad():"] + [l for s in body for l in s.indented("    ")]

        def effect(st, body=body):
            before = st.no_grad
            st.no_grad = True
            try:
                run_all(body, st)
            finally:
                st.no_grad = before
        return Stmt(lines, effect)

    # -- driver --------------------------------------------------------------------------------
    def statement(self, state: State, budget: int, helpers: List[str], depth: int,
                  allow_backward: bool = True) -> Optional[Stmt]:
        kinds = ["factory"] * 3 + ["arith"] * 4 + ["reduce", "view", "view", "move", "move", "detach",
                 "requires_grad_", "retain_grad", "retain_grad", "retain_grad", "read", "read", "read", "read",
                 "list_op", "list_op", "unpack", "dict_op", "mapped"]
        if state.has_pair:
            kinds += ["record_op"] * 2
        if state.layers:
            kinds += ["layer_call"] * 2
        if allow_backward:
            kinds += ["backward"] * 3
        if helpers:
            kinds += ["helper", "helper"]
        if depth < 2 and budget >= 3:
            kinds += ["if", "loop", "no_grad"]
        kinds = [k for k in kinds if k not in self.avoid]
        if not state.vars:
            kinds = ["factory"]
        for _attempt in range(10):
            kind = self.pick(kinds)
            if kind == "if":
                stmt = self.if_const(state, budget, helpers, depth)
            elif kind == "loop":
                stmt = self.loop(state, budget, helpers, depth)
            elif kind == "no_grad":
                stmt = self.no_grad(state, budget, helpers, depth)
            elif kind == "helper":
                stmt = self.helper_call(state, helpers)
            else:
                stmt = getattr(self, kind)(state)
            if stmt is None:
                continue
            trial = state.clone()
            try:
                stmt.effect(trial)
            except Invalid:
                continue
            stmt.effect(state)
            return stmt
        return None

    def program(self) -> str:
        helpers = sorted(self.rng.sample(sorted(HELPERS), self.rng.randrange(0, 3)))
        header = ["import torch", ""]
        for name in helpers:
            header += HELPERS[name][0] + [""]
        target = self.rng.randint(10, 40)
        state = State()
        if "layer" not in self.avoid and self.chance(0.3):
            header += self.layers(state)
        if "record" not in self.avoid and self.chance(0.2):
            header = ["import collections"] + header + ['Pair = collections.namedtuple("Pair", "first second")', ""]
            state.has_pair = True
        body: List[str] = []
        while len(header) + len(body) < target - 3:
            stmt = self.statement(state, target - len(header) - len(body) - 1, helpers, 0)
            if stmt is not None:
                body += stmt.lines
        # end with a backward and reads so that most programs exercise the interesting cases
        for extra in (self.backward(state), self.read(state), self.read(state)):
            if extra is not None:
                try:
                    extra.effect(state)
                except Invalid:
                    continue
                body += extra.lines
        if self.chance(0.15) and "optimizer" not in self.avoid:
            opt = self.optimizer(state, last=True)
            if opt is not None:
                body += opt.lines
        return "\n".join(header + body) + "\n"


def flattenable(t: Tensor) -> bool:
    """`.view(-1)` works: contiguous, or at most one dimension larger than 1."""
    return t.contiguous or len([d for d in t.shape if d > 1]) <= 1


def expr_keeps_strides(expr: str) -> bool:
    """clone() keeps the strides of a dense tensor (so a transposed clone is not contiguous)."""
    return expr.endswith(".clone()")


def _numel(shape: Tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def generate(seed: int, avoid=()) -> str:
    """The program for `seed` (the same text for the same seed, on every run). `avoid`: statement
    kinds ("detach", "move", ...) and constructs ("empty-if", "optimizer") to leave out."""
    return Generator(seed, avoid).program()
