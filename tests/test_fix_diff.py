"""`--diff` prints what `--fix` writes, as a patch that `patch` applies to the file's own bytes:
whatever the line endings, separators inside lines or the encoding."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from cli_helpers import BUG, cli

PATCH = shutil.which("patch")
VARIANTS = {
    "plain": BUG.encode(),
    "crlf": BUG.replace("\n", "\r\n").encode(),
    "cr only": BUG.replace("\n", "\r").encode(),
    "mixed endings": BUG.replace("y = x * 3\n", "y = x * 3\r\n").encode(),
    "no final newline": BUG.rstrip("\n").encode(),
    "form feed": ("\f" + BUG.replace("z = y * 4\n", "z = y * 4  # \f\n")).encode(),
    "line separator": BUG.replace("z = y * 4\n", "z = y * 4  # a\u2028b\n").encode(),
    "latin-1": ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + BUG).encode("latin-1"),
    "bom": b"\xef\xbb\xbf" + BUG.encode(),
}


@pytest.mark.skipif(PATCH is None, reason="needs the patch program")
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_patch_applies_the_diff_and_gets_what_fix_writes(tmp_path, name):
    original = VARIANTS[name]
    (tmp_path / "bug.py").write_bytes(original)
    diff = cli("--diff", "bug.py", cwd=tmp_path)
    assert diff.exit_code == 1 and diff.stdout_bytes.startswith(b"--- bug.py\n+++ bug.py\n")
    assert (tmp_path / "bug.py").read_bytes() == original  # --diff writes nothing
    subprocess.run([PATCH, "--quiet", "--binary", "bug.py"], input=diff.stdout_bytes, cwd=tmp_path, check=True)
    patched = (tmp_path / "bug.py").read_bytes()
    (tmp_path / "bug.py").write_bytes(original)
    cli("--fix", "bug.py", cwd=tmp_path)
    assert patched == (tmp_path / "bug.py").read_bytes() != original
    assert patched.count(b"y.retain_grad()") == 1


@pytest.mark.skipif(PATCH is None, reason="needs the patch program")
def test_patch_applies_the_diff_of_every_fixture_and_gives_its_snapshot(tmp_path):
    from fixture_marks import FIXTURES
    from gradlint.linter import fix_bytes
    snapshots = sorted(FIXTURES.glob("*.fixed.py"))
    assert len(snapshots) >= 40
    for snapshot in snapshots:
        original = snapshot.with_name(snapshot.name.replace(".fixed.py", ".py"))
        result = fix_bytes(original.read_bytes(), "script.py", unsafe=True)
        (tmp_path / "script.py").write_bytes(original.read_bytes())
        subprocess.run([PATCH, "--quiet", "--binary", "script.py"], input=result.diff, cwd=tmp_path, check=True)
        assert (tmp_path / "script.py").read_bytes() == snapshot.read_bytes(), snapshot.name
