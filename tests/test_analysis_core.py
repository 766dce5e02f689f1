"""The analysis core: the one reporting rule, loops run to a fixpoint, scopes as Python decides
them, object facts in the flow state, file-wide facts from the syntax tree, and statements of a
kind the analysis does not know. (Each also has runtime-proven fixtures in tests/fixtures/.)"""
from __future__ import annotations

import ast
import sys

import pytest

from gradlint import lint_source
from gradlint.analysis import statements
from gradlint.analysis.facts import LoopIterations
from gradlint.analysis.interpreter import Interpreter, analyse
from gradlint.analysis.source import SourceText
from gradlint.analysis.visits import CallStep, IterationStep, Visit, verdict

HEAD = "import torch\nx = torch.ones(2, requires_grad=True)\n"


def findings(source: str) -> list:
    return [(d.line, d.code, d.message) for d in lint_source(source, "t.py")]


def lines(source: str) -> list:
    return [(line, code) for line, code, _ in findings(source)]


# ----------------------------------------------------------------- the reporting rule
LOOP = ast.parse("for i in y: pass").body[0]
INNER = ast.parse("while z: pass").body[0]
CALL_A, CALL_B = ast.parse("f(a)").body[0].value, ast.parse("f(b)").body[0].value


def test_a_read_none_on_every_visit_is_always_none():
    found = verdict([Visit((), "p1"), Visit((CallStep(CALL_A),), "p2")])
    assert found is not None and found.proofs == ["p1", "p2"] and found.loops == ()


def test_a_read_filled_on_some_visit_of_every_claim_is_not_reported():
    first, later = IterationStep(LOOP, 0), IterationStep(LOOP, 1)
    assert verdict([Visit((first,), None), Visit((later,), "p"), Visit((later,), None)]) is None
    assert verdict([Visit((), None), Visit((), "p")]) is None


def test_a_call_whose_visits_all_prove_it_is_always_none_in_that_call():
    found = verdict([Visit((CallStep(CALL_A),), None), Visit((CallStep(CALL_B),), "p")])
    assert found is not None and found.proofs == ["p"] and found.loops == ()


def test_loop_iterations_that_hold_are_stated_as_a_run():
    steps = [IterationStep(LOOP, i, 5) for i in range(5)]
    found = verdict([Visit((steps[0],), "p0"), Visit((steps[1],), "p1")]
                    + [Visit((s,), None) for s in steps[2:]])
    assert found is not None and found.proofs == ["p0", "p1"]
    assert found.loops == (LoopIterations(LOOP.lineno, 1, 2),)
    later = verdict([Visit((IterationStep(LOOP, 0),), None), Visit((IterationStep(LOOP, 1),), "p")])
    assert later is not None and later.loops[0].later


def test_nested_loops_state_both_iterations():
    outer, inner = IterationStep(LOOP, 0, 2), IterationStep(INNER, 0)
    visits = [Visit((outer, inner), "p"), Visit((outer, IterationStep(INNER, 1)), None),
              Visit((IterationStep(LOOP, 1, 2), inner), None)]
    found = verdict(visits)
    assert found is not None and found.loops == (LoopIterations(LOOP.lineno, 1, 1), LoopIterations(INNER.lineno, 1, 1))


# ----------------------------------------------------------------- loops to a fixpoint
CHAIN = HEAD + "a = x * 2\nb = a\nc = b\n"


def test_a_read_none_only_in_the_first_iterations_says_so():
    unrolled = CHAIN + "for i in range(5):\n    (x * 3).sum().backward()\n    print(c.grad)\n    c = b\n    b = x\n"
    ((line, code, message),) = findings(unrolled)
    assert (line, code) == (8, "GL001") and "is None in iterations 1 to 2 of the loop on line 6" in message
    assert "[*]" not in message
    summarised = unrolled.replace("range(5)", "range(len(str(x)))")
    ((_, _, message),) = findings(summarised)
    assert "is None in the first iteration of the loop on line 6" in message


def test_a_chain_longer_than_two_iterations_reaches_the_fixpoint():
    source = CHAIN + "d = c\nn = len(str(x))\nwhile n:\n    n -= 1\n    (x * 3).sum().backward()\n" \
        "    d = c\n    c = b\n    b = x\nprint(d.grad)\n"
    assert lines(source) == []  # after the loop d may be the leaf x (three iterations or more)


def test_a_leaf_rebound_at_the_end_of_the_body_is_none_in_the_later_iterations():
    source = HEAD + "for _ in range(len(str(x))):\n    x.sum().backward()\n    print(x.grad)\n    x = x * 0.5\n"
    ((_, _, message),) = findings(source)
    assert "is None in the later iterations of the loop on line 3" in message


def test_a_loop_given_up_proves_nothing_in_it_or_after_it(monkeypatch):
    source = HEAD + "y = x * 2\nfor _ in range(len(str(x))):\n    print(y.grad)\n    y = y * 2\n" \
        "y.sum().backward()\nprint(y.grad)\n"
    assert lines(source) == [(5, "GL001"), (8, "GL001")]
    monkeypatch.setattr(statements, "MAX_LOOP_PASSES", 1)
    assert lines(source) == []


def test_a_helper_called_with_a_leaf_and_a_non_leaf_is_reported_for_its_call():
    source = HEAD + "def show(t):\n    print(t.grad)\ny = x * 2\ny.sum().backward()\nshow(x)\nshow(y)\n"
    ((line, _, message),) = findings(source)
    assert line == 4 and "is None in the call on line 8:" in message and "always" not in message


def test_a_helper_read_none_in_every_call_says_always_and_names_no_call():
    source = HEAD + "def show(t):\n    print(t.grad)\ny = x * 2\ny.sum().backward()\nshow(y)\nshow(y * 3)\n"
    ((line, _, message),) = findings(source)
    assert line == 4 and "is always None" in message


def test_the_calls_of_a_claim_are_stated_in_order():
    found = verdict([Visit((CallStep(CALL_A),), "p"), Visit((CallStep(CALL_B),), None)])
    assert found is not None and found.calls == ((CALL_A.lineno,),)
    assert verdict([Visit((CallStep(CALL_A),), "p")]).calls == ()


# ----------------------------------------------------------------- backward() reach
def test_a_retained_tensor_no_later_backward_reaches_is_reported():
    source = HEAD + "y = x * 3\ny.retain_grad()\n(x * 4).sum().backward()\nprint(y.grad)\n"
    ((line, code, message),) = findings(source)
    assert (line, code) == (6, "GL001") and "retains its grad (retain_grad() on line 4)" in message
    assert "no backward() since then reaches it" in message and "[*]" not in message


@pytest.mark.parametrize("between", [
    "z = y * 2\nz.sum().backward()\n",  # reached
    "import tracker\ntracker.watch([y])\n(x * 4).sum().backward()\ntracker.step()\n",  # escaped
    "z = x * 4\nz.add_(y)\nz.sum().backward()\n",  # written in place: z now depends on y
    "(x * 4).sum().backward(inputs=[x])\n",  # inputs= named: not followed
    "(x * 4 + y.sum()).sum().backward()\n",  # reaches through an operand
    "(x * 4).sum().backward()\ntorch.autograd.grad((y * 2).sum(), x)\n",  # grad() fills retained grads too
])
def test_a_retained_tensor_a_backward_may_reach_is_not_reported(between):
    source = HEAD + "y = x * 3\ny.retain_grad()\n" + between + "print(y.grad)\n"
    assert [code for _, code, message in findings(source) if "retains its grad" in message] == []


def test_no_backward_after_the_retain_is_not_this_finding():
    source = HEAD + "y = x * 3\ny.retain_grad()\nprint(y.grad)\n(y * 4).sum().backward()\n"
    assert lines(source) == []


# ----------------------------------------------------------------- parameter slots
LINEAR = "import torch\nimport torch.nn as nn\nm = nn.Linear(3, 2)\n"


def test_a_parameter_slot_holding_a_computed_tensor_is_a_non_leaf():
    source = LINEAR + ("m._parameters['weight'] = m.weight * 2\nm(torch.ones(1, 3)).sum().backward()\n"
                       "print(m.weight.grad)\nprint(m.bias.grad)\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\n")
    assert lines(source) == [(6, "GL001"), (8, "GL004")]
    assert "`m.parameters()` holds a non-leaf" in findings(source)[-1][2]


@pytest.mark.parametrize("change", [
    "if len(str(m)) > 3:\n    m._parameters['weight'] = m.weight * 2\n",  # one path only
    "m._parameters['weight'] = m.weight * 2\nm.register_parameter('weight', nn.Parameter(torch.ones(2, 3)))\n",
    "m._parameters['weight'] = m.weight * 2\nm._parameters.update(weight=nn.Parameter(torch.ones(2, 3)))\n",
    "m._parameters['weight'] = m.weight * 2\nm._parameters['weight'] = nn.Parameter(torch.ones(2, 3))\n",
    "m._parameters['weight'] = m.weight * 2\ndel m._parameters['weight']\nm.weight = torch.ones(2, 3)\n",
])
def test_a_slot_that_may_hold_a_leaf_is_not_reported(change):
    source = LINEAR + change + "m(torch.ones(1, 3)).sum().backward()\nprint(m.weight.grad)\n" \
        "opt = torch.optim.SGD(m.parameters(), lr=0.1)\n"
    assert [code for _, code in lines(source) if code == "GL004"] == []
    assert all("m.weight" not in message or "ones" in message for _, _, message in findings(source))


# ----------------------------------------------------------------- scopes
def test_a_walrus_in_a_comprehension_binds_in_the_function():
    source = HEAD + "def f():\n    y = x * 2\n    ys = [(y := x) for _ in range(2)]\n" \
        "    (x * 3).sum().backward()\n    return y.grad\nf()\n"
    assert lines(source) == []
    maybe_empty = source.replace("range(2)", "range(len(str(x)))").replace("(y := x)", "(y := x * 3)")
    assert lines(maybe_empty) == [(7, "GL001")]  # every value y may hold is a non-leaf


def test_nonlocal_binds_in_the_enclosing_function_and_global_in_the_module():
    source = HEAD + ("def outer():\n    y = x * 2\n    def inner():\n        nonlocal y\n        y = x\n"
                     "    inner()\n    (x * 3).sum().backward()\n    return y.grad\nouter()\n")
    assert lines(source) == []
    source = HEAD + ("y = x * 2\ndef rebind():\n    global y\n    y = x\nrebind()\n(x * 3).sum().backward()\n"
                     "print(y.grad)\n")
    assert lines(source) == []


def test_match_patterns_bind_what_they_capture():
    source = HEAD + "y = x * 2\nt = x * 3\nd = {'w': x}\n(y + t).sum().backward()\n"
    assert lines(source + "match (x, y):\n    case (t, u):\n        print(t.grad, u.grad)\n") == [(9, "GL001")]
    assert lines(source + "match d:\n    case {'w': t}:\n        print(t.grad)\n") == []
    star = "match [x]:\n    case [*t]:\n        print(t)\n    case _:\n        pass\nprint(t.grad)\n"
    assert lines(source + star) == []
    assert lines(source + "match x:\n    case torch.Tensor() as y:\n        print(y.grad)\n") == []
    assert lines(source + "match ('a', y):\n    case ('b', t):\n        print(t.grad)\n") == []  # cannot match


# ----------------------------------------------------------------- object facts in the flow state
def test_hooks_registered_on_some_paths_only_may_retain_the_output():
    source = ("import torch\nimport torch.nn as nn\ndef keep(m, i, o):\n    o.retain_grad()\n"
              "def log(m, i, o):\n    print(o.shape)\nm = nn.Linear(2, 2)\nx = torch.ones(1, 2)\n"
              "if x.shape[0] > 0:\n    m.register_forward_hook(keep)\nelse:\n    m.register_forward_hook(log)\n"
              "out = m(x)\nout.sum().backward()\nprint(out.grad)\n")
    assert lines(source) == []
    one_path = source.replace("else:\n    m.register_forward_hook(log)\n", "")
    assert lines(one_path) == []
    # a hook registered on every path that retains nothing: the output is still proven None
    every_path = source.replace("if x.shape[0] > 0:\n    m.register_forward_hook(keep)\nelse:\n    ", "")
    assert lines(every_path) == [(12, "GL001")]


def test_sequential_children_follow_branches():
    source = ("import torch\nimport torch.nn as nn\nx = torch.ones(1, 2, requires_grad=True)\n"
              "seq = nn.Sequential()\nif x.shape[0] > 3:\n    seq.append(nn.Linear(2, 2))\nout = seq(x)\n"
              "out.sum().backward()\nprint(out.grad)\n")
    assert lines(source) == []
    assert lines(source.replace("if x.shape[0] > 3:\n    ", "")) == [(8, "GL001")]


# ----------------------------------------------------------------- file-wide facts
MODULE_OUTPUT = "import torch\nimport torch.nn as nn\nm = nn.Linear(2, 2)\nout = m(torch.ones(1, 2))\n" \
    "out.sum().backward()\nprint(out.grad)\n"


@pytest.mark.parametrize("text", [
    "# never set requires_grad=False on the encoder\n",
    "NOTE = 'p.requires_grad_(False) and m.register_forward_hook(h)'\n",
    "# torch.set_default_dtype(torch.float64)\n",
])
def test_comments_and_strings_change_nothing(text):
    assert lines(text + MODULE_OUTPUT) == [(6 + text.count("\n"), "GL001")]


@pytest.mark.parametrize("code", [
    "for p in m.parameters():\n    p.requires_grad = False\n",
    "m.requires_grad_(False)\n",
    "m.weight.requires_grad_(requires_grad=flag)\n",
    "m.weight = nn.Parameter(m.weight.detach(), requires_grad=False)\n",
    "m.register_forward_hook(print)\n",
    "add = m.register_forward_hook\n",
])
def test_code_that_may_freeze_or_hook_the_module_makes_its_output_unprovable(code):
    source = MODULE_OUTPUT.replace("m = nn.Linear(2, 2)\n", "m = nn.Linear(2, 2)\nflag = len(str(m)) > 0\n" + code)
    assert lines(source) == []


def test_a_changed_default_dtype_is_read_from_code_only():
    source = "import torch\nw = torch.randn(3, requires_grad=True).double()\nw.sum().backward()\nprint(w.grad)\n"
    assert lines(source) == [(4, "GL002")]
    assert lines("# set_default_dtype is not called\n" + source) == [(5, "GL002")]
    assert lines("import torch\ntorch.set_default_dtype(torch.float64)\n" + source) == []


# ----------------------------------------------------------------- statements of unknown kinds
class FutureStatement(ast.stmt):
    """A statement kind from a Python newer than the analysis."""

    _fields = ()


def test_every_statement_kind_of_this_python_is_analysed():
    kinds = [cls for cls in ast.stmt.__subclasses__() if cls.__module__ == "ast"]
    assert kinds and all(hasattr(Interpreter, "stmt_" + cls.__name__) for cls in kinds), \
        [cls.__name__ for cls in kinds if not hasattr(Interpreter, "stmt_" + cls.__name__)]


def test_after_an_unknown_statement_nothing_is_proven_and_the_facts_say_where():
    text = HEAD + "y = x * 2\ny.sum().backward()\nprint(y.grad)\nSTATEMENT\nprint(y.grad)\n"
    tree = ast.parse(text)
    future = FutureStatement(lineno=6, col_offset=0, end_lineno=6, end_col_offset=9)
    tree.body[5] = future
    facts = analyse(tree, SourceText(text))
    assert [read.span.line for read in facts.grad_reads] == [5]
    assert [(note.line, note.kind) for note in facts.unanalysed] == [(6, "FutureStatement")]
    # in a loop, the back edge carries it to the reads before it: only the first iteration is known
    text = HEAD + "y = x * 2\nfor _ in range(len(str(x))):\n    y.sum().backward()\n    print(y.grad)\n    STATEMENT\n"
    tree = ast.parse(text)
    tree.body[3].body[2] = FutureStatement(lineno=7, col_offset=4, end_lineno=7, end_col_offset=13)
    (read,) = analyse(tree, SourceText(text)).grad_reads
    assert read.loops == (LoopIterations(4, 1, 1),)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="`type` statements are Python 3.12")
def test_a_type_alias_binds_its_name():
    assert lines(HEAD + "type T = int\ny = x * 2\ny.sum().backward()\nprint(y.grad)\n") == [(6, "GL001")]
