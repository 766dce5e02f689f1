"""Which names a scope binds: one walk of a function body (or class body), as Python's compiler
decides it, not as the statements happen to run.

Bound in the scope: assignment, augmented and annotated targets, `for` / `with` / `except` names,
imports, `def` / `class` names, `del` targets, match captures (`case y`, `case [*rest]`,
`case {**rest}`, `case P() as y`), and walrus targets, including those inside comprehensions
(PEP 572: a comprehension's `:=` binds in the enclosing function, not in the comprehension).
Not bound here: names declared `global` or `nonlocal`, comprehension targets, and whatever nested
functions, lambdas and classes bind in their own bodies.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import FrozenSet, Iterable, List, Set

_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Scope:
    local: FrozenSet[str]  # names bound in the scope
    declared_global: FrozenSet[str]
    declared_nonlocal: FrozenSet[str]
    has_yield: bool  # the scope's own code yields: a generator (or async generator)


def scan_scope(node: ast.AST, parameters: Iterable[str] = (), walrus: bool = True) -> Scope:
    """The names a function, lambda or class body binds (`parameters` included). `walrus`: the
    file may hold `:=` (else comprehensions need no look inside)."""
    scanner = _Scanner(parameters, walrus)
    body = getattr(node, "body", [])
    scanner.walk(body if isinstance(body, list) else [body])
    declared = scanner.declared_global | scanner.declared_nonlocal
    return Scope(frozenset(scanner.bound - declared), frozenset(scanner.declared_global),
                 frozenset(scanner.declared_nonlocal), scanner.has_yield)


class _Scanner:
    def __init__(self, parameters: Iterable[str], walrus: bool):
        self.bound: Set[str] = set(parameters)
        self.walrus = walrus
        self.declared_global: Set[str] = set()
        self.declared_nonlocal: Set[str] = set()
        self.has_yield = False

    def walk(self, nodes: List[ast.AST]) -> None:
        stack = list(nodes)
        bound = self.bound
        while stack:
            item = stack.pop()
            kind = type(item)
            if kind is ast.Name:
                if type(item.ctx) is not ast.Load:  # type: ignore[attr-defined]
                    bound.add(item.id)  # type: ignore[attr-defined]
                continue
            special = _SPECIAL.get(kind)
            if special is not None and self.note(item, special):
                continue  # nothing below it binds in this scope
            for name in item._fields:  # ast.iter_child_nodes, without its generator's cost
                value = getattr(item, name, None)
                if type(value) is list:
                    stack.extend(v for v in value if isinstance(v, ast.AST))
                elif isinstance(value, ast.AST) and type(value) not in _LEAVES:
                    stack.append(value)

    def note(self, item, what: str) -> bool:
        """Note what a node of a special kind binds or declares; True: skip what is below it."""
        if what == "global":
            self.declared_global.update(item.names)
        elif what == "nonlocal":
            self.declared_nonlocal.update(item.names)
        elif what == "nested":
            if not isinstance(item, ast.Lambda):
                self.bound.add(item.name)
            self.walk(_evaluated_outside(item))
        elif what == "comprehension":
            if self.walrus:
                self.bound.update(walrus_targets(item))
        elif what == "import":
            self.bound.update((alias.asname or alias.name).split(".")[0] for alias in item.names if alias.name != "*")
        elif what == "yield":
            self.has_yield = True
            return False
        else:  # a match capture (`case y`, `case [*y]`), a mapping's `**rest`, `except E as y`
            name = item.rest if what == "rest" else item.name
            if name:
                self.bound.add(name)
            return False
        return True


_SPECIAL = {ast.Global: "global", ast.Nonlocal: "nonlocal", ast.FunctionDef: "nested", ast.AsyncFunctionDef: "nested",
            ast.ClassDef: "nested", ast.Lambda: "nested", ast.ListComp: "comprehension", ast.SetComp: "comprehension",
            ast.DictComp: "comprehension", ast.GeneratorExp: "comprehension", ast.Yield: "yield",
            ast.YieldFrom: "yield", ast.Import: "import", ast.ImportFrom: "import", ast.ExceptHandler: "except",
            ast.MatchAs: "capture", ast.MatchStar: "capture", ast.MatchMapping: "rest"}
_LEAVES = frozenset({ast.Load, ast.Store, ast.Del}) | frozenset(
    cls for base in (ast.operator, ast.unaryop, ast.cmpop, ast.boolop) for cls in base.__subclasses__())


def _evaluated_outside(node: ast.AST) -> List[ast.AST]:
    """The parts of a nested function, lambda or class that run in the enclosing scope: decorators,
    default values, bases and keywords (annotations are left out: they bind nothing)."""
    parts: List[ast.AST] = list(getattr(node, "decorator_list", []))
    args = getattr(node, "args", None)
    if args is not None:
        parts += list(args.defaults) + [d for d in args.kw_defaults if d is not None]
    if isinstance(node, ast.ClassDef):
        parts += list(node.bases) + [k.value for k in node.keywords]
    return parts


def walrus_targets(comprehension: ast.AST) -> Set[str]:
    """The names `:=` binds inside a comprehension (nested ones included, lambdas not): they belong
    to the enclosing scope (PEP 572)."""
    names: Set[str] = set()
    stack = [comprehension]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.NamedExpr) and isinstance(item.target, ast.Name):
            names.add(item.target.id)
        if isinstance(item, (ast.Lambda,) + _NESTED_SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(item))
    return names
