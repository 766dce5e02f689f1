"""The command line, run as users run it: `gradlint [PATHS]...` (click's runner, and a subprocess)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cli_helpers import BUG, cli, write
from gradlint import __version__

CLEAN = """import torch
x = torch.tensor(2.0, requires_grad=True)
(x * 3).backward()
print(x.grad)
"""


def test_clean_file_passes(tmp_path):
    write(tmp_path, "ok.py", CLEAN)
    result = cli("ok.py", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout == "All checks passed!\n"


def test_finding_line_summary_and_exit_1(tmp_path):
    write(tmp_path, "bug.py", BUG)
    result = cli("bug.py", cwd=tmp_path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bug.py:6:9: GL001 [*] `y.grad` is always None")
    assert lines[1] == "Found 1 error."
    assert lines[2] == "[*] 1 fixable with `--fix`."  # ruff 0.17's wording


def test_default_path_is_current_directory_and_output_is_sorted(tmp_path):
    write(tmp_path, "b.py", BUG + BUG.split("\n", 1)[1])
    write(tmp_path, "a/z.py", BUG)
    write(tmp_path, "a/ok.py", CLEAN)
    result = cli(cwd=tmp_path)
    assert result.exit_code == 1
    findings = [line for line in result.stdout.splitlines() if ": GL" in line]
    keys = [line.split(":")[:3] for line in findings]
    assert [k[0] for k in keys] == [os.path.join("a", "z.py"), "b.py", "b.py"]
    assert [int(k[1]) for k in keys[1:]] == sorted(int(k[1]) for k in keys[1:])
    assert result.stdout.splitlines()[-2] == "Found 3 errors."


def test_select_and_ignore_prefixes(tmp_path):
    write(tmp_path, "bug.py", BUG)
    assert cli("--ignore", "GL001", "bug.py", cwd=tmp_path).exit_code == 0
    assert cli("--ignore", "GL0", "bug.py", cwd=tmp_path).exit_code == 0
    assert cli("--select", "GL002,GL003", "bug.py", cwd=tmp_path).exit_code == 0
    assert cli("--select", "GL00", "bug.py", cwd=tmp_path).exit_code == 1
    # the more specific prefix wins, as in ruff
    assert cli("--select", "GL001", "--ignore", "GL0", "bug.py", cwd=tmp_path).exit_code == 1
    assert cli("--select", "ALL", "bug.py", cwd=tmp_path).exit_code == 1


def test_unknown_code_is_a_usage_error(tmp_path):
    result = cli("--select", "E501", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "unknown rule code or prefix 'E501'" in result.stderr


def test_exit_zero(tmp_path):
    write(tmp_path, "bug.py", BUG)
    result = cli("--exit-zero", "bug.py", cwd=tmp_path)
    assert result.exit_code == 0
    assert "GL001" in result.stdout


def test_version_and_help(tmp_path):
    result = cli("--version", cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout.strip() == f"gradlint {__version__}"
    result = cli("--help", cwd=tmp_path)
    assert result.exit_code == 0
    for option in ("--select", "--ignore", "--exit-zero", "--fix", "--diff", "--output-format", "--jobs",
                   "--no-cache", "--stdin-filename", "--explain", "--config"):
        assert option in result.stdout


def test_unknown_option_is_usage_error(tmp_path):
    assert cli("--no-such-option", cwd=tmp_path).exit_code == 2


MISSING = "missing.py:1:1: GL902 cannot read the file: No such file or directory (os error 2)"
NO_FILES = "warning: No Python files found under the given path(s)\n"


def test_nonexistent_path_is_a_finding_as_ruffs_e902_and_exits_2(tmp_path):
    # ruff 0.17.6, `ruff check missing.py`: "missing.py:1:1: E902 No such file or directory (os error
    # 2)" (concise) and "Found 1 error."; never "All checks passed!". gradlint keeps exit status 2.
    result = cli("missing.py", cwd=tmp_path)
    assert result.stdout == MISSING + "\nFound 1 error.\n"
    assert result.stderr == ""
    assert result.exit_code == 2
    assert cli("--exit-zero", "missing.py", cwd=tmp_path).exit_code == 2


def test_nonexistent_path_next_to_others(tmp_path):
    write(tmp_path, "bug.py", BUG)
    write(tmp_path, "ok.py", CLEAN)
    result = cli("missing.py", "bug.py", cwd=tmp_path)
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bug.py:6:9: GL001")  # the other path is still linted
    assert lines[1:3] == [MISSING, "Found 2 errors."]
    result = cli("missing.py", "ok.py", cwd=tmp_path)
    assert "All checks passed!" not in result.stdout and result.exit_code == 2
    assert result.stdout == MISSING + "\nFound 1 error.\n"


def test_nonexistent_path_in_json_and_diff(tmp_path):
    import json
    item, = json.loads(cli("--output-format", "json", "missing.py", cwd=tmp_path).stdout)
    assert (item["code"], item["filename"], item["location"], item["noqa_row"]) == (
        "GL902", str(tmp_path / "missing.py"), {"column": 1, "row": 1}, None)
    result = cli("--diff", "missing.py", cwd=tmp_path)  # --diff prints no findings: said on stderr
    assert result.stdout == ""
    assert result.stderr == "error: Failed to lint missing.py: No such file or directory (os error 2)\n"
    assert result.exit_code == 2


def test_empty_directory_warns_as_ruff_does(tmp_path):
    # ruff 0.17.6, `ruff check empty`: stdout "All checks passed!", stderr the warning, exit 0
    (tmp_path / "empty").mkdir()
    write(tmp_path, "notes/readme.txt", "no python here")
    for path in ("empty", "notes"):
        result = cli(path, cwd=tmp_path)
        assert (result.stdout, result.stderr, result.exit_code) == ("All checks passed!\n", NO_FILES, 0)
    result = cli("--output-format", "json", "empty", cwd=tmp_path)
    assert (result.stdout, result.stderr) == ("[]\n", NO_FILES)
    assert cli("--show-files", "empty", cwd=tmp_path).stderr == NO_FILES
    assert cli("--diff", "empty", cwd=tmp_path).stderr == NO_FILES
    # quiet: no warning (as ruff -q); a missing path: its finding instead (as ruff)
    assert cli("-q", "empty", cwd=tmp_path).stderr == ""
    assert cli("missing.py", "empty", cwd=tmp_path).stderr == ""


def test_everything_excluded_warns_but_a_clean_file_does_not(tmp_path):
    write(tmp_path, "venv/bug.py", BUG)
    result = cli("--force-exclude", "venv/bug.py", cwd=tmp_path)
    assert (result.stdout, result.stderr, result.exit_code) == ("All checks passed!\n", NO_FILES, 0)
    write(tmp_path, "ok.py", CLEAN)
    result = cli(".", cwd=tmp_path)
    assert (result.stdout, result.stderr) == ("All checks passed!\n", "")


def test_file_errors_are_reported_and_the_run_goes_on(tmp_path):
    write(tmp_path, "a_syntax.py", "def f(:\n")
    (tmp_path / "b_latin.py").write_bytes(b"x = '\xe9'\n")
    os.symlink(tmp_path / "nowhere.py", tmp_path / "c_dangling.py")
    write(tmp_path, "d_bug.py", BUG)
    result = cli("a_syntax.py", "b_latin.py", "c_dangling.py", "d_bug.py", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("a_syntax.py:1:7: GL900 SyntaxError")
    assert lines[1].startswith("b_latin.py:1:1: GL901 cannot decode the file")
    assert lines[2].startswith("c_dangling.py:1:1: GL902 cannot read the file")
    assert lines[3].startswith("d_bug.py:6:9: GL001")
    assert lines[4] == "Found 4 errors."
    assert result.exit_code == 1


def test_internal_error_exits_2(tmp_path, monkeypatch):
    import gradlint.linter

    def boom(*_args, **_kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(gradlint.linter, "analyse", boom)
    write(tmp_path, "bug.py", BUG)
    result = cli("bug.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "GL999 internal error: RuntimeError: boom" in result.stdout


def test_crash_outside_a_file_exits_2(tmp_path, monkeypatch):
    import gradlint.cli

    def boom(*_args, **_kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(gradlint.cli, "lint_paths", boom)
    result = cli(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "GL999 internal error" in result.stderr and "Traceback" in result.stderr


@pytest.mark.parametrize("skipped", [".git", "venv", ".venv", "__pycache__", "build", "site-packages",
                                     "dist", "pkg.egg-info", ".tox", "node_modules"])
def test_directory_walk_skips_tool_directories_unless_named(tmp_path, skipped):
    write(tmp_path, f"{skipped}/bug.py", BUG)
    write(tmp_path, "src/ok.py", CLEAN)
    assert cli(".", cwd=tmp_path).stdout == "All checks passed!\n"
    named = cli(skipped, cwd=tmp_path)
    assert named.exit_code == 1 and f"{skipped}{os.sep}bug.py:6:9: GL001" in named.stdout


def test_virtualenv_with_any_name_is_skipped(tmp_path):
    write(tmp_path, "myenv/pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path, "myenv/lib/bug.py", BUG)
    assert cli(".", cwd=tmp_path).exit_code == 0


def test_walk_finds_py_pyi_and_notebooks(tmp_path):
    write(tmp_path, "a.py", CLEAN)
    write(tmp_path, "b.pyi", "x: int\n")
    write(tmp_path, "c.ipynb", '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    write(tmp_path, "d.txt", "not python(")
    result = cli("--show-files", ".", cwd=tmp_path)
    assert result.stdout.split() == ["a.py", "b.pyi", "c.ipynb"]


def test_jobs_and_no_cache_are_accepted_and_passed_on(tmp_path, monkeypatch):
    import gradlint.cli
    seen = {}
    real = gradlint.cli.lint_paths

    def spy(paths, **kwargs):
        seen.update(kwargs)
        return real(paths, **kwargs)
    monkeypatch.setattr(gradlint.cli, "lint_paths", spy)
    write(tmp_path, "bug.py", BUG)
    result = cli("--jobs", "4", "--no-cache", "bug.py", cwd=tmp_path)
    assert result.exit_code == 1
    assert seen["jobs"] == 4 and seen["use_cache"] is False


def test_python_dash_m_and_console_script(tmp_path):
    write(tmp_path, "bug.py", BUG)
    result = subprocess.run([sys.executable, "-m", "gradlint", "bug.py"], cwd=tmp_path, capture_output=True,
                            text=True, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 1
    assert result.stdout.startswith("bug.py:6:9: GL001 [*]")
    assert "\x1b[" not in result.stdout
