"""Configuration: [tool.gradlint] in pyproject.toml (closest above each file), --config, CLI
overrides, exclude / extend-exclude / per-file-ignores / unsafe-fixes, .gitignore, --force-exclude,
and clear errors for invalid configuration."""
from __future__ import annotations

import pytest

from cli_helpers import BUG, cli, write
from gradlint.config import Selection, resolve_selection


def findings(result):
    return [line.split(": ")[0] + " " + line.split(": ")[1].split()[0] for line in result.stdout.splitlines()
            if ": GL" in line]


# -- selection semantics ------------------------------------------------------------------------

def test_layers_follow_ruff():
    assert resolve_selection([]) == {"GL001", "GL002", "GL003", "GL004"}
    assert resolve_selection([Selection(("GL001",))]) == {"GL001"}
    assert resolve_selection([Selection(None, ("GL00",))]) == set()
    assert resolve_selection([Selection(("GL",), ("GL00",))]) == set()
    assert resolve_selection([Selection(("GL001",), ("GL0",))]) == {"GL001"}  # more specific wins
    # a later layer with select starts over; a later ignore removes from what is there
    assert resolve_selection([Selection(None, ("GL001",)), Selection(("GL001",))]) == {"GL001"}
    assert resolve_selection([Selection(("GL001", "GL002")), Selection(None, ("GL002",))]) == {"GL001"}
    assert resolve_selection([Selection(("GL001",)), Selection(None, (), ("GL004",))]) == {"GL001", "GL004"}


# -- finding the configuration --------------------------------------------------------------------

def test_pyproject_found_walking_up_from_the_file(tmp_path):
    write(tmp_path, "proj/pyproject.toml", '[tool.gradlint]\nignore = ["GL001"]\n')
    write(tmp_path, "proj/pkg/deep/bug.py", BUG)
    write(tmp_path, "other/bug.py", BUG)
    result = cli("proj/pkg/deep/bug.py", "other/bug.py", cwd=tmp_path)
    assert findings(result) == ["other/bug.py:6:9 GL001"]


def test_pyproject_without_the_table_is_passed_over(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nignore = ["GL001"]\n')
    write(tmp_path, "sub/pyproject.toml", '[project]\nname = "sub"\n')
    write(tmp_path, "sub/bug.py", BUG)
    assert cli("sub", cwd=tmp_path).exit_code == 0


def test_closest_configuration_wins(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nignore = ["GL001"]\n')
    write(tmp_path, "sub/pyproject.toml", '[tool.gradlint]\nselect = ["GL001"]\n')
    write(tmp_path, "sub/bug.py", BUG)
    write(tmp_path, "top.py", BUG)
    assert findings(cli(".", cwd=tmp_path)) == ["sub/bug.py:6:9 GL001"]


def test_explicit_config_file(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nignore = ["GL001"]\n')
    write(tmp_path, "strict.toml", 'select = ["GL"]\n')
    write(tmp_path, "bug.py", BUG)
    assert cli("bug.py", cwd=tmp_path).exit_code == 0
    assert cli("--config", "strict.toml", "bug.py", cwd=tmp_path).exit_code == 1
    write(tmp_path, "other/pyproject.toml", '[tool.gradlint]\nselect = ["GL001"]\n')
    assert cli("--config", "other/pyproject.toml", "bug.py", cwd=tmp_path).exit_code == 1
    assert cli("--isolated", "bug.py", cwd=tmp_path).exit_code == 1


def test_command_line_overrides_the_file(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nignore = ["GL001"]\n')
    write(tmp_path, "bug.py", BUG)
    assert cli("--select", "GL001", "bug.py", cwd=tmp_path).exit_code == 1
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nselect = ["GL001"]\n')
    assert cli("--ignore", "GL001", "bug.py", cwd=tmp_path).exit_code == 0


def test_per_file_ignores(tmp_path):
    write(tmp_path, "pyproject.toml",
          '[tool.gradlint.per-file-ignores]\n"tests/*" = ["GL001"]\n"legacy.py" = ["GL"]\n')
    write(tmp_path, "tests/test_x.py", BUG)
    write(tmp_path, "pkg/legacy.py", BUG)
    write(tmp_path, "pkg/main.py", BUG)
    assert findings(cli(".", cwd=tmp_path)) == ["pkg/main.py:6:9 GL001"]


def test_exclude_and_extend_exclude(tmp_path):
    write(tmp_path, "gen/bug.py", BUG)
    write(tmp_path, "scripts/old_bug.py", BUG)
    write(tmp_path, "build/bug.py", BUG)
    write(tmp_path, "main.py", BUG)
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nextend-exclude = ["gen", "scripts/old_*.py"]\n')
    assert findings(cli(".", cwd=tmp_path)) == ["main.py:6:9 GL001"]
    # `exclude` replaces the defaults (build/ is linted again)
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nexclude = ["gen"]\n')
    assert findings(cli(".", cwd=tmp_path)) == ["build/bug.py:6:9 GL001", "main.py:6:9 GL001",
                                                "scripts/old_bug.py:6:9 GL001"]
    assert findings(cli("--extend-exclude", "build,scripts", ".", cwd=tmp_path)) == ["main.py:6:9 GL001"]


def test_named_paths_are_linted_unless_force_exclude(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nextend-exclude = ["gen"]\n')
    write(tmp_path, "gen/bug.py", BUG)
    assert cli("gen/bug.py", cwd=tmp_path).exit_code == 1
    assert cli("gen", cwd=tmp_path).exit_code == 1
    result = cli("--force-exclude", "gen/bug.py", cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout == "All checks passed!\n"
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nextend-exclude = ["gen"]\nforce-exclude = true\n')
    assert cli("gen/bug.py", cwd=tmp_path).exit_code == 0


def test_gitignore_is_respected_in_walks(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".gitignore", "ignored/\n*_gen.py\n!keep_gen.py\n")
    write(tmp_path, "ignored/bug.py", BUG)
    write(tmp_path, "pkg/x_gen.py", BUG)
    write(tmp_path, "pkg/keep_gen.py", BUG)
    write(tmp_path, "pkg/sub/.gitignore", "local.py\n")
    write(tmp_path, "pkg/sub/local.py", BUG)
    write(tmp_path, "pkg/sub/main.py", BUG)
    assert findings(cli(".", cwd=tmp_path)) == ["pkg/keep_gen.py:6:9 GL001", "pkg/sub/main.py:6:9 GL001"]
    # the parent .gitignore applies when walking a subdirectory of the repository
    assert findings(cli("pkg", cwd=tmp_path)) == ["pkg/keep_gen.py:6:9 GL001", "pkg/sub/main.py:6:9 GL001"]
    # named directly: linted
    assert cli("ignored", cwd=tmp_path).exit_code == 1
    assert cli("pkg/x_gen.py", cwd=tmp_path).exit_code == 1
    assert len(findings(cli("--no-respect-gitignore", ".", cwd=tmp_path))) == 5


def test_unsafe_fixes_from_config(tmp_path, monkeypatch):
    import gradlint.linter
    from gradlint.diagnostic import Diagnostic, Edit, Fix, Location
    edit = Edit(Location(1, 1), Location(1, 1), "pass\n")
    monkeypatch.setattr(gradlint.linter, "lint_source", lambda source, filename="<string>", select=None, ignore=None, **_options: (
        [] if "pass" in source else
        [Diagnostic("GL003", "late", filename, Location(1, 1), Location(1, 2), fix=Fix("unsafe", "m", (edit,)))]))
    write(tmp_path, "a.py", "x = 1\n")
    assert "[*]" not in cli("a.py", cwd=tmp_path).stdout
    write(tmp_path, "pyproject.toml", "[tool.gradlint]\nunsafe-fixes = true\n")
    assert "GL003 [*] late" in cli("a.py", cwd=tmp_path).stdout
    assert "[*]" not in cli("--no-unsafe-fixes", "a.py", cwd=tmp_path).stdout
    assert cli("--fix", "a.py", cwd=tmp_path).exit_code == 0
    assert (tmp_path / "a.py").read_text() == "pass\nx = 1\n"


# -- invalid configuration ------------------------------------------------------------------------

@pytest.mark.parametrize("body, key", [
    ('selct = ["GL001"]\n', "selct"),
    ('select = "GL001"\n', "select"),
    ('ignore = ["E501"]\n', "ignore"),
    ('unsafe-fixes = "yes"\n', "unsafe-fixes"),
    ('per-file-ignores = ["a"]\n', "per-file-ignores"),
    ('[tool.gradlint.per-file-ignores]\n"x.py" = "GL001"\n', "per-file-ignores"),
])
def test_invalid_config_names_file_and_key(tmp_path, body, key):
    header = "" if body.startswith("[tool") else "[tool.gradlint]\n"
    write(tmp_path, "pyproject.toml", header + body)
    write(tmp_path, "a.py", "x = 1\n")
    result = cli("a.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert str(tmp_path / "pyproject.toml") in result.stderr
    assert key in result.stderr and "Traceback" not in result.stderr


def test_unknown_key_suggests_the_close_one(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.gradlint]\nextend_exclude = ["x"]\n')
    result = cli(".", cwd=tmp_path)
    assert "unknown key `extend_exclude` (did you mean `extend-exclude`?)" in result.stderr


def test_broken_toml(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.gradlint\nselect = [\n")
    result = cli(".", cwd=tmp_path)
    assert result.exit_code == 2 and "invalid TOML" in result.stderr and "pyproject.toml" in result.stderr


def test_missing_config_file(tmp_path):
    result = cli("--config", "nope.toml", ".", cwd=tmp_path)
    assert result.exit_code == 2 and "nope.toml" in result.stderr
