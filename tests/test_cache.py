"""The result cache: a re-run over an unchanged tree parses nothing; any change re-lints."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from cli_helpers import BUG, FIXED, NO_GRAD
from fixture_marks import FIXTURES
from gradlint import cache as cache_module
from gradlint.cache import CACHE_DIRECTORY, Cache, diagnostic_from_json, diagnostic_to_json, project_root
from gradlint.diagnostic import SAFE, Diagnostic, Edit, Fix, Location, Origin
from gradlint.runner import lint_paths


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with a pyproject.toml, a buggy file, a fixed one and one without .grad."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "buggy.py").write_text(BUG)
    (tmp_path / "pkg" / "ok.py").write_text(FIXED)
    (tmp_path / "pkg" / "plain.py").write_text(NO_GRAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def parses(monkeypatch):
    """Count ast.parse calls made anywhere in this process (the analysis, the fixes, the runner)."""
    calls = []
    real = ast.parse

    def counting(*args, **kwargs):
        calls.append(args[1] if len(args) > 1 else kwargs.get("filename"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    return calls


def summary(diagnostics):
    return [(d.filename, d.line, d.column, d.code, d.message, d.origin, d.fix) for d in diagnostics]


def test_a_rerun_over_an_unchanged_tree_parses_nothing(project, parses):
    first = lint_paths(["pkg"], jobs=1)
    assert [d.code for d in first] == ["GL001"]
    assert parses, "the first run parses"
    parses.clear()
    second = lint_paths(["pkg"], jobs=1)
    assert parses == []
    assert summary(second) == summary(first)


def test_a_changed_file_is_linted_again(project, parses):
    lint_paths(["pkg"], jobs=1)
    (project / "pkg" / "ok.py").write_text(BUG)
    parses.clear()
    found = lint_paths(["pkg"], jobs=1)
    assert {d.filename for d in found} == {os.path.join("pkg", "buggy.py"), os.path.join("pkg", "ok.py")}
    assert len(parses) >= 1 and all("ok.py" in str(name) for name in parses)


def test_other_settings_are_other_entries(project, parses):
    assert [d.code for d in lint_paths(["pkg"], jobs=1)] == ["GL001"]
    parses.clear()
    assert lint_paths(["pkg"], ["GL002"], jobs=1) == []
    # GL002 alone: the buggy file still passes the pre-filter (a .grad read), so it is analysed
    assert parses
    parses.clear()
    assert [d.code for d in lint_paths(["pkg"], jobs=1)] == ["GL001"]
    assert parses == []


def test_no_cache_bypasses_it(project, parses):
    lint_paths(["pkg"], jobs=1)
    parses.clear()
    lint_paths(["pkg"], jobs=1, use_cache=False)
    assert parses


def test_use_cache_false_writes_nothing(project):
    lint_paths(["pkg"], jobs=1, use_cache=False)
    assert not (project / CACHE_DIRECTORY).exists()


def test_files_without_grad_leave_no_entries(project):
    os.remove(project / "pkg" / "buggy.py")
    os.remove(project / "pkg" / "ok.py")
    lint_paths(["pkg"], jobs=1)
    # nothing was analysed: no entries, only the stat index that remembers the skip
    assert [p.name for p in (project / CACHE_DIRECTORY).rglob("*.json")] == ["index.json"]


def test_a_warm_run_does_not_even_read_unchanged_files(project, monkeypatch):
    from gradlint import runner
    monkeypatch.setattr(runner, "RACY_NS", 0)  # the files were just written: trust their status at once
    lint_paths(["pkg"], jobs=1)
    scanned = []
    real = runner.could_have_findings
    monkeypatch.setattr(runner, "could_have_findings", lambda data, *a, **k: scanned.append(data) or real(data, *a, **k))
    assert [d.code for d in lint_paths(["pkg"], jobs=1)] == ["GL001"]
    assert scanned == []
    # a touched file is read again, but its content hash still finds the entry: no parse
    os.utime(project / "pkg" / "buggy.py", ns=(1, 1))
    assert [d.code for d in lint_paths(["pkg"], jobs=1)] == ["GL001"]
    assert len(scanned) == 1


def _same_size_edit_with_mtime_restored(path):
    before = os.stat(path)
    text = path.read_text()
    edited = text.replace("print(y.grad)", "print(x.grad)")  # the leaf: no finding
    assert len(edited) == len(text) and edited != text
    path.write_text(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_a_same_size_edit_with_the_mtime_restored_is_never_stale(project):
    """Right after a run (the racy window): the file is read and hashed, not trusted by its status."""
    assert [d.code for d in lint_paths(["pkg"], jobs=1)] == ["GL001"]
    _same_size_edit_with_mtime_restored(project / "pkg" / "buggy.py")
    assert lint_paths(["pkg"], jobs=1) == []


def test_a_later_same_size_edit_with_the_mtime_restored_shows_in_the_ctime(project, monkeypatch):
    import time
    from gradlint import runner
    monkeypatch.setattr(runner, "RACY_NS", 0)  # as if the run were long after the file was written
    assert [d.code for d in lint_paths(["pkg"], jobs=1)] == ["GL001"]
    time.sleep(0.05)  # beyond the file system's timestamp tick
    _same_size_edit_with_mtime_restored(project / "pkg" / "buggy.py")
    assert lint_paths(["pkg"], jobs=1) == []


def test_a_corrupt_index_is_ignored(project, parses):
    first = lint_paths(["pkg"], jobs=1)
    for index in (project / CACHE_DIRECTORY).rglob("index.json"):
        index.write_bytes(b"[1, 2")
    parses.clear()
    assert summary(lint_paths(["pkg"], jobs=1)) == summary(first)
    assert parses == []  # the entries themselves are still good


def test_layout(project):
    lint_paths(["pkg"], jobs=1)
    root = project / CACHE_DIRECTORY
    tag = (root / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (root / ".gitignore").read_text().splitlines()[-1] == "*"
    entries = [p for p in root.rglob("*.json") if p.name != "index.json"]
    assert len(entries) == 2  # buggy.py and ok.py; plain.py never got past the pre-filter
    assert all(entry.parent.parent.name == cache_module.fingerprint() for entry in entries)
    assert not list(root.rglob(".tmp-*"))


def test_the_cache_lives_in_the_nearest_project_root(project, monkeypatch):
    monkeypatch.chdir(project / "pkg")
    assert project_root() == str(project)
    lint_paths(["."], jobs=1)
    assert (project / CACHE_DIRECTORY).is_dir()
    assert not (project / "pkg" / CACHE_DIRECTORY).exists()


def test_without_a_pyproject_the_working_directory_is_the_root(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    # no pyproject.toml here or above tmp_path (pytest's temporary directories have none)
    if project_root() != str(tmp_path / "a"):
        pytest.skip("a pyproject.toml above the temporary directory")
    (tmp_path / "a" / "buggy.py").write_text(BUG)
    lint_paths(["buggy.py"], jobs=1)
    assert (tmp_path / "a" / CACHE_DIRECTORY / "CACHEDIR.TAG").is_file()


def test_git_ignores_the_cache(project):
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    lint_paths(["pkg"], jobs=1)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=project,
                            capture_output=True, text=True, check=True).stdout
    assert CACHE_DIRECTORY not in status and "pkg/buggy.py" in status


@pytest.mark.parametrize("damage", [b"", b"{", b"null", b'{"key": "x", "diagnostics": []}',
                                    b'{"diagnostics": [{"code": 1}]}', b"\xff\xfe\x00garbage"])
def test_a_corrupt_entry_is_a_miss_and_is_repaired(project, parses, damage):
    first = lint_paths(["pkg"], jobs=1)
    for entry in (project / CACHE_DIRECTORY).rglob("*.json"):
        if entry.name != "index.json":
            entry.write_bytes(damage)
    parses.clear()
    second = lint_paths(["pkg"], jobs=1)
    assert summary(second) == summary(first)
    assert parses  # re-linted
    parses.clear()
    assert summary(lint_paths(["pkg"], jobs=1)) == summary(first)
    assert parses == []  # and the entries were rewritten


def test_an_unwritable_cache_is_not_used(project, monkeypatch):
    (project / CACHE_DIRECTORY).write_text("a file where the directory should be")
    found = lint_paths(["pkg"], jobs=1)
    assert [d.code for d in found] == ["GL001"]


def test_an_interrupted_write_leaves_no_entry(tmp_path, monkeypatch):
    store = Cache(str(tmp_path))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    store.put("ab" + "0" * 62, [])
    assert not list(tmp_path.rglob("*.json")) and not list(tmp_path.rglob(".tmp-*"))
    assert store.get("ab" + "0" * 62, "x.py") is None


def test_the_same_content_at_another_path_is_another_entry(project, parses):
    lint_paths(["pkg"], jobs=1)
    (project / "other").mkdir()
    (project / "other" / "buggy.py").write_text(BUG)
    parses.clear()
    found = lint_paths(["other"], jobs=1)
    assert [d.filename for d in found] == [os.path.join("other", "buggy.py")]
    assert parses


def test_reported_names_follow_the_command_line(project):
    lint_paths(["pkg"], jobs=1)
    found = lint_paths([str(project / "pkg" / "buggy.py")], jobs=1)
    assert [d.filename for d in found] == [str(project / "pkg" / "buggy.py")]


def test_another_gradlint_build_does_not_read_these_entries(project, parses, monkeypatch):
    lint_paths(["pkg"], jobs=1)
    monkeypatch.setattr(cache_module, "_fingerprint", "0.0.0-another-build")
    parses.clear()
    lint_paths(["pkg"], jobs=1)
    assert parses


DIAGNOSTICS = [
    Diagnostic("GL001", "`y.grad` is always None: ü “quoted”", "f.py", Location(6, 7), Location(6, 13),
               Origin(Location(3, 5), "`x * 3` on line 3 computed it"),
               Fix(SAFE, "Insert `y.retain_grad()`", (Edit(Location(3, 10), Location(3, 10), "\ny.retain_grad()"),
                                                     Edit(Location(9, 1), Location(10, 1), "")))),
    Diagnostic("GL004", "optimizer", "f.py", Location(1, 1), Location(1, 2)),
    Diagnostic("GL900", "SyntaxError: invalid syntax", "f.py", Location(2, 3), Location(2, 3)),
]


@pytest.mark.parametrize("diagnostic", DIAGNOSTICS, ids=lambda d: d.code)
def test_diagnostics_round_trip_through_json(diagnostic):
    text = json.dumps(diagnostic_to_json(diagnostic))
    back = diagnostic_from_json(json.loads(text), diagnostic.filename)
    assert back == diagnostic and back.fix == diagnostic.fix and back.origin == diagnostic.origin


def test_every_fixture_round_trips(tmp_path):
    """What the cache stores for each fixture is exactly what linting it gives."""
    from gradlint.linter import lint_result
    store = Cache(str(tmp_path))
    for index, path in enumerate(sorted(FIXTURES.glob("*.py"))):
        found = lint_result(path.read_bytes(), str(path))
        key = f"{index:064x}"
        store.put(key, found)
        assert summary(store.get(key, str(path)).to_source()) == summary(found.to_source()), path.name


def test_warm_run_in_a_fresh_process_parses_nothing(project):
    """The real CLI: run twice; the second process imports the analysis but never runs it."""
    code = ("import ast, sys\nfrom gradlint.cli import main\ncalls = []\nreal = ast.parse\n"
            "ast.parse = lambda *a, **k: calls.append(1) or real(*a, **k)\n"
            "import atexit\natexit.register(lambda: sys.stderr.write(f'PARSES={len(calls)}\\n'))\n"
            "main(['pkg'])\n")
    runs = [subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True)
            for _ in range(2)]
    assert all(run.returncode == 1 for run in runs), [run.stderr for run in runs]
    assert runs[0].stdout == runs[1].stdout and "GL001" in runs[0].stdout
    assert "PARSES=0" not in runs[0].stderr and "PARSES=0" in runs[1].stderr


@pytest.mark.parametrize("flags, analyses", [
    ([], 2),  # the lint (its result cached), then only the lint after the fix round
    (["--no-cache"], 3),  # the lint, the fix's own first lint, the lint after the fix round
])
def test_fix_takes_its_first_lint_from_the_cache(project, monkeypatch, flags, analyses):
    from click.testing import CliRunner

    from gradlint import linter
    from gradlint.cli import main
    calls = []
    real = linter.lint_program
    monkeypatch.setattr(linter, "lint_program", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    outcome = CliRunner().invoke(main, ["--fix", "-j", "1", "pkg/buggy.py", *flags])
    assert outcome.exit_code == 0, outcome.output
    assert (project / "pkg" / "buggy.py").read_text() == FIXED
    assert len(calls) == analyses
