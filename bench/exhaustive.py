#!/usr/bin/env python
"""Check that gradlint's speed shortcuts lose nothing: lint every file twice and compare.

    python bench/exhaustive.py PATH [PATH ...]       # directories are walked for *.py
    python bench/exhaustive.py --torch               # the installed torch package's sources

Once as the CLI does (the pre-filter skips files that cannot hold a finding; functions never
called are analysed on their own only when their text is hot; long cold statements of large files
are skipped), once exhaustively (every file parsed, every function analysed, no large-file mode).
Prints each file whose diagnostics differ and a summary; exits 1 if any finding (not a GL9xx file
error of a file the pre-filter rightly skips) differs. Slow: minutes on the torch sources.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Iterator, List, Tuple

from gradlint.linter import lint_source
from gradlint.prefilter import could_have_findings
from gradlint.sources import SourceError, load


def python_files(paths: List[str]) -> Iterator[str]:
    for path in paths:
        if os.path.isdir(path):
            for directory, subdirectories, names in os.walk(path):
                subdirectories.sort()
                yield from (os.path.join(directory, n) for n in sorted(names) if n.endswith(".py"))
        else:
            yield path


def keys(found) -> List[Tuple[int, int, str]]:
    return sorted((d.line, d.column, d.code) for d in found)


def compare(path: str) -> Tuple[list, list]:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = load(data, path).program.text
    except SourceError:
        return [], []
    shortcut = keys(lint_source(text, path)) if could_have_findings(data) else []
    return shortcut, keys(lint_source(text, path, exhaustive=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--torch", action="store_true", help="add the installed torch package's sources")
    options = parser.parse_args()
    paths = list(options.paths)
    if options.torch:
        import importlib.util
        spec = importlib.util.find_spec("torch")
        paths += list(spec.submodule_search_locations or [])
    files = findings = lost = 0
    for path in python_files(paths):
        shortcut, exhaustive = compare(path)
        files += 1
        findings += sum(1 for key in exhaustive if not key[2].startswith("GL9"))
        if shortcut != exhaustive:
            only_errors = all(key[2].startswith("GL9") for key in set(shortcut) ^ set(exhaustive))
            lost += not only_errors
            print(f"{path}: shortcuts {shortcut}, exhaustive {exhaustive}"
                  + (" (a file error only: the pre-filter skips the file)" if only_errors else ""))
    print(f"{files} files, {findings} findings in the exhaustive run, {lost} files whose findings differ")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
