"""The summary lines after the findings, in ruff's current wording. Every expected line below was
printed by `ruff check` 0.17.6 for the same situation (F401 a safe fix, F841 an unsafe one, F821 none):

    Found 2 errors.
    [*] 1 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`).
    Found 1 error.
    1 unsafe fix available with `--fix --unsafe-fixes`.
    Found 2 errors (1 fixed, 1 remaining).
    Would fix 1 error (1 additional fix available with `--unsafe-fixes`).
    No errors would be fixed (1 fix available with `--unsafe-fixes`).
    All checks passed!

and with `--no-unsafe-fixes` no hint at unsafe fixes; `--diff` with nothing to fix prints nothing.
gradlint prints the `--diff` summary on standard error (ruff: standard output) so that standard
output stays a patch. The situations are faked at the CLI's seams (`lint_paths`, `fix_files`), the
real fixes are in tests/test_fix_apply.py."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

import gradlint.cli
from cli_helpers import BUG, cli, write
from gradlint.diagnostic import Diagnostic, Edit, Fix, Location


def _finding(code, line, applicability=None):
    fix = None
    if applicability:
        fix = Fix(applicability, "fix it", (Edit(Location(line, 1), Location(line, 1), "# fixed\n"),))
    return Diagnostic(code, f"{code} message", "a.py", Location(line, 1), Location(line, 2), fix=fix)


SAFE, UNSAFE, NONE = _finding("GL001", 2, "safe"), _finding("GL003", 3, "unsafe"), _finding("GL004", 4)


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """`fake(*diagnostics)`: what linting a.py finds; fixing removes what may be fixed."""
    write(tmp_path, "a.py", "a = 1\nb = 2\nc = 3\nd = 4\n")

    def install(*found):
        monkeypatch.setattr(gradlint.cli, "lint_paths", lambda paths, **_kwargs: list(found))

        def fix_file(path, _settings, unsafe, write=True):
            fixed = [d for d in found if d.fix and (d.fix.applicability == "safe" or unsafe)]
            return SimpleNamespace(error=None, diagnostics=[d for d in found if d not in fixed],
                                   fixed_count=len(fixed), diff=b"--- a.py\n+++ a.py\n" if fixed else b"",
                                   fixed=None)
        monkeypatch.setattr(gradlint.cli, "fix_files", lambda files, _settings_for, unsafe_for, write=True, jobs=None, use_cache=False:
                            [fix_file(path, None, unsafe_for(path), write) for path in files])
    return install


def _tail(result, count):
    return result.stdout.splitlines()[-count:]


def test_fixable_and_unsafe(fake, tmp_path):
    fake(SAFE, UNSAFE, NONE)
    assert _tail(cli("a.py", cwd=tmp_path), 2) == [
        "Found 3 errors.", "[*] 1 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`)."]
    assert _tail(cli("--unsafe-fixes", "a.py", cwd=tmp_path), 2) == ["Found 3 errors.", "[*] 2 fixable with `--fix`."]
    # unsafe fixes turned off explicitly: no hint, as ruff
    result = cli("--no-unsafe-fixes", "a.py", cwd=tmp_path)
    assert _tail(result, 2) == ["Found 3 errors.", "[*] 1 fixable with `--fix`."]


def test_only_unsafe(fake, tmp_path):
    fake(UNSAFE, _finding("GL003", 5, "unsafe"))
    assert _tail(cli("a.py", cwd=tmp_path), 2) == [
        "Found 2 errors.", "2 unsafe fixes available with `--fix --unsafe-fixes`."]
    assert _tail(cli("--no-unsafe-fixes", "a.py", cwd=tmp_path), 1) == ["Found 2 errors."]


def test_fix_summary(fake, tmp_path):
    fake(SAFE, UNSAFE, NONE)
    result = cli("--fix", "a.py", cwd=tmp_path)
    assert _tail(result, 2) == [
        "Found 3 errors (1 fixed, 2 remaining).", "1 unsafe fix available with `--fix --unsafe-fixes`."]
    assert result.exit_code == 1


def test_diff_summaries(fake, tmp_path):
    fake(SAFE, UNSAFE, NONE)
    result = cli("--diff", "a.py", cwd=tmp_path)
    assert result.stdout == "--- a.py\n+++ a.py\n" and result.exit_code == 1
    assert result.stderr == "Would fix 1 error (1 additional fix available with `--unsafe-fixes`).\n"
    assert cli("-q", "--diff", "a.py", cwd=tmp_path).stderr == ""
    fake(UNSAFE, NONE)
    result = cli("--diff", "a.py", cwd=tmp_path)
    assert (result.stdout, result.exit_code) == ("", 0)
    assert result.stderr == "No errors would be fixed (1 fix available with `--unsafe-fixes`).\n"
    fake(NONE)
    result = cli("--diff", "a.py", cwd=tmp_path)  # ruff prints nothing at all here
    assert (result.stdout, result.stderr, result.exit_code) == ("", "", 0)


def test_real_summaries(tmp_path):
    write(tmp_path, "bug.py", BUG)
    assert cli("--diff", "bug.py", cwd=tmp_path).stderr == "Would fix 1 error.\n"
    assert cli("--diff", "-", "--stdin-filename", "bug.py", cwd=tmp_path, input=BUG).stderr == "Would fix 1 error.\n"
    assert cli("--fix", "bug.py", cwd=tmp_path).stdout == "Found 1 error (1 fixed, 0 remaining).\n"
    assert cli("--fix", "bug.py", cwd=tmp_path).stdout == "All checks passed!\n"
    assert cli("--diff", "bug.py", cwd=tmp_path).stderr == ""
