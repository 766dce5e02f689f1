import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).parent / "runtime_probe.py"

sys.path.insert(0, str(Path(__file__).parent))


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", help="rewrite tests/fixtures/*.fixed.py")


@pytest.fixture(scope="session")
def probes():
    """What torch does in every runnable fixture and fix snapshot, by path: probed once, in one
    process that imports torch once (tests/runtime_probe.py, a forked child per script)."""
    torch = pytest.importorskip("torch")
    from fixture_marks import FIXTURES, read_fixture
    scripts = sorted(FIXTURES.glob("*.py"))
    originals = {p.name.replace(".fixed.py", ".py") for p in scripts}
    needs_cuda = {name for name in originals if read_fixture(FIXTURES / name).needs_cuda}
    runnable = [p for p in scripts if torch.cuda.is_available() or p.name.replace(".fixed.py", ".py") not in needs_cuda]
    return run_probes(runnable)


def run_probes(scripts) -> dict:
    """Probe scripts in one process that imports torch once (children forked per script)."""
    if not scripts:
        return {}
    done = subprocess.run([sys.executable, str(PROBE), "--many", *map(str, scripts)], capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {result.pop("path"): result for result in results}
