"""The pre-filter skips only files in which no rule can fire: no fixture finding is ever lost."""
from __future__ import annotations

import json
import time

import pytest

from fixture_marks import FIXTURES, all_fixtures, read_fixture
from gradlint import lint_source
from gradlint.prefilter import could_have_findings, enabled_rules
from gradlint.sources import screen_bytes

ALL_FIXTURE_FILES = sorted(FIXTURES.glob("*.py"))  # fixtures and their *.fixed.py snapshots


def findings(text: str) -> set:
    return {(d.line, d.code) for d in lint_source(text) if not d.code.startswith("GL9")}


@pytest.mark.parametrize("path", [p for p in all_fixtures() if read_fixture(p).expected], ids=lambda p: p.name)
def test_every_fixture_with_findings_passes(path):
    data = path.read_bytes()
    assert could_have_findings(data)
    # ... also with only the rules it needs enabled
    codes = {code for _line, code in read_fixture(path).expected}
    assert could_have_findings(data, codes)
    for code in codes:
        assert could_have_findings(data, {code}), code


@pytest.mark.parametrize("path", ALL_FIXTURE_FILES, ids=lambda p: p.name)
def test_a_skipped_file_has_no_findings(path):
    """Soundness, checked the other way round: whatever the filter rejects, the analysis agrees."""
    data = path.read_bytes()
    text = data.decode("utf-8")
    for rules in (None, {"GL001"}, {"GL002"}, {"GL003"}, {"GL004"}):
        if not could_have_findings(data, rules):
            found = {code for _line, code in findings(text)}
            assert not (found & (rules or {"GL001", "GL002", "GL003", "GL004"})), (rules, found)


# A buggy program; `{read}` is replaced by a spelling of `y.grad`.
PROGRAM = """import torch
x = torch.ones(2, requires_grad=True)
y = x * 2
y.sum().backward()
print({read})
"""

READ_SPELLINGS = [
    "y.grad",
    "y . grad",
    "y.\tgrad",
    "(y.\n      grad)",
    "y.\\\n    grad",
    "(y.  # a comment between the dot and the name\n      grad)",
    "(y.  # two comments\n    # the second\n      grad)",
    'getattr(y, "grad")',
    "getattr(y, 'grad')",
    'getattr(y, r"grad")',
    'getattr(y, """grad""")',
    'getattr(y, "gr" "ad")',
    'getattr(y, "g" "r" "a" "d")',
    'getattr(y, "" "grad")',
    'getattr(y, ("gr"\n    "ad"))',
    'getattr(y, "\\x67rad")',
    'getattr(y, "g\\x72ad")',
    'getattr(y, "\\147rad")',
    'getattr(y, "\\u0067rad")',
    'getattr(y, "\\U00000067rad")',
    'getattr(y, "\\N{LATIN SMALL LETTER G}rad")',
    'getattr(y, "gra\\x64")',
    'getattr(y, "grad\\\n")',
    'getattr(y, "\\\ngrad")',
    'getattr(y, "gr" + "ad")',
    'getattr(y, "g" + "r" + "ad")',
    'getattr(y, "" + "gra" + "d")',
    'getattr(y, "%srad" % "g")',
    'getattr(y, "%s" % "grad")',
]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("read", READ_SPELLINGS)
def test_every_spelling_of_a_read_passes(read, newline):
    source = PROGRAM.format(read=read).replace("\n", newline)
    assert could_have_findings(source.encode())
    assert could_have_findings(("# one\n# two\n" * 50).replace("\n", newline).encode() + source.encode())


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_a_name_at_the_start_of_a_line_is_not_a_read(newline):
    source = "import torch\ngrad = torch.ones(2)\n# a comment.\ngrad = grad * 2\nx = (1,\n     grad)\n"
    assert not findings(source)
    assert not could_have_findings(source.replace("\n", newline).encode())


def test_spellings_the_analysis_reports_are_found():
    """The spellings above are not hypothetical: the analysis reports (most of) them."""
    reported = [read for read in READ_SPELLINGS if findings(PROGRAM.format(read=read))]
    assert "y . grad" in reported and 'getattr(y, "gr" "ad")' in reported and 'getattr(y, "\\x67rad")' in reported
    for read in reported:
        assert could_have_findings(PROGRAM.format(read=read).encode())


@pytest.mark.parametrize("binding", ['name = "grad"', 'name = "gr" + "ad"', 'a = "gr"\nname = a + "ad"',
                                     'a, b = "g", "rad"\nname = a + b'])
def test_a_name_bound_to_the_string_passes(binding):
    source = PROGRAM.format(read="getattr(y, name)").replace("print(", binding + "\nprint(")
    assert could_have_findings(source.encode())
    if binding == 'name = "grad"':
        assert findings(source)


@pytest.mark.parametrize("source", [
    "import torch\nw = torch.randn(3, requires_grad=True) * 0.01\nopt = torch.optim.SGD([w], lr=0.1)\n",
    "import torch\nfrom torch import optim\nw = torch.randn(3, requires_grad=True) * 0.01\nopt = optim.SGD([w])\n",
    "import torch\nfrom torch.optim import Adam\nw = torch.randn(3, requires_grad=True) * 0.01\nopt = Adam([w])\n",
    "import torch as t\nw = t.randn(3, requires_grad=True) * 0.01\nopt = getattr(t, 'optim').SGD([w], lr=0.1)\n",
])
def test_optimizer_constructions_pass(source):
    assert {code for _line, code in findings(source)} == {"GL004"}
    assert could_have_findings(source.encode())
    assert could_have_findings(source.encode(), {"GL004"})
    assert not could_have_findings(source.encode(), {"GL001", "GL002", "GL003"})


@pytest.mark.parametrize("source", [
    "",
    "import os\nprint(os.getcwd())\n",
    # transformers' most common false friend
    "class M:\n    def enable(self):\n        self.gradient_checkpointing = True\n",
    "import torch\nmodel.gradient_checkpointing_enable()\nx = torch.nn.utils.clip_grad_norm_(p, 1.0)\n",
    "import torch\nx = torch.ones(2, requires_grad=True)\ny = x.requires_grad_()\n",
    "x = {'grad': 1}\nprint(x['grad'])\n",  # a "grad" string, but no getattr
    "y = getattr(obj, 'gradient')\nz = getattr(obj, '')\n",  # getattr, but no "grad" value
    "def grad(f):\n    return f\nprint(grad)\n",
    "# see x.grad in the docs\n",  # a comment line holds no code
    'def f():\n    """Docs.\n\n    # also x.grad, optim and getattr(y, "grad")\n    """\n',  # nor a "#" line in a string
    "s = 'see x.grad'\n",  # a string on a line of code: over-approximated, passes (below)
    "import torch\n# We optimize the kernel here.\nx = torch.compile(f)\n",  # `optimize` is not `optim`
    "import numpy\nfrom scipy import optimize\nopt = optim.SGD\n",  # optim, but not torch
])
def test_files_that_cannot_have_findings_are_rejected(source):
    assert not findings(source)
    if source.startswith("s = "):
        assert could_have_findings(source.encode())  # text-level: strings on lines of code count
    else:
        assert not could_have_findings(source.encode())


def test_autograd_grad_calls_pass():
    """`torch.autograd.grad(...)` reads no `.grad`, but to the analysis `<base>.grad` is a read of
    whatever `<base>` is; from the text alone the filter cannot tell a module from a tensor named
    `autograd`, so it lets the file through (a few extra files parsed; no finding lost)."""
    source = "import torch\nx = torch.ones(2, requires_grad=True)\n(g,) = torch.autograd.grad((x * x).sum(), x)\n"
    assert not findings(source)
    assert could_have_findings(source.encode())
    tensor_named_autograd = ("import torch\nx = torch.ones(2, requires_grad=True)\nautograd = x * 2\n"
                             "autograd.sum().backward()\nprint(autograd.grad)\n")
    assert findings(tensor_named_autograd) and could_have_findings(tensor_named_autograd.encode())


def test_rules_not_enabled_do_not_let_files_through():
    read = PROGRAM.format(read="y.grad").encode()
    assert could_have_findings(read, {"GL001"})
    assert not could_have_findings(read, {"GL004"})
    assert not could_have_findings(read, set())


def test_a_rule_the_filter_does_not_know_lets_everything_through():
    assert could_have_findings(b"print(1)\n", {"GL001", "GL777"})


def test_enabled_rules_follow_select_and_ignore():
    assert enabled_rules() == {"GL001", "GL002", "GL003", "GL004"}
    assert enabled_rules(["GL004"]) == {"GL004"}
    assert enabled_rules(None, ["GL00"]) == set()
    assert enabled_rules(["GL"], ["GL004"]) == {"GL001", "GL002", "GL003"}


@pytest.mark.parametrize("cookie", ["utf-16", "cp500", "utf-7"])
def test_files_in_codecs_that_are_not_ascii_compatible_always_pass(cookie):
    assert could_have_findings(f"# -*- coding: {cookie} -*-\nprint(1)\n".encode("ascii"))


def test_common_cookies_are_still_filtered():
    for cookie in ("utf-8", "latin-1", "iso-8859-15", "ascii"):
        assert not could_have_findings(f"# -*- coding: {cookie} -*-\nprint(1)\n".encode("ascii"))
    assert not could_have_findings("\ufeffprint(1)\n".encode("utf-8"))
    assert could_have_findings(b"\xff\xfeprint")  # a UTF-16 BOM: bytes say nothing


def notebook(*cells: str) -> bytes:
    return json.dumps({"cells": [{"cell_type": "code", "source": c.splitlines(True), "metadata": {},
                                  "outputs": [], "execution_count": None} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1).encode()


def nb_passes(data: bytes) -> bool:
    return could_have_findings(screen_bytes(data, "nb.ipynb"))


def test_notebooks():
    assert nb_passes(notebook("import torch", "y = x * 2", "print(y.grad)"))
    assert nb_passes(notebook("print(y.\\\n grad)"))
    assert not nb_passes(notebook("import torch", "model.gradient_checkpointing = 1"))
    # markdown cells are not code
    markdown = json.dumps({"cells": [{"cell_type": "markdown", "source": ["y.grad"], "metadata": {}}],
                           "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
    assert not nb_passes(markdown)
    # JSON may spell any character as \\uXXXX
    escaped = notebook("print(y.grad)").replace(b"grad", b"\\u0067rad")
    assert nb_passes(escaped)
    # a malformed notebook passes: the notebook reader reports it
    assert nb_passes(b'{"cells": ["y.grad"')
    assert not nb_passes(b'{"cells": []}')


def test_comment_blocks_do_not_make_the_pattern_backtrack():
    """A `.` ending a comment line followed by a long comment block once took minutes."""
    block = ("# Anything  is   subject    to     change.\n" * 2000).encode()
    start = time.perf_counter()
    assert not could_have_findings(block + b"x = 1\n")
    assert time.perf_counter() - start < 1.0


def test_throughput():
    """Megabytes per second, on plain code with many dots, quotes and comments."""
    chunk = ('import os  # the os module.\nx = os.path.join("a", "b")  # join.\n'
             'y = getattr(x, "gradient", "")\nz = {"h": 1, "": x.gradient}\n').encode()
    data = chunk * (2_000_000 // len(chunk))
    start = time.perf_counter()
    assert not could_have_findings(data, {"GL001", "GL002", "GL003"})
    elapsed = time.perf_counter() - start
    print(f"pre-filter: {len(data) / elapsed / 1e6:.0f} MB/s")
    assert elapsed < 2.0
