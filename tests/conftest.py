import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import probing  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", help="rewrite tests/fixtures/*.fixed.py")


def runnable_fixtures() -> list:
    """Every fixture and fix snapshot that can run here (not those that need CUDA, without it)."""
    import torch
    from fixture_marks import FIXTURES, read_fixture
    scripts = sorted(FIXTURES.glob("*.py"))
    originals = {p.name.replace(".fixed.py", ".py") for p in scripts}
    needs_cuda = {name for name in originals if read_fixture(FIXTURES / name).needs_cuda}
    runnable = [p for p in scripts if torch.cuda.is_available() or p.name.replace(".fixed.py", ".py") not in needs_cuda]
    # Multi-file fixtures: the entry script of each directory (the probe puts its directory on sys.path).
    runnable += [p for p in sorted(FIXTURES.glob("*/main.py")) if torch.cuda.is_available() or not read_fixture(p).needs_cuda]
    # Notebooks: their code cells, in order, as one script.
    from fixture_marks import notebook_fixtures, notebook_script
    runnable += [notebook_script(p) for p in notebook_fixtures()
                 if torch.cuda.is_available() or not read_fixture(p).needs_cuda]
    return runnable


probing.in_background("probes", runnable_fixtures)


def pytest_collection_finish(session):
    """Start the probing that the selected tests need, in the background (tests/probing.py)."""
    if importlib.util.find_spec("torch") is not None and not session.config.option.collectonly:
        probing.start_for(session.items)


def pytest_sessionfinish(session):
    probing.stop_all()


@pytest.fixture(scope="session")
def probes():
    """What torch does in every runnable fixture and fix snapshot, by path: probed once, started
    when the tests were collected (tests/probing.py)."""
    pytest.importorskip("torch")
    return probing.results("probes")
