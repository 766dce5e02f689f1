#!/usr/bin/env python
"""The cost of following the project's own imports (gradlint/project.py, analysis/imports.py).

    python bench/cross_file.py [--runs 3] [DIR ...]

In one process, on the same files, with imports followed (the default) and with none followed
(`imports=None`), medians of --runs runs:
  torch    the installed torch package's files that pass the pre-filter (the only ones analysed):
           they import each other a lot (relative imports inside torch.optim, torch.nn...)
  project  a generated multi-module project (a package with models, data and Grad-CAM helpers,
           and 40 training scripts importing them)
  DIR...   real projects named on the command line (their files that pass the pre-filter)
It prints the seconds, the ratio, the project modules run per file and the findings either way
(following imports may only add findings).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

from gradlint.linter import lint_source  # noqa: E402
from gradlint.prefilter import could_have_findings  # noqa: E402
from gradlint.project import for_file  # noqa: E402


def torch_files():
    import torch
    return hot_files(os.path.dirname(torch.__file__))


def hot_files(root: str) -> list:
    """The .py files under root that pass the pre-filter (the only ones analysed)."""
    files = []
    for directory, _dirs, names in os.walk(root):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                with open(path, "rb") as handle:
                    if could_have_findings(handle.read()):
                        files.append(path)
    return sorted(files)


PACKAGE = {
    "proj/__init__.py": "",
    "proj/data.py": """
        import torch

        def sample(n):
            return 2 * torch.rand(n, 1, requires_grad=True) - 1

        GRID = torch.linspace(0, 1, 10, requires_grad=True) * 2
    """,
    "proj/models.py": """
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(1, 8)
                self.out = nn.Linear(8, 1)

            def forward(self, x):
                self.hidden = torch.tanh(self.fc(x))
                return self.out(self.hidden)
    """,
    "proj/gradcam.py": """
        from .models import Net

        def activations(model, x):
            model(x)
            return model.hidden
    """,
}
SCRIPT = """
    import torch
    from proj.data import sample, GRID
    from proj.models import Net
    from proj.gradcam import activations

    model = Net()
    x = sample({n})
    h = activations(model, x)
    loss = model(x).sum() + GRID.sum()
    loss.backward()
    print(x.grad, h.grad, GRID.grad)
"""


def make_project(directory: str) -> list:
    for name, text in PACKAGE.items():
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(textwrap.dedent(text))
    scripts = []
    for index in range(40):
        path = os.path.join(directory, f"train_{index}.py")
        with open(path, "w") as handle:
            handle.write(textwrap.dedent(SCRIPT.format(n=index + 1)))
        scripts.append(path)
    open(os.path.join(directory, "pyproject.toml"), "w").close()
    return scripts


def run(files, follow: bool):
    start = time.perf_counter()
    findings = modules = 0
    for path in files:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
        imports = for_file(path) if follow else None
        findings += len([d for d in lint_source(text, path, imports=imports) if not d.code.startswith("GL9")])
        if imports is not None:
            modules += sum(1 for _path, digest in imports.dependencies() if len(digest) == 64)
    return time.perf_counter() - start, findings, modules


def report(label: str, files, runs: int) -> None:
    timings = {}
    for follow in (False, True):
        results = [run(files, follow) for _ in range(runs)]
        timings[follow] = (statistics.median(r[0] for r in results), results[0][1], results[0][2])
    off, on = timings[False], timings[True]
    print(f"{label:8} {len(files):4} files  no imports {off[0]:6.2f} s ({off[1]} findings)  "
          f"imports {on[0]:6.2f} s ({on[1]} findings, {on[2] / max(1, len(files)):.1f} modules read per file)  "
          f"x{on[0] / off[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("projects", nargs="*", metavar="DIR",
                        help="real projects to measure too (e.g. a checkout of learn2learn)")
    args = parser.parse_args()
    for directory in args.projects:
        report(os.path.basename(os.path.abspath(directory))[:8], hot_files(directory), args.runs)
    try:
        report("torch", torch_files(), args.runs)
    except ImportError:
        print("torch   not installed: skipped")
    with tempfile.TemporaryDirectory() as directory:
        report("project", make_project(directory), args.runs)


if __name__ == "__main__":
    main()
