"""`tests/runtime_probe.py --many`, warmed up: python tests/generator/probe_batch.py SCRIPT...
(or `--serve`: read script paths from stdin, for many small batches without re-importing torch).

Building the first optimizer imports torch._dynamo lazily (about 1.5 s). runtime_probe forks a child
per script from a parent that never built one, so every optimizer program paid it again. Here the
parent builds one throwaway optimizer first (before any probe patch is installed), then runs the
probe's own `main_many` unchanged: same results, a few milliseconds per script."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import runtime_probe  # noqa: E402
import torch  # noqa: E402

torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.1)

if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:  # one script path per stdin line, one JSON line back (minimiser)
        for line in sys.stdin:
            runtime_probe.main_many([line.rstrip("\n")])
    else:
        runtime_probe.main_many(sys.argv[1:])
