"""Functions a file never calls are analysed on their own only when their text could hold a
finding (analysis/interpreter.py, `hot`): whatever spelling makes them hot must keep its findings."""
import ast
import textwrap
from pathlib import Path

import pytest

from gradlint import lint_source
from gradlint.analysis.interpreter import Interpreter
from gradlint.analysis.source import SourceText
from gradlint.linter import hot_offsets
from gradlint.prefilter import could_have_findings

NONLEAF = "    w = torch.ones(3, requires_grad=True) * 2\n"
READ_SETUP = "    x = torch.ones(3, requires_grad=True)\n    y = x * 2\n    y.sum().backward()\n"

UNCALLED = {
    "optimizer by attribute": ("import torch\ndef f():\n" + NONLEAF + "    return torch.optim.SGD([w], lr=0.1)\n", "GL004"),
    "optimizer imported by name": ("import torch\nfrom torch.optim import SGD\ndef f():\n" + NONLEAF
                                   + "    return SGD([w], lr=0.1)\n", "GL004"),
    "optimizer module alias": ("import torch\nimport torch.optim as opt\ndef f():\n" + NONLEAF
                               + "    return opt.SGD([w], lr=0.1)\n", "GL004"),
    "optimizer class alias": ("import torch\nMakeOptimizer = torch.optim.Adam\ndef f():\n" + NONLEAF
                              + "    return MakeOptimizer([w])\n", "GL004"),
    "attribute read": ("import torch\ndef f():\n" + READ_SETUP + "    print(y.grad)\n", "GL001"),
    "read across a comment line": ("import torch\ndef f():\n" + READ_SETUP + "    print((y.  # the grad\n"
                                   "        grad))\n", "GL001"),
    "getattr": ("import torch\ndef f():\n" + READ_SETUP + "    print(getattr(y, 'grad'))\n", "GL001"),
    "getattr, concatenated name": ("import torch\ndef f():\n" + READ_SETUP + "    print(getattr(y, 'gr' 'ad'))\n",
                                   "GL001"),
    "getattr, escaped name": ("import torch\ndef f():\n" + READ_SETUP + "    print(getattr(y, 'g\\x72ad'))\n", "GL001"),
}


@pytest.mark.parametrize("name", sorted(UNCALLED))
def test_uncalled_functions_that_could_hold_a_finding_are_analysed(name):
    source, code = UNCALLED[name]
    assert [d.code for d in lint_source(source)] == [code]


def statements_run(source: str) -> int:
    tree, text = ast.parse(source), SourceText(source)
    interpreter = Interpreter(tree, text, hot_offsets=hot_offsets(tree, text))
    interpreter.run()
    return 100_000 - interpreter.budget


def test_cold_uncalled_functions_are_not_analysed():
    cold = "".join(f"def helper{i}(a):\n" + "".join(f"    a = a + {j}\n" for j in range(50)) + "    return a\n"
                   for i in range(20))
    hot = "import torch\ndef f():\n" + READ_SETUP + "    print(y.grad)\n"
    assert statements_run(hot + cold) - statements_run(hot) < 40  # the 20 defs, not their 1,000 statements


def test_cold_functions_still_run_where_hot_code_calls_them():
    source = ("import torch\ndef make():\n    x = torch.ones(3, requires_grad=True)\n    return x * 2\n"
              "def f():\n    y = make()\n    y.sum().backward()\n    print(y.grad)\n")
    assert [d.code for d in lint_source(source)] == ["GL001"]


COLD_BODY = "".join(f"    a = a + {j}\n" for j in range(50)) + "    return a\n"


@pytest.mark.parametrize("header, signature", [
    ("from .sources import is_from_optimizer_source, LocalSource\n", "def helper(a):\n    LocalSource(a)\n"),
    ("import torch\n", "def helper(a):\n    assert isinstance(a, torch.optim.Optimizer)\n"),
    ("import torch\n", "def helper(a: torch.optim.Optimizer, s: torch.optim.lr_scheduler.LRScheduler):\n"),
    ("import torch\n", "def helper(a):\n    # would read a.grad, or build torch.optim.SGD(a)\n"),
])
def test_mentions_that_cannot_make_a_finding_leave_code_cold(header, signature):
    hot = "import torch\ndef f():\n" + READ_SETUP + "    print(y.grad)\n"
    assert statements_run(header + hot + signature + COLD_BODY) - statements_run(header + hot) < 5


FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))


def keys(found):
    return sorted((d.line, d.column, d.code) for d in found)


def shortcut_and_exhaustive(source):
    shortcut = keys(lint_source(source)) if could_have_findings(source.encode("utf-8")) else []
    return shortcut, keys(lint_source(source, exhaustive=True))


def test_the_shortcuts_lose_no_fixture_finding():
    """As run (pre-filter, cold code skipped) and exhaustively: the same findings, fixture by fixture
    and with each fixture moved into a function that is never called."""
    differ, findings = [], 0
    for name in FIXTURE_NAMES:
        source = (FIXTURES / name).read_text(encoding="utf-8")
        uncalled = "def _never_called():\n" + textwrap.indent(source, "    ", lambda _line: True) + "    pass\n"
        for label, text in ((name, source), (name + " (uncalled)", uncalled)):
            shortcut, exhaustive = shortcut_and_exhaustive(text)
            findings += len(exhaustive)
            if shortcut != exhaustive:
                differ.append(label)
    assert not differ
    assert findings > 200  # the fixtures' findings, twice
