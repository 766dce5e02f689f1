"""Read the marks of a fixture: `# expect: CODE[, CODE]`, `# miss: CODE`, `# requires: cuda`."""
from __future__ import annotations

import re
import tempfile
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


def fixture_text(path: Path) -> str:
    """The Python a fixture is: a script's text, or a notebook's code cells as the one program
    gradlint lints (and the runtime check runs), in which marks are on program lines."""
    if path.suffix == ".ipynb":
        from gradlint.sources.notebook import NotebookFile
        return NotebookFile.load(path.read_bytes(), str(path)).program.text
    return path.read_text(encoding="utf-8")


def notebook_script(path: Path) -> Path:
    """The notebook's code cells written as a script, for the runtime probe (cells run in order,
    as Jupyter's "Run all" does)."""
    folder = Path(tempfile.gettempdir()) / "gradlint_notebook_fixtures"
    folder.mkdir(exist_ok=True)
    script = folder / (path.stem + ".py")
    text = fixture_text(path)
    if not script.exists() or script.read_text(encoding="utf-8") != text:
        script.write_text(text, encoding="utf-8")
    return script


def read_fixture(path: Path) -> Fixture:
    fixture = Fixture(path)
    for number, line in enumerate(fixture_text(path).splitlines(), start=1):
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


def notebook_fixtures() -> list:
    """Notebooks: the marks are in their code cells; values flow from cell to cell."""
    return sorted(FIXTURES.glob("*.ipynb"))


def fixture_id(path: Path) -> str:
    return path.name if path.parent == FIXTURES else f"{path.parent.name}/{path.name}"
