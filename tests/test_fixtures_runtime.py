"""Torch is the authority: the marks of every fixture must equal what real torch does."""
from __future__ import annotations

import pytest

from fixture_marks import (RUNTIME_CODES, all_fixtures, fixture_id, notebook_fixtures, notebook_script, project_fixtures,
                           read_fixture, runtime_seen)

torch = pytest.importorskip("torch")


@pytest.fixture(scope="session")
def fixture_probes(probes):
    return probes


@pytest.mark.parametrize("path", all_fixtures() + project_fixtures() + notebook_fixtures(), ids=fixture_id)
def test_marks_agree_with_torch(path, fixture_probes):
    fixture = read_fixture(path)
    if fixture.needs_cuda and not torch.cuda.is_available():
        pytest.skip("needs a GPU")
    seen = fixture_probes[str(notebook_script(path) if path.suffix == ".ipynb" else path)]
    assert seen["error"] is None, seen["error"]
    marks = fixture.expected | fixture.missed
    for kind in sorted(set(RUNTIME_CODES.values())):
        assert runtime_seen(seen, kind) == fixture.runtime_lines(kind, marks), kind
