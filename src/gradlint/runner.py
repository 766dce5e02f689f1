"""Lint many files fast: pre-filter, cache, then a process pool for what is left.

For each file, in order of cost:

1. read its bytes; a file in which no enabled rule can fire (`prefilter.could_have_findings`) is
   done: no diagnostics, nothing parsed;
2. look its result up in the cache (`cache.Cache`), unless `use_cache=False`;
3. lint what remains with `linter.lint_bytes`: in this process when there is one file or
   `jobs == 1`, else in a pool of `jobs` worker processes (default: the CPUs this process may use).

Results are collected per file and returned in the order of `files`, whatever the scheduling.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Collection, List, Optional, Sequence, Tuple

from .diagnostic import Diagnostic

#: Below this many bytes of source to analyse, starting workers costs more than it saves.
PARALLEL_MIN_BYTES = 64 * 1024


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _rules_for(settings: Any, path: str) -> Optional[frozenset]:
    """The finding rules that can report in this file (None: assume all)."""
    enabled = getattr(settings, "enabled", None)
    if enabled is None:
        return None
    ignored = settings.ignored_codes(path) if getattr(settings, "_per_file", None) else []
    return frozenset(code for code in enabled if not any(code.startswith(p) or p == "ALL" for p in ignored))


def _lint_worker(path: str, data: bytes, settings: Any) -> List[Diagnostic]:
    from .linter import lint_bytes
    return lint_bytes(data, path, settings)


def _read_error(path: str, exc: OSError) -> Diagnostic:
    from . import errors
    return errors.file_error(errors.READ_ERROR, path, f"cannot read the file: {exc.strerror or exc}")


def lint_files(files: Sequence[str], settings_for: Callable[[str], Any], *, jobs: Optional[int] = None,
               use_cache: bool = True, cache_root: Optional[str] = None,
               unfiltered: Collection[str] = ()) -> List[Diagnostic]:
    """Every diagnostic for `files` (paths, as they should be reported), grouped by file in the
    order given. `settings_for(path)` gives the gradlint.config.Settings for a file. Files in
    `unfiltered` (the paths named on the command line) skip the pre-filter: they are always
    parsed, so a syntax or decoding error in them is reported even when they hold no `.grad`."""
    from .prefilter import could_have_findings

    results: List[Optional[List[Diagnostic]]] = [None] * len(files)
    pending: List[Tuple[int, str, bytes, Any, Optional[str]]] = []
    store = index = None
    new_index: dict = {}
    digests: dict = {}  # id(settings) -> digest, when the settings ignore no file by its path
    if use_cache:
        from .cache import Cache, entry_key, settings_digest
        store = Cache(cache_root)
        index = store.load_index()

    for position, path in enumerate(files):
        settings = settings_for(path)
        absolute = stat = digest = None
        if store is not None:
            absolute = os.path.abspath(path)
            try:
                stat = os.stat(path)
            except OSError:
                stat = None
            if getattr(settings, "_per_file", None):
                digest = settings_digest(settings, path)
            else:
                digest = digests.get(id(settings))
                if digest is None:
                    digest = digests[id(settings)] = settings_digest(settings, path)
            known = index.get(absolute) if stat is not None else None
            if (isinstance(known, list) and len(known) == 4 and known[0] == stat.st_size
                    and known[1] == stat.st_mtime_ns and known[2] == digest):
                cached = [] if known[3] == "" else store.get(known[3], path)
                if cached is not None:
                    results[position] = cached
                    new_index[absolute] = known
                    continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            results[position] = [_read_error(path, exc)]
            continue
        key = None
        if path not in unfiltered and not could_have_findings(
                data, _rules_for(settings, path), notebook=path.lower().endswith(".ipynb")):
            results[position] = []
            verdict = ""
        else:
            if store is not None:
                key = entry_key(data, path, settings)
                cached = store.get(key, path)
                if cached is not None:
                    results[position] = cached
            verdict = key
            if results[position] is None:
                pending.append((position, path, data, settings, key))
        if store is not None and stat is not None and verdict is not None:
            new_index[absolute] = [stat.st_size, stat.st_mtime_ns, digest, verdict]

    for (position, _path, _data, _settings, key), found in zip(pending, _lint_pending(pending, jobs)):
        results[position] = found
        if store is not None and key is not None and found is not None:
            store.put(key, found)

    if store is not None and new_index:
        # Keep what other runs (other paths) recorded; refresh what this run saw.
        if any(index.get(k) != v for k, v in new_index.items()):
            index.update(new_index)
            store.save_index(index)
    return [diagnostic for found in results for diagnostic in (found or ())]


def _lint_pending(pending, jobs: Optional[int]) -> List[List[Diagnostic]]:
    jobs = default_jobs() if jobs is None or jobs < 1 else jobs
    jobs = min(jobs, len(pending))
    if jobs <= 1 or sum(len(item[2]) for item in pending) < PARALLEL_MIN_BYTES:
        return [_lint_worker(path, data, settings) for _index, path, data, settings, _key in pending]
    return _lint_parallel(pending, jobs)


def _lint_parallel(pending, jobs: int) -> List[List[Diagnostic]]:
    import concurrent.futures
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")  # workers inherit the imported analysis
    except ValueError:  # no fork on this platform
        context = None
    results: List[Optional[List[Diagnostic]]] = [None] * len(pending)
    # Largest first, so a big file does not start last and keep one worker busy alone at the end.
    order = sorted(range(len(pending)), key=lambda i: -len(pending[i][2]))
    executor = concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        futures = {executor.submit(_lint_worker, pending[i][1], pending[i][2], pending[i][3]): i for i in order}
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception:  # noqa: BLE001 - a dead worker: lint that file again below
                results[i] = None
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    # A worker that died (killed, out of memory) takes its files with it; lint them here, one by
    # one, so that the run still reports on every file.
    for i, found in enumerate(results):
        if found is None:
            _index, path, data, settings, _key = pending[i]
            results[i] = _lint_worker(path, data, settings)
    return results  # type: ignore[return-value]
