"""Suppressions: `# noqa: GL001`, bare `# noqa`, file-level `# gradlint: noqa`, in lint and fix mode."""
from __future__ import annotations

import pytest

from cli_helpers import BUG, cli
from gradlint.noqa import parse


def lint(tmp_path, text, *args):
    (tmp_path / "a.py").write_text(text)
    return cli(*args, "a.py", cwd=tmp_path)


@pytest.mark.parametrize("comment", ["# noqa: GL001", "# noqa:GL001", "#noqa: GL003, GL001", "# NOQA: gl001",
                                     "# noqa", "# noqa: GL001 -- y is logged elsewhere", "# type: ignore # noqa"])
def test_line_suppressions(tmp_path, comment):
    result = lint(tmp_path, BUG.replace("print(y.grad)", f"print(y.grad)  {comment}"))
    assert result.exit_code == 0 and result.stdout == "All checks passed!\n"


@pytest.mark.parametrize("comment", ["# noqa: GL003", "# noqa: E501", "# no qa", "# noqa-ish: GL001"])
def test_other_codes_do_not_suppress(tmp_path, comment):
    result = lint(tmp_path, BUG.replace("print(y.grad)", f"print(y.grad)  {comment}"))
    assert result.exit_code == 1, comment


def test_noqa_inside_a_string_does_not_count(tmp_path):
    result = lint(tmp_path, BUG.replace("print(y.grad)", 'print(y.grad, "# noqa")'))
    assert result.exit_code == 1


def test_noqa_on_another_line_does_not_count(tmp_path):
    result = lint(tmp_path, BUG.replace("y = x * 3", "y = x * 3  # noqa"))
    assert result.exit_code == 1


def test_multiline_statement_suppressed_on_the_reported_line(tmp_path):
    text = BUG.replace("print(y.grad)", "print(\n    y.grad,  # noqa: GL001\n    'end',\n)")
    assert lint(tmp_path, text).exit_code == 0
    text = BUG.replace("print(y.grad)", "print(\n    y.grad,\n    'end',\n)  # noqa: GL001")
    assert lint(tmp_path, text).exit_code == 1  # as in ruff: the line the finding points at


@pytest.mark.parametrize("header", ["# gradlint: noqa\n", "#gradlint:noqa\n", "# gradlint: noqa: GL001\n"])
def test_file_level(tmp_path, header):
    result = lint(tmp_path, header + BUG)
    assert result.exit_code == 0 and result.stdout == "All checks passed!\n"


def test_file_level_with_other_codes_keeps_the_rest(tmp_path):
    assert lint(tmp_path, "# gradlint: noqa: GL003\n" + BUG).exit_code == 1


def test_file_level_must_be_its_own_comment_line(tmp_path):
    assert lint(tmp_path, "x = 1  # gradlint: noqa\n" + BUG).exit_code == 1


def test_syntax_errors_cannot_be_suppressed_by_a_line_noqa(tmp_path):
    assert "GL900" in lint(tmp_path, "def f(:  # noqa\n").stdout
    # a skipped file is not even parsed
    assert lint(tmp_path, "# gradlint: noqa\ndef f(:\n").exit_code == 0


def test_suppressed_findings_are_not_fixed(tmp_path):
    text = BUG.replace("print(y.grad)", "print(y.grad)  # noqa: GL001")
    result = lint(tmp_path, text, "--fix")
    assert result.exit_code == 0
    assert (tmp_path / "a.py").read_text() == text
    text = "# gradlint: noqa\n" + BUG
    lint(tmp_path, text, "--fix")
    assert (tmp_path / "a.py").read_text() == text


def test_parse_collects_lines_and_codes():
    found = parse("a = 1  # noqa: GL001,GL002\nb = 2  # noqa\n# gradlint: noqa: GL004\n")
    assert found.lines == {1: {"GL001", "GL002"}, 2: {"*"}}
    assert found.file_codes == {"GL004"}
    assert found.suppresses("GL001", 1) and not found.suppresses("GL003", 1)
    assert found.suppresses("GL003", 2) and found.suppresses("GL004", 9) and not found.suppresses("GL900", 2)


def test_parse_survives_untokenizable_text():
    found = parse('x = """unterminated  # noqa\n')
    assert isinstance(found.lines, dict)
