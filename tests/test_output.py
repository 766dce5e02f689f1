"""Output formats through the CLI: concise, full, json, json-lines, github, sarif (validated against
the SARIF 2.1.0 schema), junit; --statistics; colour rules; --output-file."""
from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree

import pytest

from cli_helpers import CliRunner, BUG, cli
from gradlint.cli import main

DATA = Path(__file__).parent / "data"
OPTIM = """import torch
w = torch.randn(3, requires_grad=True).exp()
opt = torch.optim.SGD([w], lr=0.1)
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "bug.py").write_text(BUG)
    (tmp_path / "optim.py").write_text(OPTIM)
    return tmp_path


def test_concise(project):
    result = cli("--output-format", "concise", ".", cwd=project)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bug.py:6:9: GL001 [*] ")
    assert lines[1].startswith("optim.py:3:")
    assert " GL004 " in lines[1] and "[*]" not in lines[1]
    assert lines[2] == "Found 2 errors."


def test_full_shows_source_caret_and_fix_diff(project):
    result = cli("--output-format", "full", "bug.py", cwd=project)
    out = result.stdout
    assert "6 | print(y.grad)\n  |         ^^^^ GL001\n" in out
    assert "= help: " in out
    assert "    +y.retain_grad()\n" in out
    assert out.rstrip().endswith("[*] 1 fixable with `--fix`.")


# `ruff check --output-format json-lines --select F401,F821 a.py nb.ipynb syn.py`, ruff 0.17.6: a fixable
# finding, one without a fix, a notebook finding (cell 2: a markdown cell comes first) and a syntax
# error. The reference for the shape of gradlint's JSON (ruff is not a test dependency).
RUFF_0_17_6_JSON_LINES = r"""
{"cell":null,"code":"F401","end_location":{"column":10,"row":1},"filename":"/tmp/rj/a.py","fix":{"applicability":"safe","edits":[{"content":"","end_location":{"column":1,"row":2},"location":{"column":1,"row":1}}],"message":"Remove unused import: `os`"},"location":{"column":8,"row":1},"message":"`os` imported but unused","name":"unused-import","noqa_row":1,"severity":"error","url":"https://docs.astral.sh/ruff/rules/unused-import"}
{"cell":null,"code":"F821","end_location":{"column":16,"row":2},"filename":"/tmp/rj/a.py","fix":null,"location":{"column":7,"row":2},"message":"Undefined name `undefined`","name":"undefined-name","noqa_row":2,"severity":"error","url":"https://docs.astral.sh/ruff/rules/undefined-name"}
{"cell":2,"code":"F401","end_location":{"column":10,"row":1},"filename":"/tmp/rj/nb.ipynb","fix":{"applicability":"safe","edits":[{"content":"","end_location":{"column":1,"row":2},"location":{"column":1,"row":1}}],"message":"Remove unused import: `os`"},"location":{"column":8,"row":1},"message":"`os` imported but unused","name":"unused-import","noqa_row":1,"severity":"error","url":"https://docs.astral.sh/ruff/rules/unused-import"}
{"cell":null,"code":"invalid-syntax","end_location":{"column":8,"row":1},"filename":"/tmp/rj/syn.py","fix":null,"location":{"column":7,"row":1},"message":"Expected a parameter or the end of the parameter list","name":"invalid-syntax","noqa_row":null,"severity":"error","url":null}
"""
RUFF = [json.loads(line) for line in RUFF_0_17_6_JSON_LINES.strip().splitlines()]


def _shape(value):
    """Keys in order and value types, recursively (a list by its first item)."""
    if isinstance(value, dict):
        return [(key, _shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_shape(item) for item in value[:1]]
    return type(value).__name__


def _ruff_shapes(key):
    return {json.dumps(_shape(item[key])) for item in RUFF}


def test_json_has_ruffs_keys_order_and_types(project):
    (project / "broken.py").write_text("def f(:\n    x.grad\n")  # .grad: the pre-filter lets it through
    items = json.loads(cli("--output-format", "json", ".", cwd=project).stdout)
    assert [item["code"] for item in items] == ["GL900", "GL001", "GL004"]
    for item in items:
        assert list(item) == list(RUFF[0]), item  # the same keys, in ruff's order, none missing
        for key in ("cell", "code", "end_location", "filename", "location", "message", "name", "noqa_row",
                    "severity", "url"):
            assert json.dumps(_shape(item[key])) in _ruff_shapes(key), (item["code"], key, item[key])
        assert os.path.isabs(item["filename"])
    gl900, gl001, gl004 = items
    # a fix: ruff's keys in ruff's order, and each edit has ruff's keys plus its own `cell`
    assert list(gl001["fix"]) == list(RUFF[0]["fix"])
    edit = gl001["fix"]["edits"][0]
    assert list(edit) == ["cell"] + list(RUFF[0]["fix"]["edits"][0])
    assert edit["cell"] is None and "y.retain_grad()" in edit["content"]
    assert list(edit["location"]) == list(edit["end_location"]) == ["column", "row"]
    assert gl004["fix"] is None
    # a finding noqa cannot silence has noqa_row null, as ruff's syntax errors
    assert gl900["noqa_row"] is None and gl001["noqa_row"] == 6
    assert (gl900["name"], gl001["name"], gl001["severity"]) == ("syntax-error", "non-leaf-grad", "error")


def test_json_values(project):
    first = json.loads(cli("--output-format", "json", "bug.py", cwd=project).stdout)[0]
    assert first["filename"] == str(project / "bug.py")
    assert first["location"] == {"column": 9, "row": 6} and first["end_location"] == {"column": 13, "row": 6}
    assert first["cell"] is None
    assert first["url"] == "https://github.com/gradlint/gradlint#gl001"
    assert first["fix"]["applicability"] == "safe" and first["fix"]["message"]


def test_json_edit_names_its_own_cell():
    from gradlint.diagnostic import Diagnostic, Edit, Fix, Location
    from gradlint.output import Report, render
    fix = Fix("safe", "Insert `y.retain_grad()` after its assignment",
              (Edit(Location(3, 1), Location(3, 1), "y.retain_grad()\n", cell=2),))
    d = Diagnostic("GL001", "m", "nb.ipynb", Location(3, 7), Location(3, 13), fix=fix, cell=4)
    item, = json.loads(render("json", Report([d])))
    assert item["cell"] == 4 and item["noqa_row"] == 3
    assert item["fix"]["edits"] == [{"cell": 2, "content": "y.retain_grad()\n", "end_location": {"column": 1, "row": 3},
                                     "location": {"column": 1, "row": 3}}]


NOTEBOOK = {"cells": [
    {"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
    {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
     "source": ["import torch\n", "x = torch.tensor(2.0, requires_grad=True)\n", "y = x * 3\n"]},
    {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
     "source": ["z = y * 4\n", "z.backward()\n", "print(y.grad)"]},
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_json_notebook_finding_as_ruff_writes_one(tmp_path):
    # as ruff's: cell counts every cell (markdown too), rows from the top of the cell; the fix edits
    # the cell that binds `y` (cell 2), not the finding's (cell 3)
    (tmp_path / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    item, = json.loads(cli("--no-cache", "--output-format", "json", "nb.ipynb", cwd=tmp_path).stdout)
    assert list(item) == list(RUFF[2])
    assert item["filename"] == str(tmp_path / "nb.ipynb")
    assert (item["code"], item["cell"], item["location"], item["noqa_row"]) == ("GL001", 3, {"column": 9, "row": 3}, 3)
    assert [edit["cell"] for edit in item["fix"]["edits"]] == [2]


def test_json_lines(project):
    result = cli("--output-format", "json-lines", ".", cwd=project)
    items = [json.loads(line) for line in result.stdout.splitlines()]
    assert [item["code"] for item in items] == ["GL001", "GL004"]
    assert items == json.loads(cli("--output-format", "json", ".", cwd=project).stdout)
    # compact, as ruff writes each line
    assert result.stdout.splitlines() == [json.dumps(item, ensure_ascii=False, separators=(",", ":"))
                                          for item in items]


def test_json_of_clean_run_is_an_empty_list(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = cli("--output-format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_github(project):
    result = cli("--output-format", "github", "bug.py", cwd=project)
    line = result.stdout.splitlines()[0]
    assert line.startswith(f"::error title=gradlint (GL001),file={project / 'bug.py'},line=6,col=9,"
                           "endLine=6,endColumn=13::")
    assert line.split("::", 2)[2].startswith("bug.py:6:9: GL001 [*] ")
    assert len(result.stdout.splitlines()) == 1  # no summary in machine formats


def test_github_file_is_absolute_from_a_subdirectory(project):
    # ruff 0.17.6 run in repo/sub on a.py with an F401 prints
    #   ::error title=ruff (F401),file=/.../repo/sub/a.py,line=1,col=8,endLine=1,endColumn=10::a.py:1:8: F401 ...
    # an absolute file= (GitHub resolves it in the workspace), the message's path as given
    (project / "sub").mkdir()
    (project / "sub" / "bug.py").write_text(BUG)
    expected = f"file={project / 'sub' / 'bug.py'},line=6,col=9,"
    for cwd, arg in ((project / "sub", "bug.py"), (project, "sub/bug.py"), (project / "sub", "../sub/bug.py")):
        result = cli("--output-format", "github", arg, cwd=cwd)
        assert expected in result.stdout, (cwd, arg, result.stdout)
        assert result.stdout.split("::", 2)[2].startswith(f"{arg}:6:9: GL001")


def test_github_escapes(tmp_path, monkeypatch):
    from gradlint.diagnostic import Diagnostic, Location
    from gradlint.output import Report, render
    monkeypatch.chdir(tmp_path)
    d = Diagnostic("GL001", "50% done\nnext", "a,b:c.py", Location(1, 1), Location(1, 2))
    out = render("github", Report([d]))
    escaped = str(tmp_path / "a,b:c.py").replace("%", "%25").replace(":", "%3A").replace(",", "%2C")
    assert f"file={escaped}," in out and "50%25 done%0Anext" in out


def _sarif_schema():
    path = DATA / "sarif-schema-2.1.0.json"
    if not path.exists():
        path = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json"
    if not path.exists():
        pytest.skip("the SARIF schema is not available")
    return json.loads(path.read_text(encoding="utf-8"))


def test_sarif_validates_and_carries_rules_and_fixes(project):
    jsonschema = pytest.importorskip("jsonschema")
    (project / "broken.py").write_text("def f(:\n    x.grad\n")  # .grad: the pre-filter lets it through
    result = cli("--output-format", "sarif", ".", cwd=project)
    document = json.loads(result.stdout)
    jsonschema.validate(document, _sarif_schema())
    run = document["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert {"GL001", "GL002", "GL003", "GL004", "GL900"} <= set(rules)
    assert "## What it does" in rules["GL001"]["help"]["markdown"]
    assert rules["GL001"]["helpUri"] == "https://github.com/gradlint/gradlint#gl001"
    results = {r["ruleId"]: r for r in run["results"]}
    gl001 = results["GL001"]
    assert run["tool"]["driver"]["rules"][gl001["ruleIndex"]]["id"] == "GL001"
    region = gl001["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 6, "startColumn": 9, "endLine": 6, "endColumn": 13}
    assert gl001["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (project / "bug.py").as_uri()
    replacement = gl001["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert "y.retain_grad()" in replacement["insertedContent"]["text"]
    assert "fixes" not in results["GL004"]


def test_sarif_of_clean_run_validates(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    (tmp_path / "ok.py").write_text("x = 1\n")
    document = json.loads(cli("--output-format", "sarif", ".", cwd=tmp_path).stdout)
    jsonschema.validate(document, _sarif_schema())
    assert document["runs"][0]["results"] == []


def test_junit(project):
    result = cli("--output-format", "junit", ".", cwd=project)
    root = ElementTree.fromstring(result.stdout.split("\n", 1)[1])
    assert root.tag == "testsuites" and root.get("failures") == "2"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["bug.py", "optim.py"]
    case = suites[0].find("testcase")
    assert case.get("name") == "org.gradlint.GL001" and case.get("line") == "6" and case.get("column") == "9"
    assert case.find("failure").get("message").startswith("`y.grad` is always None")


def test_junit_clean(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    root = ElementTree.fromstring(cli("--output-format", "junit", ".", cwd=tmp_path).stdout.split("\n", 1)[1])
    assert root.get("failures") == "0" and root.find("testsuite/testcase").get("name") == "No errors found"


def test_statistics(project):
    (project / "bug2.py").write_text(BUG)
    result = cli("--statistics", ".", cwd=project)
    lines = result.stdout.splitlines()
    assert lines[0] == "2\tGL001\t[*] non-leaf-grad"
    assert lines[1].startswith("1\tGL004\t[ ] ")
    assert lines[2] == "Found 3 errors."
    stats = json.loads(cli("--statistics", "--output-format", "json", ".", cwd=project).stdout)
    # ruff 0.17.6: {"code", "name", "count", "fixable", "fixable_count"}
    assert stats[0] == {"code": "GL001", "name": "non-leaf-grad", "count": 2, "fixable": True, "fixable_count": 2}
    assert stats[1]["fixable"] is False and stats[1]["fixable_count"] == 0


def test_statistics_as_ruff_prints_them(project):
    # ruff 0.17.6: no [*]/[ ] column when no rule is fixable ("1\tF841\tunused-variable"), and
    # nothing at all (no "All checks passed!") when nothing is found
    result = cli("--statistics", "optim.py", cwd=project)
    assert result.stdout.splitlines()[0] == "1\tGL004\tnon-leaf-optimizer-parameter"
    (project / "ok.py").write_text("x = 1\n")
    result = cli("--statistics", "ok.py", cwd=project)
    assert result.stdout == "" and result.exit_code == 0


def test_no_colour_when_not_a_terminal(project):
    assert "\x1b[" not in cli("bug.py", cwd=project).stdout


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    import sys
    from gradlint import cli as cli_module

    class Tty:
        def isatty(self):
            return True
    monkeypatch.setattr(sys, "stdout", Tty())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli_module.use_color() is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli_module.use_color() is False


def test_colour_codes_in_concise_when_enabled(project, monkeypatch):
    from gradlint import cli as cli_module
    monkeypatch.setattr(cli_module, "use_color", lambda: True)
    result = CliRunner().invoke(main, [str(project / "bug.py")], color=True)
    assert "\x1b[" in result.stdout and "GL001" in result.stdout


def test_output_file(project):
    result = cli("--output-format", "json", "-o", "out.json", "bug.py", cwd=project)
    assert result.stdout == "" and result.exit_code == 1
    assert json.loads((project / "out.json").read_text())[0]["code"] == "GL001"


def test_quiet_drops_the_summary(project):
    result = cli("-q", "bug.py", cwd=project)
    assert len(result.stdout.splitlines()) == 1
