"""The pre-commit hooks, run by the real `pre-commit try-repo` against this checkout.

pre-commit builds a virtual environment for the hook and pip-installs this checkout into it, so the
test needs pip to reach a package index (or a local mirror); it is skipped, saying why, when
pre-commit is not installed or that installation fails.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cli_helpers

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install pre-commit)")

ROOT = Path(__file__).resolve().parent.parent
# the shared program as a formatter leaves it, a blank line after the import: the finding is at 7:9
BUGGY = cli_helpers.BUG.replace("import torch\n", "import torch\n\n", 1)
FIXED = cli_helpers.FIXED.replace("import torch\n", "import torch\n\n", 1)
CLEAN = cli_helpers.NO_GRAD


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    """One pre-commit cache for the module, so the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = tmp_path / "project"
    work.mkdir()
    git("init", "-q", cwd=work)
    git("config", "user.email", "test@example.com", cwd=work)
    git("config", "user.name", "test", cwd=work)
    (work / "train.py").write_text(BUGGY)
    (work / "util.py").write_text(CLEAN)
    git("add", ".", cwd=work)
    return work


def try_repo(repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--all-files",
                           "--verbose"], cwd=repo, env=env, capture_output=True, text=True, timeout=900)


def skip_if_installation_failed(result: subprocess.CompletedProcess) -> None:
    output = result.stdout + result.stderr
    if "An unexpected error has occurred" in output or "CalledProcessError" in output:
        pytest.skip("pre-commit could not build the hook environment (pip needs a package index): "
                    + output.strip().splitlines()[-1][:300])


def fix_available() -> bool:
    help_text = subprocess.run([sys.executable, "-m", "gradlint", "--help"], capture_output=True, text=True).stdout
    return "--fix" in help_text


def test_hooks_file_matches_the_cli():
    import yaml  # pre-commit depends on PyYAML
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"gradlint", "gradlint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi", "jupyter"]
        assert hook["require_serial"] is True  # gradlint runs its own worker processes
        assert hook["entry"].split()[0] == "gradlint"
    assert "--fix" in hooks["gradlint-fix"]["entry"].split()
    assert "--fix" not in hooks["gradlint"]["entry"].split()


def test_check_hook_fails_with_the_finding(repo, pre_commit_home):
    result = try_repo(repo, "gradlint", pre_commit_home)
    skip_if_installation_failed(result)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "train.py:7:" in output and "GL001" in output, output
    assert "util.py:" not in output
    assert (repo / "train.py").read_text() == BUGGY  # the check hook changes nothing


def test_check_hook_passes_on_clean_files(repo, pre_commit_home):
    (repo / "train.py").write_text(FIXED)
    git("add", ".", cwd=repo)
    result = try_repo(repo, "gradlint", pre_commit_home)
    skip_if_installation_failed(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_fix_hook_repairs_the_file(repo, pre_commit_home):
    if not fix_available():
        # Note: the check hook is covered above; this part needs `gradlint --fix` (the fixes engine).
        pytest.skip("gradlint --fix is not available in this build")
    result = try_repo(repo, "gradlint-fix", pre_commit_home)
    skip_if_installation_failed(result)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in output, output
    assert (repo / "train.py").read_text() == FIXED
    git("add", ".", cwd=repo)
    again = try_repo(repo, "gradlint-fix", pre_commit_home)
    assert again.returncode == 0, again.stdout + again.stderr
    check = try_repo(repo, "gradlint", pre_commit_home)
    assert check.returncode == 0, check.stdout + check.stderr
