"""Parallel workers: same diagnostics as a serial run, in a deterministic order; serial when it pays."""
from __future__ import annotations

import concurrent.futures
import os
import pickle
import shutil
import time

import pytest

from fixture_marks import FIXTURES
from gradlint import runner
from gradlint.config import Settings
from gradlint.runner import lint_paths


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """Every fixture (and fix snapshot) in a few directories, plus files the pre-filter skips."""
    for index, path in enumerate(sorted(FIXTURES.glob("*.py"))):
        target = tmp_path / f"part{index % 3}"
        target.mkdir(exist_ok=True)
        shutil.copy(path, target / path.name)
    (tmp_path / "part0" / "plain.py").write_text("import os\n")
    (tmp_path / "part1" / "broken.py").write_text("def f(:\n    return x.grad\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def find(tree, name: str) -> str:
    (path,) = tree.rglob(name)
    return str(path.relative_to(tree))


def keys(diagnostics):
    # Where and what, not the wording: when a read can be one of several non-leaves (`t.grad for t
    # in (z, x_hat)`), which one the message, origin and fix name depends on the order of a set
    # inside the analysis, which differs from one process (or run) to the next even serially.
    return [(d.filename, d.line, d.column, d.code) for d in diagnostics]


# Worker stand-ins live at module level: the pool pickles functions by name, and forked workers
# find this module already imported.
REAL_WORKER = runner._lint_worker
PARENT = os.getpid()


def scrambled_worker(path, data, settings):
    """Finish in an order unrelated to the order given (in the pool's workers: a serial run in
    this process finishes in order whatever it waits)."""
    if os.getpid() != PARENT:
        time.sleep(0.001 * (sum(path.encode()) % 7))
    return REAL_WORKER(path, data, settings)


def dying_worker(path, data, settings):
    if os.getpid() != PARENT and path.endswith("intermediate_classic_chain.py"):
        os._exit(9)  # killed, say by the out-of-memory killer
    return REAL_WORKER(path, data, settings)


def test_parallel_equals_serial_whatever_the_scheduling(tree, monkeypatch):
    """The workers finish in an order unrelated to the order given; each parallel run gives the
    serial run's diagnostics, in the same order."""
    serial = lint_paths(["."], jobs=1, use_cache=False)
    assert len(serial) > 100
    assert any(d.code == "GL900" and d.filename.endswith("broken.py") for d in serial)
    monkeypatch.setattr(runner, "_lint_worker", scrambled_worker)
    for jobs in (2, 3, 2):
        assert keys(lint_paths(["."], jobs=jobs, use_cache=False)) == keys(serial), jobs


def test_lint_files_keeps_the_order_given(tree):
    files = sorted(str(p.relative_to(tree)) for p in tree.rglob("*.py"))[::-1]
    fixed = Settings.from_codes()
    found = runner.lint_files(files, lambda _p: fixed, jobs=2, use_cache=False)
    names = [d.filename for d in found]
    order = {name: index for index, name in enumerate(files)}
    assert names == sorted(names, key=order.__getitem__)


class NoPool:
    def __init__(self, *args, **kwargs):
        raise AssertionError("a process pool was started")


def test_one_file_is_linted_in_this_process(tree, monkeypatch):
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    found = lint_paths([find(tree, "intermediate_classic_chain.py")], use_cache=False)
    assert found and {d.code for d in found} == {"GL001"}


def test_jobs_1_is_serial(tree, monkeypatch):
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    assert lint_paths(["."], jobs=1, use_cache=False)


def test_a_tiny_amount_of_work_is_serial(tree, monkeypatch):
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    found = lint_paths([find(tree, "intermediate_classic_chain.py"), find(tree, "retain_after_backward.py")],
                       jobs=8, use_cache=False)
    assert found and not any(d.code.startswith("GL9") for d in found)


def test_the_pool_is_sized_to_the_work(tmp_path, monkeypatch):
    """64 jobs asked for 3 files: 3 workers at most (and by default, no more than the CPUs)."""
    for path in sorted(FIXTURES.glob("intermediate_*.py"))[:3]:
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.chdir(tmp_path)
    sizes = []
    real = concurrent.futures.ProcessPoolExecutor

    def recording(max_workers=None, **kwargs):
        sizes.append(max_workers)
        return real(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", recording)
    monkeypatch.setattr(runner, "PARALLEL_MIN_BYTES", 0)
    lint_paths(["."], jobs=64, use_cache=False)
    pending = 3
    assert sizes and sizes[0] <= pending
    sizes.clear()
    lint_paths(["."], use_cache=False)  # default: the CPUs this process may use
    assert sizes == [min(runner.default_jobs(), pending)] or runner.default_jobs() == 1


def test_a_dead_worker_costs_no_results(tree, monkeypatch):
    """A worker killed mid-run: the files it took with it are linted again in this process."""
    expected = keys(lint_paths(["."], jobs=1, use_cache=False))
    monkeypatch.setattr(runner, "_lint_worker", dying_worker)
    assert keys(lint_paths(["."], jobs=2, use_cache=False)) == expected


def test_parallel_results_are_cached(tree):
    first = lint_paths(["."], jobs=2)
    second = lint_paths(["."], jobs=2)
    assert keys(first) == keys(second)
    assert list((tree / ".gradlint_cache").rglob("*.json"))


def test_diagnostics_pickle():
    from gradlint import lint_source
    source = (FIXTURES / "retain_after_backward.py").read_text()
    found = lint_source(source, "f.py")
    assert found and pickle.loads(pickle.dumps(found)) == found
    assert [d.fix for d in pickle.loads(pickle.dumps(found))] == [d.fix for d in found]


def test_unreadable_files_are_reported(tree):
    target = tree / "part0" / "gone.py"
    target.write_text("x.grad\n")
    files = [str(target), str(tree / "part0" / "plain.py")]
    target.unlink()
    found = runner.lint_files(files, lambda _p: Settings.from_codes(), jobs=1, use_cache=False)
    assert [d.code for d in found] == ["GL902"]


def test_fixing_runs_in_the_worker_pool_and_equals_a_serial_fix(tree, monkeypatch):
    files = sorted(str(p.relative_to(tree)) for p in tree.rglob("*.py") if not p.name.endswith(".fixed.py"))
    serial = runner.fix_files(files, lambda _path: Settings(), lambda _path: True, write=False, jobs=1)
    started = []
    real_start = runner._Scheduler._start
    monkeypatch.setattr(runner._Scheduler, "_start", lambda self, n: started.append(n) or real_start(self, n))
    parallel = runner.fix_files(files, lambda _path: Settings(), lambda _path: True, write=False, jobs=2)
    assert started == [2]
    assert [(r.filename, r.fixed, r.fixed_count) for r in parallel] == [(r.filename, r.fixed, r.fixed_count)
                                                                      for r in serial]
    assert sum(r.fixed is not None for r in parallel) >= 40
