"""Output formats through the CLI: concise, full, json, json-lines, github, sarif (validated against
the SARIF 2.1.0 schema), junit; --statistics; colour rules; --output-file."""
from __future__ import annotations

import json
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
    assert out.rstrip().endswith("[*] 1 fixable with the `--fix` option.")


def test_json_follows_ruffs_schema(project):
    result = cli("--output-format", "json", ".", cwd=project)
    assert result.exit_code == 1
    items = json.loads(result.stdout)
    assert [item["code"] for item in items] == ["GL001", "GL004"]
    first = items[0]
    assert set(first) == {"cell", "code", "message", "filename", "location", "end_location", "fix", "url", "noqa_row"}
    assert first["filename"] == str(project / "bug.py")
    assert first["location"] == {"row": 6, "column": 9} and first["end_location"] == {"row": 6, "column": 13}
    assert first["noqa_row"] == 6 and first["cell"] is None
    assert first["url"] == "https://github.com/gradlint/gradlint#gl001"
    fix = first["fix"]
    assert fix["applicability"] == "safe" and fix["message"]
    edit = fix["edits"][0]
    assert set(edit) == {"content", "location", "end_location"} and "y.retain_grad()" in edit["content"]
    assert items[1]["fix"] is None


def test_json_lines(project):
    result = cli("--output-format", "json-lines", ".", cwd=project)
    items = [json.loads(line) for line in result.stdout.splitlines()]
    assert [item["code"] for item in items] == ["GL001", "GL004"]
    assert items == json.loads(cli("--output-format", "json", ".", cwd=project).stdout)


def test_json_of_clean_run_is_an_empty_list(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = cli("--output-format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_github(project):
    result = cli("--output-format", "github", "bug.py", cwd=project)
    line = result.stdout.splitlines()[0]
    assert line.startswith("::error title=gradlint (GL001),file=bug.py,line=6,col=9,endLine=6,endColumn=13::")
    assert line.split("::", 2)[2].startswith("bug.py:6:9: GL001 [*] ")
    assert len(result.stdout.splitlines()) == 1  # no summary in machine formats


def test_github_escapes():
    from gradlint.diagnostic import Diagnostic, Location
    from gradlint.output import Report, render
    d = Diagnostic("GL001", "50% done\nnext", "a,b:c.py", Location(1, 1), Location(1, 2))
    out = render("github", Report([d]))
    assert "file=a%2Cb%3Ac.py" in out and "50%25 done%0Anext" in out


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
    assert stats[0] == {"code": "GL001", "name": "non-leaf-grad", "count": 2, "fixable": True}


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
