"""The reporting rule: when a `.grad` read (or an optimizer argument) is reported, and what for.

The interpreter visits a read many times: once in every inlined call of the function holding it,
once per iteration of a loop it unrolls and, for a loop it runs to a fixpoint, in the first
iteration and in every pass over the later ones. Each visit records its *path*, the steps that led
there (the calls being inlined and the loop iterations being run, outermost first), and what it
found: proof that the read is None on every path into the visit, or nothing.

A *claim* is a set of steps; it covers the visits whose path has every one of them, and it holds
when each visit it covers found proof. The one rule:

    A read is reported when a claim holds. The finding states the widest claim that holds, with
    the reason of the first visit it covers (the visit that proves it).

The empty claim covers every visit: "always None". A claim of calls only is "always None" in those
calls; such claims merge (a fix must fill the read in each). A claim with loop iterations is "None
in these iterations" (single iterations of one loop that hold merge into a run). Visits made while
a loop is still being explored count like any other: they can only keep a claim from holding.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Dict, FrozenSet, Generic, List, Optional, Sequence, Tuple, TypeVar, Union

from .facts import LoopIterations


@dataclass(frozen=True)
class CallStep:
    """An inlined call: the call expression (and the nn.Sequential children being run in it)."""

    node: ast.AST
    children: Tuple[int, ...] = ()


@dataclass(frozen=True)
class IterationStep:
    """One iteration of a loop: iteration `index` (0-based) of an unrolled loop of `count`
    iterations or, for a loop run to a fixpoint (`count` None), index 0 for its first iteration
    and 1 for every later one."""

    loop: ast.AST
    index: int
    count: Optional[int] = None

    @property
    def indices(self) -> int:
        return self.count if self.count is not None else 2

    def iterations(self, first_index: int, last_index: int) -> LoopIterations:
        """The iterations from index `first_index` to `last_index` of this step's loop."""
        line = getattr(self.loop, "lineno", 0)
        return LoopIterations(line, first_index + 1, None if last_index == self.indices - 1 else last_index + 1)


Step = Union[CallStep, IterationStep]
Path = Tuple[Step, ...]
Claim = Tuple[Step, ...]
P = TypeVar("P")  # what a visit that found proof carries (tensor states, an argument)


@dataclass
class Visit(Generic[P]):
    path: Path
    proof: Optional[P]  # None: the read may be filled (or unknown) on some path into this visit


@dataclass
class Verdict(Generic[P]):
    proofs: List[P]  # the proof of every visit the claim covers, in visit order
    loops: Tuple[LoopIterations, ...]  # () for "always None" (in the calls of the claim)
    # For a claim of calls only that some visits do not hold: the lines of its calls, outermost
    # first, for each claim ("None when called from line 50"); () when every visit holds.
    calls: Tuple[Tuple[int, ...], ...] = ()


def verdict(visits: Sequence[Visit[P]]) -> Optional[Verdict[P]]:
    """The finding the visits of one read prove, or None."""
    proven = [visit for visit in visits if visit.proof is not None]
    if not proven:
        return None
    if len(proven) == len(visits):
        return Verdict([visit.proof for visit in proven], ())  # type: ignore[misc]
    paths = Paths(visits)
    claims: List[Claim] = []
    for visit in proven:
        claim = paths.widest(visit.path)
        if claim is not None and claim not in claims:
            claims.append(claim)
    if not claims:
        return None
    calls_only = [claim for claim in claims if not any(isinstance(s, IterationStep) for s in claim)]
    if calls_only:
        lines = tuple(tuple(getattr(getattr(s, "node", None), "lineno", 0) for s in claim) for claim in calls_only)
        return Verdict(covered(proven, calls_only), (), lines if all(lines) else ())
    chosen, loops = merged_iterations(claims)
    return Verdict(covered(proven, chosen), loops)


class Paths:
    """The distinct paths of a read's visits, each with whether every visit along it found proof."""

    def __init__(self, visits: Sequence[Visit]):
        proven: Dict[Path, bool] = {}
        for visit in visits:
            proven[visit.path] = proven.get(visit.path, True) and visit.proof is not None
        self.sets: List[Tuple[FrozenSet[Step], bool]] = [(frozenset(p), ok) for p, ok in proven.items()]

    def holds(self, claim: Sequence[Step]) -> bool:
        steps = frozenset(claim)
        return all(ok for path, ok in self.sets if steps <= path)

    def widest(self, path: Path) -> Optional[Claim]:
        """A smallest claim that holds within `path`, dropping loop iterations before calls (a
        claim of calls only says "always None"); None when not even the whole path holds."""
        if not self.holds(path):
            return None
        claim = list(path)
        for kind in (IterationStep, CallStep):
            for step in [s for s in claim if isinstance(s, kind)]:
                trial = [s for s in claim if s != step]
                if self.holds(trial):
                    claim = trial
        return tuple(claim)


def covered(proven: Sequence[Visit[P]], claims: Sequence[Claim]) -> List[P]:
    sets = [frozenset(claim) for claim in claims]
    return [visit.proof for visit in proven  # type: ignore[misc]
            if any(steps <= frozenset(visit.path) for steps in sets)]


def merged_iterations(claims: Sequence[Claim]) -> Tuple[List[Claim], Tuple[LoopIterations, ...]]:
    """The first claim, with the claims that differ from it only in the iteration of its one loop
    (a run of consecutive iterations); and the iterations it states, outermost loop first."""
    first = claims[0]
    iterations = [s for s in first if isinstance(s, IterationStep)]
    if len(iterations) != 1:
        return [first], tuple(s.iterations(s.index, s.index) for s in iterations)
    (step,) = iterations
    rest = [s for s in first if s is not step]
    holding = {}
    for claim in claims:
        others = [s for s in claim if not isinstance(s, IterationStep)]
        loop_steps = [s for s in claim if isinstance(s, IterationStep)]
        if others == rest and len(loop_steps) == 1 and loop_steps[0].loop is step.loop \
                and loop_steps[0].count == step.count:
            holding[loop_steps[0].index] = claim
    start = last = step.index
    while start - 1 in holding:
        start -= 1
    while last + 1 in holding:
        last += 1
    chosen = [holding[index] for index in range(start, last + 1)]
    return chosen, (step.iterations(start, last),)
