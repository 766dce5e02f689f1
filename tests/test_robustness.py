"""Never crash, never corrupt: `lint_source` returns normally for any valid Python (hypothesmith),
CPython's standard library and the torch package lint without an internal error (GL999), and fixing
every fixture and generated program gives text that parses, compiles and is a fixed point."""
from __future__ import annotations

import ast
import os
import random
import sysconfig
import warnings
from pathlib import Path

import pytest

from fixture_marks import all_fixtures
from generator.programs import generate
from gradlint import lint_source
from gradlint.linter import fix_text

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")
from hypothesis import HealthCheck, given, settings  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Linting all of the stdlib (~1,800 files) takes about two minutes here; CI lints a fixed sample.
# GRADLINT_FULL_ROBUSTNESS=1 lints every file (the README's figures come from that run).
FULL = os.environ.get("GRADLINT_FULL_ROBUSTNESS") == "1"
STDLIB_SAMPLE = 150
TORCH_SAMPLE = 150


def internal_errors(text: str, filename: str):
    return [d for d in lint_source(text, filename) if d.code == "GL999"]


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_lint_source_returns_normally_for_generated_grammar_programs(source):
    found = lint_source(source, "generated.py")
    assert not [d for d in found if d.code == "GL999"], found


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_lint_source_returns_normally_for_generated_syntax_trees(source):
    found = lint_source(source, "generated.py")
    assert not [d for d in found if d.code == "GL999"], found


def python_files(root: Path, sample: int, seed: int, skip_site_packages: bool = False):
    files = sorted(p for p in root.rglob("*.py")
                   if p.is_file() and not (skip_site_packages and "site-packages" in p.parts))
    if FULL or len(files) <= sample:
        return files
    return sorted(random.Random(seed).sample(files, sample))


def lint_tree(files):
    failures, linted = [], 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # decoding is the CLI's job (GL901); here: the analysis on real code
        linted += 1
        failures += [f"{path}: {d.message}" for d in internal_errors(text, str(path))]
    return linted, failures


def test_stdlib_lints_without_internal_errors():
    linted, failures = lint_tree(python_files(STDLIB, STDLIB_SAMPLE, 0, skip_site_packages=True))
    assert linted >= min(STDLIB_SAMPLE, 100)
    assert not failures


def test_torch_sources_lint_without_internal_errors():
    torch = pytest.importorskip("torch")
    linted, failures = lint_tree(python_files(Path(torch.__file__).parent, TORCH_SAMPLE, 0))
    assert linted >= min(TORCH_SAMPLE, 100)
    assert not failures


def test_linting_emits_no_warnings():
    """Constant folding must not make Python print SyntaxWarnings (it once did, hundreds over the stdlib)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lint_source("x = 1\nif x is not 1:\n    print(x)\n", "w.py")
    assert [str(w.message) for w in caught] == []


def assert_fix_is_sound(text: str, name: str):
    fixed, _count, _remaining, error = fix_text(text, name, unsafe=True)
    assert error is None, error
    ast.parse(fixed)
    compile(fixed, name, "exec")
    again, count, _remaining, error = fix_text(fixed, name, unsafe=True)
    assert error is None and count == 0 and again == fixed, "a second fix changed the text"


@pytest.mark.parametrize("path", [p for p in all_fixtures()], ids=lambda p: p.name)
def test_fixing_a_fixture_is_sound_and_idempotent(path):
    assert_fix_is_sound(path.read_text(encoding="utf-8"), path.name)


def test_fixing_generated_programs_is_sound_and_idempotent():
    for seed in range(200):
        assert_fix_is_sound(generate(seed), f"seed_{seed}.py")
