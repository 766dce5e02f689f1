"""What the plugins share: the settings of a file's project, and linting a text buffer through the
pipeline (pre-filter, `linter.lint_program`), so that each plugin only translates the result."""
from __future__ import annotations

import os
import threading
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from ..config import CliOverrides, Resolver, Settings, validate_selector
from ..diagnostic import Diagnostic
from ..prefilter import could_have_findings
from ..sources.python_file import PythonFile

_lock = threading.Lock()
#: Settings by (overrides, the pyproject.toml files above the file's directory and their mtimes):
#: a long-running host (pylsp, `fixit lsp`) sees a changed `[tool.gradlint]` on its next lint.
_settings_cache: Dict[Tuple, Settings] = {}


def codes(values: Optional[Sequence[str]]) -> Tuple[str, ...]:
    """Rule selectors from a host's setting, normalised; unknown ones are dropped."""
    found = []
    for value in values or ():
        if isinstance(value, str) and validate_selector(value.strip().upper()):
            found.append(value.strip().upper())
    return tuple(found)


def _signature(directory: str) -> Tuple[Tuple[str, int], ...]:
    found = []
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        try:
            found.append((candidate, os.stat(candidate).st_mtime_ns))
        except OSError:
            pass
        parent = os.path.dirname(directory)
        if not parent or parent == directory:
            return tuple(found)
        directory = parent


def settings_for(filename: str, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> Settings:
    """The settings gradlint's CLI would use for `filename` (its project's `[tool.gradlint]`), with
    the host's `select`/`ignore` as one more layer on top, as the command line's would be. Raises
    config.ConfigError for an invalid configuration."""
    overrides = CliOverrides(select=tuple(select) or None, ignore=tuple(ignore))
    absolute = os.path.abspath(filename or ".")
    directory = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
    key = (overrides, _signature(directory))
    with _lock:
        cached = _settings_cache.get(key)
    if cached is not None:
        return cached
    settings = Resolver(overrides).settings_for(absolute)
    with _lock:
        if len(_settings_cache) > 256:
            _settings_cache.clear()
        _settings_cache[key] = settings
    return settings


def rules_for(settings: Settings, filename: str) -> FrozenSet[str]:
    """The finding rules that can report in this file (what the pre-filter needs to know)."""
    ignored = settings.ignored_codes(filename)
    return frozenset(code for code in settings.enabled
                     if not any(code.startswith(prefix) or prefix == "ALL" for prefix in ignored))


def buffer_source(text: str, filename: str) -> PythonFile:
    """A text buffer (an editor's document, the lines flake8 read) as a Python source."""
    return PythonFile(filename, text.encode("utf-8", "surrogatepass"), text, "utf-8")


def may_have_findings(text: str, filename: str, settings: Settings) -> bool:
    """The runner's pre-filter: False when no enabled rule can report anything in the text."""
    return could_have_findings(text.encode("utf-8", "surrogatepass"), rules_for(settings, filename))


def lint_text(text: str, filename: str, settings: Settings) -> List[Diagnostic]:
    """What `gradlint FILE` reports for this text, in its coordinates (1-based lines and character
    columns, end exclusive); a fix is kept only where it applies to the text on its own."""
    from ..linter import lint_program
    if not may_have_findings(text, filename, settings):
        return []
    return lint_program(buffer_source(text, filename), settings).to_source()
