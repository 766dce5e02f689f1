"""Shrink a disagreeing program: remove statements (a line with its indented block) while the same
kind of disagreement (a false positive or a miss in the same category) remains and the program
still runs under torch. Each round probes every candidate in one batch."""
from __future__ import annotations

import ast
import tempfile
from typing import List, Optional, Set, Tuple

from .runner import ProbeServer, Verdict, run_sources


def signature(verdict: Verdict) -> Set[Tuple[str, str]]:
    kinds = {(key, "false positive") for key in verdict.false_positives}
    kinds |= {(key, "miss") for key in verdict.misses}
    if verdict.lint["internal"]:
        kinds.add(("internal", "error"))
    return kinds


def statements(lines: List[str]) -> List[Tuple[int, int]]:
    """(start, end) line spans of every statement, compound ones with their whole block."""
    spans = []
    for i, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        spans.append((i, end))
    return spans


def candidates(source: str) -> List[str]:
    lines = source.splitlines()
    out = []
    for start, end in sorted(statements(lines), key=lambda span: span[0] - span[1]):
        text = lines[start].strip()
        if text == "import torch":
            continue
        for replacement in ([], None):
            if replacement is None:  # also try a compound statement's body in place of the statement
                if not text.endswith(":") or end - start < 2:
                    continue
                body = lines[start + 1:end]
                cut = len(body[0]) - len(body[0].lstrip()) - (len(lines[start]) - len(lines[start].lstrip()))
                replacement = [l[cut:] if l.strip() else l for l in body]
                if text.startswith("else"):
                    continue
            new = lines[:start] + replacement + lines[end:]
            candidate = "\n".join(new) + "\n"
            try:
                ast.parse(candidate)
            except SyntaxError:
                continue
            out.append(candidate)
    return list(dict.fromkeys(out))


def minimise(source: str, want: Optional[Tuple[str, str]] = None, max_rounds: int = 60):
    """Returns (smallest program found, description of its disagreement)."""
    server = ProbeServer()
    try:
        return _minimise(source, want, max_rounds, server)
    finally:
        server.close()


def _minimise(source, want, max_rounds, server):
    with tempfile.TemporaryDirectory(prefix="gradlint_min_") as workdir:
        verdict = run_sources({"orig": source}, workdir, server=server)[0]
        kinds = signature(verdict)
        if not kinds:
            return source, "no disagreement"
        want = want or sorted(kinds)[0]
        best, best_verdict = source, verdict
        for _round in range(max_rounds):
            options = candidates(best)
            if not options:
                break
            verdicts = run_sources({i: text for i, text in enumerate(options)}, workdir, server=server)
            keep = [v for v in verdicts if not v.probe.get("error") and want in signature(v)]
            if not keep:
                break
            best_verdict = min(keep, key=lambda v: len(options[v.seed].splitlines()))
            best = options[best_verdict.seed]
        return best, best_verdict.describe()
