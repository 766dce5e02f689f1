"""Analysis cost grows linearly with the statements in one function (no quadratic fixpoints)."""
from __future__ import annotations

import gc
import time

from gradlint import lint_source

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


def timed(source: str):
    best, found = float("inf"), None
    for _ in range(2):
        gc.collect()
        start = time.perf_counter()
        found = lint_source(source, "generated.py")
        best = min(best, time.perf_counter() - start)
    return best, found


def test_a_10000_line_function_is_analysed_in_well_under_a_second():
    source = function_of(10_000)
    assert 9_900 <= source.count("\n") <= 10_100
    elapsed, found = timed(source)
    print(f"\n10,000-line function: {elapsed:.3f} s, {len(found)} findings")
    assert len([d for d in found if d.code == "GL001"]) >= 900  # one per block: the analysis really ran
    assert elapsed < 3.0  # the target is well under 1 s; 3 s leaves room for a loaded CI machine


def test_twice_the_statements_take_about_twice_the_time():
    small, _ = timed(function_of(5_000))
    large, _ = timed(function_of(10_000))
    huge, _ = timed(function_of(20_000))
    print(f"\n5,000 lines {small:.3f} s; 10,000 lines {large:.3f} s ({large / small:.2f}x); "
          f"20,000 lines {huge:.3f} s ({huge / large:.2f}x)")
    # Linear: about 2x per doubling, 4x over both; quadratic would be 4x and 16x. Generous bounds
    # against timing noise (part of the measured growth is the cyclic garbage collector, whose
    # full collections cost more as the heap grows).
    assert large / small < 3.5 and huge / large < 3.5
    assert huge / small < 8.0
