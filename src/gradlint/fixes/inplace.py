"""Where a fix makes a leaf: is the new leaf written in place later?

The GL002 and scaled-initialisation fixes turn a non-leaf into a leaf that requires grad
(`torch.rand(3).double().requires_grad_()`, `(torch.randn(3) * 0.01).requires_grad_()`). Torch refuses
in-place writes to such a leaf (and to its views) while grad is enabled: `w[0] = 0.0`,
`w.clamp_(min=0)`, `w += 1` worked on the non-leaf and raise `RuntimeError: a leaf Variable that
requires grad is being used in an in-place operation` after the fix.

`leaf_safety(source, node)` follows the value of `node` (an expression of the linter's tree) through
the names, attributes and containers it is stored in (and views of them, loop variables over them,
parameters of the file's own functions it is passed to, callers of a function returning it), and
looks for in-place writes outside `no_grad()`. It answers with a `Verdict`:

- `mutated`: an in-place write to the value may run with grad enabled: no fix;
- `escaped`: the value reaches code this file cannot follow (a parameter's container, a lambda):
  the fix is unsafe at most;
- `stored_attribute`: it is stored as an attribute (an `nn.Parameter` stored on a module would be
  registered by the fix);
- none of these: no in-place write follows, the fix may be safe.

Calls of functions not defined in the file (torch, libraries) are assumed not to write their tensor
arguments in place unless they say so (`inplace=True`, `out=`, a name ending in `_`).
"""
from __future__ import annotations

import ast
import functools
import warnings
from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Set

from .text import PerTree, key

# Methods and attributes whose result may share storage with (or be) the receiver.
VIEW_METHODS = frozenset("""view view_as reshape reshape_as narrow select transpose t permute unsqueeze squeeze
    expand expand_as flatten unflatten chunk split split_with_sizes tensor_split hsplit vsplit dsplit unbind
    diagonal as_strided movedim moveaxis swapaxes swapdims unfold contiguous to type type_as double float
    half bfloat16 cuda cpu view_as_real view_as_complex __getitem__ requires_grad_ align_to refine_names
    rename squeeze_ unsqueeze_ t_ transpose_""".split())
VIEW_ATTRIBUTES = frozenset("T mT H mH real imag".split())
# Containers built from their arguments (`list([w, b])`, `zip(ws, bs)`): the elements pass through.
PASSING_CALLS = frozenset("""list tuple set frozenset dict iter reversed sorted zip enumerate chain
    ParameterList ParameterDict ModuleList deque OrderedDict filter islice cycle""".split())
# Container methods: what they return holds what the container holds.
CONTAINER_METHODS = {"values": "container", "items": "container", "copy": "container", "get": "tensor",
                     "pop": "tensor", "popleft": "tensor", "__getitem__": "tensor"}
STORING_METHODS = frozenset("append extend insert add update setdefault appendleft extendleft".split())
# Tensor methods ending in `_` that do not write the tensor's data.
NOT_WRITING = frozenset({"requires_grad_", "share_memory_", "retain_grad", "register_hook"})
# nn.init functions write under no_grad(): allowed on a leaf that requires grad.
INIT_FUNCTIONS = frozenset("""uniform_ normal_ trunc_normal_ constant_ ones_ zeros_ eye_ dirac_ xavier_uniform_
    xavier_normal_ kaiming_uniform_ kaiming_normal_ orthogonal_ sparse_""".split())
NO_GRAD_CONTEXTS = frozenset({"no_grad", "inference_mode"})
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Module)


@dataclass(frozen=True)
class Verdict:
    mutated: bool = False
    escaped: bool = False
    stored_attribute: bool = False

    @property
    def clear(self) -> bool:
        return not (self.mutated or self.escaped)


UNKNOWN = Verdict(escaped=True)


class Parsed:
    """The module parsed once more, with what the follow-up needs indexed: parents, nodes by place,
    functions by name, and per scope the statements that bind, return or may write in place."""

    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.parents: Dict[ast.AST, ast.AST] = {}
        self.index: Dict[tuple, ast.AST] = {}
        self.functions: Dict[str, list] = {}
        self.nested: Dict[ast.AST, list] = {}  # scope -> the scopes directly inside it
        self.own: Dict[ast.AST, Dict[str, list]] = {}  # scope -> category -> nodes (not nested)
        self._all: Dict[tuple, list] = {}
        self._members: Dict[tuple, set] = {}
        self._idents: Dict[str, Dict[str, list]] = {}
        self._walk()

    def _walk(self) -> None:
        self.own[self.tree] = {"binds": [], "returns": [], "declares": [], "writes": []}
        pending = [(self.tree, False, self.tree)]
        while pending:
            node, no_grad, scope = pending.pop()
            children = list(ast.iter_child_nodes(node))
            for child in children:
                self.parents[child] = node
            if hasattr(node, "end_col_offset") and hasattr(node, "lineno"):
                self.index.setdefault(key(node), node)
            if node is not self.tree and isinstance(node, SCOPES):
                self.nested.setdefault(scope, []).append(node)
                self.own[node] = {"binds": [], "returns": [], "declares": [], "writes": []}
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions.setdefault(node.name, []).append(node)
                    inner = decorated_no_grad(node)
                    body = set(map(id, node.body))
                    pending.extend((c, inner if id(c) in body else no_grad, node if id(c) in body else scope)
                                   for c in children)
                else:  # a lambda: its arguments' defaults belong outside
                    pending.extend((c, False if c is node.body else no_grad, node if c is node.body else scope)
                                   for c in children)
                continue
            self._classify(node, no_grad, scope)
            if isinstance(node, (ast.With, ast.AsyncWith)):
                inner = no_grad or any(grad_disabled(item) for item in node.items)
                body = set(map(id, node.body))
                pending.extend((c, inner if id(c) in body else no_grad, scope) for c in children)
                continue
            pending.extend((c, no_grad, scope) for c in children)

    def _classify(self, node: ast.AST, no_grad: bool, scope: ast.AST) -> None:
        lists = self.own[scope]
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor,
                             ast.comprehension, ast.withitem)):
            lists["binds"].append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in STORING_METHODS:
            lists["binds"].append(node)
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) and node.value is not None:
            lists["returns"].append(node)
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            lists["declares"].append(node)
        if not no_grad and may_write(node):
            lists["writes"].append(node)

    def all_in(self, scope: ast.AST, category: str) -> list:
        """The nodes of a category in `scope` and the scopes nested in it."""
        key = (id(scope), category)
        found = self._all.get(key)
        if found is None:
            found = list(self.own.get(scope, {}).get(category, ()))
            for inner in self.nested.get(scope, ()):
                found += self.all_in(inner, category)
            self._all[key] = found
        return found

    def candidates(self, scope: ast.AST, category: str, tracker: "Tracker") -> list:
        """The nodes of a category in `scope` that mention a name, attribute or function the tracker
        follows, or hold one of its roots: the only ones that can bind or write the value."""
        key = (id(scope), category)
        members = self._members.get(key)
        if members is None:
            members = self._members[key] = {id(n) for n in self.all_in(scope, category)}
        index = self._idents.get(category)
        if index is None:
            index = self._idents[category] = {}
            for nodes in self.own.values():
                for node in nodes[category]:
                    for ident in idents(node):
                        index.setdefault(ident, []).append(node)
        found: Dict[int, ast.AST] = {}
        for ident in set(tracker.names) | set(tracker.attributes) | tracker.carriers:
            for node in index.get(ident, ()):
                if id(node) in members:
                    found[id(node)] = node
        for root in tracker.roots:
            node = root
            while node is not None:
                if id(node) in members:
                    found[id(node)] = node
                node = self.parents.get(node)
        return list(found.values())

    def locate(self, node: ast.AST) -> Optional[ast.AST]:
        """The node of this tree at the same place as `node` (a node of the linter's own tree)."""
        if node is None or not hasattr(node, "lineno"):
            return None
        return self.index.get(key(node))

    def scope_of(self, node: ast.AST) -> ast.AST:
        """The function (or module) whose body holds `node`; a class body counts as the module."""
        current = self.parents.get(node)
        while current is not None and not isinstance(current, SCOPES):
            current = self.parents.get(current)
        return current if current is not None else self.tree


def idents(node: ast.AST) -> Set[str]:
    """The names and attribute names written in a node."""
    found = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            found.add(inner.id)
        elif isinstance(inner, ast.Attribute):
            found.add(inner.attr)
    return found


def may_write(node: ast.AST) -> bool:
    """Could write a tensor in place: `x += ...`, `x[i] = ...`, `x.add_(...)`, `f_(x)`, `out=`,
    `inplace=`, or a call that might be the file's own function."""
    if isinstance(node, ast.AugAssign):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(n, ast.Subscript) for t in targets for n in ast.walk(t))
    if not isinstance(node, ast.Call):
        return False
    name = call_name(node)
    return bool(node.args or node.keywords) or (name.endswith("_") and not name.startswith("_"))




_BY_TREE: PerTree[Parsed] = PerTree(Parsed)


@functools.lru_cache(maxsize=4)
def parsed(text: str) -> Parsed:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Parsed(ast.parse(text))


def parsed_source(source, tree: Optional[ast.Module] = None) -> Optional[Parsed]:
    """The index of the module: built on the tree the analysis ran on (`Facts.tree`) when given,
    else on the source parsed once more."""
    if tree is not None:
        return _BY_TREE(tree)
    try:
        return parsed(source.text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


TENSOR, CONTAINER = "tensor", "container"


def stronger(a: Optional[str], b: Optional[str]) -> Optional[str]:
    """Of two kinds, the one that claims more writes (a tensor)."""
    return TENSOR if TENSOR in (a, b) else (a or b)


class Tracker:
    """The names and attribute names that may hold the value: as a tensor (the value or a view of
    it) or as a container holding it (a list, a dict, a tuple)."""

    def __init__(self, roots: Iterable[ast.AST] = (), names: Optional[Dict[str, str]] = None):
        self.roots: Set[ast.AST] = set(roots)
        self.names: Dict[str, str] = dict(names or {})
        self.attributes: Dict[str, str] = {}
        self.carriers: Set[str] = set()  # functions whose result may hold the value

    def state(self) -> tuple:
        return (tuple(sorted(self.names.items())), tuple(sorted(self.attributes.items())), len(self.carriers))

    def holds(self, node: ast.AST) -> bool:
        return self.kind(node) is not None

    def kind(self, node: ast.AST) -> Optional[str]:
        """TENSOR when `node` may evaluate to the value or a view of it, CONTAINER when to
        something holding it, else None."""
        if node in self.roots:
            return TENSOR
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            if node.attr in self.attributes:
                return self.attributes[node.attr]
            if node.attr in VIEW_ATTRIBUTES and self.kind(node.value) is TENSOR:
                return TENSOR
            return None
        if isinstance(node, ast.Subscript):
            return TENSOR if self.kind(node.value) is not None else None  # a view, or an element
        if isinstance(node, (ast.Starred, ast.NamedExpr)):
            return self.kind(node.value)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return CONTAINER if any(self.holds(e) for e in node.elts) else None
        if isinstance(node, ast.Dict):
            return CONTAINER if any(self.holds(v) for v in node.values) else None
        if isinstance(node, ast.IfExp):
            return stronger(self.kind(node.body), self.kind(node.orelse))
        if isinstance(node, ast.BoolOp):
            found = None
            for value in node.values:
                found = stronger(found, self.kind(value))
            return found
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            held = self.holds(node.elt) or any(self.holds(g.iter) for g in node.generators)
            return CONTAINER if held else None
        if isinstance(node, ast.DictComp):
            held = self.holds(node.value) or any(self.holds(g.iter) for g in node.generators)
            return CONTAINER if held else None
        if isinstance(node, ast.Call):
            name = call_name(node)
            if name in self.carriers:
                return TENSOR
            if isinstance(node.func, ast.Attribute) and name in CONTAINER_METHODS \
                    and self.kind(node.func.value) is CONTAINER:
                return CONTAINER_METHODS[name]
            if isinstance(node.func, ast.Attribute) and name in VIEW_METHODS:
                return TENSOR if self.kind(node.func.value) is not None else None
            if name in PASSING_CALLS:
                held = any(self.holds(a) for a in node.args) or any(self.holds(k.value) for k in node.keywords)
                return CONTAINER if held else None
        return None

    def bind(self, target: ast.AST, kind: str) -> None:
        """`target` now holds the value (as `kind`): track what it names."""
        if isinstance(target, ast.Name):
            self.names[target.id] = stronger(self.names.get(target.id), kind)
        elif isinstance(target, ast.Attribute):
            self.attributes[target.attr] = stronger(self.attributes.get(target.attr), kind)
        elif isinstance(target, ast.Subscript):
            self.bind(target.value, CONTAINER)  # `d["w"] = w`: d holds it
        elif isinstance(target, ast.Starred):
            self.bind(target.value, CONTAINER)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.bind(element, TENSOR)  # unpacking a container (or a tensor) gives elements


def follow(tracker: Tracker, tree: "Parsed", scope: ast.AST) -> None:
    """Grow the tracker to a fixed point over the assignments, loops and stores in `scope`."""
    for _ in range(20):
        before = tracker.state()
        for node in tree.candidates(scope, "binds", tracker):
            if isinstance(node, ast.Assign):
                kind = tracker.kind(node.value)
                if kind is not None:
                    for target in node.targets:
                        tracker.bind(target, kind)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                kind = tracker.kind(node.value) if node.value is not None else None
                if kind is not None:
                    tracker.bind(node.target, kind)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                if tracker.holds(node.iter):
                    tracker.bind(node.target, TENSOR)
            elif isinstance(node, ast.withitem):
                kind = tracker.kind(node.context_expr)
                if node.optional_vars is not None and kind is not None:
                    tracker.bind(node.optional_vars, kind)
            elif isinstance(node, ast.Call):
                if any(tracker.holds(a) for a in node.args) or any(tracker.holds(k.value) for k in node.keywords):
                    tracker.bind(node.func.value, CONTAINER)
        if tracker.state() == before:
            return


def leaf_safety(source, node: ast.AST, module: Optional[ast.Module] = None) -> Verdict:
    """Follow the value of `node` (see the module docstring); `module`: the tree `node` is from,
    when the caller has it."""
    tree = parsed_source(source, module)
    mine = tree.locate(node) if tree is not None else None
    if mine is None:
        return UNKNOWN
    tracker = Tracker(roots={mine})
    scope = tree.scope_of(mine)
    return judge(tree, tracker, scope)


def judge(tree: Parsed, tracker: Tracker, scope: ast.AST, depth: int = 0) -> Verdict:
    escaped = False
    for _ in range(10):
        follow(tracker, tree, scope)
        if isinstance(scope, ast.Lambda):
            return UNKNOWN
        wider = False
        if tracker.attributes and scope is not tree.tree:
            wider = True  # an attribute can be reached from anywhere in the file
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = scope.args
            parameters = {a.arg for a in arguments.args + arguments.posonlyargs + arguments.kwonlyargs}
            parameters |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
            if any(set(tracker.names) & set(d.names) for d in tree.all_in(scope, "declares")):
                wider = True
            if any(tracker.holds(r.value) for r in tree.own[scope]["returns"]):
                wider = True
                tracker.carriers.add(scope.name)
            if any(tracker.names.get(p) is CONTAINER for p in parameters):
                escaped = True  # stored into a container the caller passed in
        elif scope is tree.tree:
            for name, functions in tree.functions.items():
                if name not in tracker.carriers and any(tracker.holds(r.value) for f in functions
                                                        for r in tree.all_in(f, "returns")):
                    tracker.carriers.add(name)
        if not wider:
            break
        scope = tree.tree
    else:
        return UNKNOWN
    if scope is tree.tree:
        follow(tracker, tree, scope)
    mutated = writes(tree, tracker, scope, depth)
    return Verdict(mutated=mutated, escaped=escaped, stored_attribute=bool(tracker.attributes))


def grad_disabled(item: ast.withitem) -> bool:
    expr = item.context_expr
    if not isinstance(expr, ast.Call):
        return isinstance(expr, (ast.Attribute, ast.Name)) and dotted(expr).rsplit(".", 1)[-1] in NO_GRAD_CONTEXTS
    name = call_name(expr)
    if name in NO_GRAD_CONTEXTS:
        return True
    return name == "set_grad_enabled" and bool(expr.args) and isinstance(expr.args[0], ast.Constant) \
        and expr.args[0].value is False


def decorated_no_grad(function) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if dotted(target).rsplit(".", 1)[-1] in NO_GRAD_CONTEXTS:
            return True
    return False


def writes(tree: Parsed, tracker: Tracker, scope: ast.AST, depth: int) -> bool:
    """An in-place write to a tracked value may run with grad enabled somewhere in `scope`."""
    return any(writes_here(tree, tracker, node, depth) for node in tree.candidates(scope, "writes", tracker))


def writes_here(tree: Parsed, tracker: Tracker, node: ast.AST, depth: int) -> bool:
    if isinstance(node, ast.AugAssign):
        return tracker.kind(node.target) is TENSOR  # `w += 1`, `ws[0] *= 2`; not `params += [b]`
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(subscript_of(tracker, t) for t in targets)
    if not isinstance(node, ast.Call):
        return False
    name = call_name(node)
    func = node.func
    if isinstance(func, ast.Attribute) and name.endswith("_") and not name.startswith("_") \
            and name not in NOT_WRITING and tracker.kind(func.value) is TENSOR:
        return True
    arguments = list(node.args) + [k.value for k in node.keywords if k.arg is not None]
    passed = [a for a in arguments if tracker.holds(a)] + [k.value for k in node.keywords
                                                           if k.arg is None and tracker.holds(k.value)]
    for keyword in node.keywords:
        if keyword.arg == "out" and tracker.holds(keyword.value):
            return True
        if keyword.arg == "inplace" and passed and not (isinstance(keyword.value, ast.Constant)
                                                        and keyword.value.value is False):
            return True
    if not passed:
        return False
    if name.endswith("_") and not name.startswith("_") and name not in NOT_WRITING:
        if not (name in INIT_FUNCTIONS and ("init" in dotted(func).split(".") or isinstance(func, ast.Name))):
            return True
    return writes_in_callee(tree, tracker, node, depth)


def subscript_of(tracker: Tracker, target: ast.AST) -> bool:
    """`w[0] = ...` writes w; `w = ...` does not."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(subscript_of(tracker, e) for e in target.elts)
    if isinstance(target, ast.Starred):
        return subscript_of(tracker, target.value)
    return isinstance(target, ast.Subscript) and tracker.kind(target.value) is TENSOR


def writes_in_callee(tree: Parsed, tracker: Tracker, call: ast.Call, depth: int) -> bool:
    """The file's own function called with the value writes the matching parameter in place."""
    if depth >= 4:
        return False
    name = call_name(call)
    functions = tree.functions.get(name, [])
    is_method = isinstance(call.func, ast.Attribute)
    for function in functions:
        positional = [a.arg for a in function.args.posonlyargs + function.args.args]
        if is_method and positional and positional[0] in ("self", "cls"):
            positional = positional[1:]
        names: Dict[str, str] = {}
        everything = positional + [a.arg for a in function.args.kwonlyargs]
        everything += [a.arg for a in (function.args.vararg, function.args.kwarg) if a is not None]
        for index, argument in enumerate(call.args):
            kind = tracker.kind(argument)
            if kind is None:
                continue
            if isinstance(argument, ast.Starred) or index >= len(positional):
                names.update((n, TENSOR) for n in everything)
            else:
                names[positional[index]] = stronger(names.get(positional[index]), kind)
        for keyword in call.keywords:
            kind = tracker.kind(keyword.value)
            if kind is None:
                continue
            if keyword.arg is None or keyword.arg not in everything:
                names.update((n, TENSOR) for n in everything)
            else:
                names[keyword.arg] = stronger(names.get(keyword.arg), kind)
        if not names:
            continue
        inner = Tracker(names=names)
        follow(inner, tree, function)
        if writes(tree, inner, function, depth + 1):
            return True
    return False


