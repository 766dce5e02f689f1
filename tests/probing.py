"""Torch probes of many scripts (tests/runtime_probe.py, warmed up by tests/generator/probe_batch.py:
torch imported and its first optimizer built once per process, a forked child per script), started in
the background as soon as the selected tests are known (conftest.py's hooks): they run on the CPU
that the serial test run leaves idle, and the fixture that needs them waits for their results."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

PROBE = Path(__file__).parent / "generator" / "probe_batch.py"


class Probing:
    """Scripts being probed in one process per CPU. Output goes to files, so that the processes
    never wait for a reader."""

    def __init__(self, scripts):
        scripts = list(scripts)
        workers = max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2, 4))
        chunks = [chunk for chunk in (scripts[index::workers] for index in range(workers)) if chunk]
        self.running = []
        for chunk in chunks:
            stdout, stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
            process = subprocess.Popen([sys.executable, str(PROBE), *map(str, chunk)], stdout=stdout, stderr=stderr,
                                       text=True)
            self.running.append((process, stdout, stderr))

    def results(self) -> dict[str, dict]:
        """What torch did, by script path (waits for the processes)."""
        results = {}
        for process, stdout, stderr in self.running:
            process.wait(timeout=1200)
            stdout.seek(0)
            stderr.seek(0)
            assert process.returncode == 0, stderr.read()
            for line in stdout:
                if line.startswith("{"):
                    result = json.loads(line)
                    results[result.pop("path")] = result
            stdout.close()
            stderr.close()
        return results

    def stop(self) -> None:
        for process, stdout, stderr in self.running:
            process.kill()
            process.wait()
            stdout.close()
            stderr.close()


# fixture name -> what starts its probing (returns an object with stop()); and those started
_STARTERS: dict[str, Callable[[], Any]] = {}
_STARTED: dict[str, Any] = {}


def in_background(fixture: str, start: Callable[[], Any]) -> None:
    """Start `start()` when the tests are collected if a selected test uses `fixture`."""
    _STARTERS[fixture] = start


def start_for(items) -> None:
    used = {name for item in items for name in getattr(item, "fixturenames", ())}
    for fixture, start in _STARTERS.items():
        if fixture in used and fixture not in _STARTED:
            _STARTED[fixture] = start()


def take(fixture: str) -> Any:
    """What was started for `fixture` (started now when it was not)."""
    started = _STARTED.pop(fixture, None)
    return started if started is not None else _STARTERS[fixture]()


def stop_all() -> None:
    """Stop what no test took (a failure ended the run first)."""
    while _STARTED:
        _STARTED.popitem()[1].stop()
