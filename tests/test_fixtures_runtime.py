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


def run_probe(script: Path) -> dict:
    done = subprocess.run([sys.executable, str(PROBE), str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("path", all_fixtures(), ids=lambda p: p.name)
def test_marks_agree_with_torch(path):
    fixture = read_fixture(path)
    if fixture.needs_cuda and not torch.cuda.is_available():
        pytest.skip("needs a GPU")
    seen = run_probe(path)
    assert seen["error"] is None, seen["error"]
    marks = fixture.expected | fixture.missed
    for kind in sorted(set(RUNTIME_CODES.values())):
        assert seen[kind] == fixture.runtime_lines(kind, marks), kind
