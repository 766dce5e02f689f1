"""The IPython extension (`%load_ext gradlint`) in a real Jupyter kernel, driven by nbclient as
Jupyter drives it, and in plain terminal IPython: findings for a cell are printed before the cell
runs (before its own output), with the cells executed so far — in execution order — as context;
`%gradlint fix --apply` offers a cell that, run, fills the grad. One kernel per notebook: starting
one (and importing torch in it) is the slow part."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from gradlint.jupyter import Checker, Extension

SRC = str(Path(__file__).resolve().parents[1] / "src")

#: The original report, spread over cells as it was met in a notebook.
REPORT = [
    "%load_ext gradlint",                                    # In[1]
    "import torch",                                          # In[2]
    "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)",  # In[3]: a leaf
    "y = x * 3",                                             # In[4]: not a leaf
    "y.sum().backward()",                                    # In[5]
    "print('reading')\nprint(y.grad)",                       # In[6]: always None
    "%gradlint",                                             # In[7]: the whole history
    "%gradlint fix",                                         # In[8]
    "%gradlint fix --apply",                                 # In[9]
]
READ = 5  # the index of the cell that reads y.grad


# -- the extension's logic, without IPython -----------------------------------------------------

HISTORY = ["", "%load_ext gradlint", "import torch\nx = torch.ones(3, requires_grad=True)", "y = x * 3",
           "y.sum().backward()"]


def test_history_is_read_in_execution_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    checker = Checker()
    found = checker.check_cell(HISTORY, "print(y.grad)")
    assert [(d.code, d.cell, d.start.line) for d in found] == [("GL001", 5, 1)]
    assert "(`x * 3` in In[3] line 1 computed it)" in found[0].message
    # The retain_grad() cell executed before the backward one, wherever it sits in the notebook.
    assert checker.check_cell(HISTORY[:4] + ["y.retain_grad()", HISTORY[4]], "print(y.grad)") == []
    # A later cell that rebinds y replaces the old binding.
    rebound = HISTORY + ["y = torch.ones(2, requires_grad=True)\ny.sum().backward()"]
    assert checker.check_cell(rebound, "print(y.grad)") == []


def test_a_finding_the_cell_causes_in_an_earlier_cell_is_shown(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    history = ["", "import torch\nx = torch.ones(3, requires_grad=True)",
               "def show(t):\n    t.sum().backward()\n    print(t.grad)"]
    for warm in (False, True):  # with the previous cell's lint as the baseline, and without one
        checker = Checker()
        if warm:
            assert checker.check_cell(history[:2], history[2]) == []
        found = checker.check_cell(history, "show(x * 2)")
        assert [(d.code, d.cell, d.start.line) for d in found] == [("GL001", 2, 3)], warm
        assert "(`x * 2` in In[3] line 1 computed it)" in found[0].message
    # What the history already had is not repeated for every later cell.
    checker = Checker()
    checker.check_cell(history, "show(x * 2)")
    assert checker.check_cell(history + ["show(x * 2)"], "print(1)") == []


def test_cells_without_python_are_not_linted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    checker = Checker()
    for cell in ("%gradlint", "!ls\n%time 1", "%%bash\necho 'print(y.grad)'",
                 "%%writefile f.py\nprint(y.grad)", "print(y.grad", "# print(y.grad)"):
        assert checker.check_cell(HISTORY, cell) == [], cell
    # A %%time cell keeps its Python body, as in notebooks.
    assert [d.code for d in checker.check_cell(HISTORY, "%%time\nprint(y.grad)")] == ["GL001"]


def test_the_working_directorys_project_selects_the_rules(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.gradlint]\nignore = [\"GL001\"]\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    checker = Checker()
    assert checker.check_cell(HISTORY, "print(y.grad)") == []
    (tmp_path / "pyproject.toml").write_text("[tool.gradlint]\nignore = []\n")
    os.utime(tmp_path / "pyproject.toml", (1, 1))  # a change the checker notices (mtime differs)
    assert [d.code for d in checker.check_cell(HISTORY, "print(y.grad)")] == ["GL001"]


class FakeShell:
    def __init__(self, inputs):
        self.user_ns = {"In": inputs}
        self.next_input = None

    def set_next_input(self, text, replace=False):
        self.next_input = text


def test_an_internal_error_is_one_quiet_line_and_the_cell_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    extension = Extension(FakeShell(HISTORY))

    def broken(inputs, cell):
        raise RuntimeError("boom")
    monkeypatch.setattr(extension.checker, "check_cell", broken)
    extension.pre_run_cell(type("Info", (), {"raw_cell": "print(y.grad)"})())  # does not raise
    assert capsys.readouterr().out == "gradlint: internal error, this cell was not checked (RuntimeError: boom)\n"


def test_fix_targets_a_cell_by_number(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shell = FakeShell(HISTORY + ["print(y.grad)", "z = x * 2\nz.sum().backward()\nprint(z.grad)"])
    extension = Extension(shell)
    extension.magic("fix --apply In[5]")
    assert shell.next_input == "y = x * 3\ny.retain_grad()\n\ny.sum().backward()\n\nprint(y.grad)\n"
    extension.magic("fix --apply")  # the last cell with a fixable finding: one cell to run again
    assert shell.next_input == "z = x * 2\nz.retain_grad()\nz.sum().backward()\nprint(z.grad)\n"
    capsys.readouterr()
    extension.magic("fix 2")
    extension.magic("bogus")
    assert capsys.readouterr().out == "gradlint: nothing to fix in In[2]\n" \
                                      "gradlint: usage: %gradlint [on|off|fix [--apply] [N]]\n"


# -- a real kernel, driven as Jupyter drives it ---------------------------------------------------

class Kernel:
    """One notebook executed cell by cell in a real kernel; `execute(i)` runs cell i (any order),
    `run(text)` appends a cell and runs it; replies are kept for their payloads."""

    def __init__(self, client, notebook):
        self.client, self.notebook = client, notebook
        self.replies: Dict[int, Dict[str, Any]] = {}
        client.on_cell_executed = self._executed

    def _executed(self, cell, cell_index, execute_reply):
        self.replies[cell_index] = execute_reply

    def execute(self, index: int):
        return self.client.execute_cell(self.notebook.cells[index], index)

    def run(self, text: str):
        from nbformat.v4 import new_code_cell
        self.notebook.cells.append(new_code_cell(text))
        return self.execute(len(self.notebook.cells) - 1)


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """The kernel imports this working tree's gradlint and keeps its IPython state in a temporary
    directory (no history database or profile of the user's is touched)."""
    pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    pytest.importorskip("nbclient")
    ipython_dir = tmp_path_factory.mktemp("ipython")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
        patch.setenv("IPYTHONDIR", str(ipython_dir))
        patch.setenv("PYTHONWARNINGS", "default")
        yield tmp_path_factory.mktemp("work")


def run_notebook(cwd: Path, cells: List[str], order=None) -> Kernel:
    import nbclient
    from nbformat.v4 import new_code_cell, new_notebook
    notebook = new_notebook(cells=[new_code_cell(text) for text in cells],
                            metadata={"kernelspec": {"name": "python3", "language": "python",
                                                     "display_name": "Python 3"}})
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120, allow_errors=True,
                                     resources={"metadata": {"path": str(cwd)}})
    kernel = Kernel(client, notebook)
    with client.setup_kernel():
        for index in (order if order is not None else range(len(cells))):
            kernel.execute(index)
        payload = [item for item in kernel.replies.get(len(cells) - 1, {}).get("content", {}).get("payload", [])
                   if item.get("source") == "set_next_input"]
        if payload:
            kernel.run(payload[0]["text"])
    return kernel


def streams(cell) -> List[tuple]:
    return [(output["name"], output["text"]) for output in cell.outputs if output["output_type"] == "stream"]


def stdout(cell) -> str:
    return "".join(text for name, text in streams(cell) if name == "stdout")


def gradlint_lines(cell) -> List[str]:
    return [line for line in stdout(cell).splitlines() if line.startswith("gradlint:")]


@pytest.fixture(scope="module")
def report(kernel_env) -> Kernel:
    return run_notebook(kernel_env, REPORT)


def test_the_finding_is_printed_before_the_cell_runs(report):
    cell = report.notebook.cells[READ]
    lines = gradlint_lines(cell)
    assert len(lines) == 1
    assert lines[0].startswith("gradlint: line 2: GL001 [*] `y.grad` is always None: y is not a leaf "
                               "(`x * 3` in In[4] line 1 computed it)")
    text = stdout(cell)
    assert text.index("gradlint: line 2: GL001") < text.index("\nreading\n") < text.index("\nNone\n")
    # The whole gradlint line comes before anything the cell wrote, on any stream (torch's own
    # UserWarning on stderr included).
    outputs = streams(cell)
    assert outputs[0][0] == "stdout" and outputs[0][1].startswith("gradlint: line 2: GL001")
    assert any(name == "stderr" and "not a leaf" in text for name, text in outputs)  # torch, after the fact


def test_only_the_reading_cell_gets_a_line(report):
    for index, cell in enumerate(report.notebook.cells[:READ]):
        assert gradlint_lines(cell) == [], index


def test_the_whole_history_on_demand(report):
    lines = gradlint_lines(report.notebook.cells[6])
    assert len(lines) == 1 and lines[0].startswith("gradlint: In[6] line 2: GL001 [*]")


def test_fix_shows_the_cells_to_run_again(report):
    text = stdout(report.notebook.cells[7])
    assert text.startswith("gradlint: 1 finding in In[6] fixed by editing In[4]; the fixed cell runs In[4] to "
                           "In[6] again")
    assert "y = x * 3\ny.retain_grad()\n\ny.sum().backward()\n\nprint('reading')\nprint(y.grad)\n" in text


def test_fix_apply_offers_a_cell_that_fills_the_grad(report):
    offered = report.notebook.cells[len(REPORT)]  # the next input, run as a cell
    assert "y.retain_grad()" in offered.source and "print(y.grad)" in offered.source
    assert gradlint_lines(offered) == []  # the fixed cell is clean
    assert stdout(offered) == "reading\ntensor([1., 1., 1.])\n"
    assert gradlint_lines(report.notebook.cells[8])[0].endswith("it is the next input: run it to apply the fix")


def test_a_correct_notebook_gets_no_gradlint_output(kernel_env):
    cells = [
        "%load_ext gradlint",
        "import torch\nx = torch.ones(3, requires_grad=True)",
        "y = x * 3",
        "y.sum().backward()\nprint(y.grad)",  # run after the next cell: execution order counts
        "y.retain_grad()",
        "!echo shell\nz = x * 2\n%time w = z * 2",
        "%%writefile notes.py\nprint(z.grad)",  # not Python to IPython: skipped (z is not a leaf)
        "%%capture\nprint(x.grad)",  # Python under a cell magic: linted, and x is a leaf
        "def broken(:",  # does not compile: IPython says so, gradlint does not
        "y = torch.ones(2, requires_grad=True)\n(y * 2).sum().backward()",  # y rebound: a leaf now
        "print(y.grad)",
        "%gradlint",
    ]
    kernel = run_notebook(kernel_env, cells, order=[0, 1, 2, 4, 3, *range(5, len(cells))])
    outputs = {index: gradlint_lines(cell) for index, cell in enumerate(kernel.notebook.cells)}
    last = len(cells) - 1
    assert outputs == {**{index: [] for index in range(last)}, last: ["gradlint: all checks passed"]}
    assert "tensor([1., 1., 1.])" in stdout(kernel.notebook.cells[3])
    assert "tensor([2., 2.])" in stdout(kernel.notebook.cells[last - 1])
    assert (kernel_env / "notes.py").read_text() == "print(z.grad)\n"


def readme_example() -> str:
    """The gradlint line of the README's example (Notebooks, "In the kernel")."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("#### In the kernel: `%load_ext gradlint`"):]
    block = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    return next(line for line in block.splitlines() if line.startswith("gradlint:"))


def test_plain_ipython_in_a_terminal(tmp_path):
    """Terminal IPython reading the session from standard input, as a user types it; the README's
    example line is what it prints."""
    pytest.importorskip("IPython")
    lines = ["import torch", "%load_ext gradlint", "x = torch.ones(3, requires_grad=True)", "y = x * 3",
             "y.sum().backward()", "print(y.grad)", "%gradlint off", "print(y.grad)", "%gradlint on",
             "print(y.grad)", "exit"]
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
               IPYTHONDIR=str(tmp_path / "ipython"))
    result = subprocess.run([sys.executable, "-m", "IPython", "--simple-prompt", "--no-banner", "--colors=nocolor",
                             "--HistoryManager.hist_file=:memory:"],
                            input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=120)
    found = [line[line.index("gradlint: "):] for line in result.stdout.splitlines() if "gradlint: " in line]
    example = readme_example()
    # In[6] and In[10]; not In[8], run while it was off.
    assert found == [example, "gradlint: off", "gradlint: checking each cell before it runs", example], \
        result.stdout + result.stderr
