"""`gradlint --explain GL001` / `--explain all`, and the README sections rule URLs point at."""
from __future__ import annotations

import json
import re
from pathlib import Path


from cli_helpers import CliRunner
from gradlint.cli import main
from gradlint.rules import RULES

SECTIONS = ("## What it does", "## Why is this bad", "## Example", "## Use instead", "## Fix safety")


def test_explain_one_rule():
    result = CliRunner().invoke(main, ["--explain", "GL001"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# non-leaf-grad (GL001)\n")
    for section in SECTIONS:
        assert section in result.stdout
    assert "https://github.com/gradlint/gradlint#gl001" in result.stdout


def test_explain_by_name_and_lower_case():
    assert CliRunner().invoke(main, ["--explain", "gl001"]).stdout == CliRunner().invoke(
        main, ["--explain", "non-leaf-grad"]).stdout


def test_explain_all():
    result = CliRunner().invoke(main, ["--explain", "all"])
    assert result.exit_code == 0
    for rule in RULES:
        assert f"# {rule.name} ({rule.code})" in result.stdout


def test_explain_json():
    result = CliRunner().invoke(main, ["--explain", "GL002", "--output-format", "json"])
    item = json.loads(result.stdout)
    assert item["code"] == "GL002" and "## What it does" in item["explanation"]


def test_explain_unknown_rule():
    result = CliRunner().invoke(main, ["--explain", "GL777"])
    assert result.exit_code == 2 and "unknown rule" in result.stderr


def test_readme_has_the_section_each_rule_url_points_at():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    text = readme.read_text(encoding="utf-8")

    def anchors():  # GitHub's anchors for headings, plus explicit ones
        found = set(re.findall(r'<a (?:id|name)="([^"]+)"', text))
        for heading in re.findall(r"^#+ (.+)$", text, flags=re.M):
            found.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
        return found
    for rule in RULES:
        assert rule.code.lower() in anchors(), rule.code
    assert "file-errors" in anchors()


# -- the GL9xx file errors (gradlint.errors.FILE_ERRORS) -------------------------------------------

FILE_ERROR_CODES = ("GL900", "GL901", "GL902", "GL903", "GL904", "GL999")
FILE_ERROR_SECTIONS = ("## What it is", "## Why it matters", "## What to do")


def test_explain_each_file_error():
    for code in FILE_ERROR_CODES:
        result = CliRunner().invoke(main, ["--explain", code])
        assert result.exit_code == 0, (code, result.stderr)
        assert re.match(rf"# [a-z-]+ \({code}\)\n\n", result.stdout), result.stdout[:60]
        for section in FILE_ERROR_SECTIONS:
            assert section in result.stdout, (code, section)
        assert "Fix is not available." in result.stdout
        assert "https://github.com/gradlint/gradlint#file-errors" in result.stdout


def test_explain_file_error_by_name():
    result = CliRunner().invoke(main, ["--explain", "syntax-error"])
    assert result.exit_code == 0 and result.stdout.startswith("# syntax-error (GL900)\n")


def test_explain_all_includes_file_errors_after_the_rules():
    out = CliRunner().invoke(main, ["--explain", "all"]).stdout
    headings = re.findall(r"^# \S+ \((GL\d+)\)$", out, flags=re.M)
    assert headings == [rule.code for rule in RULES] + list(FILE_ERROR_CODES)


def test_explain_json_includes_file_errors():
    items = json.loads(CliRunner().invoke(main, ["--explain", "all", "--output-format", "json"]).stdout)
    assert [item["code"] for item in items] == [rule.code for rule in RULES] + list(FILE_ERROR_CODES)
    gl900 = json.loads(CliRunner().invoke(main, ["--explain", "GL900", "--output-format", "json"]).stdout)
    assert set(gl900) == {"code", "name", "summary", "fix", "explanation", "url"}
    assert (gl900["code"], gl900["name"], gl900["fix"]) == ("GL900", "syntax-error", "Fix is not available.")
    assert "## What to do" in gl900["explanation"]


def test_file_error_names_agree_with_the_output_formats():
    from gradlint.errors import FILE_ERROR_NAMES
    from gradlint.output import rule_name
    assert {code: rule_name(code) for code in FILE_ERROR_CODES} == FILE_ERROR_NAMES


# -- "Fix is ... available." comes from the rule, not from a list of codes --------------------------

def test_fix_availability_is_derived_from_the_rules_examples():
    # GL004 fixes a scaled initialisation; the old hard-coded "not available" for GL004 was wrong
    for rule in RULES:
        result = CliRunner().invoke(main, ["--explain", rule.code])
        assert "\n\nFix is sometimes available.\n\n" in result.stdout, rule.code


def test_a_rule_whose_examples_have_no_fix_says_so():
    from gradlint.cli import fix_availability
    from gradlint.rules import RULES_BY_CODE

    class NoFixExamples:  # a GL004 finding gradlint has no fix for (`.exp()` is no scaling)
        code = "GL004"
        invalid = ["import torch\nw = torch.randn(3, requires_grad=True).exp()\n"
                   "opt = torch.optim.SGD([w], lr=0.1)  # error\n"]
    from gradlint.linter import lint_source
    assert [d.code for d in lint_source(NoFixExamples.invalid[0])] == ["GL004"]
    assert fix_availability(NoFixExamples) == "Fix is not available."
    assert fix_availability(RULES_BY_CODE["GL004"]) == "Fix is sometimes available."
