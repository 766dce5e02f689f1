#!/usr/bin/env python
"""Lint real repositories (already on disk) and print what gradlint finds in each.

    PYTHONPATH=src python bench/sweep.py DIR [DIR ...] [--jobs N] [--markdown]

Each DIR is one repository's work tree. Files are found as the command line finds them
(gitignore, the usual excluded directories, each file's closest pyproject.toml), and linted
in-process through `gradlint.lint_paths` without the cache. Per repository it prints the .py and
.pyi files, the notebooks, the files that pass the pre-filter (the only ones parsed), the
findings by code (GL9xx file errors included), the wall time and the CPU time (workers included:
on a shared machine the wall time says little), then every finding, one per line, for the
verdicts. No network; a script that prints numbers, not a test.
"""
from __future__ import annotations

import argparse
import collections
import os
import resource
import sys
import time

from gradlint import lint_paths
from gradlint.config import Resolver
from gradlint.discovery import discover
from gradlint.output import position
from gradlint.prefilter import could_have_findings
from gradlint.sources import is_notebook, screen_bytes


def passes_prefilter(path: str) -> bool:
    with open(path, "rb") as handle:
        return could_have_findings(screen_bytes(handle.read(), path))


def cpu_seconds() -> float:
    """User and system time of this process and of its finished children (the workers)."""
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def sweep(directory: str, jobs) -> dict:
    resolver = Resolver()
    files, _missing = discover([directory], resolver.settings_for)
    notebooks = [path for path in files if is_notebook(path)]
    start, start_cpu = time.perf_counter(), cpu_seconds()
    found = lint_paths([directory], resolver=resolver, jobs=jobs, use_cache=False)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
    return {
        "name": os.path.basename(os.path.normpath(directory)),
        "python": len(files) - len(notebooks),
        "notebooks": len(notebooks),
        "passing": sum(passes_prefilter(path) for path in files),
        "codes": collections.Counter(d.code for d in found),
        "seconds": seconds,
        "cpu": cpu,
        "found": found,
    }


def codes_text(codes: collections.Counter) -> str:
    return ", ".join(f"{code} {count}" for code, count in sorted(codes.items())) or "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directories", nargs="+", metavar="DIR")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per CPU)")
    parser.add_argument("--markdown", action="store_true", help="print the summary as a markdown table")
    options = parser.parse_args()

    rows = []
    for directory in options.directories:
        row = sweep(directory, options.jobs)
        rows.append(row)
        print(f"{row['name']}: {row['python']} .py, {row['notebooks']} notebooks, {row['passing']} pass the "
              f"pre-filter, findings: {codes_text(row['codes'])}, {row['seconds']:.2f} s ({row['cpu']:.2f} s CPU)",
              flush=True)
        for diagnostic in row["found"]:
            print(f"    {position(diagnostic)}: {diagnostic.code} {diagnostic.message}")

    total = collections.Counter()
    for row in rows:
        total.update(row["codes"])
    print(f"total: {len(rows)} repositories, {sum(r['python'] for r in rows)} .py, "
          f"{sum(r['notebooks'] for r in rows)} notebooks, {sum(r['passing'] for r in rows)} pass the pre-filter, "
          f"findings: {codes_text(total)}, {sum(r['seconds'] for r in rows):.2f} s "
          f"({sum(r['cpu'] for r in rows):.2f} s CPU)")
    if options.markdown:
        print("\n| repository | .py | notebooks | pass pre-filter | findings | seconds | CPU seconds |")
        print("|---|---:|---:|---:|---|---:|---:|")
        for row in rows:
            print(f"| {row['name']} | {row['python']} | {row['notebooks']} | {row['passing']} | "
                  f"{codes_text(row['codes'])} | {row['seconds']:.2f} | {row['cpu']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
