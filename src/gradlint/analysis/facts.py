"""What the analysis finds, before rules turn it into diagnostics."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Optional, Tuple

from .values import TensorState


@dataclass(frozen=True)
class Span:
    """A source range: 1-based lines, 0-based character columns, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class LoopIterations:
    """Iterations of one loop (1-based): `first` to `last`, or every one from `first` on (`last` None)."""

    line: int  # the loop's `for` / `while`
    first: int
    last: Optional[int] = None

    @property
    def later(self) -> bool:
        """Every iteration after the first: a leaf rebound to a non-leaf at the end of the body."""
        return self.first == 2 and self.last is None


@dataclass(frozen=True)
class GradRead:
    """A `.grad` read that is None on every path reaching it: a non-leaf that does not retain its
    grad (or retained it only after the backward) whatever the branches did."""

    span: Span  # the `grad` attribute (or the "grad" string of a getattr)
    subject: str  # source text of the tensor expression, e.g. "y" or "(x * 2)"
    subject_node: ast.AST
    state: TensorState  # the state that makes it a finding
    late_retain: bool  # True: retained only after the backward (GL003)
    escaped_call: Optional[int] = None  # a helper's read: the line of the call that passed it
    # Empty: None on every visit (in the calls that prove it). Else None in these loop iterations
    # (outermost loop first) and not shown to be in others.
    loops: Tuple[LoopIterations, ...] = ()
    states: Tuple[TensorState, ...] = ()  # every tensor it may be, in every call context reaching it
    after_backward: bool = False  # a backward() ran after each of them was made, on every path
    # Some of them retain their grad in time, but no backward() since the retain reaches them.
    unreached: bool = False
    # None only in some calls of the function holding it: the lines of those calls (outermost
    # first, one tuple per claim); () when None in every call.
    calls: Tuple[Tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class NonLeafOptimizerArgument:
    """A non-leaf tensor handed to a torch.optim optimizer."""

    span: Span
    subject: str
    state: TensorState
    optimizer: str
    held: bool = False  # the argument is a container (a list, parameters()) holding the non-leaf


@dataclass(frozen=True)
class UnanalysedStatement:
    """A statement of a kind the analysis does not know (a newer Python's): from there on, along
    every path through it, nothing is proven (no finding can come from what it may have done)."""

    line: int
    kind: str  # the `ast` class name


@dataclass
class Facts:
    grad_reads: Tuple[GradRead, ...]
    optimizer_arguments: Tuple[NonLeafOptimizerArgument, ...]
    tree: Optional[ast.Module] = None  # the module analysed (fixes find a node's block and scope in it)
    unanalysed: Tuple[UnanalysedStatement, ...] = ()
