"""Configuration: `[tool.gradlint]` in pyproject.toml (or `--config FILE`), merged with the CLI.

Like ruff, each file uses the closest `pyproject.toml` above it that has a `[tool.gradlint]` table
(a pyproject.toml without one is passed over); `--config FILE` makes one file apply everywhere.
Patterns (`exclude`, `extend-exclude`, `per-file-ignores`) are gitignore-style patterns matched
against the path relative to the directory of the configuration file, via `pathspec`.

Rule selection is layered as in ruff: the configuration is one layer, the command line another. A
layer with `select` starts over from it; a layer's `ignore` then removes codes. Within one layer the
longer (more specific) matching prefix wins, so `select = ["GL"]`, `ignore = ["GL0"]`,
`select` containing `GL001` keeps GL001.
"""
from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

import pathspec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

#: What directory walks skip unless `exclude` is set (extend it with `extend-exclude`).
DEFAULT_EXCLUDE: Tuple[str, ...] = (
    ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".env", "env", ".tox", ".nox", "build",
    "dist", "site-packages", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".gradlint_cache", ".ipynb_checkpoints", ".eggs", "*.egg-info", "__pypackages__",
)

KNOWN_KEYS = {
    "select", "ignore", "extend-select", "exclude", "extend-exclude", "per-file-ignores",
    "unsafe-fixes", "respect-gitignore", "force-exclude",
}


class ConfigError(Exception):
    """An invalid configuration: the message names the file and the key."""


def rule_codes() -> List[str]:
    from .rules import RULES
    return [rule.code for rule in RULES]


def validate_selector(selector: str) -> bool:
    """A selector is ALL or a prefix of at least one rule code (GL, GL0, GL001)."""
    return selector == "ALL" or any(code.startswith(selector) for code in rule_codes())


def _matches(code: str, prefix: str) -> bool:
    return prefix == "ALL" or code.startswith(prefix)


@dataclass(frozen=True)
class Selection:
    """One layer of rule selection (the config file, or the command line)."""

    select: Optional[Tuple[str, ...]] = None
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()


def resolve_selection(layers: Sequence[Selection]) -> FrozenSet[str]:
    """The enabled rule codes after applying each layer in order (ruff's semantics)."""
    codes = rule_codes()
    enabled = {code for code in codes}  # default: select = ["GL"]
    for layer in layers:
        select = None
        if layer.select is not None or layer.extend_select:
            select = list(layer.select if layer.select is not None else ()) + list(layer.extend_select)
        new = set()
        for code in codes:
            best_select = max((len(p) for p in (select or ()) if _matches(code, p)), default=-1)
            best_ignore = max((len(p) for p in layer.ignore if _matches(code, p)), default=-1)
            if layer.select is not None:
                keep = best_select >= 0 and best_select > best_ignore
            else:
                keep = (code in enabled or best_select >= 0) and not (best_ignore > best_select)
            if keep:
                new.add(code)
        enabled = new
    return frozenset(enabled)


@dataclass
class Settings:
    """The settings that apply to one file."""

    root: str = field(default_factory=os.getcwd)  # patterns are relative to this directory
    config_file: Optional[str] = None
    selection: Tuple[Selection, ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    unsafe_fixes: Optional[bool] = None
    respect_gitignore: bool = True
    force_exclude: bool = False

    def __post_init__(self):
        self.enabled: FrozenSet[str] = resolve_selection(self.selection)
        self._exclude_spec = pathspec.GitIgnoreSpec.from_lines(list(self.exclude) + list(self.extend_exclude))
        self._per_file = [(pathspec.GitIgnoreSpec.from_lines([pattern]), codes)
                          for pattern, codes in self.per_file_ignores]

    @classmethod
    def from_codes(cls, select: Optional[Sequence[str]] = None, ignore: Optional[Sequence[str]] = None):
        return cls(selection=(Selection(tuple(select) if select else None, tuple(ignore or ())),))

    def is_enabled(self, code: str) -> bool:
        return code.startswith("GL9") or code in self.enabled

    def _relative(self, path: str, base: Optional[str] = None) -> Optional[str]:
        absolute = os.path.abspath(path)
        try:
            relative = os.path.relpath(absolute, base or self.root)
        except ValueError:  # another drive on Windows
            return None
        if relative == os.curdir or relative.startswith(os.pardir):
            return None
        return relative.replace(os.sep, "/")

    def _match(self, spec: pathspec.PathSpec, path: str, is_dir: bool, base: Optional[str] = None) -> bool:
        relative = self._relative(path, base)
        suffix = "/" if is_dir else ""
        if relative is None:
            relative = os.path.basename(os.path.abspath(path))
        return spec.match_file(relative + suffix)

    def is_excluded(self, path: str, is_dir: bool = False, base: Optional[str] = None) -> bool:
        """Whether `exclude`/`extend-exclude` match the path (relative to the config's directory,
        or to `base`: the walk of a directory named directly that is itself excluded)."""
        return self._match(self._exclude_spec, path, is_dir, base)

    def ignored_codes(self, path: str) -> List[str]:
        """Code prefixes that per-file-ignores turn off for this file."""
        found: List[str] = []
        for spec, codes in self._per_file:
            if self._match(spec, path, False):
                found.extend(codes)
        return found

    def filter(self, diagnostics, path: str):
        ignored = self.ignored_codes(path) if self._per_file else []
        return [d for d in diagnostics if self.is_enabled(d.code)
                and not (ignored and not d.code.startswith("GL9") and any(_matches(d.code, p) for p in ignored))]


# -- reading files -------------------------------------------------------------------------------

def _string_list(value: Any, where: str, key: str, codes: bool = False) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings, got {value!r}")
    if codes:
        for item in value:
            if not validate_selector(item.strip().upper()):
                raise ConfigError(f"{where}: `{key}` has an unknown rule code or prefix {item!r} "
                                  f"(known: {', '.join(rule_codes())}, or ALL)")
        return tuple(item.strip().upper() for item in value)
    return tuple(value)


def parse_table(table: Dict[str, Any], config_file: str, table_name: str) -> Dict[str, Any]:
    """Validate a `[tool.gradlint]` table; returns keyword arguments for Settings (minus root)."""
    where = f"{config_file}: [{table_name}]" if table_name else config_file
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else f" (known keys: {', '.join(sorted(KNOWN_KEYS))})"
        raise ConfigError(f"{where}: unknown key `{key}`{hint}")
    result: Dict[str, Any] = {}
    select = _string_list(table["select"], where, "select", codes=True) if "select" in table else None
    ignore = _string_list(table.get("ignore", []), where, "ignore", codes=True)
    extend = _string_list(table.get("extend-select", []), where, "extend-select", codes=True)
    result["selection"] = Selection(select, ignore, extend)
    if "exclude" in table:
        result["exclude"] = _string_list(table["exclude"], where, "exclude")
    if "extend-exclude" in table:
        result["extend_exclude"] = _string_list(table["extend-exclude"], where, "extend-exclude")
    if "per-file-ignores" in table:
        value = table["per-file-ignores"]
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: `per-file-ignores` must be a table of pattern = [codes], got {value!r}")
        result["per_file_ignores"] = tuple(
            (pattern, _string_list(codes, where, f"per-file-ignores.{pattern!r}", codes=True))
            for pattern, codes in value.items())
    for key, attribute in (("unsafe-fixes", "unsafe_fixes"), ("respect-gitignore", "respect_gitignore"),
                           ("force-exclude", "force_exclude")):
        if key in table:
            if not isinstance(table[key], bool):
                raise ConfigError(f"{where}: `{key}` must be true or false, got {table[key]!r}")
            result[attribute] = table[key]
    return result


def read_toml(path: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror or exc}") from None


def gradlint_table(document: Dict[str, Any], path: str) -> Optional[Tuple[Dict[str, Any], str]]:
    tool = document.get("tool")
    if isinstance(tool, dict) and "gradlint" in tool:
        table = tool["gradlint"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.gradlint] must be a table")
        return table, "tool.gradlint"
    return None


def load_config_file(path: str) -> Dict[str, Any]:
    """Settings keyword arguments from an explicit `--config FILE`: a pyproject.toml's
    `[tool.gradlint]` table, or (any other TOML file) its top-level keys."""
    document = read_toml(path)
    found = gradlint_table(document, path)
    if found is not None:
        table, name = found
    elif os.path.basename(path) == "pyproject.toml":
        table, name = {}, "tool.gradlint"
    else:
        table, name = document, ""
    return parse_table(table, path, name)


@dataclass(frozen=True)
class CliOverrides:
    """What the command line says; None means "not given" (the configuration decides)."""

    select: Optional[Tuple[str, ...]] = None
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    exclude: Optional[Tuple[str, ...]] = None
    extend_exclude: Tuple[str, ...] = ()
    unsafe_fixes: Optional[bool] = None
    force_exclude: Optional[bool] = None
    respect_gitignore: Optional[bool] = None

    def layer(self) -> Selection:
        return Selection(self.select, self.ignore, self.extend_select)


class Resolver:
    """Finds the settings for each path: `--config FILE` for all, else the closest
    pyproject.toml with `[tool.gradlint]` walking up from the path; cached per directory."""

    def __init__(self, overrides: CliOverrides = CliOverrides(), config_file: Optional[str] = None,
                 isolated: bool = False):
        self.overrides = overrides
        self.isolated = isolated
        self._by_directory: Dict[str, Optional[Tuple[str, Dict[str, Any]]]] = {}
        self._settings: Dict[Optional[str], Settings] = {}
        self._fixed: Optional[Tuple[str, Dict[str, Any]]] = None
        if config_file is not None:
            if not os.path.isfile(config_file):
                raise ConfigError(f"{config_file}: no such configuration file")
            path = os.path.abspath(config_file)
            self._fixed = (path, load_config_file(path))

    def _config_for_directory(self, directory: str) -> Optional[Tuple[str, Dict[str, Any]]]:
        if directory in self._by_directory:
            return self._by_directory[directory]
        found = None
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            document = read_toml(candidate)
            table = gradlint_table(document, candidate)
            if table is not None:
                found = (candidate, parse_table(table[0], candidate, table[1]))
        if found is None:
            parent = os.path.dirname(directory)
            if parent and parent != directory:
                found = self._config_for_directory(parent)
        self._by_directory[directory] = found
        return found

    def config_for(self, path: str) -> Optional[Tuple[str, Dict[str, Any]]]:
        if self._fixed is not None:
            return self._fixed
        if self.isolated:
            return None
        absolute = os.path.abspath(path)
        directory = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
        return self._config_for_directory(directory)

    def settings_for(self, path: str) -> Settings:
        found = self.config_for(path)
        key = found[0] if found else None
        if key not in self._settings:
            self._settings[key] = self._build(found)
        return self._settings[key]

    def _build(self, found) -> Settings:
        kwargs: Dict[str, Any] = {}
        layers: List[Selection] = []
        if found is not None:
            path, options = found
            kwargs = dict(options)
            layers.append(kwargs.pop("selection"))
            kwargs["root"] = os.path.dirname(path)
            kwargs["config_file"] = path
        layers.append(self.overrides.layer())
        kwargs["selection"] = tuple(layers)
        o = self.overrides
        if o.exclude is not None:
            kwargs["exclude"] = o.exclude
        if o.extend_exclude:
            kwargs["extend_exclude"] = tuple(kwargs.get("extend_exclude", ())) + o.extend_exclude
        for attribute in ("unsafe_fixes", "force_exclude", "respect_gitignore"):
            if getattr(o, attribute) is not None:
                kwargs[attribute] = getattr(o, attribute)
        return Settings(**kwargs)
