"""Read the marks of a fixture: `# expect: CODE[, CODE]`, `# miss: CODE`, `# requires: cuda`."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
MARK = re.compile(r"#\s*(expect|miss):\s*(GL\d{3}(?:\s*,\s*GL\d{3})*)")
RUNTIME_CODES = {"GL001": "nonleaf_reads", "GL002": "nonleaf_reads", "GL003": "late_retain_reads",
                 "GL004": "optimizer_errors"}


def runtime_seen(seen: dict, kind: str) -> list:
    """The probe's lines of one kind of marks: GL001 also marks a retained non-leaf that no
    backward() since its retain_grad() reached (the probe's `unreached_reads`)."""
    lines = set(seen.get(kind) or ())
    if kind == "nonleaf_reads":
        lines |= set(seen.get("unreached_reads") or ())
    return sorted(lines)


@dataclass
class Fixture:
    path: Path
    expected: set = field(default_factory=set)  # {(line, code)} gradlint must report
    missed: set = field(default_factory=set)  # {(line, code)} torch sees, gradlint does not
    needs_cuda: bool = False

    def runtime_lines(self, kind: str, marks: set) -> list:
        return sorted({line for line, code in marks if RUNTIME_CODES[code] == kind})


def read_fixture(path: Path) -> Fixture:
    fixture = Fixture(path)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.match(r"\s*#\s*requires:\s*cuda\b", line):
            fixture.needs_cuda = True
        for kind, codes in MARK.findall(line):
            target = fixture.expected if kind == "expect" else fixture.missed
            target.update((number, code.strip()) for code in codes.split(","))
    return fixture


def all_fixtures() -> list:
    return sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))


def project_fixtures() -> list:
    """Multi-file fixtures: a directory whose entry script `main.py` holds the marks and imports the
    directory's other modules (run with the directory on sys.path)."""
    return sorted(FIXTURES.glob("*/main.py"))


def fixture_id(path: Path) -> str:
    return path.name if path.parent == FIXTURES else f"{path.parent.name}/{path.name}"
