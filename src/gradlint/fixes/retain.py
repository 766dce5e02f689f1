"""GL001 and GL003 fixes: call `retain_grad()` right where the tensor is made and bound.

A retain fix is offered only when it fills the read (see `retain_plan`):

- every tensor the read may be (in every call context) was reached by a `backward()` that ran after
  it was made and before the read, on every path (`TensorState.reached`);
- each of them is bound, by the statement that made it (`Binding.fresh`) and before any backward
  (`in_time`), to a target the call can be written on: a name, or an attribute or subscript of
  names and constants (`self.h`, `d["k"]`; never `next(it).h`, which evaluates again), copied from
  the source exactly.

Where the call goes: after an assignment or the statement holding a walrus; before the first
statement of a `for` body for its target. Which form: inside a function (whose callers may run it
without grad: `torch.no_grad()` inference, a plain tensor, code gradlint cannot see), the call is
guarded, `if h.requires_grad:` / `h.retain_grad()`, which cannot raise on a tensor; at module level
the plain call, when every run of the statement the analysis saw bound a non-leaf that requires grad.
"""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

from ..analysis.facts import GradRead
from ..analysis.source import SourceText
from ..diagnostic import SAFE, UNSAFE, Edit, Fix
from .text import (Layout, end_of, exact, insert_after, insert_before, insert_lines_after, layout,
                   start_of, stands_alone, starts_line, statement_deletion)

ASSIGNMENTS = (ast.Assign, ast.AnnAssign)
LOOPS = (ast.For, ast.AsyncFor)
WALRUS_STATEMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)
HOOKS = (ast.FunctionDef, ast.Lambda)  # a forward hook: retained as it receives its output


def chosen_bindings(read) -> list:
    """The bindings to retain at: one name's (its bindings on every branch), preferring the name
    that is read, then the same attribute (`self.h` for `model.h`), then where it was first bound.
    (The scaled-initialisation fix looks for its one assignment here.)"""
    bindings = [b for b in read.state.binding if b.in_time]  # a retain after backward() is too late
    if not bindings:
        return []
    last = read.subject.rsplit(".", 1)[-1]
    for wanted in (lambda b: b.target == read.subject,
                   lambda b: "." in b.target and b.target.rsplit(".", 1)[-1] == last):
        chosen = [b for b in bindings if wanted(b)]
        if chosen:
            return chosen
    return [b for b in bindings if b.target == bindings[0].target]


def retain_fix(read: GradRead, source: SourceText, tree: Optional[ast.Module]) -> Optional[Fix]:
    return retain_plan(read, source, tree)[0]


def retain_plan(read: GradRead, source: SourceText, tree: Optional[ast.Module]) -> Tuple[Optional[Fix], Optional[str]]:
    """The fix for a read, or why there is none (a clause for the message; None when the message
    need not say). `tree`: the module the analysis ran on (`Facts.tree`)."""
    states = read.states or (read.state,)
    if not all(state.reached >= 0 for state in states):
        if not read.after_backward:
            return None, f"no backward() runs after `{read.subject}` is made and before this read"
        return None, f"no backward() before this read is shown to reach `{read.subject}`"
    where = layout(tree)
    if where is None:
        return None, None
    sites: Dict[tuple, Site] = {}
    for state in states:
        binding = best_binding(read, state, source, where)
        if binding is None:
            return None, no_binding_reason(read, state, source)
        site = sites.setdefault(site_key(binding), Site(binding, where))
        site.records.append(binding)
    edits: List[Edit] = []
    safe = True
    for site in sorted(sites.values(), key=lambda s: (s.anchor.lineno, s.anchor.col_offset, s.text)):
        edit, site_safe = site.edit(source, where)
        if edit is None:
            return None, None
        if edits and edits[-1].start == edit.start == edit.end == edits[-1].end:
            # `a, b = ...`: both calls in one insertion (lines follow lines; `; a...` chains)
            edit = Edit(edit.start, edit.end, edits.pop().content + edit.content)
        edits.append(edit)
        safe &= site_safe
    targets = ", ".join(sorted({site.text for site in sites.values()}))
    verb = "Insert"
    if read.late_retain:
        deletion = late_call_deletion(read, list(sites.values()), source, where)
        if deletion is not None:
            edits.append(deletion)
            verb = "Move"
    guarded = any(site.guarded for site in sites.values())
    where_to = " (if it requires grad)" if guarded else ""
    place = "in the forward hook that receives it" if all(site.hook for site in sites.values()) \
        else "where it is assigned"
    return Fix(SAFE if safe else UNSAFE, f"{verb} `{targets}.retain_grad()`{where_to} {place}",
               tuple(sorted(edits, key=lambda e: (e.start, e.end)))), None


# -- choosing where ------------------------------------------------------------------------------

def best_binding(read: GradRead, state, source: SourceText, where: Layout):
    """The binding to retain this tensor at: made and bound by one statement before any backward,
    on a target that can be written again; preferring the name read, then the same attribute, and
    module level over function bodies (no guard needed there)."""
    usable = [b for b in state.binding if b.in_time and b.fresh and target_text(source, b) is not None
              and placeable(b, where)]
    if not usable:
        return None
    last = read.subject.rsplit(".", 1)[-1]
    for wanted in (lambda b: b.target == read.subject,
                   lambda b: "." in b.target and b.target.rsplit(".", 1)[-1] == last,
                   lambda b: True):
        chosen = [b for b in usable if wanted(b)]
        if chosen:
            return min(chosen, key=lambda b: (where.in_function(where.find(b.statement)),
                                              b.line, b.column))
    return None


def no_binding_reason(read: GradRead, state, source: SourceText) -> Optional[str]:
    made_there = [b for b in state.binding if b.in_time and b.fresh]
    impure = [b for b in made_there if isinstance(b.node, (ast.Attribute, ast.Subscript)) and not pure(b.node)]
    if impure:
        return f"writing `{impure[0].target}` again to call retain_grad() on it would run its calls again"
    if read.subject.replace(".", "").replace("_", "").isalnum():
        return "the statement that makes it does not assign it to a name or attribute"
    return None  # the message already asks to bind it to a name


def target_text(source: SourceText, binding) -> Optional[str]:
    """The target as written in the source, when writing it again has no side effects: a name, or
    attributes and subscripts of names with constant or name indices, on one line."""
    node = binding.node
    if isinstance(node, ast.Name):
        return node.id + getattr(binding, "suffix", "")  # `data["x"]` of `data = {"x": h * 2}`
    if isinstance(node, ast.arg):
        return node.arg  # a forward hook's output parameter
    if not isinstance(node, (ast.Attribute, ast.Subscript)) or node.lineno != node.end_lineno:
        return None
    if not pure(node):
        return None
    return exact(source, node)


def pure(node) -> bool:
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Attribute):
        return pure(node.value)
    if isinstance(node, ast.Subscript):
        return pure(node.value) and simple_index(node.slice)
    return False


def simple_index(node) -> bool:
    if isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, ast.Tuple):
        return all(simple_index(e) for e in node.elts)
    return False


def placeable(binding, where: Layout) -> bool:
    """The statement is one a call can follow (or, for a loop, start the body of)."""
    statement = where.find(binding.statement)
    if isinstance(statement, HOOKS):
        return hook_parameter(statement, binding.node) is not None
    if isinstance(statement, LOOPS):
        return is_target_of(where, binding.node, statement)
    if isinstance(statement, WALRUS_STATEMENTS):
        return is_target_of(where, binding.node, statement) or walrus_runs_once(where, binding.node, statement)
    return False


def is_target_of(where: Layout, target, statement) -> bool:
    """The target node is one of the statement's targets (not a walrus inside its value), or the
    tensor a target writes into (`out` in `out[1:] = x * 2`)."""
    node = where.find(target)
    if node is None:
        return False
    child = node
    for ancestor in where.ancestors(node):
        if ancestor is statement:
            return True
        written_into = isinstance(ancestor, ast.Subscript) and ancestor.value is child \
            and isinstance(ancestor.ctx, ast.Store)
        if not (written_into or isinstance(ancestor, (ast.Tuple, ast.List, ast.Starred))):
            return False
        child = ancestor
    return False


def walrus_runs_once(where: Layout, name, statement) -> bool:
    """`z = (y := x * 3) * 4`: the walrus runs exactly once whenever the statement does, and nothing
    the statement calls after it could run a backward() (no call outside the walrus's value)."""
    node = where.find(name)
    walrus = where.parents.get(node) if node is not None else None
    if not isinstance(walrus, ast.NamedExpr):
        return False
    child = walrus
    for ancestor in where.ancestors(walrus):
        if ancestor is statement:
            break
        if isinstance(ancestor, ast.IfExp) and child is not ancestor.test:
            return False
        if isinstance(ancestor, ast.BoolOp) and child is not ancestor.values[0]:
            return False
        if isinstance(ancestor, ast.Compare) and child is not ancestor.left and \
                child is not ancestor.comparators[0]:
            return False
        if isinstance(ancestor, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                                 ast.comprehension, ast.Await, ast.Yield, ast.YieldFrom)):
            return False
        child = ancestor
    else:
        return False
    inside = set(ast.walk(walrus.value))
    return all(harmless_call(n, walrus) for n in ast.walk(statement) if isinstance(n, ast.Call) and n not in inside)


HARMLESS_BUILTINS = frozenset("print len str repr format float int bool abs round min max isinstance type".split())


def harmless_call(call: ast.Call, walrus: ast.NamedExpr) -> bool:
    """A call that cannot run a backward(): a builtin that formats or measures, or a tensor method
    (other than backward) called on the walrus's own value (`(y := x * 3).sum()`)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in HARMLESS_BUILTINS
    if isinstance(func, ast.Attribute) and func.attr not in ("backward", "register_hook"):
        return walrus in set(ast.walk(func.value))
    return False


def site_key(binding) -> tuple:
    return (id(binding.statement), binding.target)


class Site:
    """One place a call goes: a statement and a target, with the binding records of every tensor
    retained there."""

    def __init__(self, binding, where: Layout):
        self.binding = binding
        self.statement = where.find(binding.statement)
        self.records: list = []
        self.text = ""
        self.guarded = False
        self.hook = isinstance(self.statement, HOOKS)

    @property
    def anchor(self):
        return self.statement

    def edit(self, source: SourceText, where: Layout) -> Tuple[Optional[Edit], bool]:
        """The insertion, and whether it is safe: the plain call at module level where every run
        bound a non-leaf requiring grad; else the guarded call (on lines of its own) where every run
        bound a tensor; else the plain call, unsafe."""
        statement = self.statement
        if self.hook:
            return self.hook_edit(source, where)
        loop = isinstance(statement, LOOPS)
        block_statement = statement.body[0] if loop else statement  # the block the call goes in
        self.text = target_text(source, self.binding) or ""
        plain = [f"{self.text}.retain_grad()"]
        guarded = [f"if {self.text}.requires_grad:", where.block_unit(source, block_statement) + plain[0]]
        room = starts_line(source, block_statement) if loop else stands_alone(source, statement)
        if not where.in_function(statement) and all(record.sure for record in self.records):
            lines, safe = plain, True
        elif room and all(record.tensors for record in self.records):
            lines, safe, self.guarded = guarded, True, True
        else:
            lines, safe = plain, False  # raises where the tensor does not require grad
        if loop:
            return insert_before(source, block_statement, lines), safe
        if room:
            return insert_lines_after(source, statement, lines), safe
        return insert_after(source, statement, lines[0]), safe


    def hook_edit(self, source: SourceText, where: Layout) -> Tuple[Optional[Edit], bool]:
        """Retain the output first thing in the hook, guarded (the model may run under no_grad): in
        a def, the guarded call before the first statement (after a docstring); in a lambda, the
        body becomes `(o.retain_grad() if o.requires_grad else None, body)[1]`, which keeps the
        body's value (a forward hook that returns a value replaces the module's output). Only where
        every output the hook received was a tensor (`o.requires_grad` of a tuple raises)."""
        if not all(record.tensors for record in self.records):
            return None, False
        self.text, self.guarded = self.binding.node.arg, True
        call = f"{self.text}.retain_grad()"
        hook = self.statement
        if isinstance(hook, ast.Lambda):
            body = exact(source, hook.body)
            if isinstance(hook.body, ast.NamedExpr):
                body = f"({body})"
            start, end = start_of(source, hook.body), end_of(source, hook.body)
            return Edit(start, end, f"({call} if {self.text}.requires_grad else None, {body})[1]"), True
        first = hook.body[0]
        docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str)
        following = hook.body[1] if docstring and len(hook.body) > 1 else None if docstring else first
        lines = [f"if {self.text}.requires_grad:", where.block_unit(source, first) + call]
        if following is not None:
            return (insert_before(source, following, lines) if starts_line(source, following) else None), True
        return (insert_lines_after(source, first, lines) if stands_alone(source, first) else None), True


def hook_parameter(hook, parameter) -> Optional[ast.arg]:
    """The hook's own parameter of that name (positional), when the hook is a plain def or lambda."""
    if parameter is None or not isinstance(parameter, ast.arg):
        return None
    return next((p for p in hook.args.posonlyargs + hook.args.args if p.arg == parameter.arg), None)


# -- the late call ----------------------------------------------------------------------------

def late_call_deletion(read: GradRead, sites: list, source: SourceText, where: Layout) -> Optional[Edit]:
    """Delete the late `t.retain_grad()` only when it is a bare call statement, on a name that the
    fix now retains at every assignment of it in the same scope (so it retains nothing else);
    otherwise it stays (harmless: the tensor already retains its grad)."""
    states = read.states or (read.state,)
    statement = states[0].retain_statement
    if statement is None or any(s.retain_statement is not statement for s in states) or len(sites) != 1:
        return None
    call = where.find(statement)
    site = sites[0]
    if not (isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
            and isinstance(call.value.func, ast.Attribute) and call.value.func.attr == "retain_grad"
            and not call.value.args and not call.value.keywords
            and isinstance(call.value.func.value, ast.Name)
            and isinstance(site.binding.node, ast.Name) and call.value.func.value.id == site.text):
        return None
    scope = where.scope(call)
    if where.scope(site.statement) is not scope:
        return None
    name = site.text
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = scope.args
        parameters = arguments.posonlyargs + arguments.args + arguments.kwonlyargs + \
            [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        if any(a.arg == name for a in parameters):
            return None
    for node in own_nodes(scope):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return None
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            if not any(a is site.statement for a in where.ancestors(node)):
                return None  # another assignment: the late call may retain what it binds
    return statement_deletion(source, statement, where)


def own_nodes(scope):
    """The nodes of a scope's body, not of the scopes nested in it."""
    stack = list(scope.body) if isinstance(scope.body, list) else [scope.body]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
