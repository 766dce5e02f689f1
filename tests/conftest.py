import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# tests/runtime_probe.py warmed up (torch's lazy optimizer imports done once in the parent, not once
# per forked script): the same probe, the same results.
PROBE = Path(__file__).parent / "generator" / "probe_batch.py"

sys.path.insert(0, str(Path(__file__).parent))


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", help="rewrite tests/fixtures/*.fixed.py")


@pytest.fixture(scope="session")
def probes():
    """What torch does in every runnable fixture and fix snapshot, by path: probed once, in one
    process per CPU that imports torch once (tests/runtime_probe.py, a forked child per script)."""
    torch = pytest.importorskip("torch")
    from fixture_marks import FIXTURES, read_fixture
    scripts = sorted(FIXTURES.glob("*.py"))
    originals = {p.name.replace(".fixed.py", ".py") for p in scripts}
    needs_cuda = {name for name in originals if read_fixture(FIXTURES / name).needs_cuda}
    runnable = [p for p in scripts if torch.cuda.is_available() or p.name.replace(".fixed.py", ".py") not in needs_cuda]
    # Multi-file fixtures: the entry script of each directory (the probe puts its directory on sys.path).
    runnable += [p for p in sorted(FIXTURES.glob("*/main.py")) if torch.cuda.is_available() or not read_fixture(p).needs_cuda]
    return run_probes(runnable)


def run_probes(scripts) -> dict:
    """Probe scripts in one process per CPU, each importing torch (and building its first optimizer)
    once: a forked child per script."""
    scripts = list(scripts)
    if not scripts:
        return {}
    workers = max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2, 4))
    chunks = [scripts[index::workers] for index in range(workers)]
    running = [subprocess.Popen([sys.executable, str(PROBE), *map(str, chunk)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for chunk in chunks if chunk]
    results = {}
    for process in running:
        stdout, stderr = process.communicate(timeout=1200)
        assert process.returncode == 0, stderr
        for line in stdout.splitlines():
            if line.startswith("{"):
                result = json.loads(line)
                results[result.pop("path")] = result
    return results
