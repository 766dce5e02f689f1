"""Notebooks: code cells linted as one program, cell positions, IPython syntax, --fix write-back with
the layout kept, malformed notebooks. Notebooks are written with nbformat, as Jupyter writes them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_helpers import cli
from gradlint.sources.ipython import neutralise

nbformat = pytest.importorskip("nbformat")
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402


def write_notebook(path: Path, cells) -> bytes:
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                            "display_name": "Python 3"},
                                             "language_info": {"name": "python"}})
    nbformat.write(nb, str(path))
    return path.read_bytes()


CELLS = [
    new_markdown_cell("# Gradients"),
    new_code_cell("%matplotlib inline\nimport torch\n!pip list | head -1"),
    new_code_cell("x = torch.tensor(2.0, requires_grad=True)\ny = x * 3",
                  outputs=[new_output("stream", name="stdout", text="hello\n")], execution_count=2),
    new_markdown_cell("Backward:"),
    new_code_cell("z = y * 4\nz.backward()\nprint(y.grad)\nfiles = !ls\nx?"),
]


def test_cells_are_one_program_and_positions_name_the_cell(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", CELLS)
    result = cli("nb.ipynb", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nb.ipynb:cell 5:3:9: GL001 [*] `y.grad` is always None")
    assert "on line 2 of cell 3" in lines[0]  # where y stopped being a leaf, in cell terms
    assert lines[1] == "Found 1 error."
    assert result.exit_code == 1


def test_state_flows_across_cells(tmp_path):
    cells = [new_code_cell("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2"),
             new_code_cell("y.retain_grad()"),
             new_code_cell("y.sum().backward()\nprint(y.grad)")]
    write_notebook(tmp_path / "nb.ipynb", cells)
    assert cli("nb.ipynb", cwd=tmp_path).stdout == "All checks passed!\n"


def test_json_output_has_cell_and_cell_relative_rows(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", CELLS)
    item = json.loads(cli("--output-format", "json", "nb.ipynb", cwd=tmp_path).stdout)[0]
    assert item["cell"] == 5 and item["location"] == {"row": 3, "column": 9}
    assert item["fix"]["edits"][0]["location"]["row"] == 2  # the edit is in cell 3, after `y = x * 3`


@pytest.mark.parametrize("source", [
    "%matplotlib inline", "!pip install torch", "x = !ls", "x = %pwd", "torch.randn?", "??torch.randn",
    "%%bash\necho hi\nfor x in", "%%time\ny = 1 + 1", "!pip install \\\n    torch", "%time f(1)",
    "for i in range(2):\n    %time f(i)", "/print 1", "pip install torch torchvision", "conda install -y numpy",
    "cd data\nimport os",
])
def test_ipython_syntax_is_neutralised(source):
    assert neutralise(source).text is None or neutralise(source).neutralised  # not plain Python...
    with pytest.raises(SyntaxError):
        compile(source, "<cell>", "exec")
    cell = neutralise(source)  # ...yet IPython runs it: no GL900, same lines
    assert cell.error is None and cell.text is not None
    assert len(cell.text.split("\n")) == len(source.split("\n"))


@pytest.mark.parametrize("source", ["pip = 3\nprint(pip)", "cd(x)", "ls -la", "x = 1 # what?"])
def test_python_that_looks_like_a_magic_stays_python(source):
    cell = neutralise(source)
    assert cell.text == source and not cell.neutralised


def test_continuation_lines_starting_with_percent_stay_code():
    source = "x = (10\n     % 3)\ny = 10 \\\n% 4\n%who"
    cell = neutralise(source)
    assert cell.neutralised == {5}
    assert "% 3)" in cell.text and "% 4" in cell.text


def test_cell_that_never_compiles_is_reported_and_the_rest_linted(tmp_path):
    cells = [new_code_cell("print 'python 2'")] + CELLS[1:]
    write_notebook(tmp_path / "nb.ipynb", cells)
    result = cli("nb.ipynb", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nb.ipynb:cell 1:1:") and "GL900" in lines[0]
    assert lines[1].startswith("nb.ipynb:cell 5:3:9: GL001")


@pytest.mark.parametrize("content, message", [
    (b"{not json", "invalid JSON"),
    (b"[]", "not a JSON object"),
    (b'{"metadata": {}}', "no `cells`"),
    (b'{"cells": [{"source": "x"}]}', "cell 1 has no `cell_type`"),
    (b'{"cells": [{"cell_type": "code", "source": 3}]}', "not a string or list"),
    (b'{"worksheets": [], "nbformat": 3}', "nbformat 3"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_malformed_notebook_is_one_clear_diagnostic(tmp_path, content, message):
    (tmp_path / "bad.ipynb").write_bytes(content)
    result = cli("bad.ipynb", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bad.ipynb:1:1: GL904 ") and message in lines[0]
    assert lines[1] == "Found 1 error." and result.exit_code == 1


def test_non_python_notebook_is_skipped(tmp_path):
    nb = new_notebook(cells=[new_code_cell("x <- c(1, 2")], metadata={"language_info": {"name": "R"}})
    nbformat.write(nb, str(tmp_path / "r.ipynb"))
    assert cli("r.ipynb", cwd=tmp_path).exit_code == 0


def test_fix_writes_back_only_the_edited_code(tmp_path):
    path = tmp_path / "nb.ipynb"
    before = write_notebook(path, CELLS)
    result = cli("--fix", "nb.ipynb", cwd=tmp_path)
    assert result.exit_code == 0 and "1 fixed, 0 remaining" in result.stdout
    after = path.read_bytes()
    nbformat.validate(nbformat.reads(after.decode(), as_version=4))
    old, new = json.loads(before), json.loads(after)
    assert new["cells"][2]["source"] == ["x = torch.tensor(2.0, requires_grad=True)\n", "y = x * 3\n",
                                         "y.retain_grad()"]
    new["cells"][2]["source"] = old["cells"][2]["source"]
    assert new == old  # outputs, metadata, other cells untouched
    # the layout is Jupyter's: the bytes equal nbformat's own serialisation of the fixed notebook
    assert after == (nbformat.writes(nbformat.reads(after.decode(), as_version=4)) + "\n").encode()
    assert cli("nb.ipynb", cwd=tmp_path).stdout == "All checks passed!\n"


def test_fix_keeps_list_sources_and_a_custom_layout(tmp_path):
    document = {"cells": [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": ["import torch\n", "x = torch.tensor(2.0, requires_grad=True)\n", "y = x * 3\n",
                    "z = y * 4\n", "z.backward()\n", "print(y.grad)  # ünïcode"]}],
        "metadata": {}, "nbformat_minor": 5, "nbformat": 4}
    text = json.dumps(document, indent=2, ensure_ascii=True)
    path = tmp_path / "nb.ipynb"
    path.write_text(text)
    assert cli("--fix", "nb.ipynb", cwd=tmp_path).exit_code == 0
    fixed = path.read_text()
    document["cells"][0]["source"].insert(3, "y.retain_grad()\n")
    document["cells"][0]["source"][2] = "y = x * 3\n"
    assert fixed == json.dumps(document, indent=2, ensure_ascii=True)


def test_diff_shows_the_cell(tmp_path):
    path = tmp_path / "nb.ipynb"
    before = write_notebook(path, CELLS)
    result = cli("--diff", "nb.ipynb", cwd=tmp_path)
    assert result.exit_code == 1
    assert "--- nb.ipynb:cell 3" in result.stdout and "+y.retain_grad()" in result.stdout
    assert path.read_bytes() == before


def test_noqa_in_a_cell(tmp_path):
    cells = CELLS[:4] + [new_code_cell("z = y * 4\nz.backward()\nprint(y.grad)  # noqa: GL001")]
    write_notebook(tmp_path / "nb.ipynb", cells)
    assert cli("nb.ipynb", cwd=tmp_path).exit_code == 0


def test_notebook_from_stdin(tmp_path):
    before = write_notebook(tmp_path / "nb.ipynb", CELLS)
    result = cli("--stdin-filename", "nb.ipynb", "-", cwd=tmp_path, input=before)
    assert result.stdout.startswith("nb.ipynb:cell 5:3:9: GL001")
    result = cli("--fix", "--stdin-filename", "nb.ipynb", "-", cwd=tmp_path, input=before)
    assert "y.retain_grad()" in json.loads(result.stdout)["cells"][2]["source"]
