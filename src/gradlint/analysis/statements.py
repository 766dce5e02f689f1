"""Statements: the flow of facts through assignments, branches, loops, `with` and `try`."""
from __future__ import annotations

import ast
from contextlib import closing
from typing import Dict, List, Optional, Tuple

from . import torch_api as api
from .facts import UnanalysedStatement
from .host import HostBase
from .keys import ATTRIBUTE, ATTRIBUTE_NAMES, CHILDREN, ELEMENTS, EPOCH, GRAD_MODE, HAVOC, SLOTS, TENSOR, VARIABLE
from .state import State, merged
from .patterns import irrefutable
from .values import (NOTHING, UNKNOWN, Binding, Children, Leaf, Obj, Retain, Shape, Slot, Slots, T, Value, same_fact,
                     widened)
from .visits import IterationStep

MAX_UNROLL = 16
COMPACT_DEPTH = 8  # layers above the innermost merge base before they are flattened
WIDEN_AFTER = 3  # passes over a loop's later iterations before facts that still change are widened
MAX_LOOP_PASSES = 8  # passes before a loop is given up (its reads distrusted, nothing after it known)


class StatementsMixin(HostBase):
    # ----------------------------------------------------------------- blocks
    def exec_block(self, body: List[ast.stmt]) -> None:
        for stmt in body:
            if self.state.dead:
                return
            if self.budget <= 0:
                return
            self.budget -= 1
            self.statement = stmt
            handler = getattr(self, "stmt_" + type(stmt).__name__, None)
            if handler is None:
                self.unanalysed_statement(stmt)
            else:
                outer, self.statement_births = self.statement_births, self.births
                handler(stmt)
                self.statement_births = outer
            self.compact()

    def unanalysed_statement(self, stmt: ast.stmt) -> None:
        """A statement of a kind this analysis does not know (a newer Python's): it may have bound,
        changed or retained anything, so from here on, on every path through it, nothing is proven
        (and `Facts.unanalysed` says where the analysis stopped proving)."""
        note = UnanalysedStatement(stmt.lineno, type(stmt).__name__)
        if note not in self.unanalysed and self.unit is None:
            self.unanalysed.append(note)
        self.state.set(HAVOC, True)

    def compact(self) -> None:
        """Keep layer chains short so lookups stay cheap in long functions.

        Only the layers above the innermost pending merge base (an anchor) are flattened: the
        result stays a descendant of every base, so merges still see only what changed.
        """
        anchor = self.anchors[-1] if self.anchors else None
        layer: Optional[State]
        depth, layer = 0, self.state
        while layer is not None and layer is not anchor:
            depth += 1
            layer = layer.parent
        if depth <= COMPACT_DEPTH:
            return
        chain = []
        layer = self.state
        while layer is not None and layer is not anchor:
            chain.append(layer)
            layer = layer.parent
        flat = State(anchor)
        for layer in reversed(chain):
            flat.local.update(layer.local)
        flat.dead = self.state.dead
        self.state = flat

    def run_branch(self, base: State, body, guard: Optional[str] = None) -> State:
        self.state = base.child()
        self.anchors.append(base)
        if guard:
            self.leaf_guards.append(guard)
        try:
            if isinstance(body, list):
                self.exec_block(body)
            else:
                body()
        finally:
            if guard:
                self.leaf_guards.pop()
            self.anchors.pop()
        return self.state

    def kill_path(self) -> None:
        self.state = self.state.child()
        self.state.dead = True

    # ----------------------------------------------------------------- simple statements
    def stmt_Expr(self, node: ast.Expr) -> None:
        self.eval(node.value)

    def stmt_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) == 1 and self.bind_pairwise(node.targets[0], node.value, node):
            return
        value = self.eval(node.value)
        for target in node.targets:
            self.bind(target, value, node)

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.bind(node.target, self.eval(node.value), node)

    def stmt_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Attribute) and target.attr == api.GRAD:
            self.read_attribute(target)  # `p.grad /= n` reads p.grad first
            self.eval(node.value)
            return
        current = self.eval_target_value(target)
        operand = self.eval(node.value)
        tensors = [o for o in current if o.sort is T.TENSOR]
        if tensors and len(tensors) == len(current):
            self.in_place(current, [operand], node, self.source.segment(node))
            return
        if any(o.sort in (T.LIST,) for o in current):
            for obj in current:
                if obj.sort is T.LIST:
                    self.container_add(obj, self.iterate(operand))
            return
        result = self.binary_result(node, [current, operand])
        self.bind(target, result, node)

    def eval_target_value(self, target) -> Value:
        if isinstance(target, ast.Name):
            return self.lookup(target.id) or UNKNOWN
        if isinstance(target, ast.Attribute):
            return self.attribute_value(self.eval(target.value), target.attr, target)
        if isinstance(target, ast.Subscript):
            return self.subscript_value(self.eval(target.value), target)
        return UNKNOWN

    def stmt_Return(self, node: ast.Return) -> None:
        value = self.eval(node.value) if node.value is not None else self.const(None)
        self.frame.returns.append((self.state, value))
        self.kill_path()

    def stmt_Raise(self, node: ast.Raise) -> None:
        if node.exc is not None:
            self.eval(node.exc)
        self.kill_path()

    def stmt_Break(self, node) -> None:
        if self.loops:
            self.loops[-1][1].append(self.state)
        self.kill_path()

    def stmt_Continue(self, node) -> None:
        if self.loops:
            self.loops[-1][0].append(self.state)
        self.kill_path()

    def stmt_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.bind_name(target.id, NOTHING)
            elif isinstance(target, ast.Subscript):  # `del items[0]`: what is where is not known
                index = self.eval(target.slice)
                base = self.eval(target.value)
                for obj in base:
                    # the layer has no such parameter any more
                    if obj.sort is T.PARAMETER_SLOTS and obj.slots_of is not None:
                        self.replace_parameter(obj.slots_of, self.known_const(index, None), NOTHING,
                                               strong=len(base) == 1, registered=False)
                    self.forget_layout(obj)
            elif isinstance(target, ast.Attribute):  # a class attribute, or nothing, from here on
                for obj in self.eval(target.value):
                    if obj.sort in (T.INSTANCE, T.TORCH_MODULE, T.CLASS):
                        self.set_attribute(obj, target.attr, UNKNOWN)

    def forget_layout(self, obj: Obj) -> None:
        """A container (or nn.Sequential) changed in a way not followed: what it holds where is
        unknown from here on (its elements, as a summary, are kept)."""
        if obj.sort in (T.LIST, T.DICT, T.TUPLE):
            shape = self.shape(obj)
            if shape is not None:
                self.state.set((ELEMENTS, obj), Shape(summary=shape.everything()))
        elif obj.sort is T.TORCH_MODULE and self.state.get((CHILDREN, obj)) is not None:
            self.state.set((CHILDREN, obj), Children(None))

    def stmt_Assert(self, node: ast.Assert) -> None:
        self.eval(node.test)

    def stmt_Import(self, node: ast.Import) -> None:
        if self.imports is not None and self.import_project_modules(node):  # the project's (imports.py)
            return
        for alias in node.names:
            if alias.asname:
                self.bind_name(alias.asname, self.qual(alias.name))
            else:
                root = alias.name.split(".")[0]
                self.bind_name(root, self.qual(root))

    def stmt_ImportFrom(self, node: ast.ImportFrom) -> None:
        if self.imports is not None and self.import_project(node):  # a module of the project (imports.py)
            return
        if node.level or not node.module:
            for alias in node.names:
                self.bind_name(alias.asname or alias.name, UNKNOWN)
            return
        for alias in node.names:
            if alias.name != "*":
                self.bind_name(alias.asname or alias.name, self.qual(f"{node.module}.{alias.name}"))

    def stmt_Pass(self, node) -> None:
        pass

    stmt_Global = stmt_Pass  # declarations: the scope scan (scopes.py) reads them
    stmt_Nonlocal = stmt_Pass

    def stmt_TypeAlias(self, node) -> None:
        """`type X = ...` (Python 3.12): binds X to an alias whose value is computed lazily."""
        if isinstance(node.name, ast.Name):
            self.bind_name(node.name.id, self.opaque())

    # ----------------------------------------------------------------- binding
    def bind_pairwise(self, target, value_node, stmt) -> bool:
        """`a, b = x * 2, x * 3`: bind element by element."""
        if not (isinstance(target, (ast.Tuple, ast.List)) and isinstance(value_node, (ast.Tuple, ast.List))):
            return False
        if len(target.elts) != len(value_node.elts) or any(
                isinstance(e, ast.Starred) for e in target.elts + value_node.elts):
            return False
        values = [self.eval(e) for e in value_node.elts]
        for element, value in zip(target.elts, values):
            self.bind(element, value, stmt)
        return True

    def bind(self, target, value: Value, stmt) -> None:
        if isinstance(target, ast.Name):
            self.bind_name(target.id, value)
            self.record_binding(value, stmt, target.id, target)
            self.record_element_bindings(value, stmt, target)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.bind_unpacked(target.elts, value, stmt)
        elif isinstance(target, ast.Attribute):
            self.bind_attribute(self.eval(target.value), target.attr, value, target, stmt)
        elif isinstance(target, ast.Subscript):
            self.bind_subscript(target, value, stmt)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, frozenset({self.new_container(target, T.LIST, Shape(summary=value))}), stmt)

    def record_binding(self, value: Value, stmt, text: str, node=None, made_here: bool = False) -> None:
        """Remember which statement bound a tensor to which name (where a fix inserts retain_grad):
        assignments, `for` targets, and walruses (recorded on the statement holding them).
        `made_here`: the statement made the (existing) tensor a non-leaf, by writing into it."""
        if isinstance(stmt, ast.NamedExpr):
            stmt = self.statement
            if stmt is None:
                return
        elif not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.For, ast.AsyncFor)):
            return
        self.note_binding(value, stmt, text, node, made_here)

    def record_element_bindings(self, value: Value, stmt, target: ast.Name) -> None:
        """`data = {"x": h * 2}`, `pair = (h * 2, y)`, `out = Output(logits=h * 2)`: a tensor the
        statement makes and puts at a literal key or position of the literal it binds, or in a field
        of the record it makes, is bound there too (`data["x"]`, `pair[0]`, `out.logits`)."""
        literal = getattr(stmt, "value", None)
        if not (isinstance(stmt, (ast.Assign, ast.AnnAssign)) and len(value) == 1):
            return
        (container,) = value
        if isinstance(literal, ast.Call) and container.sort is T.INSTANCE and container.node is literal \
                and container.plain_fields:
            for name in sorted(self.state.get((ATTRIBUTE_NAMES, container)) or ()):
                item = self.state.get((ATTRIBUTE, container, name)) or NOTHING
                if len(item) == 1:
                    self.note_binding(item, stmt, f"{target.id}.{name}", target, suffix=f".{name}")
            return
        if not isinstance(literal, (ast.Dict, ast.Tuple, ast.List)):
            return
        shape = self.shape(container) if container.sort in (T.DICT, T.TUPLE, T.LIST) else None
        if shape is None or shape.items is None:
            return
        keys = shape.keys if container.sort is T.DICT else range(len(shape.items))
        for key, item in zip(keys or (), shape.items):
            suffix = subscript_text(key)
            if suffix is not None and len(item) == 1:
                self.note_binding(item, stmt, target.id + suffix, target, suffix=suffix)

    def note_binding(self, value: Value, stmt, text: str, node=None, made_here: bool = False,
                     suffix: str = "") -> None:
        """Add a Binding record (`stmt` bound `value` to `text`) to each non-leaf in `value`; `stmt`
        may also be a forward hook (a def or lambda) whose output parameter `text` is."""
        if self.unit is not None:
            return  # in another module: no fix goes there
        sure = all(o.sort is T.TENSOR and self.tensor_state(o).leaf == {Leaf.NONLEAF} for o in value)
        tensors = all(o.sort is T.TENSOR for o in value)
        if not (sure and tensors):  # this run may be one that binds no non-leaf (see settle_bindings)
            doubt = self.binding_doubts.get((id(stmt), text), (False, False))
            self.binding_doubts[(id(stmt), text)] = (doubt[0] or not sure, doubt[1] or not tensors)
        epoch = self.epoch()
        for obj in value:
            if obj.sort is T.TENSOR:
                state = self.tensor_state(obj)
                if Leaf.NONLEAF in state.leaf and not any(b.statement is stmt and b.target == text
                                                          for b in state.binding):
                    in_time = state.created_epoch == epoch.count and state.created_epoch >= epoch.floor
                    binding = Binding(stmt, text, sure, stmt.lineno, in_time, stmt.col_offset,
                                      made_here or state.birth > self.statement_births, tensors, node, suffix)
                    self.set_tensor_state(obj, state.with_(binding=state.binding + (binding,)))

    def bind_unpacked(self, targets, value: Value, stmt) -> None:
        count = len(targets)
        starred = [i for i, t in enumerate(targets) if isinstance(t, ast.Starred)]
        per_target: List[Value] = [NOTHING] * count
        for obj in value:
            shape = self.shape(obj) if obj.sort in (T.TUPLE, T.LIST) else None
            items = self.tuple_items(obj)
            if items is not None and not starred and len(items) == count:
                shape = Shape(tuple(items))
            if obj.sort is T.DICT and shape is not None:
                keys = shape.keys if shape.exact else None
                for i in range(count):
                    per_target[i] |= self.const(keys[i]) if keys and len(keys) == count else UNKNOWN
                continue
            if shape is not None and shape.items is not None and not starred and len(shape.items) == count:
                for i, item in enumerate(shape.items):
                    per_target[i] |= item
            elif shape is not None:
                for i in range(count):
                    per_target[i] |= shape.everything() or UNKNOWN
            else:
                elements = self.iterate(frozenset({obj}))
                for i in range(count):
                    per_target[i] |= elements
        for target, part in zip(targets, per_target):
            if isinstance(target, ast.Starred):
                self.bind(target.value, frozenset({self.new_container(target, T.LIST, Shape(summary=part))}), stmt)
            else:
                self.bind(target, part or UNKNOWN, stmt)

    def bind_attribute(self, base: Value, name: str, value: Value, node, stmt) -> None:
        strong = len(base) == 1
        if name == api.TRAINING and any(o.sort is not T.TENSOR for o in base):
            self.forget_modes()  # `m.training = False` by hand
        for obj in base:
            if obj.sort is T.TENSOR:
                self.tensor_attribute_write(obj, name, value, node)
            elif obj.sort in (T.INSTANCE, T.TORCH_MODULE, T.CLASS):
                self.set_attribute(obj, name, value, strong)
            elif obj.sort is T.UNKNOWN:
                self.escape(value)
        self.record_binding(value, stmt, self.source.segment(node), node)

    def replace_parameter(self, module: Obj, name, value: Value, strong: bool, registered: bool = True) -> None:
        """`module._parameters[name] = value`: the layer uses (and parameters() yields) `value`."""
        slots = self.state.get((SLOTS, module))
        if slots is None:
            self.escape(value)
        elif isinstance(name, str) and strong:
            self.state.set((SLOTS, module), slots.with_slot(name, Slot(value, registered=registered)))
        else:  # which slot, or whether this one, is not known
            self.escape(value)
            self.state.set((SLOTS, module), Slots(slots.items, changed=True))

    def set_attribute(self, obj: Obj, name: str, value: Value, strong: bool = True) -> None:
        self.module_may_change(obj)
        slots = self.state.get((SLOTS, obj)) if obj.sort is T.TORCH_MODULE else None
        if slots is not None and (slots.get(name) is not None or slots.changed):
            # a replaced slot assigned again (after `del`, or a Parameter): it holds `value` now
            self.state.set((SLOTS, obj), slots.with_slot(name, Slot(value, registered=None)) if strong
                           else Slots(slots.items, changed=True))
        key = (ATTRIBUTE, obj, name)
        old = self.state.get(key)
        self.state.set(key, value if strong or old is None else old | value)
        names = self.state.get((ATTRIBUTE_NAMES, obj)) or frozenset()
        if name not in names:
            self.state.set((ATTRIBUTE_NAMES, obj), names | {name})

    def tensor_attribute_write(self, obj: Obj, name: str, value: Value, node) -> None:
        if name == api.GRAD:  # `t.grad = g` fills .grad by hand, non-leaf or not: reads are unprovable
            state = self.tensor_state(obj)
            self.set_tensor_state(obj, state.with_(retain=state.retain | {Retain.MAYBE}))
            return
        if name != api.REQUIRES_GRAD:
            return
        flag = self.truth(value)
        state = self.tensor_state(obj)
        if flag is True:  # assigning requires_grad runs only on a leaf: it proves one
            self.set_tensor_state(obj, state.with_(leaf=frozenset({Leaf.RG_LEAF}), why=None))
            self.views_require_grad(obj)
        elif flag is False:
            self.set_tensor_state(obj, state.with_(leaf=frozenset({Leaf.PLAIN}), why=None))
        else:
            self.set_tensor_state(obj, state.with_(leaf=frozenset({Leaf.UNKNOWN})))

    def bind_subscript(self, target: ast.Subscript, value: Value, stmt) -> None:
        base = self.eval(target.value)
        index = self.eval(target.slice)
        for obj in base:
            if obj.sort is T.TENSOR:
                self.in_place(frozenset({obj}), [value], target, self.source.segment(target), written=True)
            elif obj.sort in (T.LIST, T.DICT):
                self.container_set(obj, index, value, strong=len(base) == 1)
            elif obj.sort is T.TORCH_MODULE:
                self.forget_layout(obj)
            elif obj.sort is T.PARAMETER_SLOTS and obj.slots_of is not None:
                self.replace_parameter(obj.slots_of, self.known_const(index, None), value,
                                       strong=len(base) == 1)
            elif obj.sort is T.UNKNOWN:
                self.escape(value)
        if base and all(o.sort in (T.LIST, T.DICT) for o in base):
            self.record_binding(value, stmt, self.source.segment(target), target)
        elif isinstance(target.value, ast.Name) and base and all(o.sort is T.TENSOR for o in base):
            # `out[1:] = x * 2` made `out` part of the graph here: a retain can follow this statement
            self.record_binding(base, stmt, target.value.id, target.value, made_here=True)

    # ----------------------------------------------------------------- branches
    def stmt_If(self, node: ast.If) -> None:
        """An `if`, with its `elif` ladder run as one many-way branch: each test runs where the
        one before left off, every arm starts from there, and all arms merge once at the end, so
        a ladder of a hundred `elif`s does not stack a hundred layers (and merge bases) up."""
        base = self.state
        exits: List[State] = []
        test = node
        while True:
            truth = self.condition(test.test)
            tested = self.state
            if truth is not False:
                exits.append(self.run_branch(tested, test.body, self.leaf_guard(test.test)))
            if truth is True:
                break
            orelse = test.orelse
            if len(orelse) == 1 and isinstance(orelse[0], ast.If) and self.budget > 0:
                test = orelse[0]
                self.budget -= 1
                self.statement = test
                # A layer that has children is never written again: the next test gets its own.
                self.state = tested.child() if exits else tested
                continue
            exits.append(self.run_branch(tested, orelse))
            break
        self.state = exits[0] if len(exits) == 1 else merged(base, exits)

    def condition(self, test) -> Optional[bool]:
        if isinstance(test, ast.BoolOp):
            return self.bool_condition(test)
        value = self.eval(test)
        if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__":
            return None
        return self.truth(value)

    def bool_condition(self, test: ast.BoolOp) -> Optional[bool]:
        """`a and b` is false as soon as one operand surely is (`isinstance(t, Tensor) and t.grad is
        not None` of a proven None grad), `a or b` true as soon as one is; the operands after the
        deciding one do not run, as in Python."""
        is_and = isinstance(test.op, ast.And)
        truth: Optional[bool] = is_and
        with closing(self.guarded_operands(test)) as operands:
            for item in operands:
                part = self.condition(item)
                if part is (not is_and):
                    return part
                if part is None:
                    truth = None
        return truth

    def leaf_guard(self, test) -> Optional[str]:
        """`if x.is_leaf` / `x.is_leaf and ...`: inside, reads of `x.grad` are of a leaf."""
        tests = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
        for item in tests:
            if isinstance(item, ast.Compare) and len(item.ops) == 1 and isinstance(item.ops[0], (ast.Is, ast.Eq)) \
                    and isinstance(item.comparators[0], ast.Constant) and item.comparators[0].value is True:
                item = item.left
            if isinstance(item, ast.Attribute) and item.attr in api.LEAF_TESTS:
                return self.source.segment(item.value)
        return None

    def stmt_Match(self, node) -> None:
        """Each case runs from where the cases before it did not match, with its pattern's
        captures bound; after an irrefutable case (`case y:`, `case _:`) no later one runs."""
        subject = self.eval(node.subject)
        base = self.state
        branches: List[State] = []
        start = base
        for case in node.cases:
            matching = self.matching(case.pattern, subject)
            if not matching:
                continue  # no object the subject may be matches it: the case never runs
            captures = self.captures(case.pattern, matching)
            run = lambda case=case, captures=captures: self.match_case(case, captures)  # noqa: E731
            branches.append(self.run_branch(start, run))
            if case.guard is None and irrefutable(case.pattern):
                break
            if captures:  # a failed match may leave some of its captures bound (CPython does)
                start = self.run_branch(start, lambda captures=captures: self.maybe_bound(captures))
        else:  # no irrefutable case: the subject may match none
            branches.append(start.child())
        self.state = merged(base, branches)

    def match_case(self, case, captures: Dict[str, Value]) -> None:
        for name, value in captures.items():
            self.bind_name(name, value)
        if case.guard is not None and self.condition(case.guard) is False:
            self.kill_path()
            return
        self.exec_block(case.body)

    def stmt_Try(self, node) -> None:
        base = self.state
        body = self.run_branch(base, node.body)
        if not body.dead:
            self.state = body
            self.exec_block(node.orelse)
            body = self.state
        # A handler may start anywhere in the body: from the join of before and after it.
        handler_start = merged(base, [base.child(), body])
        branches = [body]
        for handler in node.handlers:
            self.state = handler_start.child()
            if handler.name:
                self.bind_name(handler.name, UNKNOWN)
            self.exec_block(handler.body)
            branches.append(self.state)
        self.state = merged(base, branches)
        if node.finalbody:
            if self.state.dead:
                self.state = handler_start.child()
                self.exec_block(node.finalbody)
                self.kill_path()
            else:
                self.exec_block(node.finalbody)

    stmt_TryStar = stmt_Try

    # ----------------------------------------------------------------- loops
    def stmt_For(self, node) -> None:
        iterable = self.eval(node.iter)
        unrolled = self.unrollable(iterable, node)
        if unrolled is not None:
            self.unrolled_loop(node, unrolled)
            self.exec_block(node.orelse)
            return
        self.loop(node, lambda: self.loop_body(node, self.iterate(iterable)))

    def unrolled_loop(self, node, items: List[Value]) -> None:
        """A loop over a small literal tuple/list runs once per element, with exact values. Each
        iteration makes objects of its own: `c = y.sum()` in iteration 2 is not the tensor
        iteration 1 made there."""
        context, start = self.context, len(self.visit_log)
        try:
            for index, item in enumerate(items):
                self.context = context + (("iteration", id(node), index),)
                step = IterationStep(node, index, len(items))
                self.state, _ = self.loop_pass(self.state, lambda item=item: self.loop_body(node, item), step)
        finally:
            self.context = context
        if self.budget <= 0:
            self.distrust_visits_since(start)

    def loop_body(self, node, item: Value) -> None:
        self.bind(node.target, item or UNKNOWN, node)
        self.exec_block(node.body)

    stmt_AsyncFor = stmt_For

    def unrollable(self, iterable: Value, node) -> Optional[list]:
        """A loop over a small literal tuple/list (or an nn.Sequential's known children, which
        `for layer in seq` yields in order) runs once per element, with exact values."""
        if len(iterable) != 1:
            return None
        (obj,) = iterable
        if obj.sort is T.TORCH_MODULE:
            items = self.children(obj)
        elif obj.sort in (T.TUPLE, T.LIST):
            shape = self.shape(obj)
            items = shape.items if shape is not None and shape.keys is None else None
        else:
            return None
        if items is None or len(items) > MAX_UNROLL or self.loop_has_jumps(node):
            return None
        return list(items)

    def loop_has_jumps(self, node) -> bool:
        jumps = self.loop_jumps.get(node)
        if jumps is None:
            jumps = self.loop_jumps[node] = any(isinstance(n, (ast.Break, ast.Continue)) for n in ast.walk(node))
        return jumps

    def stmt_While(self, node: ast.While) -> None:
        truth = self.truth(self.eval(node.test))
        if truth is False:
            self.exec_block(node.orelse)
            return

        def body():
            self.eval(node.test)
            self.exec_block(node.body)

        # Only a literal `while True:` runs until a break: a test that is true on entry (`n < 2` with
        # n = 0) may turn false in a later iteration.
        literal = isinstance(node.test, ast.Constant)
        self.loop(node, body, runs_forever=truth is True and literal)

    def loop(self, node, body, runs_forever: bool = False) -> None:
        """A loop: its first iteration from the state before it, then its later iterations to a
        fixpoint (see later_iterations). It exits before the first iteration (unless it runs until
        a break), after any iteration, or at a break."""
        entry, start = self.state, len(self.visit_log)
        back, exits = self.loop_pass(entry, body, IterationStep(node, 0))
        if not runs_forever:
            exits.append(entry.child())
        given_up = False
        if not back.dead:
            head, breaks, given_up = self.later_iterations(node, entry, back, body)
            exits += breaks
            if not runs_forever:
                exits.append(head)
        self.state = merged(entry, exits)
        self.renumber_makings(self.state)
        if given_up or self.budget <= 0:
            self.distrust_visits_since(start)  # its visits may not have seen every iteration
            if given_up:
                self.state.set(HAVOC, True)  # nor has anything after it
        if not self.state.dead and getattr(node, "orelse", None):
            self.exec_block(node.orelse)

    def later_iterations(self, node, entry: State, head: State, body) -> Tuple[State, List[State], bool]:
        """Run the iterations after the first to a fixpoint: each pass starts from `head`, the join
        of where the iterations so far went back to the loop's start, until a pass adds nothing
        to it. From WIDEN_AFTER passes on, the facts that still change are widened (to what may
        be anything); after MAX_LOOP_PASSES the loop is given up. Returns the fixpoint, the
        breaks of the pass that reached it, and whether it was given up."""
        step = IterationStep(node, 1)
        breaks: List[State] = []
        for passes in range(1, MAX_LOOP_PASSES + 1):
            back, breaks = self.loop_pass(head, body, step)
            joined = merged(entry, [head, back])
            changed = self.changed_facts(head, joined)
            if not changed:
                return head, breaks, False
            if passes >= WIDEN_AFTER:
                for key in changed:
                    joined.local[key] = widened(joined.local[key])
            head = joined
        return head, breaks, True

    def loop_pass(self, start: State, body, step: IterationStep) -> Tuple[State, List[State]]:
        """Run a loop body once from `start`, as iteration `step`: the state in which it goes back
        to the loop's start (the end of the body joined with its `continue`s), and its breaks."""
        path = self.path
        self.path = path + (step,)
        self.loops.append(([], []))
        try:
            end = self.run_branch(start, body)
        finally:
            continues, breaks = self.loops.pop()
            self.path = path
        return merged(start, [end] + continues), breaks

    def renumber_makings(self, state: State) -> None:
        """A tensor the loop made again and again is, after the loop, the making of whichever
        iteration ran last: one making, which a fresh number names (edges recorded before never
        match it), so that what is computed from it after the loop is known to come from it."""
        for key, fact in list(state.local.items()):
            if type(key) is tuple and key[0] is TENSOR and fact.birth == -1:
                self.births += 1
                state.local[key] = fact.with_(birth=self.births)

    def changed_facts(self, head: State, joined: State) -> list:
        """The keys whose fact at the loop's start one more pass changed (epoch counts aside)."""
        old_epoch, new_epoch = head.get(EPOCH), joined.get(EPOCH)
        return [key for key, value in joined.local.items()
                if not same_fact(head.get(key), value, old_epoch, new_epoch)]

    # ----------------------------------------------------------------- with
    def stmt_With(self, node) -> None:
        saved_grad = self.state.get(GRAD_MODE, True)
        for item in node.items:
            value = self.eval(item.context_expr)
            mode = self.grad_mode_of(value)
            if mode is not None:
                self.state.set(GRAD_MODE, mode if mode != "unknown" else None)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, UNKNOWN if mode is None else self.const(None), node)
        self.exec_block(node.body)
        if not self.state.dead:
            self.state.set(GRAD_MODE, saved_grad)

    stmt_AsyncWith = stmt_With

    def grad_mode_of(self, value: Value):
        modes = {obj.grad_mode for obj in value if obj.sort is T.CONST}
        if len(modes) == 1 and len(value) == 1:
            (mode,) = modes
            return mode
        return None

    # ----------------------------------------------------------------- definitions
    def stmt_FunctionDef(self, node) -> None:
        fobj = self.site_obj(node, T.FUNCTION, label=node.name)
        # Methods do not see their class body's names: they close over the enclosing scope.
        closure = self.frame.parent if self.frame.key[0] == "class" else self.frame
        assert closure is not None  # a class body's frame has the scope around it as parent
        fobj.closure = closure
        fobj.grad_mode = self.decorated_grad_mode(node)
        value = frozenset({fobj})
        for decorator in node.decorator_list:
            self.eval(decorator)
            if not self.transparent_decorator(decorator):
                value = UNKNOWN
        self.functions.append((node, closure))
        self.bind_name(node.name, value)

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def transparent_decorator(self, decorator) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualname = self.qualname_of(target)
        spec = api.function(qualname) if qualname else None
        return (spec is not None and spec.transparent) or (
            isinstance(target, ast.Name) and target.id in ("staticmethod", "classmethod"))

    def decorated_grad_mode(self, node):
        mode: Optional[bool] = True
        for decorator in getattr(node, "decorator_list", ()):
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            qualname = self.qualname_of(target)
            spec = api.function(qualname) if qualname else None
            if spec is not None and spec.kind is api.Kind.GRAD_MODE:
                mode = spec.grad
        return mode

    def stmt_ClassDef(self, node: ast.ClassDef) -> None:
        bases = [self.eval(b) for b in node.bases]
        cls = self.site_obj(node, T.CLASS, label=node.name)
        cls.bases = tuple(bases)
        cls.is_module = any(
            (o.sort is T.CONST and api.kind_of(o.qualname) is api.Kind.MODULE_BASE)
            or (o.sort is T.CLASS and o.is_module)
            or (o.sort is T.CONST and api.is_nn(o.qualname))
            for b in bases for o in b)
        frame = self.frame
        declared = self.scope_of(node) if any(isinstance(s, (ast.Global, ast.Nonlocal)) for s in node.body) else None
        class_frame = type(self.frame)(("class", id(node), self.context), frame,
                                       globals_=declared.declared_global if declared else frozenset(),
                                       nonlocals=declared.declared_nonlocal if declared else frozenset())
        self.frame = class_frame
        try:
            self.exec_block(node.body)
        finally:
            self.frame = frame
        namespace = {}
        for item in node.body:
            names = []
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [item.name]
            elif isinstance(item, ast.Assign):
                names = [t.id for t in item.targets if isinstance(t, ast.Name)]
            for name in names:
                namespace[name] = self.state.get((VARIABLE, class_frame.key, name)) or UNKNOWN
        cls.namespace = namespace
        record = all(self.is_dataclass_decorator(d) for d in node.decorator_list) and bool(node.decorator_list)
        named_tuple = any(o.sort is T.CONST and api.kind_of(o.qualname) is api.Kind.NAMED_TUPLE_BASE
                          for b in bases for o in b)
        if record or named_tuple:
            fields = self.record_fields(node, bases, named_tuple)
            if fields is not None:
                cls.fields = fields
                cls.named_tuple = named_tuple and not record
        for decorator in node.decorator_list:
            self.eval(decorator)
        self.bind_name(node.name, frozenset({cls}) if not node.decorator_list or record else UNKNOWN)

    def record_fields(self, node: ast.ClassDef, bases: List[Value], named_tuple: bool) -> Optional[List[str]]:
        """The parameters of a record class's generated __init__, each stored as the attribute of
        that name: the annotated names of the body, after those of record bases. None when they
        are not that simple (ClassVar/InitVar annotations, `field(init=False)`, other bases)."""
        fields: List[str] = []
        for base in bases:
            for obj in base:
                if obj.sort is T.CLASS and obj.fields is not None:
                    fields += obj.fields
                elif not (named_tuple and obj.sort is T.CONST
                          and api.kind_of(obj.qualname) is api.Kind.NAMED_TUPLE_BASE):
                    return None
        for item in node.body:
            if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
                continue
            annotation = self.source.full_segment(item.annotation)
            if "ClassVar" in annotation or "InitVar" in annotation or (
                    isinstance(item.value, ast.Call) and any(k.arg == "init" for k in item.value.keywords)):
                return None
            if item.target.id not in fields:
                fields.append(item.target.id)
        return fields

    def is_dataclass_decorator(self, decorator: ast.expr) -> bool:
        """`@dataclass`, `@dataclasses.dataclass` or `@dataclass(frozen=True, ...)`."""
        target = decorator.func if isinstance(decorator, ast.Call) and not decorator.args else decorator
        return any(o.sort is T.CONST and api.kind_of(o.qualname) is api.Kind.DATACLASS_DECORATOR
                   for o in self.eval(target))


def subscript_text(key) -> Optional[str]:
    """`["name"]` or `[0]` for a literal key, as a subscript can be written; None for other keys."""
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        return None
    if isinstance(key, str) and not (key.isprintable() and '"' not in key and "\\" not in key):
        return None
    return f'["{key}"]' if isinstance(key, str) else f"[{key}]"
