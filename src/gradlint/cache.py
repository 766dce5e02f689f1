"""The result cache: each file's diagnostics, keyed by what they depend on.

An entry's key is a SHA-256 over gradlint's fingerprint (its version and the text of its own
sources, so that an edited analysis never serves stale results during development), the settings
that apply to the file, the file's path and its bytes. An entry also records the project modules the
analysis followed (imports: their paths and the digests of their bytes, or that they were absent):
it is a miss when any of them changed, which the stat index (it trusts an unchanged file's entry
without reading the file) cannot see either, since it serves results through `get`. Entries live in
`<project root>/.gradlint_cache/<fingerprint>/<key[:2]>/<key>.json`, where the project root is the
nearest directory at or above the working directory that holds a `pyproject.toml` (else the working
directory). The cache directory carries a `CACHEDIR.TAG` (backup tools skip it) and a `.gitignore`
holding `*` (git ignores it).

Writes are atomic (a temporary file renamed over the entry), a corrupt or unreadable entry is a
miss, and a cache that cannot be created or written is silently not used: the cache can make a run
faster, never fail it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from typing import Any, Dict, List, Optional

from .diagnostic import Diagnostic, Edit, Fix, Location, Origin
from .project import unchanged
from .result import LintResult
from .sources import PositionMap

CACHE_DIRECTORY = ".gradlint_cache"
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by gradlint.\n"
                "# For information about cache directory tags see https://bford.info/cachedir/\n")
#: Format of an entry; part of the key.
SCHEMA = 3
#: Other fingerprints' directories older than this are removed when a cache is opened.
STALE_SECONDS = 7 * 24 * 3600

_fingerprint: Optional[str] = None


def fingerprint() -> str:
    """gradlint's version plus a hash of its own source files."""
    global _fingerprint
    if _fingerprint is None:
        from .version import __version__
        package = os.path.dirname(os.path.abspath(__file__))
        digest = hashlib.sha256(f"{__version__}\0{SCHEMA}".encode())
        for directory, subdirectories, filenames in os.walk(package):
            subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
            for filename in sorted(filenames):
                if filename.endswith(".py"):
                    path = os.path.join(directory, filename)
                    digest.update(os.path.relpath(path, package).encode() + b"\0")
                    try:
                        with open(path, "rb") as handle:
                            digest.update(handle.read())
                    except OSError:
                        pass
        _fingerprint = f"{__version__}-{digest.hexdigest()[:16]}"
    return _fingerprint


def project_root(start: Optional[str] = None) -> str:
    """The nearest directory at or above `start` (default: the working directory) holding a
    pyproject.toml; `start` itself if there is none."""
    start = os.path.abspath(start or os.getcwd())
    directory = start
    while True:
        if os.path.isfile(os.path.join(directory, "pyproject.toml")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return start
        directory = parent


def settings_key(settings: Any, path: str) -> str:
    """Everything in `settings` that can change a file's diagnostics, as text.

    `settings` is a gradlint.config.Settings (every dataclass field counts, plus the rules it
    enables and the per-file ignores that apply to `path`), or anything with a stable repr.
    """
    import dataclasses
    if dataclasses.is_dataclass(settings):
        parts: Dict[str, Any] = {f.name: repr(getattr(settings, f.name)) for f in dataclasses.fields(settings)}
        parts["enabled"] = sorted(getattr(settings, "enabled", ()))
        ignored = getattr(settings, "ignored_codes", None)
        parts["ignored_here"] = sorted(ignored(path)) if callable(ignored) else []
        return json.dumps(parts, sort_keys=True)
    return repr(settings)


def entry_key(data: bytes, path: str, settings: Any) -> str:
    digest = hashlib.sha256()
    for part in (fingerprint(), os.path.abspath(path), settings_key(settings, path)):
        encoded = part.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    digest.update(data)
    return digest.hexdigest()


# -- (de)serialising diagnostics -----------------------------------------------------------------

def _location(location: Location) -> List[int]:
    return [location.line, location.column]


def _to_location(value: Any) -> Location:
    line, column = value
    if not (isinstance(line, int) and isinstance(column, int)):
        raise ValueError("bad location")
    return Location(line, column)


def _cell(out: Dict[str, Any], cell: Optional[int]) -> Dict[str, Any]:
    if cell is not None:
        out["cell"] = cell
    return out


def _to_cell(value: Dict[str, Any]) -> Optional[int]:
    cell = value.get("cell")
    if cell is not None and not isinstance(cell, int):
        raise ValueError("bad cell")
    return cell


def diagnostic_to_json(diagnostic: Diagnostic) -> Dict[str, Any]:
    """A JSON-able dict with everything in a Diagnostic except its filename."""
    out: Dict[str, Any] = {
        "code": diagnostic.code, "message": diagnostic.message,
        "start": _location(diagnostic.start), "end": _location(diagnostic.end),
    }
    if diagnostic.origin is not None:
        out["origin"] = _cell({"location": _location(diagnostic.origin.location),
                               "description": diagnostic.origin.description}, diagnostic.origin.cell)
    if diagnostic.fix is not None:
        fix = diagnostic.fix
        out["fix"] = {"applicability": fix.applicability, "message": fix.message,
                      "edits": [_cell({"start": _location(e.start), "end": _location(e.end), "content": e.content},
                                      e.cell) for e in fix.edits]}
    return _cell(out, diagnostic.cell)


def diagnostic_from_json(value: Dict[str, Any], filename: str) -> Diagnostic:
    origin = fix = None
    if value.get("origin") is not None:
        raw_origin = value["origin"]
        origin = Origin(_to_location(raw_origin["location"]), str(raw_origin["description"]), _to_cell(raw_origin))
    if value.get("fix") is not None:
        raw = value["fix"]
        fix = Fix(str(raw["applicability"]), str(raw["message"]),
                  tuple(Edit(_to_location(e["start"]), _to_location(e["end"]), str(e["content"]), _to_cell(e))
                        for e in raw["edits"]))
    return Diagnostic(str(value["code"]), str(value["message"]), filename, _to_location(value["start"]),
                      _to_location(value["end"]), origin, fix, _to_cell(value))


def result_to_json(result: LintResult) -> Dict[str, Any]:
    """Diagnostics stay in program coordinates; the position map goes with them."""
    return {"diagnostics": [diagnostic_to_json(d) for d in result.diagnostics],
            "positions": result.positions.to_json(), "errors": [diagnostic_to_json(d) for d in result.errors],
            "dependencies": [list(pair) for pair in result.dependencies]}


def result_from_json(value: Dict[str, Any], filename: str) -> LintResult:
    dependencies = [(str(path), str(digest)) for path, digest in value.get("dependencies", [])]
    return LintResult(filename, [diagnostic_from_json(d, filename) for d in value["diagnostics"]],
                      PositionMap.from_json(value["positions"]),
                      [diagnostic_from_json(d, filename) for d in value["errors"]], dependencies)


# -- the store ------------------------------------------------------------------------------------

class Cache:
    """Entries under `<root>/.gradlint_cache/<fingerprint>/`. Never raises for I/O problems."""

    def __init__(self, root: Optional[str] = None):
        self.root = os.path.join(root or project_root(), CACHE_DIRECTORY)
        self.directory = os.path.join(self.root, fingerprint())
        self.usable = True
        self._prepared = False
        self.hits = 0
        self.misses = 0
        self.writes = 0

    # The directory is made lazily, on the first write: a run over files that all pass the
    # pre-filter's "nothing to find here" check leaves no cache behind.
    def _prepare(self) -> bool:
        if self._prepared:
            return self.usable
        self._prepared = True
        try:
            os.makedirs(self.directory, exist_ok=True)
            tag = os.path.join(self.root, "CACHEDIR.TAG")
            if not os.path.isfile(tag):
                _write_atomic(tag, CACHEDIR_TAG.encode())
            ignore = os.path.join(self.root, ".gitignore")
            if not os.path.isfile(ignore):
                _write_atomic(ignore, b"# Automatically created by gradlint.\n*\n")
            self._remove_stale()
        except OSError:
            self.usable = False
        return self.usable

    def _remove_stale(self) -> None:
        """Drop other fingerprints' entries that nobody has written for a week."""
        now = time.time()
        try:
            names = os.listdir(self.root)
        except OSError:
            return
        for name in names:
            path = os.path.join(self.root, name)
            if path == self.directory or not os.path.isdir(path):
                continue
            try:
                if now - os.stat(path).st_mtime > STALE_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key + ".json")

    def get(self, key: str, filename: str) -> Optional[LintResult]:
        """The cached result (with `filename` as its file), or None on a miss."""
        try:
            with open(self._path(key), "rb") as handle:
                document = json.loads(handle.read())
            if document.get("key") != key:
                raise ValueError("key mismatch")
            found = result_from_json(document["result"], filename)
            if found.dependencies and not unchanged(found.dependencies):
                raise ValueError("a module it imports changed")
        except Exception:  # noqa: BLE001 - missing, unreadable or corrupt: a miss
            self.misses += 1
            return None
        self.hits += 1
        return found

    def put(self, key: str, result: LintResult) -> None:
        if not self.usable or not self._prepare():
            return
        document = {"key": key, "result": result_to_json(result)}
        path = self._path(key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            _write_atomic(path, json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            self.writes += 1
        except (OSError, ValueError):
            pass


    # -- the stat index: a warm run need not even read unchanged files ----------------------------
    # path -> `runner.index_entry` (size, mtime, ctime, inode, settings digest, verdict, trusted);
    # verdict "" means the pre-filter skipped the file (no diagnostics), else the key of its entry.
    # A file whose status is unchanged (and was not racy when recorded) is taken to be unchanged;
    # anything else is read and hashed.

    def _index_path(self) -> str:
        return os.path.join(self.directory, "index.json")

    def load_index(self) -> Dict[str, list]:
        try:
            with open(self._index_path(), "rb") as handle:
                index = json.loads(handle.read())
            return index if isinstance(index, dict) else {}
        except Exception:  # noqa: BLE001 - missing or corrupt: start afresh
            return {}

    def save_index(self, index: Dict[str, list]) -> None:
        if not index or not self._prepare():
            return
        try:
            _write_atomic(self._index_path(), json.dumps(index, separators=(",", ":")).encode("utf-8"))
        except (OSError, ValueError):
            pass


def settings_digest(settings: Any, path: str) -> str:
    return hashlib.sha256(settings_key(settings, path).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _write_atomic(path: str, data: bytes) -> None:
    """Readers see the old entry or the new one, never a part (mkstemp's 0600 becomes 0644: a cache
    is as readable as the project)."""
    from .atomic import replace_file
    replace_file(path, data, 0o644, prefix=".tmp-")
