"""The README's pre-commit snippet, taken from the README and run as written by the real pre-commit:
only its `repo:` URL is replaced, by a repository made from this checkout's working tree (tracked
and untracked files that git does not ignore, committed as branch `main`), so what is tested is
what a user's clone will hold once the work is committed.

pre-commit builds a virtual environment for the hook and pip-installs the repository into it; all
tests share one PRE_COMMIT_HOME and one hook repository, so that happens once per session. The
tests skip, saying why, when pre-commit or git is missing or the installation fails (pip needs a
package index or a local mirror for setuptools, click and pathspec).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cli_helpers

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install pre-commit)")
import yaml  # noqa: E402  (pre-commit depends on PyYAML)

ROOT = Path(__file__).resolve().parent.parent
# the shared program as a formatter leaves it, a blank line after the import: the finding is at 7:9
BUGGY = cli_helpers.BUG.replace("import torch\n", "import torch\n\n", 1)
FIXED = cli_helpers.FIXED.replace("import torch\n", "import torch\n\n", 1)
CLEAN = cli_helpers.NO_GRAD
GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.com",
               GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.com")


def git(*args, cwd) -> str:
    return subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, env=GIT_ENV, check=True,
                          capture_output=True, text=True).stdout


def readme_snippet() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## pre-commit\n"):]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("hooks") / "gradlint"
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():  # not a file deleted in the working tree
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git("init", "-q", cwd=repo)
    git("symbolic-ref", "HEAD", "refs/heads/main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", "working tree", cwd=repo)
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """One pre-commit cache for the module, so the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path, hooks_repo) -> Path:
    """A user's repository: the README's .pre-commit-config.yaml, a file with a finding, a clean one."""
    work = tmp_path / "project"
    work.mkdir()
    git("init", "-q", cwd=work)
    config, replaced = re.subn(r"(?m)^(\s*- repo: )\S+$", lambda m: m.group(1) + str(hooks_repo), readme_snippet())
    assert replaced == 1, config
    (work / ".pre-commit-config.yaml").write_text(config)
    (work / "train.py").write_text(BUGGY)
    (work / "util.py").write_text(CLEAN)
    git("add", ".", cwd=work)
    return work


def pre_commit(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=project, env=env,
                            capture_output=True, text=True, timeout=900)
    # only a failed installation skips (a clone of a missing rev fails the test)
    error = re.search(r"An unexpected error has occurred: .*", result.stdout + result.stderr)
    if error and re.search(r"pip|virtualenv", error.group()):
        pytest.skip("pre-commit could not build the hook environment (pip needs a package index): "
                    + error.group()[:300])
    return result


def test_hooks_file_matches_the_cli_and_the_readme():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"gradlint", "gradlint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi", "jupyter"]
        assert hook["require_serial"] is True  # gradlint runs its own worker processes
        assert hook["entry"].split()[0] == "gradlint"
    assert "--fix" in hooks["gradlint-fix"]["entry"].split()
    assert "--fix" not in hooks["gradlint"]["entry"].split()
    # the README's snippet names these hooks, and the hooks file's comment repeats its rev
    snippet = readme_snippet()
    assert set(re.findall(r"- id: ([\w-]+)", snippet)) == set(hooks)
    rev = yaml.safe_load(snippet)["repos"][0]["rev"]
    assert f"rev: {rev} " in (ROOT / ".pre-commit-hooks.yaml").read_text()


def test_readme_snippet_fails_with_the_finding(project, pre_commit_home):
    result = pre_commit(project, pre_commit_home, "run", "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "train.py:7:9: GL001" in output, output
    assert "util.py" not in output
    assert (project / "train.py").read_text() == BUGGY  # the check hook changes nothing


def test_readme_snippet_passes_clean_files(project, pre_commit_home):
    (project / "train.py").write_text(FIXED)
    git("add", ".", cwd=project)
    result = pre_commit(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^gradlint\.+Passed$", result.stdout, re.M), result.stdout


def test_readme_fix_hook_repairs_the_file(project, pre_commit_home):
    # the snippet's commented alternative, enabled
    config = project / ".pre-commit-config.yaml"
    config.write_text(config.read_text().replace("# - id: gradlint-fix", "- id: gradlint-fix", 1))
    git("add", ".", cwd=project)
    result = pre_commit(project, pre_commit_home, "run", "gradlint-fix", "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in output, output
    assert (project / "train.py").read_text() == FIXED
    git("add", ".", cwd=project)
    again = pre_commit(project, pre_commit_home, "run", "--all-files")  # both hooks now pass
    assert again.returncode == 0, again.stdout + again.stderr


def test_autoupdate_pins_the_newest_commit(project, pre_commit_home, hooks_repo):
    # what the README advises for the mutable `rev: main`: no tag yet, so the newest commit's SHA
    result = pre_commit(project, pre_commit_home, "autoupdate")
    assert result.returncode == 0, result.stdout + result.stderr
    rev = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"]
    assert rev == git("rev-parse", "HEAD", cwd=hooks_repo).strip()
