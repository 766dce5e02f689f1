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
