"""Differential runner: gradlint's findings versus what torch does, program by program.

For each generated program, gradlint (in-process, `lint_source`) and the runtime probe
(tests/runtime_probe.py --many, torch imported once, a fork per program) must give the same lines:

  GL001 / GL002  <->  nonleaf_reads (GL001 may also be an `unreached_reads` line: a retained
                     non-leaf no backward() reached; torch's, but not demanded of gradlint)
  GL003          <->  late_retain_reads
  GL004          <->  optimizer_errors

A GL9xx diagnostic (gradlint could not lint the program) or a probe `error` (the generator wrote a
program that fails under torch) is a disagreement of its own kind.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence

from .programs import generate

TESTS = Path(__file__).resolve().parent.parent
PROBE = TESTS / "runtime_probe.py"
PROBE_BATCH = Path(__file__).resolve().parent / "probe_batch.py"  # the same probe, warmed up

CATEGORIES = {  # probe key -> gradlint codes
    "nonleaf_reads": ("GL001", "GL002"),
    "late_retain_reads": ("GL003",),
    "optimizer_errors": ("GL004",),
}


def gradlint_lines(source: str, filename: str) -> Dict[str, List[int]]:
    """gradlint's findings for `source`, grouped like the probe's keys (plus `internal` for GL9xx)."""
    from gradlint import lint_source
    found = lint_source(source, filename)
    out = {key: sorted({d.start.line for d in found if d.code in codes}) for key, codes in CATEGORIES.items()}
    out["internal"] = [f"{d.code} {d.message}" for d in found if d.code.startswith("GL9")]
    return out


@dataclass
class Verdict:
    seed: Optional[int]
    path: str
    probe: dict
    lint: Dict[str, List[int]]
    false_positives: Dict[str, List[int]] = field(default_factory=dict)
    misses: Dict[str, List[int]] = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        return not (self.false_positives or self.misses or self.lint["internal"] or self.probe.get("error"))

    def describe(self) -> str:
        parts = []
        for key in CATEGORIES:
            if key in self.false_positives or key in self.misses:
                parts.append(f"{key}: torch {self.probe.get(key)} vs gradlint {self.lint[key]}")
        if self.probe.get("error"):
            parts.append(f"program failed under torch: {self.probe['error']}")
        if self.lint["internal"]:
            parts.append(f"gradlint could not lint it: {self.lint['internal']}")
        return "; ".join(parts)


def compare(seed, path: str, source: str, probe: dict) -> Verdict:
    lint = gradlint_lines(source, path)
    verdict = Verdict(seed, path, probe, lint)
    for key in CATEGORIES:
        truth = set(probe.get(key) or [])
        mine = set(lint[key])
        allowed = truth | set(probe.get("unreached_reads") or []) if key == "nonleaf_reads" else truth
        if mine - allowed:
            verdict.false_positives[key] = sorted(mine - allowed)
        if truth - mine:
            verdict.misses[key] = sorted(truth - mine)
    return verdict


NO_RESULT = {"error": "no result from the probe"}


class ProbeServer:
    """A long-lived warmed-up probe (probe_batch.py --serve): for many small batches."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(PROBE_BATCH), "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def probe(self, paths: Sequence[str]) -> Dict[str, dict]:
        results = {}
        for path in paths:
            self.proc.stdin.write(path + "\n")
            self.proc.stdin.flush()
            while True:
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError("probe server died")
                if line.startswith("{"):
                    result = json.loads(line)
                    results[result.pop("path")] = result
                    break
        return results

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def probe_many(paths: Sequence[str], jobs: int = 2, server: Optional[ProbeServer] = None) -> Dict[str, dict]:
    """Run tests/runtime_probe.py --many over `paths`, split over `jobs` processes."""
    if not paths:
        return {}
    if server is not None:
        return server.probe(paths)
    chunks = [list(paths[i::jobs]) for i in range(jobs) if paths[i::jobs]]
    procs = []
    for chunk in chunks:
        procs.append(subprocess.Popen([sys.executable, str(PROBE_BATCH), *chunk], stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True))
    results: Dict[str, dict] = {}
    for proc in procs:
        out, _ = proc.communicate()
        for line in out.splitlines():
            if line.startswith("{"):
                result = json.loads(line)
                results[result.pop("path")] = result
    for path in paths:
        results.setdefault(path, NO_RESULT)
    return results


@dataclass
class Summary:
    programs: int = 0
    agreeing: int = 0
    false_positives: int = 0  # lines gradlint reports that torch does not
    misses: int = 0  # lines torch reports that gradlint does not
    invalid_programs: int = 0  # the program failed under torch (a generator bug)
    internal_errors: int = 0
    truth_lines: int = 0  # lines torch reports, all categories
    disagreements: List[Verdict] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, verdict: Verdict) -> None:
        self.programs += 1
        self.agreeing += verdict.agrees
        self.false_positives += sum(len(v) for v in verdict.false_positives.values())
        self.misses += sum(len(v) for v in verdict.misses.values())
        self.invalid_programs += bool(verdict.probe.get("error"))
        self.internal_errors += bool(verdict.lint["internal"])
        self.truth_lines += sum(len(verdict.probe.get(key) or []) for key in CATEGORIES)
        if not verdict.agrees:
            self.disagreements.append(verdict)

    def report(self) -> str:
        pct = 100.0 * self.agreeing / self.programs if self.programs else 100.0
        return "\n".join([
            f"programs:          {self.programs}",
            f"agreement:         {self.agreeing}/{self.programs} ({pct:.2f}%)",
            f"false positives:   {self.false_positives} lines (gradlint reports, torch does not)",
            f"misses:            {self.misses} lines (torch reports, gradlint does not)",
            f"lines torch found: {self.truth_lines}",
            f"invalid programs:  {self.invalid_programs} (failed under torch: generator bugs)",
            f"internal errors:   {self.internal_errors} (GL9xx from gradlint)",
            f"time:              {self.seconds:.1f} s",
        ])


def run_sources(sources: Dict[object, str], workdir: str, jobs: int = 2,
                server: Optional[ProbeServer] = None) -> List[Verdict]:
    """Write each program (keyed by seed or name) to `workdir`, probe them all, compare."""
    paths = write_sources(sources, workdir)
    probes = probe_many(list(paths.values()), jobs, server)
    return [compare(key, paths[key], sources[key], probes[paths[key]]) for key in sources]


class ProgramFiles:
    """Programs (by key) written to a folder for a probe that runs them in the background
    (tests/probing.py), then compared with gradlint once the probe is done."""

    def __init__(self, sources: Callable[[], Dict[object, str]], prefix: str):
        self.make_sources, self.prefix = sources, prefix
        self.workdir: Optional[str] = None
        self.sources: Dict[object, str] = {}
        self.paths: Dict[object, str] = {}

    def write(self) -> list:
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix=self.prefix)
            self.sources = self.make_sources()
            self.paths = write_sources(self.sources, self.workdir)
        return list(self.paths.values())

    def remove(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def verdicts(self, probes: Dict[str, dict]) -> Dict[object, "Verdict"]:
        """Each program's verdict, from what the probe saw; the folder is removed."""
        try:
            return {key: compare(key, path, self.sources[key], probes.get(path, NO_RESULT))
                    for key, path in self.paths.items()}
        finally:
            self.remove()


def write_sources(sources: Dict[object, str], workdir: str) -> Dict[object, str]:
    """Each program written to `workdir` as prog_<key>.py: the paths, by key."""
    paths = {}
    for key, source in sources.items():
        path = os.path.join(workdir, f"prog_{key}.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source)
        paths[key] = path
    return paths


def run(count: int, seed: int = 0, jobs: int = 2, out_dir: Optional[str] = None, batch: int = 2000,
        progress=None, skip: Iterable[int] = (), avoid: Sequence[str] = ()) -> Summary:
    """Generate programs for seeds seed .. seed+count-1 and compare; write disagreements to out_dir."""
    summary = Summary()
    start = time.perf_counter()
    skip = set(skip)
    seeds = [s for s in range(seed, seed + count) if s not in skip]
    with tempfile.TemporaryDirectory(prefix="gradlint_diff_") as workdir:
        for offset in range(0, len(seeds), batch):
            chunk = seeds[offset:offset + batch]
            for verdict in run_sources({s: generate(s, avoid) for s in chunk}, workdir, jobs):
                summary.add(verdict)
            if progress:
                progress(summary)
    summary.seconds = time.perf_counter() - start
    if out_dir:
        write_disagreements(summary.disagreements, out_dir, avoid)
    return summary


def write_disagreements(verdicts: Sequence[Verdict], out_dir: str, avoid: Sequence[str] = ()) -> None:
    """One file per disagreeing program; what torch and gradlint said goes at the end (so that the
    program's own line numbers stay as they were)."""
    os.makedirs(out_dir, exist_ok=True)
    for verdict in verdicts:
        source = generate(verdict.seed, avoid) if isinstance(verdict.seed, int) else Path(verdict.path).read_text()
        note = "\n".join(f"# {line}" for line in verdict.describe().split("; "))
        name = f"seed_{verdict.seed}.py" if isinstance(verdict.seed, int) else os.path.basename(verdict.path)
        Path(out_dir, name).write_text(f"{source}\n# --- differential: disagreement ---\n{note}\n", encoding="utf-8")
