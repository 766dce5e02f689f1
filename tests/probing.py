"""Torch probes of many scripts (tests/runtime_probe.py, warmed up by tests/generator/probe_batch.py:
torch imported and its first optimizer built once per process, a forked child per script).

What the selected tests will need probed is started in the background as soon as they are known
(conftest.py's hooks), in one process per CPU but one: the tests run serially in the other, so the
probes use CPU that would be idle, and the fixture that needs them waits for the results."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Optional

PROBE = Path(__file__).parent / "generator" / "probe_batch.py"


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2


class Probing:
    """Scripts being probed by `workers` processes. Output goes to files, so that the processes
    never wait for a reader."""

    def __init__(self, scripts, workers: int):
        scripts = list(scripts)
        chunks = [chunk for chunk in (scripts[index::workers] for index in range(workers)) if chunk]
        self.running = []
        self._results: Optional[dict] = None
        for chunk in chunks:
            stdout, stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
            process = subprocess.Popen([sys.executable, str(PROBE), *map(str, chunk)], stdout=stdout, stderr=stderr,
                                       text=True)
            self.running.append((process, stdout, stderr))

    def results(self) -> dict[str, dict]:
        """What torch did, by script path (waits for the processes)."""
        if self._results is None:
            self._results = {}
            for process, stdout, stderr in self.running:
                process.wait(timeout=1200)
                stdout.seek(0)
                stderr.seek(0)
                assert process.returncode == 0, stderr.read()
                for line in stdout:
                    if line.startswith("{"):
                        result = json.loads(line)
                        self._results[result.pop("path")] = result
                stdout.close()
                stderr.close()
        return self._results

    def stop(self) -> None:
        for process, stdout, stderr in self.running:
            if process.poll() is None:
                process.kill()
            process.wait()
            stdout.close()
            stderr.close()


# fixture name -> (what writes its scripts and returns their paths, what removes them)
_JOBS: dict[str, tuple[Callable[[], list], Callable[[], None]]] = {}
_BACKGROUND: dict[str, Probing] = {}  # fixture name -> the background probing covering its scripts


def in_background(fixture: str, scripts: Callable[[], list], cleanup: Callable[[], None] = lambda: None) -> None:
    """Probe `scripts()` in the background when a selected test uses `fixture`."""
    _JOBS[fixture] = (scripts, cleanup)


def start_for(items) -> None:
    """One background probing of every script the selected tests need, in the order they need them."""
    wanted = []
    for item in items:
        wanted += [name for name in getattr(item, "fixturenames", ())
                   if name in _JOBS and name not in _BACKGROUND and name not in wanted]
    if wanted:
        background = Probing([path for fixture in wanted for path in _JOBS[fixture][0]()], max(1, cpus() - 1))
        _BACKGROUND.update(dict.fromkeys(wanted, background))


def results(fixture: str) -> dict[str, dict]:
    """What torch did in `fixture`'s scripts, by path (probed now, on every CPU, when not started)."""
    background = _BACKGROUND.pop(fixture, None)
    if background is None:
        return Probing(_JOBS[fixture][0](), cpus()).results()
    return background.results()


def stop_all() -> None:
    """At the end of the session: stop what no test took (a failure ended the run first), clean up."""
    for background in set(_BACKGROUND.values()):
        background.stop()
    _BACKGROUND.clear()
    for _scripts, cleanup in _JOBS.values():
        cleanup()
