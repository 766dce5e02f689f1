"""The flake8 extension (gradlint.plugins.flake8), run through the real flake8 in a subprocess:
findings at the CLI's line and column, `# noqa` honoured, the project's `[tool.gradlint]` applied,
and files without a `.grad` read never analysed."""
from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytest.importorskip("flake8")

SRC = Path(__file__).resolve().parents[1] / "src"

# Two findings: GL001 at 7:15 (after a non-ASCII string: columns count characters) and GL002 at 13:14
# inside a function.
PROGRAM = '''import torch

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
GL001 = ("GL001 `y.grad` is always None: y is not a leaf (`x * 3` on line 4 computed it); call y.retain_grad() "
         "before backward(), or read .grad of the leaf it comes from")
GL002 = ("GL002 `w.grad` is always None: w is not a leaf (`.double()` on line 11 copied it); ask for grad after the "
         "move: torch.randn(...).double().requires_grad_()")


def environment():
    # The working tree's code (the entry point itself comes from the installed distribution).
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
                NO_COLOR="1")


def flake8(*args, cwd: Path, input: str = None):
    return subprocess.run([sys.executable, "-m", "flake8", "--isolated", "-j1", *args], cwd=cwd, input=input,
                          capture_output=True, text=True, env=environment(), timeout=120)


def gradlint(*args, cwd: Path):
    return subprocess.run([sys.executable, "-m", "gradlint", "--no-cache", *args], cwd=cwd, capture_output=True,
                          text=True, env=environment(), timeout=120)


def test_the_entry_point_is_registered():
    found = {entry.name: entry for entry in metadata.entry_points(group="flake8.extension")}
    assert "GL" in found, "gradlint's flake8 entry point is not installed: reinstall gradlint (pip install -e .)"
    assert found["GL"].value == "gradlint.plugins.flake8:GradlintChecker"


def test_findings_at_the_cli_line_and_column(tmp_path):
    (tmp_path / "train.py").write_text(PROGRAM, encoding="utf-8")
    result = flake8("--select", "GL", "train.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [f"train.py:7:15: {GL001}", f"train.py:13:14: {GL002}"]
    # ... which is where `gradlint` prints them (without its `[*]` fix marker)
    cli = gradlint("--output-format", "concise", "train.py", cwd=tmp_path)
    assert [line.replace(" [*] ", " ") for line in cli.stdout.splitlines() if ": GL" in line] == \
        result.stdout.splitlines()


def test_noqa_comments_are_honoured(tmp_path):
    source = PROGRAM.replace('print("é→", y.grad)', 'print("é→", y.grad)  # noqa: GL001')
    source = source.replace("    return w.grad", "    return w.grad  # noqa: E501")
    (tmp_path / "train.py").write_text(source, encoding="utf-8")
    result = flake8("--select", "GL", "train.py", cwd=tmp_path)
    assert result.stdout.splitlines() == [f"train.py:13:14: {GL002}"]
    (tmp_path / "train.py").write_text(source.replace("  # noqa: E501", "  # noqa"), encoding="utf-8")
    result = flake8("--select", "GL", "train.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_standard_input(tmp_path):
    result = flake8("--select", "GL", "--stdin-display-name", "model.py", "-", cwd=tmp_path, input=PROGRAM)
    assert result.stdout.splitlines() == [f"model.py:7:15: {GL001}", f"model.py:13:14: {GL002}"]


def test_the_project_configuration_applies(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradlint]\nignore = ["GL002"]\n')
    (tmp_path / "train.py").write_text(PROGRAM, encoding="utf-8")
    result = flake8("--select", "GL", "train.py", cwd=tmp_path)
    assert result.stdout.splitlines() == [f"train.py:7:15: {GL001}"]


def test_gl_is_on_by_default_next_to_other_codes(tmp_path):
    (tmp_path / "train.py").write_text(PROGRAM.replace("import torch\n", "import torch\nimport os\n"), encoding="utf-8")
    result = flake8("train.py", cwd=tmp_path)
    codes = [line.split(" ")[1] for line in result.stdout.splitlines()]
    assert codes == ["F401", "GL001", "GL002"], result.stdout


def test_files_without_a_grad_read_are_not_analysed(tmp_path):
    """flake8 runs in-process (-j1) with the pipeline's entry counted: of three files, only the one
    the pre-filter lets through is analysed."""
    (tmp_path / "train.py").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "util.py").write_text("import os\n\n\ndef gradient(path):\n    return os.path.getsize(path)\n")
    (tmp_path / "notes.py").write_text("# y.grad is read in train.py\nVALUE = 'grad'\n")
    counting = (
        "import atexit, sys\n"
        "import gradlint.linter as linter\n"
        "calls = []\n"
        "original = linter.lint_program\n"
        "def counted(source, settings=None):\n"
        "    calls.append(source.filename)\n"
        "    return original(source, settings)\n"
        "linter.lint_program = counted\n"
        "atexit.register(lambda: sys.stderr.write('ANALYSED %s\\n' % sorted(calls)))\n"
        "from flake8.main.cli import main\n"
        "sys.argv = ['flake8', '--isolated', '-j1', '--select', 'GL', 'notes.py', 'train.py', 'util.py']\n"
        "main()\n")
    result = subprocess.run([sys.executable, "-c", counting], cwd=tmp_path, capture_output=True, text=True,
                            env=environment(), timeout=120)
    assert "ANALYSED ['train.py']" in result.stderr, result.stderr
    assert result.stdout.splitlines() == [f"train.py:7:15: {GL001}", f"train.py:13:14: {GL002}"]


def test_an_invalid_configuration_is_reported_not_ignored(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradlint]\nselect = ["GL777"]\n')
    (tmp_path / "train.py").write_text(PROGRAM, encoding="utf-8")
    result = flake8("--select", "GL", "train.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "unknown rule code or prefix 'GL777'" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
