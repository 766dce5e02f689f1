"""gradlint's rules as Fixit rules (gradlint.plugins.fixit), run through the real fixit CLI in a
subprocess: `fixit lint` positions and messages, `fixit fix --automatic` producing the text gradlint's
own `--fix` produces, the rules' VALID/INVALID cases under `fixit test`, suppressions, configuration,
one analysis per module, and `fixit lsp`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fixit")
pytest.importorskip("libcst")

SRC = Path(__file__).resolve().parents[1] / "src"
CONFIG = '[tool.fixit]\nroot = true\ndisable = ["fixit.rules"]\nenable = ["gradlint.plugins.fixit"]\n'

# GL001 at 8:15 (Fixit: 8:14, its columns are 0-based) at top level; GL002 at 14:14 (14:13) inside a
# function.
PROGRAM = '''import torch

# the activations
x = torch.tensor(2.0, requires_grad=True)
y = x * 3
z = y * 4
z.backward()
print("é→", y.grad)


def train():
    w = torch.randn(3, requires_grad=True).double()
    (w * 2).sum().backward()
    return w.grad
'''
FIXED = PROGRAM.replace("y = x * 3\n", "y = x * 3\ny.retain_grad()\n").replace(
    "torch.randn(3, requires_grad=True).double()", "torch.randn(3).double().requires_grad_()")
GL001 = ("NonLeafGrad: GL001 `y.grad` is always None: y is not a leaf (`x * 3` on line 5 computed it); call "
         "y.retain_grad() before backward(), or read .grad of the leaf it comes from (has autofix)")
GL002 = ("MovedLeafGrad: GL002 `w.grad` is always None: w is not a leaf (`.double()` on line 12 copied it); ask for "
         "grad after the move: torch.randn(...).double().requires_grad_() (has autofix)")
# GL003 at top level: the fix moves the retain_grad() above backward(), two statements apart.
LATE = '''import torch
x = torch.ones(2, requires_grad=True)
y = x * 3
y.sum().backward()
y.retain_grad()
print(y.grad)
'''
LATE_FIXED = '''import torch
x = torch.ones(2, requires_grad=True)
y = x * 3
y.retain_grad()
y.sum().backward()
print(y.grad)
'''
# GL002 whose only fix is unsafe.
UNSAFE = '''import torch

t = torch.zeros(3, requires_grad=True)
print(t.is_leaf)
t = t.to(torch.float64)
t.sum().backward()
print(t.grad)
'''


def environment():
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]), NO_COLOR="1")


def fixit(*args, cwd: Path, input: str = None):
    return subprocess.run([sys.executable, "-m", "fixit", *args], cwd=cwd, input=input, capture_output=True,
                          text=True, env=environment(), timeout=300)


def lines(result):
    return [line for line in result.stdout.splitlines() if "@" in line]


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    return tmp_path


def test_lint_reports_at_the_read(project):
    (project / "train.py").write_text(PROGRAM, encoding="utf-8")
    result = fixit("lint", "train.py", cwd=project)
    assert result.returncode == 1, result.stderr
    assert sorted(lines(result)) == [f"train.py@14:13 {GL002}", f"train.py@8:14 {GL001}"]


def test_fix_applies_what_gradlint_fix_applies(project):
    (project / "train.py").write_text(PROGRAM, encoding="utf-8")
    result = fixit("fix", "--automatic", "train.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "train.py").read_text(encoding="utf-8") == FIXED
    # the same text as gradlint's own --fix
    (project / "by_gradlint.py").write_text(PROGRAM, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "gradlint", "--no-cache", "--fix", "by_gradlint.py"], cwd=project,
                   capture_output=True, env=environment(), timeout=120)
    assert (project / "by_gradlint.py").read_text(encoding="utf-8") == FIXED
    assert lines(fixit("lint", "train.py", cwd=project)) == []


def test_a_fix_across_statements(project):
    (project / "late.py").write_text(LATE)
    assert [line.split(": ")[0] for line in lines(fixit("lint", "late.py", cwd=project))] == \
        ["late.py@6:8 LateRetainGrad"]
    fixit("fix", "--automatic", "late.py", cwd=project)
    assert (project / "late.py").read_text() == LATE_FIXED


def test_unsafe_fixes_only_when_the_project_allows_them(project):
    (project / "cast.py").write_text(UNSAFE)
    [line] = lines(fixit("lint", "cast.py", cwd=project))
    assert line.startswith("cast.py@7:8 MovedLeafGrad: GL002 ") and not line.endswith("(has autofix)")
    (project / "pyproject.toml").write_text(CONFIG + "\n[tool.gradlint]\nunsafe-fixes = true\n")
    [line] = lines(fixit("lint", "cast.py", cwd=project))
    assert line.endswith("(has autofix)")


def test_the_rules_own_cases_pass_under_fixit_test(project):
    from gradlint.plugins import fixit as plugin
    rules = [plugin.NonLeafGrad, plugin.MovedLeafGrad, plugin.LateRetainGrad, plugin.NonLeafOptimizerParameter]
    cases = sum(len(rule.VALID) + len(rule.INVALID) for rule in rules)
    assert all(rule.AUTOFIX for rule in rules)  # each has an INVALID case with the fixed text
    for module in ("gradlint.plugins.fixit", "gradlint.fixit"):
        result = fixit("test", module, cwd=project)
        assert result.returncode == 0, result.stderr
        assert f"Ran {cases} tests" in result.stderr and "\nOK\n" in result.stderr, result.stderr


def test_suppressions(project):
    ignored = PROGRAM.replace('print("é→", y.grad)', 'print("é→", y.grad)  # lint-ignore: NonLeafGrad')
    ignored = ignored.replace("    return w.grad", "    return w.grad  # noqa: GL002")
    (project / "train.py").write_text(ignored, encoding="utf-8")
    assert lines(fixit("lint", "train.py", cwd=project)) == []
    # a comment on the statement the fix replaces is not a comment on the read
    elsewhere = PROGRAM.replace("y = x * 3\n", "y = x * 3  # lint-ignore: NonLeafGrad\n")
    (project / "train.py").write_text(elsewhere, encoding="utf-8")
    assert sorted(line.split(": ")[0] for line in lines(fixit("lint", "train.py", cwd=project))) == \
        ["train.py@14:13 MovedLeafGrad", "train.py@8:14 NonLeafGrad"]


def test_configuration_of_both_tools(project):
    (project / "train.py").write_text(PROGRAM, encoding="utf-8")
    (project / "pyproject.toml").write_text(CONFIG + '\n[tool.gradlint]\nignore = ["GL001"]\n')
    assert lines(fixit("lint", "train.py", cwd=project)) == [f"train.py@14:13 {GL002}"]
    one_off = 'disable = ["fixit.rules", "gradlint.plugins.fixit:MovedLeafGrad"]'
    (project / "pyproject.toml").write_text(CONFIG.replace('disable = ["fixit.rules"]', one_off))
    assert lines(fixit("lint", "train.py", cwd=project)) == [f"train.py@8:14 {GL001}"]


def test_one_analysis_per_module(project):
    """Four rules visit the module; gradlint's pipeline runs once for it, and not at all for a
    module without a `.grad` read."""
    (project / "train.py").write_text(PROGRAM, encoding="utf-8")
    (project / "util.py").write_text("import os\n\n\ndef gradient(path):\n    return os.path.getsize(path)\n")
    counting = (
        "import atexit, sys\n"
        "import gradlint.linter as linter\n"
        "calls = []\n"
        "original = linter.lint_program\n"
        "def counted(source, settings=None):\n"
        "    calls.append(source.filename)\n"
        "    return original(source, settings)\n"
        "linter.lint_program = counted\n"
        "atexit.register(lambda: sys.stderr.write('ANALYSED %d\\n' % len(calls)))\n"
        "from fixit.cli import main\n"
        "main()\n")
    for name, expected in (("train.py", 1), ("util.py", 0)):
        result = subprocess.run([sys.executable, "-c", counting, "lint", name], cwd=project, capture_output=True,
                                text=True, env=environment(), timeout=300)
        assert f"ANALYSED {expected}\n" in result.stderr, result.stderr
    assert len(lines(result)) == 0


def test_fixit_lsp_publishes_the_findings(project):
    from plugin_lsp_client import LspClient, apply_text_edits, path_uri
    pytest.importorskip("pygls")
    client = LspClient([sys.executable, "-m", "fixit", "lsp", "--debounce-interval", "0"], cwd=project,
                       env={"PYTHONPATH": environment()["PYTHONPATH"]})
    try:
        client.request("initialize", {"processId": os.getpid(), "rootUri": path_uri(project), "capabilities": {}})
        client.notify("initialized", {})
        uri = path_uri(project / "train.py")
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                                "text": PROGRAM}})
        published = client.diagnostics(uri)
        assert sorted((d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"])
                      for d in published) == [("MovedLeafGrad", 13, 13), ("NonLeafGrad", 7, 14)]
        edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                           "options": {"tabSize": 4, "insertSpaces": True}})
        assert apply_text_edits(PROGRAM, edits) == FIXED
    finally:
        client.close()
