"""gradlint's findings on every fixture equal its `# expect:` marks, code and line."""
from __future__ import annotations

import pytest

from fixture_marks import all_fixtures, fixture_id, fixture_text, notebook_fixtures, project_fixtures, read_fixture
from gradlint import lint_source


def findings(path) -> set:
    """(line, code) of what gradlint reports (a notebook's lines: those of its program)."""
    return {(d.line, d.code) for d in lint_source(fixture_text(path), str(path))}


@pytest.mark.parametrize("path", all_fixtures() + project_fixtures() + notebook_fixtures(), ids=fixture_id)
def test_findings_equal_marks(path):
    fixture = read_fixture(path)
    assert findings(path) == fixture.expected


def test_there_are_enough_fixtures():
    paths = all_fixtures()
    negatives = [p for p in paths if not read_fixture(p).expected]
    assert len(paths) >= 80 and len(negatives) >= 25
