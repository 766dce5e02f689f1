"""Every position any output format prints for a notebook resolves to the right cell, on the first
run and on cached runs alike (issue: the cache used to drop the cell)."""
from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest

from cli_helpers import cli

nbformat = pytest.importorskip("nbformat")
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

FORMATS = ("concise", "full", "json", "json-lines", "github", "sarif", "junit")
CELLS = [
    new_markdown_cell("# Gradients"),
    new_code_cell("import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)"),
    new_code_cell("# é and 漢 before the binding\ny = x * 3"),
    new_markdown_cell("Backward:"),
    new_code_cell("z = (y * 4).sum()\nz.backward()\nprint('é', y.grad)"),
]


def write_notebook(path, cells):
    nbformat.write(new_notebook(cells=cells, metadata={"language_info": {"name": "python"}}), str(path))


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    write_notebook(tmp_path / "nb.ipynb", CELLS)
    return tmp_path


def outputs(project):
    return {fmt: cli("--output-format", fmt, "nb.ipynb", cwd=project).stdout for fmt in FORMATS}


@pytest.mark.parametrize("trust_status", [False, True], ids=["racy-rehashed", "stat-index"])
def test_a_cached_run_prints_exactly_the_first_runs_output_in_every_format(project, monkeypatch, trust_status):
    from gradlint import runner
    if trust_status:
        monkeypatch.setattr(runner, "RACY_NS", 0)
    first = outputs(project)
    assert (project / ".gradlint_cache").is_dir()
    second = outputs(project)
    assert second == first
    assert first["concise"].startswith("nb.ipynb:cell 5:3:14: GL001 [*]")


def cell_text(cell: int) -> str:
    return CELLS[cell - 1]["source"]


def at(text: str, line: int, column: int) -> str:
    return text.splitlines()[line - 1][column - 1:]


def test_json_positions_and_every_edit_name_their_own_cell(project):
    cli("nb.ipynb", cwd=project)  # fill the cache: the positions below come from it
    [item] = json.loads(cli("--output-format", "json", "nb.ipynb", cwd=project).stdout)
    assert item["cell"] == 5
    assert at(cell_text(5), item["location"]["row"], item["location"]["column"]).startswith("grad")
    [edit] = item["fix"]["edits"]
    assert edit["cell"] == 3  # the binding's cell, not the reading cell
    lines = cell_text(3).splitlines(True)
    row, column = edit["location"]["row"], edit["location"]["column"]
    offset = sum(len(line) for line in lines[: row - 1]) + column - 1
    fixed = cell_text(3)[:offset] + edit["content"] + cell_text(3)[offset:]
    assert "y = x * 3\ny.retain_grad()" in fixed


def test_sarif_regions_resolve_in_the_notebook_file(project):
    cli("nb.ipynb", cwd=project)
    document = json.loads(cli("--output-format", "sarif", "nb.ipynb", cwd=project).stdout)
    [result] = document["runs"][0]["results"]
    file_lines = (project / "nb.ipynb").read_text(encoding="utf-8").splitlines()
    region = result["locations"][0]["physicalLocation"]["region"]
    assert file_lines[region["startLine"] - 1][region["startColumn"] - 1:].startswith("grad)")
    assert region["endLine"] == region["startLine"] and region["endColumn"] - region["startColumn"] == 4
    related = result["relatedLocations"][0]["physicalLocation"]["region"]
    assert file_lines[related["startLine"] - 1][related["startColumn"] - 1:].startswith("x * 3")
    assert result["message"]["text"].startswith("cell 5:3:14: ")
    assert result["properties"]["cell"] == 5
    assert result["locations"][0]["logicalLocations"][0]["name"] == "cell 5"
    assert [edit["cell"] for edit in result["properties"]["cellEdits"]] == [3]
    assert "fixes" not in result  # a cell edit is not a replacement in the JSON text


def test_full_names_the_origins_cell_and_shows_the_fix(project):
    cli("nb.ipynb", cwd=project)
    out = cli("--output-format", "full", "nb.ipynb", cwd=project).stdout
    assert "3 | print('é', y.grad)" in out
    assert "(line 2 of cell 3)" in out  # where y stopped being a leaf
    assert "cell 3:" in out and "+y.retain_grad()" in out


def test_github_junit_name_the_cell(project):
    cli("nb.ipynb", cwd=project)
    github = cli("--output-format", "github", "nb.ipynb", cwd=project).stdout
    assert "in cell 5" in github and "nb.ipynb:cell 5:3:14:" in github
    junit = ElementTree.fromstring(cli("--output-format", "junit", "nb.ipynb", cwd=project).stdout)
    [failure] = junit.iter("failure")
    assert failure.text.startswith("cell 5, line 3, col 14")


def test_an_indented_cell_is_linted_as_ipython_runs_it(tmp_path):
    """IPython strips a cell's common indentation; the reads in it are found, at their real columns."""
    cells = [new_code_cell("    import torch\n    x = torch.ones(2, requires_grad=True)\n    y = x * 2\n"
                           "    y.sum().backward()\n    print(y.grad)")]
    write_notebook(tmp_path / "nb.ipynb", cells)
    out = cli("--no-cache", "nb.ipynb", cwd=tmp_path).stdout
    assert out.startswith("nb.ipynb:cell 1:5:13: GL001 `y.grad` is always None")
    assert "GL900" not in out
    assert "[*]" not in out  # no fix inside a cell whose indentation IPython strips


def test_automagic_lines_are_skipped_like_magics(tmp_path):
    cells = [new_code_cell("pip install torch\nimport torch"),
             new_code_cell("x = torch.ones(2, requires_grad=True)\ny = x * 2\ny.sum().backward()\nprint(y.grad)")]
    write_notebook(tmp_path / "nb.ipynb", cells)
    out = cli("--no-cache", "nb.ipynb", cwd=tmp_path).stdout
    assert out.splitlines()[0].startswith("nb.ipynb:cell 2:4:9: GL001 [*]")
    assert "GL900" not in out


def test_a_fixed_notebook_runs_its_edits_in_the_binding_cell(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", CELLS)
    result = cli("--fix", "nb.ipynb", cwd=tmp_path)
    assert "1 fixed" in result.stdout
    cells = json.loads((tmp_path / "nb.ipynb").read_text(encoding="utf-8"))["cells"]
    assert "".join(cells[2]["source"]).endswith("y = x * 3\ny.retain_grad()")
    assert "".join(cells[4]["source"]) == cell_text(5)
    assert re.fullmatch(r"All checks passed!\n", cli("nb.ipynb", cwd=tmp_path).stdout)


def test_a_fix_keeps_the_unchanged_elements_of_a_cells_source_list(tmp_path):
    """Writers other than Jupyter split `source` their own way: only the edited part is re-split."""
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": ["import torch\nx = torch.ones(2, requires_grad=True)\n", "y = x * 3\n",
                                      "y.sum().backward()\nprint(y.grad)\n"]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook, indent=1) + "\n")
    cli("--fix", "nb.ipynb", cwd=tmp_path)
    source = json.loads((tmp_path / "nb.ipynb").read_text())["cells"][0]["source"]
    assert source == ["import torch\nx = torch.ones(2, requires_grad=True)\n", "y = x * 3\n", "y.retain_grad()\n",
                      "y.sum().backward()\nprint(y.grad)\n"]
