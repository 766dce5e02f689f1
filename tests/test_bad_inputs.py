"""Bad input through the command line: each gets one clear line, the run goes on, and the exit status
is ruff's (1 when a file could not be linted, 2 for a path that does not exist or an internal
error). And fixing never loses data."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import cli as run_cli
import gradlint.atomic
import gradlint.fixes.apply
import gradlint.linter

BUG = b"""import torch
x = torch.randn(3, requires_grad=True)
y = x * 2
y.sum().backward()
print(y.grad)
"""
GOOD = b"x = 1\n"


def cli(*args, cwd: Path):
    return run_cli("--no-cache", *args, cwd=cwd)


def lines_about(result, name: str):
    return [line for line in (result.stdout + result.stderr).splitlines() if name in line]


def one_error(tmp_path, name: str, data: bytes, code: str):
    """Lint a bad file next to a good one: exactly one line about it, with `code`, exit 1."""
    (tmp_path / name).write_bytes(data)
    (tmp_path / "good.py").write_bytes(BUG)
    result = cli(name, "good.py", cwd=tmp_path)
    about = lines_about(result, name)
    assert len(about) == 1, result.stdout + result.stderr
    assert f" {code} " in about[0], about[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert lines_about(result, "good.py")[0].startswith("good.py:5:9: GL001"), "the run went on"
    assert result.exit_code == 1
    return about[0]


# -- files that cannot be linted -----------------------------------------------------------------

def test_syntax_error_gives_line_and_column(tmp_path):
    line = one_error(tmp_path, "broken.py", b"import torch\nx = (1,\n", "GL900")
    assert line.startswith("broken.py:2:5: GL900 SyntaxError: '(' was never closed")


def test_syntax_error_column_points_at_the_bad_token(tmp_path):
    line = one_error(tmp_path, "broken.py", b"x = 1\ny = = 2\n", "GL900")
    assert line.startswith("broken.py:2:5: GL900 SyntaxError")


@pytest.mark.parametrize("name, data, code, phrase", [
    pytest.param("latin.py", b'x = "caf\xe9"\n', "GL901", "cannot decode", id="non_utf8_bytes"),
    pytest.param("nul.py", b"x = 1\n\x00y = 2\n", "GL900", "null bytes", id="nul_bytes"),
    # parses, but is too deep to walk recursively: GL903, no RecursionError traceback
    pytest.param("deep.py", b"x = " + b"-" * 1000 + b"1\n", "GL903", "too deeply nested",
                 id="expression_nested_1000_deep_operators"),
    pytest.param("long.py", b"x = 1" + b" + 1" * 100000 + b"\n", "GL903", "too deeply nested",
                 id="long_flat_expression"),
    pytest.param("nb.ipynb", b"{not json", "GL904", "invalid JSON", id="notebook_with_invalid_json"),
    pytest.param("nb.ipynb", b'{"metadata": {}, "nbformat": 4}', "GL904", "cells", id="notebook_without_cells"),
])
def test_bad_file_is_one_line_saying_why(tmp_path, name, data, code, phrase):
    line = one_error(tmp_path, name, data, code)
    assert phrase in line


def test_expression_nested_1000_deep_parentheses(tmp_path):
    # CPython's own parser refuses it ("too many nested parentheses"): a syntax error, not a crash
    one_error(tmp_path, "deep.py", b"x = " + b"(" * 1000 + b"1" + b")" * 1000 + b"\n", "GL900")


def unreadable_next_to_good(tmp_path, name: str) -> str:
    """Lint `name` (in place, and unreadable) next to a good file: exactly one GL902 line about it, exit 1."""
    (tmp_path / "good.py").write_bytes(BUG)
    result = cli(name, "good.py", cwd=tmp_path)
    about = lines_about(result, name)
    assert len(about) == 1 and "GL902" in about[0]
    assert result.exit_code == 1
    return about[0]


@pytest.mark.parametrize("name, target, reason", [("broken.py", "nowhere.py", "No such file"),
                                                  ("loop.py", "loop.py", "symbolic links")],
                         ids=["broken_symlink", "symlink_loop"])
def test_bad_symlink_named_on_the_command_line(tmp_path, name, target, reason):
    (tmp_path / name).symlink_to(tmp_path / target)
    assert reason in unreadable_next_to_good(tmp_path, name)


def lint_package_with_link(tmp_path, link: str, target: str):
    """Lint pkg/, which holds good.py and a symbolic link pkg/<link> to tmp_path/<target>: no traceback."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / link).symlink_to(tmp_path / target)
    (tmp_path / "pkg" / "good.py").write_bytes(BUG)
    result = cli("pkg", cwd=tmp_path)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_broken_symlink_found_in_a_directory_is_reported(tmp_path):
    result = lint_package_with_link(tmp_path, "broken.py", "nowhere.py")
    assert lines_about(result, "good.py")
    # as ruff reports it (E902 at 1:1): one line, and the run goes on
    assert lines_about(result, "broken.py") == [
        os.path.join("pkg", "broken.py") + ":1:1: GL902 cannot read the file: No such file or directory"]


def test_directory_symlink_loop_is_not_followed_forever(tmp_path):
    result = lint_package_with_link(tmp_path, "again", "pkg")
    assert result.exit_code == 1


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.py"
    path.write_bytes(GOOD)
    path.chmod(0)
    try:
        assert "Permission denied" in unreadable_next_to_good(tmp_path, "secret.py")
    finally:
        path.chmod(0o644)


def test_unreadable_file_simulated(tmp_path, monkeypatch):
    """The same path as chmod 000 (which root can still read): open() raising PermissionError."""
    (tmp_path / "secret.py").write_bytes(GOOD)
    real_open = open

    def guarded(file, *args, **kwargs):
        if str(file).endswith("secret.py"):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)
    monkeypatch.setattr("builtins.open", guarded)
    assert "Permission denied" in unreadable_next_to_good(tmp_path, "secret.py")


def test_path_that_does_not_exist_exits_2(tmp_path):
    (tmp_path / "good.py").write_bytes(BUG)
    result = cli("missing.py", "good.py", cwd=tmp_path)
    about = lines_about(result, "missing.py")
    assert about == ["missing.py:1:1: GL902 cannot read the file: No such file or directory (os error 2)"]
    assert lines_about(result, "good.py"), "the run went on"
    assert result.exit_code == 2


# -- files that are fine, however odd ------------------------------------------------------------

def findings(tmp_path, name: str, data: bytes):
    (tmp_path / name).write_bytes(data)
    result = cli(name, cwd=tmp_path)
    assert "Traceback" not in result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith(name + ":")], result


@pytest.mark.parametrize("name, data, where", [
    ("bom.py", b"\xef\xbb\xbf" + BUG, "5:9"),
    ("cookie.py", b"# -*- coding: latin-1 -*-\n" + b's = "caf\xe9"\n' + BUG, "7:9"),
    ("crlf.py", BUG.replace(b"\n", b"\r\n"), "5:9"),
    ("mixed.py", b"import torch\r\nx = torch.randn(3, requires_grad=True)\ny = x * 2\r\n"
                 b"y.sum().backward()\rprint(y.grad)\n", "5:9"),
    ("tabs.py", b"import torch\nif True:\n\tx = torch.randn(3, requires_grad=True)\n\ty = x * 2\n"
                b"\ty.sum().backward()\n\tprint(y.grad)\n", "6:10"),
    ("formfeed.py", b"import torch\n\x0cx = torch.randn(3, requires_grad=True)\n\x0c\ny = x * 2\n"
                    b"y.sum().backward()\nprint(y.grad)\n", "6:9"),
])
def test_odd_but_valid_files_are_linted(tmp_path, name, data, where):
    found, result = findings(tmp_path, name, data)
    assert len(found) == 1 and found[0].startswith(f"{name}:{where}: GL001"), result.stdout
    assert result.exit_code == 1


@pytest.mark.parametrize("odd", ["\x0c", "\u2028"])
def test_form_feed_and_line_separator_keep_messages_right(tmp_path, odd):
    data = BUG.decode().replace("x = torch", f"# {odd}\nx = torch").encode()
    found, _ = findings(tmp_path, "odd.py", data)
    assert "`y.grad` is always None: y is not a leaf (`x * 2` on line 4" in found[0]


def test_empty_file(tmp_path):
    found, result = findings(tmp_path, "empty.py", b"")
    assert found == [] and result.exit_code == 0


def test_five_megabyte_file(tmp_path):
    # (The analysis has a statement budget: a finding after ~100,000 statements is not looked for.)
    body = b"".join(b"v%d = %d + 1\n" % (i, i) for i in range(380000))
    data = BUG + body
    assert len(data) > 5 * 1024 * 1024
    found, result = findings(tmp_path, "big.py", data)
    assert len(found) == 1 and found[0].startswith("big.py:5:9: GL001")


def test_directory_named_like_a_python_file(tmp_path):
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "inner.py").write_bytes(BUG)
    result = cli("x.py", cwd=tmp_path)
    assert result.stdout.startswith(os.path.join("x.py", "inner.py") + ":5:9: GL001")
    assert result.exit_code == 1


def test_empty_directory_named_like_a_python_file(tmp_path):
    (tmp_path / "x.py").mkdir()
    result = cli("x.py", cwd=tmp_path)
    assert result.exit_code == 0 and "Traceback" not in result.stdout + result.stderr


def test_piping_into_a_closed_reader_is_quiet(tmp_path):
    """`gradlint . | head -1`: no BrokenPipeError traceback, no GL999."""
    for i in range(300):
        (tmp_path / f"f{i}.py").write_bytes(BUG + b"print(y.grad)\n" * 3)
    proc = subprocess.Popen([sys.executable, "-m", "gradlint", "--no-cache", "."], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert b"GL001" in first
    assert "Traceback" not in err and "GL999" not in err, err
    assert proc.returncode == 1


# -- never lose data when fixing -------------------------------------------------------------------

def test_file_changed_between_read_and_write_is_not_overwritten(tmp_path, monkeypatch):
    path = tmp_path / "bug.py"
    path.write_bytes(BUG)
    saved = BUG + b"# saved by the editor meanwhile\n"
    real_write = gradlint.fixes.apply.write_in_place

    def user_saves_first(target, data, expected=None):
        path.write_bytes(saved)
        return real_write(target, data, expected)
    monkeypatch.setattr(gradlint.fixes.apply, "write_in_place", user_saves_first)
    result = cli("--fix", "--unsafe-fixes", "bug.py", cwd=tmp_path)
    assert path.read_bytes() == saved
    assert "changed on disk" in result.stderr
    assert result.exit_code == 1


def test_a_read_only_file_is_not_fixed_and_keeps_its_content(tmp_path, monkeypatch):
    path = tmp_path / "bug.py"
    path.write_bytes(BUG)
    path.chmod(0o444)
    if os.access(path, os.W_OK):  # root may write anything: answer as for a user who may not
        monkeypatch.setattr(gradlint.fixes.apply, "may_write", lambda _path: False)
    result = cli("--fix", "--unsafe-fixes", "bug.py", cwd=tmp_path)
    assert path.read_bytes() == BUG
    assert "cannot write the fixed file: Permission denied" in result.stderr and result.exit_code == 1
    assert [p.name for p in tmp_path.iterdir()] == ["bug.py"]


class _FullDisk:
    """An open file whose writes fail once the disk is full (`room` writes still fit)."""

    def __init__(self, handle, failure):
        self.handle, self.failure, self.room = handle, failure, 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def write(self, data):
        if self.room == 0:
            self.handle.write(data[: len(data) // 2])  # a part went out before the disk filled up
            raise self.failure
        self.room -= 1
        return self.handle.write(data)

    def __getattr__(self, name):
        return getattr(self.handle, name)


@pytest.mark.parametrize("where", ["reserving space", "writing"])
def test_failed_write_keeps_the_original_and_is_reported(tmp_path, monkeypatch, where):
    """Disk full (ENOSPC) when space is reserved, or in the middle of the write itself (the
    original content, which fitted before, is written back)."""
    path = tmp_path / "bug.py"
    path.write_bytes(BUG)
    failure = OSError(errno.ENOSPC, "No space left on device")
    if where == "reserving space":
        monkeypatch.setattr(gradlint.fixes.apply.os, "posix_fallocate", lambda *a: (_ for _ in ()).throw(failure))
    else:
        real_fdopen, real_overwrite = os.fdopen, gradlint.fixes.apply._overwrite
        monkeypatch.setattr(gradlint.fixes.apply.os, "fdopen", lambda fd, *a, **k: _FullDisk(real_fdopen(fd, *a, **k),
                                                                                             failure))
        writes = []

        def overwrite(handle, data):
            writes.append(data)
            handle.room = 0 if len(writes) == 1 else 1  # the fix meets the full disk; the original fits
            return real_overwrite(handle, data)
        monkeypatch.setattr(gradlint.fixes.apply, "_overwrite", overwrite)
    result = cli("--fix", "--unsafe-fixes", "bug.py", cwd=tmp_path)
    assert path.read_bytes() == BUG
    assert "No space left on device" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bug.py"], "no other file left behind"
    assert result.exit_code == 1


def test_failed_write_is_reported_by_fix_file(tmp_path, monkeypatch):
    path = tmp_path / "bug.py"
    path.write_bytes(BUG)
    monkeypatch.setattr(gradlint.fixes.apply.os, "posix_fallocate",
                        lambda *a: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only file system")))
    result = gradlint.linter.fix_file(str(path), unsafe=True)
    assert not result.written and result.fixed is None
    assert "Read-only file system" in result.error
    assert [d.code for d in result.diagnostics] == ["GL001"]
    assert path.read_bytes() == BUG
