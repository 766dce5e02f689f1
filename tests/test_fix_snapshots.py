"""Every fixable fixture has a `*.fixed.py` snapshot of `gradlint --fix --unsafe-fixes`, and the
fixed script runs under real torch with its gradients filled.

Regenerate the snapshots with `pytest tests/test_fix_snapshots.py --update-snapshots`.
"""
from __future__ import annotations

import ast
import re

import pytest

from fixture_marks import all_fixtures, read_fixture, runtime_seen
from gradlint.linter import fix_text
from gradlint import lint_source

torch = pytest.importorskip("torch")


def fixed_path(path):
    return path.with_name(path.stem + ".fixed.py")


def fix_all(path):
    text = path.read_text(encoding="utf-8")
    new_text, count, remaining, error = fix_text(text, str(path), unsafe=True)
    assert error is None, error
    return text, new_text, count, remaining


FIXABLE = [p for p in all_fixtures() if any(d.fix for d in lint_source(p.read_text(encoding="utf-8"), str(p)))]


def test_some_fixtures_are_fixable():
    assert len(FIXABLE) >= 40


@pytest.mark.parametrize("path", FIXABLE, ids=lambda p: p.name)
def test_fix_matches_snapshot(path, request):
    _, new_text, count, remaining = fix_all(path)
    assert count > 0
    ast.parse(new_text)
    snapshot = fixed_path(path)
    if request.config.getoption("--update-snapshots"):
        snapshot.write_text(new_text, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run with --update-snapshots"
    assert snapshot.read_text(encoding="utf-8") == new_text
    # Idempotent: fixing again changes nothing, and no fixable finding is left.
    again, more, still, _ = fix_text(new_text, str(path), unsafe=True)
    assert again == new_text and more == 0
    assert not [d for d in still if d.fix]


def test_no_stale_snapshots():
    fixable = {fixed_path(p).name for p in FIXABLE}
    snapshots = {p.name for p in (all_fixtures()[0].parent).glob("*.fixed.py")}
    assert snapshots <= fixable


@pytest.fixture(scope="session")
def fixed_probes(probes):
    return probes


@pytest.mark.parametrize("path", FIXABLE, ids=lambda p: p.name)
def test_fixed_fixture_runs_with_gradients(path, fixed_probes):
    """Torch agrees: after the fix, the only None reads left are findings that had no fix, nothing
    raises, and every tensor the original printed (on a line without a None) is printed the same."""
    if read_fixture(path).needs_cuda and not torch.cuda.is_available():
        pytest.skip("needs a GPU")
    snapshot = fixed_path(path)
    before, after = fixed_probes[str(path)], fixed_probes[str(snapshot)]
    assert after["error"] is None, after["error"]
    remaining = lint_source(snapshot.read_text(encoding="utf-8"), str(snapshot))
    assert not [d for d in remaining if d.fix]
    expected_nonleaf = sorted({d.line for d in remaining if d.code in ("GL001", "GL002")})
    assert runtime_seen(after, "nonleaf_reads") == expected_nonleaf
    assert after["late_retain_reads"] == sorted({d.line for d in remaining if d.code == "GL003"})
    if not before["optimizer_errors"]:
        assert not after["optimizer_errors"]
    # Values printed before the fix (tensors, not the Nones it repairs) are printed the same after.
    kept = [line for line in values(before["stdout"]).splitlines() if "tensor(" in line and "None" not in line]
    after_lines = values(after["stdout"]).splitlines()
    for line in kept:
        assert line in after_lines, f"the fix changed what the script printed: {line!r}"


def values(stdout: str) -> str:
    """Printed tensors without their autograd metadata: a fix that makes a tensor a leaf changes
    `grad_fn=<ToCopyBackward0>` into `requires_grad=True` (and an nn.Parameter's repr says so),
    not its values."""
    stdout = stdout.replace("Parameter containing:\n", "")
    return re.sub(r", (grad_fn=<\w+>|requires_grad=True)", "", stdout)
