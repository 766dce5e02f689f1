"""Analysis cost grows linearly with the statements in one function (no quadratic fixpoints),
counted in operations (function calls), not seconds. Timings are for bench/bench.py."""
from __future__ import annotations

import cProfile
import pstats

from gradlint import lint_source
from gradlint.analysis.state import State

HEADER = """import torch
import torch.nn as nn


def train(model, data, steps):
    w = torch.randn(8, 8, requires_grad=True)
    b = torch.zeros(8, requires_grad=True)
    total = 0.0
"""

# One block: 10 lines of assignments, an if chain, a loop and `.grad` reads (a finding each time).
BLOCK = """    h{i} = data @ w + b
    if steps > {i}:
        h{i} = torch.relu(h{i})
    elif steps < 0:
        h{i} = h{i} * 2
    for _ in range(steps):
        total = total + float(h{i}.sum())
    h{i}.sum().backward()
    print(h{i}.grad, w.grad)
    total = total + {i}
"""


def function_of(lines: int) -> str:
    blocks = max(1, (lines - HEADER.count("\n")) // BLOCK.count("\n"))
    return HEADER + "".join(BLOCK.format(i=i) for i in range(blocks)) + "    return total\n"


def operations(source: str):
    """The Python function calls linting makes: a count of work that, unlike a time, does not
    depend on how loaded the machine is."""
    profile = cProfile.Profile()
    found = profile.runcall(lint_source, source, "generated.py")
    return pstats.Stats(profile).total_calls, found


def test_the_analysis_really_runs_on_the_generated_function():
    source = function_of(2_000)
    assert 1_950 <= source.count("\n") <= 2_050
    _, found = operations(source)
    assert len([d for d in found if d.code == "GL001"]) >= 180  # one per block


def test_twice_the_statements_take_twice_the_operations():
    small, _ = operations(function_of(1_000))
    large, _ = operations(function_of(2_000))
    huge, _ = operations(function_of(4_000))
    # Linear: 2x per doubling (a little less: the fixed cost of the header); quadratic would be 4x.
    assert 1.8 < large / small < 2.2 and 1.8 < huge / large < 2.2, (small, large, huge)


class CountingDict(dict):
    """A layer's facts that count the lookups made in them: the steps of state lookups."""

    steps = 0

    def get(self, *args):
        CountingDict.steps += 1
        return dict.get(self, *args)


def lookup_steps(source: str, monkeypatch) -> int:
    """The layers state lookups walk through while the source is linted."""
    real_init = State.__init__

    def counting_init(self, parent=None):
        real_init(self, parent)
        self.local = CountingDict()
    monkeypatch.setattr(State, "__init__", counting_init)
    CountingDict.steps = 0
    lint_source(source, "generated.py")
    return CountingDict.steps


def elif_ladder(branches: int) -> str:
    """An elif ladder is a many-way branch: a layer per branch, all over the same parent."""
    return ("import torch\ndef f(c):\n    w = torch.ones(2, requires_grad=True)\n    if c == 0:\n        y = w * 2\n"
            + "".join(f"    elif c == {i}:\n        y = w * {i}\n" for i in range(1, branches))
            + "    y.sum().backward()\n    print(y.grad)\n")


def test_state_lookups_walk_linearly_many_layers(monkeypatch):
    """The flow state is layered: without its memo layers a lookup in a long elif ladder would walk
    every branch's layer (quadratic; 16x here for 4x the branches)."""
    small, large, huge = (lookup_steps(elif_ladder(branches), monkeypatch) for branches in (250, 500, 1_000))
    assert 1.8 < large / small < 2.2 and 1.8 < huge / large < 2.2, (small, large, huge)
