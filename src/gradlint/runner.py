"""Lint many files fast: pre-filter, cache, then a process pool for what is left.

For each file, in order of cost:

1. read its bytes; a file in which no enabled rule can fire (`prefilter.could_have_findings`) is
   done: no diagnostics, nothing parsed;
2. look its result up in the cache (`cache.Cache`), unless `use_cache=False`;
3. lint what remains with `linter.lint_result`: in this process when there is one file, little
   work or `jobs == 1`, else in a pool of `jobs` worker processes (default: the CPUs this process
   may use), which starts working while the other files are still being read and filtered.

Workers return, and the cache stores, results in program coordinates with their position map
(`result.LintResult`); they are turned into the files' own coordinates once, on the way out.
Results are collected per file and returned in the order of `files`, whatever the scheduling.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Collection, Iterable, List, Optional, Sequence, Tuple

from . import errors
from .diagnostic import Diagnostic
from .linter import lint_result
from .prefilter import could_have_findings
from .result import LintResult
from .sources import screen_bytes

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


def _lint_worker(path: str, data: bytes, settings: Any) -> LintResult:
    return lint_result(data, path, settings)


def _read_error(path: str, exc: OSError) -> Diagnostic:
    return errors.file_error(errors.READ_ERROR, path, f"cannot read the file: {exc.strerror or exc}")


def lint_paths(paths: Iterable[str], select=None, ignore=None, *, settings=None, resolver=None,
               force_exclude: Optional[bool] = None, jobs: Optional[int] = None,
               use_cache: bool = True) -> List[Diagnostic]:
    """Lint files and directories (recursing into *.py, *.pyi, *.ipynb); every diagnostic, sorted.

    Settings: `resolver` (gradlint.config.Resolver: each file's closest pyproject.toml, as the CLI
    does), else one `settings` for every file, else `select`/`ignore` codes without any config.
    Files in which no enabled rule can fire are skipped unparsed (gradlint.prefilter); results are
    cached under .gradlint_cache/ unless `use_cache` is False (gradlint.cache); the rest is linted
    by `jobs` worker processes (default: one per CPU; one file or `jobs=1`: in this process)."""
    from .config import Settings
    from .discovery import discover
    paths = list(paths)
    if resolver is not None:
        settings_for = resolver.settings_for
    else:
        fixed = settings if settings is not None else Settings.from_codes(select, ignore)
        settings_for = lambda _path: fixed  # noqa: E731
    found: List[Diagnostic] = []
    files, missing = discover(paths, settings_for, force_exclude)
    for path in missing:
        found.append(errors.file_error(errors.READ_ERROR, path, "no such file or directory"))
    named = {path for path in paths if not os.path.isdir(path)}  # named directly: always parsed
    found.extend(lint_files(files, settings_for, jobs=jobs, use_cache=use_cache, unfiltered=named))
    return sorted(found, key=lambda diagnostic: diagnostic.sort_key())


def lint_files(files: Sequence[str], settings_for: Callable[[str], Any], *, jobs: Optional[int] = None,
               use_cache: bool = True, cache_root: Optional[str] = None,
               unfiltered: Collection[str] = ()) -> List[Diagnostic]:
    """Every diagnostic for `files` (paths, as they should be reported), grouped by file in the
    order given. `settings_for(path)` gives the gradlint.config.Settings for a file. Files in
    `unfiltered` (the paths named on the command line) skip the pre-filter: they are always
    parsed, so a syntax or decoding error in them is reported even when they hold no `.grad`.

    Files are read largest first and handed to the workers as soon as they pass the pre-filter,
    so reading and filtering overlap the linting, and no big file starts last."""
    results: List[Optional[LintResult]] = [None] * len(files)
    store = index = None
    new_index: dict = {}
    digests: dict = {}  # id(settings) -> digest, when the settings ignore no file by its path
    if use_cache:
        from .cache import Cache, entry_key, settings_digest
        store = Cache(cache_root)
        index = store.load_index()

    stats = [_stat(path) for path in files]
    order = sorted(range(len(files)), key=lambda i: -(stats[i].st_size if stats[i] is not None else 0))
    with _Scheduler(jobs) as scheduler:
        for examined, position in enumerate(order):
            path, stat = files[position], stats[position]
            settings = settings_for(path)
            absolute = digest = None
            if store is not None:
                absolute = os.path.abspath(path)
                if getattr(settings, "_per_file", None):
                    digest = settings_digest(settings, path)
                else:
                    digest = digests.get(id(settings))
                    if digest is None:
                        digest = digests[id(settings)] = settings_digest(settings, path)
                known = index.get(absolute) if stat is not None else None
                known = known if isinstance(known, list) and len(known) == 7 else None
                cached = _unchanged_result(store, known, stat, digest, path)
                if cached is not None:
                    results[position] = cached
                    new_index[absolute] = known
                    continue
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                results[position] = LintResult(path, errors=[_read_error(path, exc)])
                continue
            key = None
            if path not in unfiltered and not could_have_findings(screen_bytes(data, path), _rules_for(settings, path)):
                results[position] = LintResult(path)
                verdict = ""
            else:
                if store is not None:
                    key = entry_key(data, path, settings)
                    cached = store.get(key, path)
                    if cached is not None:
                        results[position] = cached
                verdict = key
                if results[position] is None:
                    scheduler.add((position, path, data, settings, key), still_to_examine=len(order) - examined - 1,
                                  size=len(data))
            if store is not None and stat is not None and verdict is not None:
                new_index[absolute] = index_entry(stat, digest, verdict)

        for (position, _path, _data, _settings, key), found in scheduler.results():
            results[position] = found
            if store is not None and key is not None and found is not None:
                store.put(key, found)

    if store is not None and new_index:
        # Keep what other runs (other paths) recorded; refresh what this run saw.
        if any(index.get(k) != v for k, v in new_index.items()):
            index.update(new_index)
            store.save_index(index)
    return [diagnostic for found in results if found is not None for diagnostic in found.to_source()]


#: A file whose status changed this close to the moment it was read may change again within the
#: same timestamp tick without its status showing it ("racy git"): its content is hashed next time.
RACY_NS = 2_000_000_000


def index_entry(stat: os.stat_result, digest: str, verdict: str) -> list:
    """What the stat index records of a file: [size, mtime, ctime, inode, settings digest, verdict,
    trusted]. The ctime changes with every write and cannot be set back (unlike the mtime, which
    tools restore), so an edit with the size and mtime restored still shows."""
    import time
    trusted = time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > RACY_NS
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, digest, verdict, trusted]


def fix_files(files: Sequence[str], settings_for: Callable[[str], Any], unsafe_for: Callable[[str], bool], *,
              write: bool = True, jobs: Optional[int] = None, use_cache: bool = False,
              cache_root: Optional[str] = None) -> List[Any]:
    """Fix `files` (a `linter.FixResult` each, in the order given): the fixing runs in the worker
    pool as linting does; the writing happens here, one file after the other. The first lint of a
    file comes from the result cache when it holds the file's bytes (the lint before `--fix` has
    just put it there); only the rounds after a fix analyse again."""
    from .linter import FixResult, fix_bytes, write_fixed
    store = entry_key = None
    if use_cache:
        from .cache import Cache, entry_key
        store = Cache(cache_root)
    results: List[Any] = [None] * len(files)
    with _Scheduler(jobs, fix_bytes, lambda item: item[1:]) as scheduler:
        for position, path in enumerate(files):
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                results[position] = FixResult(path, b"", diagnostics=[_read_error(path, exc)])
                continue
            settings = settings_for(path)
            linted = store.get(entry_key(data, path, settings), path) if store is not None else None
            scheduler.add((position, data, path, settings, unsafe_for(path), linted), len(files) - position - 1,
                          len(data))
        for (position, data, path, settings, _unsafe, _linted), result in scheduler.results():
            results[position] = write_fixed(path, result, settings) if write else result
    return results


def _unchanged_result(store, known, stat, digest: str, path: str) -> Optional[LintResult]:
    """The cached result of a file whose status and settings are those the index recorded
    (`known`), without reading it; None when it may have changed (then its bytes are read and
    hashed, so a result is never stale)."""
    if known is None or known[:5] != index_entry(stat, digest, "")[:5] or known[6] is not True:
        return None
    return LintResult(path) if known[5] == "" else store.get(known[5], path)


def _stat(path: str) -> Optional[os.stat_result]:
    try:
        return os.stat(path)
    except OSError:
        return None


class _Scheduler:
    """Runs `work(*args_of(item))` for the items it is given: in this process while the work is
    small, else in a pool of worker processes started once enough work has arrived and fed as the
    rest arrives."""

    def __init__(self, jobs: Optional[int], work: Callable = None, args_of: Callable = None):
        self.work = work or _lint_worker
        self.args_of = args_of or (lambda item: (item[1], item[2], item[3]))
        self.jobs = default_jobs() if jobs is None or jobs < 1 else jobs
        self.waiting: list = []  # items not handed to the pool (all of them while it is not started)
        self.waiting_bytes = 0
        self.executor = None
        self.submitted: list = []  # (item, future)

    def __enter__(self) -> "_Scheduler":
        return self

    def __exit__(self, kind, _value, _traceback) -> None:
        if self.executor is not None:
            # After an error (or ^C) stop at once; else results() has shut the pool down already.
            self.executor.shutdown(wait=kind is None, cancel_futures=kind is not None)

    def add(self, item, still_to_examine: int, size: int) -> None:
        if self.executor is not None:
            self._submit(item)
            return
        self.waiting.append(item)
        self.waiting_bytes += size
        # Starting workers costs more than a little work: wait for enough of it.
        if self.jobs > 1 and len(self.waiting) > 1 and self.waiting_bytes >= PARALLEL_MIN_BYTES:
            self._start(min(self.jobs, len(self.waiting) + still_to_examine))

    def _start(self, workers: int) -> None:
        import concurrent.futures
        import multiprocessing
        try:
            context = multiprocessing.get_context("fork")  # workers inherit the imported analysis
        except ValueError:  # no fork on this platform
            context = None
        self.executor = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)
        waiting, self.waiting = self.waiting, []
        for item in waiting:
            self._submit(item)

    def _submit(self, item) -> None:
        self.submitted.append((item, self.executor.submit(self.work, *self.args_of(item))))

    def results(self) -> List[Tuple[Any, Any]]:
        """(item, its result) for every item added."""
        if self.executor is None:
            return [(item, self.work(*self.args_of(item))) for item in self.waiting]
        done = []
        for item, future in self.submitted:
            try:
                found = future.result()
            except Exception:  # noqa: BLE001 - a dead worker: lint that file again below
                found = None
            done.append((item, found))
        self.executor.shutdown(wait=True)
        # A worker that died (killed, out of memory) takes its files with it; do them here, one by
        # one, so that the run still reports on every file.
        return [(item, found if found is not None else self.work(*self.args_of(item))) for item, found in done]
