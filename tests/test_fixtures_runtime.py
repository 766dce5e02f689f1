"""Torch is the authority: the marks of every fixture must equal what real torch does."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixture_marks import RUNTIME_CODES, all_fixtures, read_fixture

torch = pytest.importorskip("torch")
PROBE = Path(__file__).parent / "runtime_probe.py"


def run_probes(scripts) -> dict:
    """Probe scripts in one process that imports torch once (children forked per script)."""
    if not scripts:
        return {}
    done = subprocess.run([sys.executable, str(PROBE), "--many", *map(str, scripts)], capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {result.pop("path"): result for result in results}


@pytest.fixture(scope="session")
def fixture_probes():
    return run_probes([p for p in all_fixtures() if torch.cuda.is_available() or not read_fixture(p).needs_cuda])


@pytest.mark.parametrize("path", all_fixtures(), ids=lambda p: p.name)
def test_marks_agree_with_torch(path, fixture_probes):
    fixture = read_fixture(path)
    if fixture.needs_cuda and not torch.cuda.is_available():
        pytest.skip("needs a GPU")
    seen = fixture_probes[str(path)]
    assert seen["error"] is None, seen["error"]
    marks = fixture.expected | fixture.missed
    for kind in sorted(set(RUNTIME_CODES.values())):
        assert seen[kind] == fixture.runtime_lines(kind, marks), kind
