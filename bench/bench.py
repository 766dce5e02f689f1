#!/usr/bin/env python
"""Time gradlint against ruff on the same files, in one run, and print the ratios.

    python bench/bench.py                 # everything (a few minutes on 2 cores)
    python bench/bench.py --runs 5 --markdown bench/last.md
    python bench/bench.py --only torch,editor

Corpora:
  torch    the installed torch package's sources (needs torch: the `test` extra)
  stdlib   CPython's standard library: no `.grad` anywhere
  gen-Nx   a generated corpus (mostly library-style modules without .grad, some training scripts
           with findings) at 1x, 2x, 4x and 8x the files, to show linear growth
  editor   `gradlint --stdin-filename f.py -` on a generated 500-line model file and a 2,000-line
           training script: wall time of the whole process, interpreter start-up included

For each corpus: gradlint cold (`--no-cache`), gradlint warm (after one run has filled the cache)
and `ruff check --no-cache` (default rules) as the reference; wall-clock medians of --runs runs,
and the peak RSS of the largest process (gradlint's workers included), from getrusage in a child.
ruff must be on PATH or importable (`pip install ruff`); it is the reference, not a dependency.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from typing import List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Runs a command and prints "<seconds> <peak RSS KiB of the largest descendant>" on stderr's last line.
MEASURE = textwrap.dedent("""
    import resource, subprocess, sys, time
    start = time.perf_counter()
    with open(sys.argv[1], "rb") as stdin:
        code = subprocess.call(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    print(f"{elapsed} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {code}")
""")


def measure(command: List[str], cwd: str, stdin: str = os.devnull) -> Tuple[float, int, int]:
    out = subprocess.run([sys.executable, "-c", MEASURE, stdin, *command], cwd=cwd, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def median_of(runs: int, command: List[str], cwd: str, stdin: str = os.devnull, before=None):
    times, peaks, codes = [], [], set()
    for _ in range(runs):
        if before is not None:
            before()
        elapsed, peak, code = measure(command, cwd, stdin)
        times.append(elapsed)
        peaks.append(peak)
        codes.add(code)
    return statistics.median(times), max(peaks), codes


def find_ruff() -> Optional[List[str]]:
    exe = shutil.which("ruff") or shutil.which("ruff", path=os.path.dirname(sys.executable))
    if exe:
        return [exe]
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore
        return [find_ruff_bin()]
    except Exception:  # noqa: BLE001
        return None


def gradlint_command() -> List[str]:
    exe = shutil.which("gradlint", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "gradlint"]


def count_files(path: str) -> Tuple[int, int]:
    """Python files and bytes under `path`, skipping what gradlint's discovery skips by name."""
    from gradlint.discovery import SKIPPED_DIRECTORIES
    files = size = 0
    for directory, subdirectories, filenames in os.walk(path):
        subdirectories[:] = [d for d in subdirectories if d not in SKIPPED_DIRECTORIES]
        for name in filenames:
            if name.endswith((".py", ".pyi")):
                files += 1
                size += os.path.getsize(os.path.join(directory, name))
    return files, size


# -- generated corpora ------------------------------------------------------------------------------

LIBRARY_MODULE = '''"""Generated library module {i}: layers and utilities; reads no gradients."""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block{i}(nn.Module):
    def __init__(self, dim: int = 64, hidden: Optional[int] = None, dropout: float = 0.1):
        super().__init__()
        hidden = hidden or 4 * dim
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)
        self.dropout = nn.Dropout(dropout)
        self.gradient_checkpointing = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(x)
        h = F.gelu(self.up(h))
        h = self.dropout(self.down(h))
        return x + h


def init_weights_{i}(module: nn.Module, std: float = 0.02) -> None:
    for name, p in module.named_parameters():
        if p.dim() > 1:
            nn.init.normal_(p, mean=0.0, std=std / math.sqrt(2 * {i} + 1))
        else:
            nn.init.zeros_(p)


def schedule_{i}(step: int, warmup: int = 100, total: int = 10_000) -> float:
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * progress))
'''

TRAINING_SCRIPT = '''"""Generated training script {i}: reads .grad, some of them of non-leaves."""
import torch
import torch.nn as nn

torch.manual_seed({i})
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
w = torch.randn(8, 8, requires_grad=True) * 0.01
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    x = torch.randn(4, 8)
    h = x @ w
    out = model(h)
    loss = out.pow(2).mean()
    opt.zero_grad()
    loss.backward()
    print(step, h.grad, out.grad, loss.grad)
    for p in model.parameters():
        if p.grad is not None:
            p.grad.clamp_(-1, 1)
    opt.step()
'''


def generate_corpus(directory: str, scale: int, unit_library: int = 190, unit_scripts: int = 10) -> None:
    """`scale` units of 200 files: 95% library modules without .grad, 5% training scripts with."""
    for s in range(scale):
        package = os.path.join(directory, f"pkg{s}")
        os.makedirs(package, exist_ok=True)
        for i in range(unit_library):
            with open(os.path.join(package, f"lib_{i}.py"), "w") as handle:
                handle.write(LIBRARY_MODULE.format(i=s * 1000 + i))
        for i in range(unit_scripts):
            with open(os.path.join(package, f"train_{i}.py"), "w") as handle:
                handle.write(TRAINING_SCRIPT.format(i=s * 1000 + i))


MODEL_HEADER = '''"""A generated model file in the style of transformers' modeling_*.py."""
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
'''

MODEL_CLASS = '''

class Attention{i}(nn.Module):
    def __init__(self, dim: int, heads: int = 8):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(dim, dim, bias=False)
        self.v = nn.Linear(dim, dim, bias=False)
        self.o = nn.Linear(dim, dim, bias=False)
        self.gradient_checkpointing = False

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        b, t, d = x.shape
        q = self.q(x).view(b, t, self.heads, d // self.heads).transpose(1, 2)
        k = self.k(x).view(b, t, self.heads, d // self.heads).transpose(1, 2)
        v = self.v(x).view(b, t, self.heads, d // self.heads).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        if mask is not None:
            scores = scores.masked_fill(mask == 0, float("-inf"))
        attn = F.softmax(scores, dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, t, d)
        return self.o(out), attn


class Mlp{i}(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Layer{i}(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.attn = Attention{i}(dim)
        self.mlp = Mlp{i}(dim, 4 * dim)
        self.n1 = nn.LayerNorm(dim)
        self.n2 = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.attn(self.n1(x))
        x = x + h
        return x + self.mlp(self.n2(x))
'''

TRAINING_BLOCK = '''

def train_stage_{i}(model, batches, lr: float = 1e-3):
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    history = []
    for step, (x, y) in enumerate(batches):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        norms = [p.grad.norm() for p in model.parameters() if p.grad is not None]
        if step % 10 == 0:
            print(step, loss.item(), logits.grad)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        history.append(float(loss))
        if len(history) > 100:
            history = history[-100:]
    return history
'''


SCRIPT_MAIN = '''

if __name__ == "__main__":
    model = nn.Sequential(Layer0(16), nn.Linear(16, 4))
    x = torch.randn(2, 3, 16)
    out = model(x)
    out.sum().backward()
    print(out.grad)  # always None: a finding
'''


def generate_lines(header: str, block: str, lines: int, tail: str = "") -> str:
    """Whole blocks after `header`, then `tail`, padded with comment lines to exactly `lines`."""
    text, i = header, 0
    while text.count("\n") + block.count("\n") + tail.count("\n") <= lines:
        text += block.format(i=i)
        i += 1
    text += tail
    return text + "# padding\n" * (lines - text.count("\n"))


# -- the benchmark --------------------------------------------------------------------------------

class Bench:
    def __init__(self, runs: int, jobs: Optional[int]):
        self.runs = runs
        self.gradlint = gradlint_command()
        self.jobs = ["--jobs", str(jobs)] if jobs else []
        self.ruff = find_ruff()
        self.rows: List[dict] = []
        self.work = tempfile.mkdtemp(prefix="gradlint-bench-")

    def corpus(self, name: str, path: str) -> None:
        files, size = count_files(path)
        cwd = tempfile.mkdtemp(dir=self.work)  # the cache goes here (no pyproject.toml above)
        cache = os.path.join(cwd, ".gradlint_cache")
        base = [*self.gradlint, "--exit-zero", *self.jobs]
        print(f"[{name}] {files} files, {size / 1e6:.1f} MB ...", file=sys.stderr, flush=True)
        cold, cold_peak, _ = median_of(self.runs, [*base, "--no-cache", path], cwd)
        subprocess.run([*base, path], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fill
        warm, warm_peak, _ = median_of(self.runs, [*base, path], cwd)
        ruff = ruff_peak = None
        if self.ruff:
            ruff, ruff_peak, _ = median_of(self.runs, [*self.ruff, "check", "--no-cache", "--exit-zero", "-q", path], cwd)
        shutil.rmtree(cache, ignore_errors=True)
        self.rows.append(dict(name=name, files=files, mb=size / 1e6, cold=cold, warm=warm, ruff=ruff,
                              cold_peak=cold_peak, warm_peak=warm_peak, ruff_peak=ruff_peak))
        self.print_row(self.rows[-1])

    @staticmethod
    def print_row(row) -> None:
        ratio = lambda a: f"{a / row['ruff']:.2f}x" if row["ruff"] else "-"  # noqa: E731
        print(f"  {row['name']}: cold {row['cold']:.2f} s ({ratio(row['cold'])} ruff), warm {row['warm']:.2f} s "
              f"({ratio(row['warm'])}), ruff {row['ruff'] or float('nan'):.2f} s; peak RSS "
              f"{row['cold_peak'] / 1024:.0f} MB", file=sys.stderr, flush=True)

    def editor(self) -> List[dict]:
        rows = []
        directory = tempfile.mkdtemp(dir=self.work)
        cases = [("500-line model file", generate_lines(MODEL_HEADER, MODEL_CLASS, 500), 0.35),
                 ("2,000-line training script",
                  generate_lines(MODEL_HEADER, MODEL_CLASS + TRAINING_BLOCK, 2000, SCRIPT_MAIN), 1.0)]
        startup, _, _ = median_of(max(5, self.runs), [sys.executable, "-c", "pass"], directory)
        imported, _, _ = median_of(max(5, self.runs), [sys.executable, "-c", "import gradlint.cli"], directory)
        for label, text, target in cases:
            path = os.path.join(directory, f"case{len(rows)}.py")
            with open(path, "w") as handle:
                handle.write(text)
            command = [*self.gradlint, "--stdin-filename", os.path.basename(path), "-"]
            elapsed, peak, codes = median_of(max(5, self.runs), command, directory, stdin=path)
            row = dict(label=label, lines=text.count("\n"), seconds=elapsed, target=target, peak=peak, codes=codes)
            rows.append(row)
            print(f"[editor] {label}: {elapsed:.3f} s (target < {target} s), exit {sorted(codes)}",
                  file=sys.stderr, flush=True)
        print(f"[editor] python start-up {startup:.3f} s; python + import gradlint.cli {imported:.3f} s",
              file=sys.stderr, flush=True)
        self.startup, self.imported = startup, imported
        return rows

    def markdown(self, editor_rows) -> str:
        cpus = os.cpu_count()
        lines = [f"Measured {time.strftime('%Y-%m-%d')} with `python bench/bench.py --runs {self.runs}` on "
                 f"{platform.machine()} Linux, {cpus} cores, Python {platform.python_version()}, "
                 f"{ruff_version(self.ruff)}; medians of {self.runs} runs, wall clock.", ""]
        if self.rows:
            lines += ["| corpus | files | MB | gradlint cold | gradlint warm | ruff --no-cache | cold / ruff | "
                      "warm / ruff | peak RSS cold |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for r in self.rows:
                ratio = lambda a: f"{a / r['ruff']:.2f}x" if r["ruff"] else "-"  # noqa: E731
                ruff = "-" if r["ruff"] is None else f"{r['ruff']:.2f} s"
                lines.append(f"| {r['name']} | {r['files']} | {r['mb']:.1f} | {r['cold']:.2f} s | {r['warm']:.2f} s | "
                             f"{ruff} | {ratio(r['cold'])} | {ratio(r['warm'])} | {r['cold_peak'] / 1024:.0f} MB |")
        if editor_rows:
            lines += ["", "| editor path (`--stdin-filename`, whole process) | lines | wall time | target |",
                      "|---|---:|---:|---:|"]
            for r in editor_rows:
                lines.append(f"| {r['label']} | {r['lines']} | {r['seconds']:.3f} s | < {r['target']} s |")
            lines.append(f"| (python start-up alone / + `import gradlint.cli`) | | {self.startup:.3f} s / "
                         f"{self.imported:.3f} s | |")
        return "\n".join(lines) + "\n"


def ruff_version(ruff) -> str:
    if not ruff:
        return "ruff not found"
    return subprocess.run([*ruff, "--version"], capture_output=True, text=True).stdout.strip()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median); default 3")
    parser.add_argument("--jobs", type=int, default=None, help="pass --jobs N to gradlint (default: its own)")
    parser.add_argument("--only", default="torch,stdlib,generated,editor",
                        help="comma-separated: torch, stdlib, generated, editor")
    parser.add_argument("--scales", default="1,2,4,8", help="generated corpus scales (default 1,2,4,8)")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    bench = Bench(args.runs, args.jobs)
    if bench.ruff is None:
        print("ruff not found: pip install ruff (the reference timings will be missing)", file=sys.stderr)
    try:
        if "torch" in only:
            import importlib.util
            spec = importlib.util.find_spec("torch")  # its location only: importing torch is slow
            if spec is not None and spec.submodule_search_locations:
                bench.corpus("torch sources", list(spec.submodule_search_locations)[0])
            else:
                print("torch is not installed: skipping the torch corpus", file=sys.stderr)
        if "stdlib" in only:
            bench.corpus("CPython stdlib (no .grad)", sysconfig.get_paths()["stdlib"])
        if "generated" in only:
            for scale in (int(s) for s in args.scales.split(",")):
                directory = os.path.join(bench.work, f"generated-{scale}x")
                generate_corpus(directory, scale)
                bench.corpus(f"generated {scale}x", directory)
        editor_rows = bench.editor() if "editor" in only else []
        table = bench.markdown(editor_rows)
    finally:
        shutil.rmtree(bench.work, ignore_errors=True)
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
