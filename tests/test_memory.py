"""The analysis leaves no cyclic garbage, and pauses Python's cyclic collector only while it runs.

Parsing and analysing a file builds hundreds of thousands of objects; with the cyclic collector
on, it traverses them again and again (twice the time on the torch sources), so `lint_source`
pauses it. That is only safe while the analysis frees what it builds by reference counting: a
cycle (a frame holding states that hold functions whose closure is that frame, say) would keep a
whole file's states and tree alive until the collector runs again.
"""
from __future__ import annotations

import gc
from pathlib import Path

import pytest

from gradlint import lint_source

FIXTURES = Path(__file__).parent / "fixtures"
# Fixtures with nested functions, closures, classes, hooks, loops and inlined calls.
NAMES = sorted(p.name for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))


@pytest.fixture
def collector_paused():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_analysing_the_fixtures_leaves_no_cycles(collector_paused):
    # With the collector paused every object made since the last collection stays in the youngest
    # generation, so collecting that generation alone finds any cycle the analysis left: without
    # traversing the rest of the heap (torch's, when other tests imported it) once per fixture.
    leftovers = {}
    for name in NAMES:
        lint_source((FIXTURES / name).read_text(encoding="utf-8"), name)
        found = gc.collect(0)
        if found:
            leftovers[name] = found
    assert not leftovers


def test_nested_functions_and_closures_leave_no_cycles(collector_paused):
    source = (
        "import torch\n"
        "def outer(scale):\n"
        "    def inner(t):\n"
        "        return t * scale\n"
        "    return inner\n"
        "def train():\n"
        "    f = outer(2)\n"
        "    x = torch.ones(2, requires_grad=True)\n"
        "    y = f(x)\n"
        "    y.sum().backward()\n"
        "    return y.grad\n"
        "train()\n"
    )
    assert [d.code for d in lint_source(source)] == ["GL001"]
    assert gc.collect() == 0


def test_the_collector_is_back_on_after_linting():
    assert gc.isenabled()
    lint_source("x = 1\nprint(x.grad)\n")
    assert gc.isenabled()
    lint_source("def broken(:\n")
    assert gc.isenabled()


def test_a_paused_collector_stays_paused(collector_paused):
    lint_source("x = 1\nprint(x.grad)\n")
    assert not gc.isenabled()


def test_linting_again_and_again_keeps_no_tree_alive(collector_paused):
    """Indexes the fixes build of a tree are dropped with it (a long-lived process, the language
    server, lints on every edit): a hundred lints leave as many live objects as one."""
    text = (FIXTURES / "fix_retain_forward_no_grad.py").read_text()
    assert any(d.fix is not None for d in lint_source(text, "a.py"))  # the fixes' indexes are built
    before = len(gc.get_objects())
    for _ in range(100):
        lint_source(text, "a.py")
    assert len(gc.get_objects()) - before < 50
