"""The analysis core type-checks clean: mypy, as configured in pyproject.toml ([tool.mypy]), finds no
error in src/gradlint/analysis. (analysis/host.py declares what the interpreter's mixins use of each
other: a new method one mixin calls on another goes there.)"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")  # in the `test` extra

ROOT = Path(__file__).resolve().parents[1]


def test_analysis_type_checks_clean(tmp_path):
    # A cache of its own (cold: a few seconds), so that no .mypy_cache is left in the repository.
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "pyproject.toml",
                           "--cache-dir", str(tmp_path / "mypy_cache"), "--no-error-summary"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
