"""GL002 and GL004 fix for a leaf lost to a device/dtype move: ask for grad after the move.

`torch.rand(3, requires_grad=True).double()` -> `torch.rand(3).double().requires_grad_()`: the same
random draws and the same values (creating it with `dtype=` instead would draw other numbers), and
the moved tensor is the leaf. The same for the move chained on `.requires_grad_()`
(`raw.requires_grad_().float()` -> `raw.float().requires_grad_()`), for a name created with
`requires_grad=True` and rebound by a move (`x = torch.ones(3, requires_grad=True)` ... `x = x.to(device)`
-> `x = torch.ones(3)` ... `x = x.to(device).requires_grad_()`), and for a wrap
(`nn.Parameter(t * 0.01).double()` -> `nn.Parameter((t * 0.01).double())`).

Every edit is an exact slice of the source or a fixed string: no argument is retyped or given a role.
The moved tensor becomes a leaf that requires grad, so an in-place write to it with grad enabled
would raise afterwards (`inplace.leaf_safety`): then there is no fix.
"""
from __future__ import annotations

import ast
from typing import List, Optional, Tuple

from ..analysis import torch_api as api
from ..analysis.source import SourceText
from ..diagnostic import SAFE, UNSAFE, Edit, Fix, Location
from .inplace import Parsed, leaf_safety, parsed_source
from .text import end_of, location

# Moves that return the tensor or a copy of it (the result of a chain of them is what is bound).
MOVES = api.names(api.Kind.MOVE, api.TENSOR_MEMBERS)
# Methods that may return their receiver itself (the same object, so the same requires_grad flag).
MAY_RETURN_SELF = MOVES | {"contiguous", "requires_grad_", "detach_", "type_as", "view_as"}
# Statements that can end a block early: a creation before them does not reach what follows for sure.
JUMPS = (ast.Return, ast.Break, ast.Continue, ast.Raise)


def moved_leaf_fix(finding, source: SourceText, module: Optional[ast.Module] = None) -> Optional[Fix]:
    """The fix for a GL002 read or a GL004 argument whose tensor a move made a non-leaf.
    `module`: the tree the analysis ran on (`Facts.tree`), when the caller has it."""
    why = finding.state.why
    if not filled_after_fix(finding):
        return None
    tree = parsed_source(source, module)
    move = tree.locate(why.node) if tree is not None and why is not None else None
    if isinstance(move, ast.Call) and plain_subclass(tree, move.func):
        return subclass_fix(tree, finding, source, move)
    if not (isinstance(move, ast.Call) and isinstance(move.func, ast.Attribute)):
        return None
    chain = chain_top(tree, move)
    if not holds_chain(tree, finding, chain, source):
        return None
    receiver = chain_base(move)
    if is_parameter_call(receiver):
        return parameter_fix(tree, source, receiver, chain)
    made = grad_asked(tree, source, receiver, chain)
    if made is None:
        return None
    removal, applicability = made
    verdict = leaf_safety(source, chain, tree.tree)
    if verdict.mutated:
        return None
    if not verdict.clear:
        applicability = UNSAFE
    end = end_of(source, chain)
    edits = tuple(sorted(removal + [Edit(end, end, ".requires_grad_()")], key=lambda e: (e.start, e.end)))
    return Fix(applicability, f"Ask for grad after the move: `{short_move(move)}.requires_grad_()`", edits)


def subclass_fix(tree: Parsed, finding, source: SourceText, wrap: ast.Call) -> Optional[Fix]:
    """`Tagged(torch.randn(3, requires_grad=True))` -> `Tagged(torch.randn(3)).requires_grad_()`:
    the wrapped tensor is the leaf (same values; the class is a plain subclass, see
    plain_subclass)."""
    if len(wrap.args) != 1 or wrap.keywords or not is_factory_call(wrap.args[0]):
        return None
    chain = chain_top(tree, wrap)
    if not holds_chain(tree, finding, chain, source):
        return None
    removal = keyword_removal(source, wrap.args[0])
    verdict = leaf_safety(source, chain, tree.tree)
    if removal is None or verdict.mutated:
        return None
    end = end_of(source, chain)
    return Fix(SAFE if verdict.clear else UNSAFE,
               f"Ask for grad after wrapping: `{wrap.func.id}(...).requires_grad_()`",
               (removal, Edit(end, end, ".requires_grad_()")))


TENSOR_HOOKS = frozenset({"__new__", "__init__", "__torch_function__", "__torch_dispatch__",
                          "requires_grad_", "__init_subclass__"})


def plain_subclass(tree: Parsed, func: ast.expr) -> bool:
    """`func` names a class the module defines once, at its top level, as a direct subclass of
    `torch.Tensor` (or `Tensor`) with nothing that changes how it is made or how its methods run:
    no `__new__`, `__init__`, `__torch_function__`, `__torch_dispatch__`, `requires_grad_`, no
    decorator or metaclass, and no other binding of the name. Then `C(t)` is torch's own wrap."""
    if not isinstance(func, ast.Name):
        return False
    classes = [c for c in tree.tree.body if isinstance(c, ast.ClassDef) and c.name == func.id]
    if len(classes) != 1:
        return False
    (cls,) = classes
    if cls.decorator_list or cls.keywords or len(cls.bases) != 1 or not is_tensor_class(cls.bases[0]):
        return False
    if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in TENSOR_HOOKS
           or isinstance(n, ast.Name) and n.id in TENSOR_HOOKS for n in ast.walk(cls)):
        return False
    bindings = [n for n in ast.walk(tree.tree) if isinstance(n, ast.Name) and n.id == func.id
                and not isinstance(n.ctx, ast.Load)]
    bindings += [n for n in ast.walk(tree.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                   ast.ClassDef, ast.alias))
                 and (getattr(n, "name", None) == func.id or getattr(n, "asname", None) == func.id)
                 and n is not cls]
    return not bindings and not any(isinstance(n, (ast.Global, ast.Nonlocal)) and func.id in n.names
                                    for n in ast.walk(tree.tree))


def is_tensor_class(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "Tensor" and isinstance(node.value, ast.Name)
            and node.value.id == "torch") or (isinstance(node, ast.Name) and node.id == "Tensor")


def chain_top(tree: Parsed, move: ast.Call) -> ast.expr:
    """`x.double().cuda()` for the `.double()` of it: the moves chained on the move."""
    node = move
    while True:
        attribute = tree.parents.get(node)
        call = tree.parents.get(attribute) if attribute is not None else None
        if not (isinstance(attribute, ast.Attribute) and attribute.value is node and isinstance(call, ast.Call)
                and call.func is attribute and attribute.attr in MOVES):
            return node
        node = call


def written_in_place(finding, source: SourceText, module: Optional[ast.Module] = None) -> bool:
    """The moved tensor is written in place later with grad enabled (a leaf would refuse that)."""
    why = finding.state.why
    tree = parsed_source(source, module)
    move = tree.locate(why.node) if tree is not None and why is not None else None
    if not isinstance(move, ast.Call):
        return False
    return leaf_safety(source, chain_top(tree, move), tree.tree).mutated


def filled_after_fix(finding) -> bool:
    """For a `.grad` read: a backward() that reaches the tensor runs between its making and the
    read, on every path, and every tensor the read may be (in every call context) comes from the
    same place. Otherwise making it a leaf would only silence the read. (An optimizer argument
    needs no backward: the fix is that the optimizer accepts it.)"""
    if not hasattr(finding, "subject_node"):
        return True
    states = getattr(finding, "states", None) or (finding.state,)
    node = finding.state.why.node if finding.state.why is not None else None
    for state in states:
        if getattr(state, "reached", 0) < 0:
            return False
        if state.why is None or state.why.node is not node:
            return False
    return True


IN_PLACE_ADVICE = ("; it is written in place later, which a leaf that requires grad refuses: "
                   "do those writes under torch.no_grad() (no automatic fix)")


def chain_base(move: ast.Call) -> ast.expr:
    """`torch.zeros(2, requires_grad=True)` of `torch.zeros(2, requires_grad=True).to(a).to(b)`:
    what the moves below `move` start from."""
    receiver = move.func.value
    while isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute) and receiver.func.attr in MOVES:
        receiver = receiver.func.value
    return receiver


def holds_chain(tree: Parsed, finding, chain: ast.expr, source: SourceText) -> bool:
    """The tensor of the finding is the chain's value: bound to names by the chain's statement (or
    aliases of them), or the chain itself handed to the optimizer. A read of `.grad` right on the
    chain has nothing a backward could have filled: no fix."""
    bindings = list(finding.state.binding)
    if not bindings:
        subject = getattr(finding, "subject_node", None)
        if subject is not None:
            return False
        return finding.span == source.span(chain)
    targets, direct = set(), False
    statements = []
    for binding in bindings:
        statement = tree.locate(binding.statement)
        if statement is None:
            return False
        statements.append(statement)
        targets.add(binding.target)
    for statement in statements:
        value = getattr(statement, "value", None)
        if value is chain:
            direct = True
        elif not (isinstance(value, ast.Name) and value.id in targets or returns_bound(tree, value, targets)):
            return False
    return direct


def returns_bound(tree: Parsed, value: ast.AST, targets: set) -> bool:
    """`w = make()` where every `make` in the file returns one of the bound names (`return w`)."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
        return False
    functions = tree.functions.get(value.func.id, [])
    returns = [r for f in functions for r in tree.all_in(f, "returns")]
    return bool(functions) and bool(returns) and all(isinstance(r, ast.Return) and isinstance(r.value, ast.Name)
                                                     and r.value.id in targets for r in returns)


def grad_asked(tree: Parsed, source: SourceText, receiver: ast.expr,
               chain: ast.expr) -> Optional[Tuple[List[Edit], str]]:
    """Where the moved tensor's source asked for grad, and the edits that stop it asking there."""
    if isinstance(receiver, ast.Call) and is_factory_call(receiver):
        removal = keyword_removal(source, receiver)
        return ([removal], SAFE) if removal is not None else None
    if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute) \
            and receiver.func.attr == "requires_grad_" and asks_true(receiver):
        asked = receiver.func.value
        dot = dot_after(source, asked)
        if dot is None:
            return None
        removal = Edit(dot, end_of(source, receiver), "")
        if is_factory_call(asked):  # `torch.randn(3).requires_grad_().cuda()`: a fresh tensor
            if any(k.arg in ("requires_grad", None) for k in asked.keywords):
                return None
            return [removal], SAFE
        if isinstance(asked, ast.Name) and name_flag_unobserved(tree, asked, chain):
            return [removal], SAFE
        return [removal], UNSAFE  # whatever else holds `asked` no longer requires grad
    if isinstance(receiver, ast.Name):
        return rebinding(tree, source, receiver, chain)
    return None


def asks_true(call: ast.Call) -> bool:
    """`t.requires_grad_()` or `t.requires_grad_(True)`."""
    if call.keywords:
        return len(call.keywords) == 1 and not call.args and call.keywords[0].arg == "requires_grad" \
            and is_true(call.keywords[0].value)
    return not call.args or (len(call.args) == 1 and is_true(call.args[0]))


def is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def statement_of(tree: Parsed, node: ast.AST) -> Optional[ast.stmt]:
    while node is not None and not isinstance(node, ast.stmt):
        node = tree.parents.get(node)
    return node


def block_of(tree: Parsed, statement: ast.stmt) -> Optional[list]:
    parent = tree.parents.get(statement)
    for field in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(s is statement for s in block):
            return block
    return None


def names_in(node: ast.AST, name: str) -> List[ast.Name]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name]


def in_loop(tree: Parsed, statement: ast.stmt, scope: ast.AST) -> bool:
    node = tree.parents.get(statement)
    while node is not None and node is not scope:
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            return True
        node = tree.parents.get(node)
    return False


def seen_elsewhere(tree: Parsed, scope: ast.AST, name: str) -> bool:
    """A function other than `scope` (nested in it, or anywhere for a module's name) reads `name`."""
    for node in ast.walk(tree.tree if isinstance(scope, ast.Module) else scope):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) and node is not scope:
            if names_in(node, name):
                return True
    return False


def name_flag_unobserved(tree: Parsed, name: ast.Name, chain: ast.expr) -> bool:
    """`raw.requires_grad_()` set raw's flag for good: dropping it is safe only when raw is a fresh
    local tensor nothing reads again (`raw = torch.from_numpy(a)` ... `X = raw.requires_grad_().double()`)."""
    statement = statement_of(tree, chain)
    if statement is None:
        return False
    scope = tree.scope_of(statement)
    if isinstance(scope, ast.Lambda) or in_loop(tree, statement, scope) or seen_elsewhere(tree, scope, name.id):
        return False
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        arguments = scope.args
        if name.id in {a.arg for a in arguments.args + arguments.posonlyargs + arguments.kwonlyargs}:
            return False
    after = (statement.lineno, statement.col_offset)
    bound_fresh = False
    for node in ast.walk(scope):
        if isinstance(node, ast.Name) and node.id == name.id and node is not name:
            if isinstance(node.ctx, ast.Load) and (node.lineno, node.col_offset) > after:
                return False  # read again: it would no longer require grad there
            if not isinstance(node.ctx, ast.Load) and not isinstance(tree.parents.get(node), ast.Assign):
                return False  # bound by a loop, a with, an unpacking...: maybe not a fresh tensor
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and name.id in node.names:
            return False
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name.id for t in node.targets):
            value = node.value  # a call's result is a tensor of its own (unless it may return its receiver)
            if not isinstance(value, ast.Call) or (isinstance(value.func, ast.Attribute)
                                                   and value.func.attr in MAY_RETURN_SELF):
                return False
            bound_fresh = True
    return bound_fresh


def rebinding(tree: Parsed, source: SourceText, name: ast.Name,
              chain: ast.expr) -> Optional[Tuple[List[Edit], str]]:
    """`x = torch.ones(3, requires_grad=True)` ... `x = x.to(device)`: the creation stops asking for
    grad, the move asks after it. The creation must be the binding of `x` the move reads for sure:
    the nearest statement before it in the same block that binds `x`."""
    statement = statement_of(tree, chain)
    if not (isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is chain):
        return None
    block = block_of(tree, statement)
    if block is None:
        return None
    index = next(i for i, s in enumerate(block) if s is statement)
    creation, between = None, []
    for earlier in reversed(block[:index]):
        if any(isinstance(n, ast.Name) and n.id == name.id and isinstance(n.ctx, (ast.Store, ast.Del))
               for n in ast.walk(earlier)) or isinstance(earlier, (ast.Global, ast.Nonlocal, ast.Import,
                                                                    ast.ImportFrom, ast.FunctionDef,
                                                                    ast.AsyncFunctionDef, ast.ClassDef)):
            creation = earlier
            break
        between.append(earlier)
    if not (isinstance(creation, ast.Assign) and len(creation.targets) == 1
            and isinstance(creation.targets[0], ast.Name) and creation.targets[0].id == name.id
            and isinstance(creation.value, ast.Call) and is_factory_call(creation.value)):
        return None
    removal = keyword_removal(source, creation.value)
    if removal is None:
        return None
    scope = tree.scope_of(statement)
    # nothing in between reads the name or may leave the block (then the creation alone is seen)
    safe = not any(names_in(s, name.id) for s in between) \
        and not any(isinstance(n, JUMPS) for s in between for n in ast.walk(s))
    if safe and between and seen_elsewhere(tree, scope, name.id):
        # a function that reads the name may run in between and see requires_grad
        safe = not any(isinstance(n, ast.Call) for s in between for n in ast.walk(s))
    if safe and not rebinds(statement, name.id):
        # `y = x.double()`: x itself lives on; no read of it may follow
        later = [n for n in names_in(scope, name.id) if (n.lineno, n.col_offset) > (statement.end_lineno, statement.end_col_offset)]
        safe = not later and not in_loop(tree, statement, scope) and not seen_elsewhere(tree, scope, name.id)
    return [removal], SAFE if safe else UNSAFE


def rebinds(statement: ast.stmt, name: str) -> bool:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return any(isinstance(t, ast.Name) and t.id == name for t in targets)


def parameter_fix(tree: Parsed, source: SourceText, wrap: ast.Call, chain: ast.expr) -> Optional[Fix]:
    """`nn.Parameter(t).double()` -> `nn.Parameter(t.double())`: nn.Parameter takes no device or
    dtype, so the data moves before it is wrapped (parenthesised unless it is an atom)."""
    if len(wrap.args) != 1 or isinstance(wrap.args[0], ast.Starred):
        return None
    if any(k.arg != "requires_grad" or not is_true(k.value) for k in wrap.keywords):
        return None
    argument = wrap.args[0]
    move_start = dot_after(source, wrap)
    if move_start is None:
        return None
    move_text = source.slice(move_start, end_of(source, chain))
    if "#" in move_text:
        return None
    verdict = leaf_safety(source, chain, tree.tree)
    if verdict.mutated:
        return None
    # Stored on a module, the Parameter would now be registered: parameters(), state_dict(), .to()
    applicability = SAFE if verdict.clear and not verdict.stored_attribute else UNSAFE
    edits = [Edit(move_start, end_of(source, chain), "")]
    at = end_of(source, argument)
    if is_atom(argument):
        edits.append(Edit(at, at, move_text.strip()))
    else:
        start = location(source, argument.lineno, argument.col_offset)
        edits.append(Edit(start, start, "("))
        edits.append(Edit(at, at, ")" + move_text.strip()))
    edits.sort(key=lambda e: (e.start, e.end))
    return Fix(applicability, f"Move the tensor before wrapping it: `{move_text.strip()}` inside the Parameter",
               tuple(edits))


def is_atom(node: ast.expr) -> bool:
    """An expression `.double()` binds to whole: a name, attribute, call or subscript."""
    return isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))


def move_advice(why) -> str:
    """Advice that is code that works for a tensor a move made a non-leaf: ask for grad after the
    move (the value-preserving form the fix writes)."""
    move = why.node
    if not (isinstance(move, ast.Call) and isinstance(move.func, ast.Attribute)):
        return "ask for grad after the move: t.cuda().requires_grad_()"
    receiver, written = chain_base(move), written_move(move)
    if is_parameter_call(receiver):
        return f"move the tensor before wrapping it: nn.Parameter(t{written}), or move the whole module"
    if isinstance(receiver, ast.Call) and is_factory_call(receiver):
        func = receiver.func
        factory = f"{func.value.id}.{func.attr}" if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            else getattr(func, "id", "torch.randn")
        return f"ask for grad after the move: {factory}(...){written}.requires_grad_()"
    if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute) \
            and receiver.func.attr == "requires_grad_":
        asked = receiver.func.value
        name = asked.id if isinstance(asked, ast.Name) else "t"
        return f"ask for grad after the move: {name}{written}.requires_grad_()"
    if isinstance(receiver, ast.Name):
        return (f"ask for grad after the move: create {receiver.id} without requires_grad=True, then "
                f"{receiver.id} = {receiver.id}{written}.requires_grad_()")
    return f"ask for grad after the move: t{written}.requires_grad_()"


def written_move(move: ast.Call) -> str:
    """The move as the code wrote it (`.cuda()`, `.to(torch.float64)`), when it is short."""
    arguments = [ast.unparse(a) for a in move.args] + [ast.unparse(k) for k in move.keywords]
    text = f".{move.func.attr}({', '.join(arguments)})"
    return text if len(text) <= 30 and "\n" not in text else short_move(move)


def short_move(move: ast.Call) -> str:
    return f".{move.func.attr}({'...' if move.args or move.keywords else ''})"


def is_factory_call(call: ast.AST) -> bool:
    """`torch.randn(...)` and the other factories that take `device=` and `dtype=`."""
    if not isinstance(call, ast.Call):
        return False
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return api.kind_of(api.torch_name(name)) is api.Kind.FACTORY


def is_parameter_call(call) -> bool:
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "Parameter"


def keyword_removal(source: SourceText, call: ast.Call) -> Optional[Edit]:
    """The edit removing a literal `requires_grad=True` keyword and one comma beside it, exactly:
    `f(3, requires_grad=True)`, `f(3, requires_grad=True,)` (the comma after it stays: `f(3,)`),
    black's `f(\\n    3,\\n    requires_grad=True,\\n)`, `f(requires_grad=True, dtype=d)`.
    None when the keyword is not there, `**kwargs` could repeat it, or a comment is in the way."""
    if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    keywords = [k for k in call.keywords if k.arg == "requires_grad"]
    if len(keywords) != 1 or not is_true(keywords[0].value):
        return None
    keyword = keywords[0]
    arguments = sorted(list(call.args) + list(call.keywords), key=lambda a: (a.lineno, a.col_offset))
    index = next(i for i, a in enumerate(arguments) if a is keyword)
    if index > 0:
        start, end = end_of(source, arguments[index - 1]), end_of(source, keyword)
    elif len(arguments) > 1:
        following = arguments[1]
        start = location(source, keyword.lineno, keyword.col_offset)
        end = location(source, following.lineno, following.col_offset)
    else:
        # the only argument: remove it and a comma after it, keep the parentheses
        start, end = location(source, keyword.lineno, keyword.col_offset), end_of(source, keyword)
        rest = source.slice(end, end_of(source, call))
        if rest.lstrip().startswith(","):
            end = advance(source, end, len(rest) - len(rest.lstrip()) + 1)
    if "#" in source.slice(start, end):
        return None  # a comment in between would go with it
    return Edit(start, end, "")


def dot_after(source: SourceText, node: ast.expr):
    """The location of the `.` of the attribute taken of `node` (after any grouping `)`, spaces,
    line breaks), or None when a comment stands between."""
    end = end_of(source, node)
    text = source.text
    index = source.offset(end.line, end.column)
    while index < len(text):
        char = text[index]
        if char == ".":
            return location_at(source, index)
        if char not in " \t\f)\\\r\n":
            return None  # a comment, or not an attribute at all
        index += 1
    return None


def advance(source: SourceText, at, count: int):
    """The location `count` characters after `at`."""
    return location_at(source, source.offset(at.line, at.column) + count)


def location_at(source: SourceText, offset: int) -> Location:
    line, start = 1, 0
    for text in source.lines:
        if start + len(text) > offset:
            break
        start += len(text)
        line += 1
    return Location(line, offset - start + 1)
