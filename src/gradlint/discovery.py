"""Which files to lint: files named directly, and *.py / *.pyi / *.ipynb under directories.

Directory walks skip what the settings exclude (by default .git, virtualenvs, __pycache__, build,
site-packages, ...; any directory holding a `pyvenv.cfg` is a virtualenv) and what `.gitignore` files
ignore (via `pathspec`, gitignore semantics, including the `.gitignore` files of parent directories
up to the repository root). A path named on the command line is always linted, unless
`--force-exclude` is on and the settings exclude it (pre-commit passes every changed file).
"""
from __future__ import annotations

import os
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pathspec

from .config import DEFAULT_EXCLUDE, Settings

SKIPPED_DIRECTORIES = frozenset(name for name in DEFAULT_EXCLUDE if "*" not in name)
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")

SettingsFor = Callable[[str], Settings]
GitIgnores = Tuple[Tuple[str, pathspec.PathSpec], ...]  # (base directory, spec), shallowest first


def is_virtualenv(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def _default_settings(_path: str, _settings=Settings()) -> Settings:
    return _settings


def discover(paths: List[str], settings_for: Optional[SettingsFor] = None,
             force_exclude: Optional[bool] = None) -> Tuple[List[str], List[str]]:
    """(files to lint in a stable order, paths that do not exist).

    `settings_for(path)` gives the settings of a path (exclusions, gitignore); `force_exclude`
    overrides the settings' `force-exclude`."""
    files: List[str] = []
    missing: List[str] = []
    seen = set()
    for path, exists in _candidates(paths, settings_for or _default_settings, force_exclude):
        if not exists:
            missing.append(path)
            continue
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            files.append(path)
    return files, missing


def any_files(paths: List[str], settings_for: Optional[SettingsFor] = None,
              force_exclude: Optional[bool] = None) -> bool:
    """Whether `discover` would find a file to lint; stops at the first one (for ruff's warning
    "No Python files found under the given path(s)")."""
    return any(exists for _path, exists in _candidates(paths, settings_for or _default_settings, force_exclude))


def _candidates(paths: List[str], settings_for: SettingsFor,
                force_exclude: Optional[bool]) -> Iterator[Tuple[str, bool]]:
    """(path, True) for each file to lint, lazily and possibly repeated; (path, False) for a path
    that does not exist."""
    for path in paths:
        if not os.path.lexists(path):
            yield path, False
            continue
        is_dir = os.path.isdir(path)
        settings = settings_for(path)
        force = settings.force_exclude if force_exclude is None else force_exclude
        if force and is_excluded_path(path, settings, is_dir):
            continue
        if is_dir:
            for candidate in iter_walk(path, settings_for):
                yield os.path.normpath(candidate), True
        else:
            yield path, True


def is_excluded_path(path: str, settings: Settings, is_dir: bool) -> bool:
    """Whether the settings exclude the path or one of its parents (for --force-exclude)."""
    absolute = os.path.abspath(path)
    if settings.is_excluded(absolute, is_dir):
        return True
    parent = os.path.dirname(absolute)
    while parent and parent != os.path.dirname(parent):
        if settings.is_excluded(parent, True):
            return True
        if os.path.abspath(parent) == os.path.abspath(settings.root):
            break
        parent = os.path.dirname(parent)
    return False


def _read_gitignore(directory: str) -> Optional[pathspec.PathSpec]:
    path = os.path.join(directory, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
    except OSError:
        return None


def parent_gitignores(directory: str) -> GitIgnores:
    """The .gitignore files of the directories above `directory`, up to the repository root
    (the closest directory with `.git`); none outside a repository."""
    found = []
    chain = []
    probe = os.path.abspath(directory)
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            break
        parent = os.path.dirname(probe)
        if parent == probe:
            return ()  # not in a repository: parent .gitignore files do not apply
        probe = parent
        chain.append(probe)
    for parent in reversed(chain):
        spec = _read_gitignore(parent)
        if spec is not None:
            found.append((parent, spec))
    return tuple(found)


def gitignored(path: str, is_dir: bool, ignores: GitIgnores) -> bool:
    """Deepest .gitignore with a matching pattern decides (its last matching pattern wins)."""
    for base, spec in reversed(ignores):
        relative = os.path.relpath(path, base).replace(os.sep, "/")
        if relative.startswith(".."):
            continue
        result = spec.check_file(relative + ("/" if is_dir else ""))
        if result.include is not None:
            return bool(result.include)
    return False


def walk(root: str, settings_for: Optional[SettingsFor] = None) -> List[str]:
    return list(iter_walk(root, settings_for))


def iter_walk(root: str, settings_for: Optional[SettingsFor] = None) -> Iterator[str]:
    """The files to lint under the directory `root`, lazily, in a stable order."""
    settings_for = settings_for or _default_settings
    root_settings = settings_for(root)
    ignores: Dict[str, GitIgnores] = {}
    # A directory named directly is linted even if excluded or gitignored: then what lies under it
    # is matched relative to it, and the .gitignore files above it do not apply.
    base = os.path.abspath(root) if is_excluded_path(root, root_settings, True) else None
    if root_settings.respect_gitignore:
        parents = parent_gitignores(root)
        if parents and gitignored(os.path.abspath(root), True, parents):
            parents = ()
        ignores[os.path.abspath(root)] = parents
    for directory, subdirectories, filenames in os.walk(root):
        absolute = os.path.abspath(directory)
        settings = settings_for(directory)
        inherited = ignores.get(absolute, ())
        if settings.respect_gitignore:
            own = _read_gitignore(directory)
            if own is not None:
                inherited = inherited + ((absolute, own),)
        else:
            inherited = ()
        kept = []
        for name in sorted(subdirectories):
            path = os.path.join(directory, name)
            if (settings.is_excluded(path, True, base) or is_virtualenv(path)
                    or (inherited and gitignored(os.path.abspath(path), True, inherited))):
                continue
            kept.append(name)
            ignores[os.path.abspath(path)] = inherited
        subdirectories[:] = kept
        for name in sorted(filenames):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(directory, name)
            if settings.is_excluded(path, False, base):
                continue
            if inherited and gitignored(os.path.abspath(path), False, inherited):
                continue
            yield path
