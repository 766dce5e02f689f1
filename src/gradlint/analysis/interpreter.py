"""An abstract interpreter over Python's `ast` that tracks what each tensor is.

It walks each scope in statement order, as the program would run: module top level first, then
functions where they are called (inlined with the caller's values), then functions never called in
the file (with unknown parameters). Branches are explored separately and joined; a loop runs its
first iteration from the state before it, then its later iterations to a fixpoint (see
StatementsMixin.loop). Which reads are reported is decided once, at the end, from every visit of
each read (see visits.py).

Split in mixins: statements (flow), patterns (`match`), expressions (values), calls (torch's API and
user code). Scopes come from scopes.py, file-wide facts from file_facts.py, the reporting rule
from visits.py.
"""
from __future__ import annotations

import ast
import bisect
import operator
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .calls import CallsMixin
from .expressions import ExpressionsMixin
from .facts import Facts, GradRead, NonLeafOptimizerArgument, Span, UnanalysedStatement
from .file_facts import file_facts
from .frames import Frame
from .imports import ImportsMixin
from .keys import (ATTRIBUTE, ATTRIBUTE_NAMES, BACKWARD_LINE, EPOCH, GRAD_MODE, GRAPH_ESCAPED, HAVOC, RETAINEES,
                   SLOTS, TENSOR, VARIABLE)
from .patterns import PatternsMixin
from .scopes import Scope, scan_scope
from .source import ParsedNode, SourceText
from .state import State
from .statements import StatementsMixin
from .values import (NOT_RETAINED, NOTHING, UNKNOWN, Epoch, Event, Leaf, Obj, Retain, Slots, T, TensorState, Value, Why,
                     ordered)
from .visits import Path, Visit, verdict

MAY_REACH_LIMIT = 512  # a backward() whose graph is larger reaches what it may (not walked further)
LATE_OR_NOT = frozenset({Retain.NO, Retain.LATE})  # retained after the backward on some paths, not at all on others
STATEMENT_BUDGET = 100_000  # statements executed per file, inlining and loop passes included
LARGE_FILE_LINES = 2_000
COLD_STATEMENT_LINES = 20


@dataclass(frozen=True)
class ReadProof:
    """What one visit of a `.grad` read proved: the tensors it may be, all with a None grad."""

    states: Tuple[TensorState, ...]
    after_backward: bool  # a backward() ran after each of them was made, on every path
    call_line: Optional[int]  # the call that passed the tensor to the function reading it


@dataclass(eq=False)
class Site:
    """A place a finding can be (a `.grad` read, an optimizer argument) and its visits."""

    span: Span
    text: str
    node: ast.AST
    visits: list = field(default_factory=list)


class Interpreter(StatementsMixin, PatternsMixin, ExpressionsMixin, CallsMixin, ImportsMixin):
    def __init__(self, tree: ast.Module, source: SourceText, exhaustive: bool = False,
                 hot_offsets: Optional[Sequence[int]] = None, imports=None):
        self.tree = tree
        self.source = source
        self.state = State()
        self.state.set(EPOCH, Epoch())
        self.state.set(GRAD_MODE, True)
        self.sites: Dict[tuple, Obj] = {}
        self.path: Path = ()  # the calls and loop iterations being run (see visits.py)
        self.read_sites: Dict[Tuple[int, int], Site] = {}
        self.optimizer_sites: Dict[Tuple[int, int], Site] = {}
        self.visit_log: List[Site] = []  # every visit's site, in order (to drop a loop's visits)
        self.invalid: set = set()  # sites whose visits cannot be trusted (a loop cut short)
        self.unanalysed: List[UnanalysedStatement] = []
        self.context: tuple = ()
        self.call_stack: List[ParsedNode] = []
        self.call_lines: List[int] = []  # lines of the calls being inlined, outermost first
        self.child_path: Tuple[int, ...] = ()  # indices of the nn.Sequential children being run
        self.inlined: set = set()
        self.inline_counts: dict = {}  # function node -> times inlined
        self.deferred_bodies: dict = {}  # function node -> is a generator or coroutine
        self.loop_jumps: dict = {}  # for-loop node -> holds a break or continue
        self.budget = STATEMENT_BUDGET
        self.reads: Dict[tuple, GradRead] = {}
        self.leaf_guards: List[str] = []  # expressions proven leaves by an `is_leaf` test
        self.statement: Optional[ast.stmt] = None  # the statement being run
        self.births = 0  # tensors made so far (each making of an object gets the next number)
        self.statement_births = 0  # `births` when the innermost statement being run began
        self.binding_doubts: dict = {}  # (statement, target) -> (bound a non-non-leaf, bound a non-tensor)
        self.loops: list = []  # (continue states, break states) per enclosing loop
        self.anchors: List[State] = []  # merge bases still in use (see compact())
        self.file = file_facts(tree, source.text)
        # Forward hooks may call retain_grad() on module outputs: those registered on modules we
        # know run as the module is called; a registration not (yet) run makes every output escape.
        self.resolved_hook_sites: set = set()
        self.unresolved_hooks = False  # a registration whose module or hook is not known
        # exhaustive: no code is cold and no file large (to check that the shortcuts lose nothing).
        self.exhaustive = exhaustive
        self.large = len(source.lines) > LARGE_FILE_LINES and not exhaustive
        # Byte offsets of the text a finding needs nearby, to tell hot code from cold (see hot()).
        self.hot_offsets = list(hot_offsets) if hot_offsets is not None else None
        self.line_offsets = source.line_byte_offsets()
        # Imports of the project's own modules (see imports.py): the resolver, and the module
        # whose code runs (None: this file).
        self.imports = imports
        self.unit = None
        self.module_frame = Frame("module", None, is_module=True)
        self.frame = self.module_frame
        self.functions: List[Tuple[Union[ast.FunctionDef, ast.AsyncFunctionDef], Frame]] = []
        self._scope_cache: Dict[int, Tuple[ast.AST, Scope]] = {}  # id(function node) -> its scope
        self.walrus_possible = ":=" in source.text  # no `:=` spelled, no walrus to look for

    def _set_frame(self, frame: Frame) -> None:
        self._frame = frame
        module = frame._module or frame
        if module.unit is not self.unit:
            self.switch_unit(module.unit)

    # The frame whose code runs; entering another module's code switches the source (imports.py).
    frame = property(operator.attrgetter("_frame"), _set_frame)

    # ----------------------------------------------------------------- running
    def run(self) -> Facts:
        if self.large:
            self.exec_block([stmt for stmt in self.tree.body if self.worth_running(stmt)])
        else:
            self.exec_block(self.tree.body)
        self.analyse_uncalled_functions()
        self.report_reads()
        if self.binding_doubts:
            self.settle_bindings()
        return Facts(tuple(self.reads[k] for k in sorted(self.reads)), self.optimizer_findings(), self.tree,
                     tuple(self.unanalysed))

    # ----------------------------------------------------------------- reporting (see visits.py)
    def visit(self, site: Site, proof) -> None:
        site.visits.append(Visit(self.path, proof))
        self.visit_log.append(site)

    def distrust_visits_since(self, start: int) -> None:
        """The visits made since `start` may have seen less than can happen (a loop that was cut
        short): their sites are never reported."""
        self.invalid.update(self.visit_log[start:])

    def report_reads(self) -> None:
        for (line, column), site in self.read_sites.items():
            if site in self.invalid:
                continue
            found = verdict(site.visits)
            if found is None:
                continue
            for late in (False, True):
                proofs = [proof[late] for proof in found.proofs if late in proof]
                if not proofs:
                    continue
                states = proofs[0].states
                # The first tensor explains; a fix must bind-retain every one of them.
                bindings = tuple(dict.fromkeys(b for state in states for b in state.binding))
                every = tuple(dict.fromkeys(state for proof in proofs for state in proof.states))
                self.reads[(line, column, late)] = GradRead(
                    site.span, site.text, site.node, states[0].with_(binding=bindings), late, proofs[0].call_line,
                    found.loops, every, all(proof.after_backward for proof in proofs),
                    any(Retain.EARLY in state.retain for state in every), found.calls)

    def optimizer_findings(self) -> Tuple[NonLeafOptimizerArgument, ...]:
        findings = []
        for key in sorted(self.optimizer_sites):
            site = self.optimizer_sites[key]
            found = verdict(site.visits) if site not in self.invalid else None
            if found is not None:
                state, optimizer, held = found.proofs[0]
                findings.append(NonLeafOptimizerArgument(site.span, site.text, state, optimizer,
                                                         all(proof[2] for proof in found.proofs)))
        return tuple(findings)

    def settle_bindings(self) -> None:
        """A binding is `sure` (or binds `tensors`) only if every run of it the analysis saw did,
        including runs that bound no non-leaf (a loop iteration under no_grad, a later call)."""
        def settle(binding):
            doubt = self.binding_doubts.get((id(binding.statement), binding.target))
            if doubt is None:
                return binding
            return replace(binding, sure=binding.sure and not doubt[0], tensors=binding.tensors and not doubt[1])

        def settle_state(state):
            return state.with_(binding=tuple(settle(b) for b in state.binding)) if state.binding else state

        for key, read in self.reads.items():
            self.reads[key] = replace(read, state=settle_state(read.state),
                                      states=tuple(settle_state(s) for s in read.states))

    def analyse_uncalled_functions(self) -> None:
        """Functions the file never calls: analyse once, parameters unknown, globals as at the end."""
        done = 0
        while done < len(self.functions):
            node, closure = self.functions[done]
            done += 1
            if closure.module.unit is not None:
                continue  # another module's: nothing to report there
            if node in self.inlined or self.budget <= 0 or not self.hot(node):
                continue
            self.inlined.add(node)
            saved_state = self.state
            self.state = self.state.child()
            self.state.dead = False
            self.state.set(EPOCH, Epoch())
            self.state.set(GRAD_MODE, self.decorated_grad_mode(node))
            self.forget_modes()  # called at some time: after any train()/eval()
            frame = self.new_frame(node, closure, ("standalone",))
            for name in self.parameter_names(node):
                self.state.set((VARIABLE, frame.key, name), UNKNOWN)
            saved_frame, self.frame = self.frame, frame
            try:
                self.exec_block(node.body)
            finally:
                frame.returns = []  # see inline(): no cycle through the closure
                self.frame = saved_frame
                self.state = saved_state

    # ----------------------------------------------------------------- hot and cold code
    # Code whose text holds nothing a finding needs (see hot.py) is cold: a
    # function the file never calls is analysed on its own only when it is hot, and in a large
    # file long cold module-level statements (data tables) are skipped. Cold functions still run
    # where hot code calls them. Skipping only loses knowledge (names become unknown), so it never
    # adds a finding.

    def hot(self, node) -> bool:
        """Does the node's text (whole lines) hold anything a finding needs?"""
        if self.exhaustive or self.hot_offsets is None:
            return True
        start = self.line_offsets[node.lineno - 1]
        end = self.line_offsets[min(node.end_lineno, len(self.line_offsets) - 1)]
        first = bisect.bisect_left(self.hot_offsets, start)
        return first < len(self.hot_offsets) and self.hot_offsets[first] < end

    def worth_running(self, stmt) -> bool:
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return True
        return stmt.end_lineno - stmt.lineno < COLD_STATEMENT_LINES or self.hot(stmt)

    # ----------------------------------------------------------------- frames and names
    def new_frame(self, node, closure: Frame, context) -> Frame:
        scope = self.scope_of(node)
        return Frame(("f", id(node), context), closure, scope.local, scope.declared_global,
                     nonlocals=scope.declared_nonlocal)

    def scope_of(self, node) -> Scope:
        """The names a function, lambda or class body binds (one walk each)."""
        cached = self._scope_cache.get(id(node))
        if cached is None or cached[0] is not node:
            parameters = self.parameter_names(node) if isinstance(getattr(node, "args", None), ast.arguments) else []
            cached = (node, scan_scope(node, parameters, walrus=self.walrus_possible))
            self._scope_cache[id(node)] = cached
        return cached[1]

    @staticmethod
    def parameter_names(node) -> List[str]:
        args = node.args
        names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        return names

    def target_frame(self, name: str, walrus: bool = False) -> Frame:
        """The frame a binding of `name` goes to: a walrus in a comprehension binds in the scope
        around it (PEP 572); `global` and `nonlocal` send it out."""
        frame = self.frame
        if walrus:
            while frame.kind == "comp" and frame.parent is not None:
                frame = frame.parent
        if name in frame.globals:
            return frame.module
        if name in frame.nonlocals:
            owner = frame.parent
            while owner is not None and not owner.is_module:
                if owner.kind == "f" and name in owner.local_names:
                    return owner
                owner = owner.parent
        return frame

    def lookup(self, name: str) -> Optional[Value]:
        """A name's value as Python resolves it: the scope itself, then the functions around it
        (a class body only for its own code), then the module; None when unbound there too."""
        frame = self.frame
        if name in frame.globals:
            frame = frame.module
        start = frame
        while frame is not None:
            kind = frame.kind
            if kind == "class":
                if frame is start:
                    value = self.state.get((VARIABLE, frame.key, name))
                    if value is not None:
                        return value
            elif frame.is_module or name in frame.local_names:
                value = self.state.get((VARIABLE, frame.key, name))
                if value is not None or not frame.is_module:
                    return value if value is not None else UNKNOWN
            frame = frame.parent
        return None

    def bind_name(self, name: str, value: Value) -> None:
        self.state.set((VARIABLE, self.target_frame(name).key, name), value)

    def bind_walrus(self, name: str, value: Value) -> None:
        """`(name := value)`: in a comprehension that may run no element, the name may keep the
        value it had."""
        frame = self.target_frame(name, walrus=True)
        key = (VARIABLE, frame.key, name)
        inner = self.frame
        while inner is not frame and inner is not None:
            if not inner.runs_surely:
                old = self.state.get(key)
                value = value | old if old is not None else value
                break
            inner = inner.parent
        self.state.set(key, value)

    # ----------------------------------------------------------------- objects
    def site_obj(self, node, sort: T, key=None, **fields) -> Obj:
        """The abstract object for an allocation site in the current call context."""
        site = (id(node), key, self.context)
        obj = self.sites.get(site)
        if obj is None:
            obj = Obj(sort, site=site, node=node, **fields)
            self.sites[site] = obj
        return obj

    def tensor_state(self, obj: Obj) -> TensorState:
        state = self.state.get((TENSOR, obj))
        return state if state is not None else TensorState(frozenset({Leaf.UNKNOWN}), frozenset({Retain.MAYBE}))

    def set_tensor_state(self, obj: Obj, state: TensorState) -> None:
        if self.unit is not None:
            state = self.tag_foreign_state(obj, state)
        self.state.set((TENSOR, obj), state)

    def new_tensor(self, node, leaf, why: Optional[Why] = None, key=None, inputs=(), closed=False,
                   **fields) -> Obj:
        obj = self.site_obj(node, T.TENSOR, key, **fields)
        epoch = self.epoch()
        self.births += 1
        self.set_tensor_state(obj, TensorState(frozenset(leaf), why=why, created_epoch=epoch.count,
                                               birth=self.births, inputs=inputs, closed=closed))
        return obj

    def graph_inputs(self, operands) -> tuple:
        """The non-leaves a result is computed from on every path (operands that are one tensor, or
        a plain constant on paths where the op would raise), with their birth: the graph edges a
        backward() follows (see backward())."""
        edges = []
        for value in operands:
            tensors = [o for o in value if o.sort is T.TENSOR]
            if len(tensors) == 1 and all(o.sort is T.TENSOR or (o.sort is T.CONST and o.qualname is None)
                                         for o in value):
                state = self.tensor_state(tensors[0])
                if Leaf.NONLEAF in state.leaf and state.birth > 0:
                    edges.append((tensors[0], state.birth))
        return tuple(edges)

    def graph_closed(self, operands) -> bool:
        """Whether graph_inputs() records every non-leaf the result is computed from: each operand
        is constants and leaves, or one tensor whose edge is recorded."""
        for value in operands:
            for obj in value:
                if obj.sort is T.CONST:
                    continue
                if obj.sort is not T.TENSOR:
                    return False
                state = self.tensor_state(obj)
                if state.leaf <= {Leaf.RG_LEAF, Leaf.PLAIN}:
                    continue
                if Leaf.UNKNOWN in state.leaf or (obj, state.birth) not in self.graph_inputs([value]):
                    return False
        return True

    def epoch(self) -> Epoch:
        return self.state.get(EPOCH) or Epoch()

    def grad_enabled(self) -> Optional[bool]:
        return self.state.get(GRAD_MODE, True)

    def leaf_kinds(self, value: Value) -> set:
        """The leaf statuses the tensors in `value` may have (UNKNOWN for non-tensors we can't see)."""
        kinds: set[Leaf] = set()
        for obj in value:
            if obj.sort is T.TENSOR:
                kinds |= self.tensor_state(obj).leaf
            elif obj.sort in (T.CONST,):
                kinds.add(Leaf.PLAIN)
            else:
                kinds.add(Leaf.UNKNOWN)
        return kinds

    # ----------------------------------------------------------------- effects
    def escape(self, value: Value, depth: int = 0) -> None:
        """`value` went where we cannot follow: someone may call retain_grad() on it, or run a
        backward() through it later (so no backward is proven to miss a retained tensor again)."""
        if any(obj.sort not in (T.TENSOR, T.CONST) for obj in value):
            self.forget_modes(escaped=True)  # it may be, hold or call a module: its training flag may change
        if any(o.sort not in (T.CONST, T.UNKNOWN) for o in value):
            self.graph_escaped()
        for obj in value:
            self.module_may_change(obj)
            if obj.sort is T.TENSOR:
                state = self.tensor_state(obj)
                if Retain.MAYBE not in state.retain:
                    self.set_tensor_state(obj, state.with_(retain=state.retain | {Retain.MAYBE}))
            elif depth < 2 and obj.sort in (T.LIST, T.TUPLE, T.DICT, T.PARAMETERS):
                shape = self.shape(obj)
                if shape is not None:
                    self.escape(shape.everything(), depth + 1)
            elif obj.sort in (T.TORCH_MODULE, T.PARAMETER_SLOTS):
                if obj.sort is T.TORCH_MODULE:
                    self.forget_reparametrized(obj)
                self.escape_slots(obj.slots_of or obj, depth)
            elif depth < 2 and obj.sort is T.INSTANCE:
                self.forget_reparametrized(obj)
                for key in list(self.attribute_keys(obj)):
                    self.escape(self.state.get(key) or NOTHING, depth + 1)

    def escape_slots(self, module: Obj, depth: int) -> None:
        """A layer went where we cannot follow: what its slots hold may be retained, or replaced."""
        slots = self.state.get((SLOTS, module))
        if slots is None or not slots.items:  # only the layer's own parameters: leaves, as before
            return
        if depth < 2:
            for _, slot in slots.items:
                self.escape(slot.value, depth + 1)
        if not slots.changed:
            self.state.set((SLOTS, module), Slots(slots.items, changed=True))

    def graph_escaped(self) -> None:
        """Code the analysis does not follow may run backward() through what it was given."""
        self.state.set(GRAPH_ESCAPED, UNKNOWN)  # a value that joins and widens to a true one

    def attribute_keys(self, obj: Obj):
        return [(ATTRIBUTE, obj, name) for name in self.state.get((ATTRIBUTE_NAMES, obj)) or ()]

    def backward(self, node, roots: Value = NOTHING) -> None:
        epoch = self.epoch()
        self.state.set(EPOCH, Epoch(epoch.count + 1, epoch.floor))
        self.state.set(BACKWARD_LINE, node.lineno)
        tensors = [o for o in roots if o.sort is T.TENSOR]
        if tensors and all(o.sort is T.TENSOR or (o.sort is T.CONST and o.qualname is None) for o in roots):
            # The non-leaves the gradient surely flows through: reached from every root it may be
            # (a plain constant has no backward(): that path raised).
            reached = None
            for root in tensors:
                found = self.graph_from(root)
                reached = found if reached is None else reached & found
            for obj in ordered(reached or ()):
                self.set_tensor_state(obj, self.tensor_state(obj).with_(reached=epoch.count + 1))
        may_reach = self.may_reach(roots)
        for obj in ordered(self.state.get(RETAINEES) or ()):
            state = self.tensor_state(obj)
            if state.spared and (may_reach is None or obj in may_reach):
                self.set_tensor_state(obj, state.with_(spared=False))

    def may_reach(self, roots: Value) -> Optional[set]:
        """Every non-leaf a backward() from `roots` may reach (None: not known). Known only when
        each root is a tensor whose graph is closed: each non-leaf on the way lists what it was
        computed from (see graph_closed), in its current making."""
        if not roots or any(o.sort is not T.TENSOR for o in roots):
            return None
        seen, stack = set(roots), list(roots)
        while stack:
            obj = stack.pop()
            state = self.tensor_state(obj)
            if state.leaf <= {Leaf.RG_LEAF, Leaf.PLAIN}:
                continue
            if Leaf.UNKNOWN in state.leaf or not state.closed or len(seen) > MAY_REACH_LIMIT:
                return None
            for source, birth in state.inputs:
                if self.tensor_state(source).birth != birth:
                    return None  # an earlier making of a rebound object: what it came from is gone
                if source not in seen:
                    seen.add(source)
                    stack.append(source)
        return seen

    def graph_from(self, root: Obj) -> set:
        """The non-leaves (requiring grad on every path) that `root` was computed from, itself
        included, following only edges to the same making of each object. One already reached
        stays reached until it is made again, and so do its sources then: the walk stops there
        (each object is walked once per making, however many backward() calls run)."""
        seen, stack, found = {root}, [root], set()
        while stack:
            obj = stack.pop()
            state = self.tensor_state(obj)
            if state.leaf != {Leaf.NONLEAF} or state.reached >= 0:
                continue
            found.add(obj)
            for source, birth in state.inputs:
                if source not in seen and self.tensor_state(source).birth == birth:
                    seen.add(source)
                    stack.append(source)
        return found

    def retain(self, value: Value, node) -> None:
        epoch = self.epoch()
        tensors = [o for o in value if o.sort is T.TENSOR]
        strong = len(value) == 1 and len(tensors) == 1
        for obj in tensors:
            state = self.tensor_state(obj)
            if Leaf.NONLEAF not in state.leaf:
                continue
            sure = state.created_epoch >= epoch.floor and state.created_epoch >= 0
            if not sure:
                kind = Retain.MAYBE
            elif epoch.count > state.created_epoch:
                kind = Retain.LATE
            else:
                kind = Retain.EARLY
            if Retain.NO not in state.retain:
                continue  # already retains grad on every path: a second call changes nothing
            if strong:
                retain = (state.retain - {Retain.NO}) | {kind}
            else:
                retain = state.retain | {kind}
                if Retain.LATE in state.retain and state.retain_epoch != epoch.count:
                    retain |= {Retain.EARLY}  # retained late for an earlier backward: before this one
            # Spared until a backward() may reach it (on a path that retained it before, only if
            # none reached it there either).
            spared = kind is Retain.EARLY and (state.retain == NOT_RETAINED or state.spared)
            self.set_tensor_state(obj, state.with_(
                retain=retain, retain_epoch=epoch.count, retain_line=node.lineno,
                backward_line=self.state.get(BACKWARD_LINE) or 0, retain_statement=self.statement,
                spared=spared))
            if spared:
                self.state.set(RETAINEES, (self.state.get(RETAINEES) or NOTHING) | {obj})

    # ----------------------------------------------------------------- findings
    def check_grad_read(self, subject: ast.AST, value: Value, span: Span) -> bool:
        """Record a visit of a `.grad` read; True when every path into it reads None.

        A read is None only when it is so whatever the branches, loops and unknown values did: one
        path on which the tensor may be a leaf (or unknown, or retaining its grad) makes the read
        possibly filled. Plain constants (None, numbers) on some paths do not count: reading
        `.grad` of them raises, so no read returns. Whether it is reported is decided at the end,
        from all its visits (see visits.py)."""
        if self.state.dead or self.unit is not None:  # another module's reads are not reported
            return False
        key = (span.line, span.column)
        site = self.read_sites.get(key)
        if site is None:
            site = self.read_sites[key] = Site(span, self.source.segment(subject), subject)
        proof = self.read_proof(site, value)
        self.visit(site, proof)
        return proof is not None

    def read_proof(self, site: Site, value: Value) -> Optional[Dict[bool, ReadProof]]:
        """{late retain?: what proves the read None}; None when some path may read a filled grad."""
        if self.state.get(HAVOC) or site.text in self.leaf_guards:
            return None
        found = self.none_states(value)
        if not found:
            return None
        epoch = self.epoch()
        return {late: ReadProof(tuple(states), all(0 <= s.created_epoch < epoch.count and s.created_epoch >= epoch.floor
                                                   for s in states), self.passing_call_line(states[0]))
                for late, states in found.items()}

    def none_states(self, value: Value) -> Dict[bool, List[TensorState]]:
        """{late retain?: the tensor states} when every tensor in `value` has a None .grad (empty:
        some path may read a filled or unknown grad)."""
        epoch = self.epoch()
        found: Dict[bool, List[TensorState]] = {}
        for obj in ordered(value):
            if obj.sort is T.CONST and obj.qualname is None:
                continue
            if obj.sort is not T.TENSOR:
                return {}
            state = self.tensor_state(obj)
            if state.leaf != {Leaf.NONLEAF}:
                return {}
            if state.retain == {Retain.NO}:
                found.setdefault(False, []).append(state)
            elif (Retain.LATE in state.retain and state.retain <= LATE_OR_NOT and state.retain_epoch == epoch.count
                  and state.retain_epoch >= epoch.floor):
                found.setdefault(True, []).append(state)
            elif self.unreached(state, epoch):
                found.setdefault(False, []).append(state)
            else:
                return {}
        return found

    def unreached(self, state: TensorState, epoch: Epoch) -> bool:
        """Retained in time on every path, but every backward() since the retain (at least one ran)
        is proven not to reach it: its .grad is still None."""
        return (state.retain == {Retain.EARLY} and state.spared and not self.state.get(GRAPH_ESCAPED)
                and epoch.floor <= state.retain_epoch < epoch.count)

    def passing_call_line(self, state: TensorState) -> Optional[int]:
        """The line of the call that handed the tensor to the (inlined) function reading it; None
        when the function reading it made it, or when no call is being inlined."""
        line = state.why.line if state.why is not None else None
        if not self.call_lines or line is None or (state.why is not None and bool(state.why.module)):
            return None
        for depth in range(len(self.call_stack) - 1, -1, -1):
            function = self.call_stack[depth]
            if function.lineno <= line <= function.end_lineno:
                return self.call_lines[depth + 1] if depth + 1 < len(self.call_lines) else None
        return self.call_lines[0]

    def check_optimizer_argument(self, node: ast.AST, value: Value, optimizer: str, held: bool = False) -> None:
        """Record a visit of a tensor handed to an optimizer; it raises when a non-leaf that does not
        retain grad (optimizers accept one that does) is handed on every path."""
        if self.state.dead or not value or self.unit is not None:
            return
        span = self.source.span(node)
        key = (span.line, span.column)
        site = self.optimizer_sites.get(key)
        if site is None:
            site = self.optimizer_sites[key] = Site(span, self.source.segment(node), node)
        proof = self.optimizer_proof(value, optimizer)
        self.visit(site, proof + (held,) if proof is not None else None)

    def optimizer_proof(self, value: Value, optimizer: str) -> Optional[Tuple[TensorState, str]]:
        if self.state.get(HAVOC):
            return None
        states = []
        for obj in ordered(value):
            if obj.sort is not T.TENSOR:
                return None
            state = self.tensor_state(obj)
            if state.leaf != {Leaf.NONLEAF} or state.retain != {Retain.NO}:
                return None
            states.append(state)
        return states[0], optimizer

    def why(self, node, event: Event, code: str, **fields) -> Why:
        return Why(node.lineno, node.col_offset, event, code, **fields)


def analyse(tree: ast.Module, source: SourceText, exhaustive: bool = False,
            hot_offsets: Optional[Sequence[int]] = None, imports=None) -> Facts:
    """The facts of one module. `hot_offsets`: sorted UTF-8 byte offsets near which a finding could
    be (see hot.py); None makes all code hot. `imports`: the resolver of the project's own modules
    (see imports.py); None follows no import."""
    return Interpreter(tree, source, exhaustive, hot_offsets, imports).run()
