"""Which files to lint: files named directly, and *.py under directories."""
from __future__ import annotations

import os
from typing import List, Tuple

SKIPPED_DIRECTORIES = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".env", "env", ".tox", ".nox", "build",
    "dist", "site-packages", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".gradlint_cache", ".ipynb_checkpoints", ".eggs",
})
SOURCE_SUFFIXES = (".py", ".pyi")


def is_virtualenv(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def discover(paths: List[str]) -> Tuple[List[str], List[str]]:
    """(files to lint in a stable order, paths that do not exist)."""
    files: List[str] = []
    missing: List[str] = []
    seen = set()
    for path in paths:
        if os.path.isfile(path):
            candidates = [path]
        elif os.path.isdir(path):
            candidates = walk(path)
        else:
            missing.append(path)
            continue
        for candidate in candidates:
            key = os.path.normpath(candidate)
            if key not in seen:
                seen.add(key)
                files.append(candidate)
    return files, missing


def walk(root: str) -> List[str]:
    found = []
    for directory, subdirectories, filenames in os.walk(root):
        subdirectories[:] = sorted(
            d for d in subdirectories
            if d not in SKIPPED_DIRECTORIES and not d.endswith(".egg-info")
            and not is_virtualenv(os.path.join(directory, d)))
        for filename in sorted(filenames):
            if filename.endswith(SOURCE_SUFFIXES):
                found.append(os.path.join(directory, filename))
    return found
