"""gradlint as a python-lsp-server (pylsp) plugin: diagnostics as you type, and quick fixes.

Registered under the `pylsp` entry point group as `gradlint`, so its settings are
`pylsp.plugins.gradlint`:

- `enabled` (default true);
- `select`, `ignore`: rule codes or prefixes, a layer on top of the document's `[tool.gradlint]`
  exactly as the command line's `--select`/`--ignore` are;
- `unsafeFixes`: whether "Fix all gradlint findings" applies unsafe fixes too (default: the
  project's `unsafe-fixes`, else false). Unsafe fixes are always offered one by one, with titles that
  end in "(unsafe)".

Diagnostics: source `gradlint`, code `GL001` with `codeDescription.href` to the rule's docs, the
range of the CLI's position (the `grad` of the read), related information at the origin. pylsp
does not negotiate a position encoding, so positions are in LSP's default, UTF-16 code units (what
editors and jupyterlab-lsp count in); gradlint counts characters, and the two differ after a
character outside the Basic Multilingual Plane on the same line.

Code actions, for the findings in the requested range: the fix of each (a `quickfix`, preferred
when safe), "Disable GL001 for this line" (adds `# noqa: GL001`), and `source.fixAll.gradlint`
(gradlint's `--fix` on the buffer). Edits are against the document version they were computed for
when the client takes versioned edits.

A buffer is linted as the text it holds (unsaved changes included) under its path: the path finds
the project's configuration and per-file ignores. Any document is linted as Python (jupyterlab-lsp
sends a notebook as one Python document, its cells in order).
"""
from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

from pylsp import hookimpl

from .. import noqa
from ..config import ConfigError, Settings
from ..diagnostic import Diagnostic, Edit, Location
from . import _common

log = logging.getLogger(__name__)

SOURCE = "gradlint"
ERROR = 1  # lsp DiagnosticSeverity.Error
WARNING = 2
FIX_ALL = "source.fixAll.gradlint"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line breaks of Python and of LSP (not str.splitlines')


@hookimpl
def pylsp_settings(config) -> Dict[str, Any]:
    return {"plugins": {"gradlint": {"enabled": True, "select": None, "ignore": None, "unsafeFixes": None}}}


@hookimpl
def pylsp_lint(config, workspace, document, is_saved) -> List[Dict[str, Any]]:
    try:
        linted = _lint(config, document)
        return [linted.lsp(d) for d in linted.diagnostics]
    except Exception:  # noqa: BLE001 - pylsp drops every plugin's diagnostics when one plugin raises
        log.exception("gradlint failed on %s", getattr(document, "uri", "?"))
        return []


@hookimpl
def pylsp_code_actions(config, workspace, document, range, context) -> List[Dict[str, Any]]:  # noqa: A002
    try:
        return _code_actions(config, document, range or {}, context or {})
    except Exception:  # noqa: BLE001
        log.exception("gradlint code actions failed on %s", getattr(document, "uri", "?"))
        return []


# -- linting -------------------------------------------------------------------------------------

class _Linted:
    """One version of a document, linted: diagnostics in gradlint's coordinates and the way to LSP's."""

    def __init__(self, uri: str, version: Optional[int], path: str, text: str, settings: Optional[Settings],
                 diagnostics: List[Diagnostic], unsafe: bool):
        self.uri = uri
        self.version = version
        self.path = path
        self.text = text
        self.settings = settings
        self.diagnostics = diagnostics
        self.unsafe = unsafe
        self.lines = _LINE_BREAK.split(text)  # without their line breaks

    def position(self, location: Location) -> Dict[str, int]:
        """An LSP position (0-based line, UTF-16 code units) for a 1-based line and character column."""
        line = location.line - 1
        if line >= len(self.lines):
            return {"line": len(self.lines) - 1, "character": _utf16(self.lines[-1])}
        text = self.lines[max(line, 0)]
        return {"line": max(line, 0), "character": _utf16(text[: max(location.column - 1, 0)])}

    def range(self, start: Location, end: Location) -> Dict[str, Dict[str, int]]:
        return {"start": self.position(start), "end": self.position(end)}

    def lsp(self, diagnostic: Diagnostic) -> Dict[str, Any]:
        from ..output import rule_url
        found: Dict[str, Any] = {
            "source": SOURCE,
            "code": diagnostic.code,
            "message": diagnostic.message,
            "severity": ERROR if diagnostic.code != "config" else WARNING,
            "range": self.range(diagnostic.start, diagnostic.end),
        }
        url = rule_url(diagnostic.code)
        if url:
            found["codeDescription"] = {"href": url}
        if diagnostic.origin is not None:
            found["relatedInformation"] = [{
                "location": {"uri": self.uri, "range": self.range(diagnostic.origin.location,
                                                                  diagnostic.origin.location)},
                "message": diagnostic.origin.description}]
        return found

    def text_edits(self, edits: Sequence[Edit]) -> List[Dict[str, Any]]:
        return [{"range": self.range(edit.start, edit.end), "newText": edit.content} for edit in edits]


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_cache_lock = threading.Lock()
_cache: "OrderedDict[Tuple, _Linted]" = OrderedDict()


def _plugin_settings(config, path: str) -> Tuple[Tuple[str, ...], Tuple[str, ...], Optional[bool]]:
    settings = config.plugin_settings("gradlint", document_path=path) or {}
    unsafe = settings.get("unsafeFixes")
    return (_common.codes(settings.get("select")), _common.codes(settings.get("ignore")),
            unsafe if isinstance(unsafe, bool) else None)


def _lint(config, document) -> _Linted:
    """The document linted, once per version and settings (a code action request right after the
    lint of the same text reuses it)."""
    path = document.path or ""
    text = document.source
    select, ignore, unsafe = _plugin_settings(config, path)
    try:
        settings: Optional[Settings] = _common.settings_for(path, select, ignore)
    except ConfigError as exc:
        settings = None
        problem = Diagnostic("config", f"gradlint: invalid configuration: {exc}", path, Location(1, 1),
                             Location(1, 1))
    key = (document.uri, document.version, text, select, ignore, unsafe, id(settings))
    with _cache_lock:
        linted = _cache.get(key)
        if linted is not None:
            _cache.move_to_end(key)
            return linted
    if settings is None:
        linted = _Linted(document.uri, document.version, path, text, None, [problem], False)
    else:
        found = _common.lint_text(text, path, settings)
        unsafe_fixes = unsafe if unsafe is not None else bool(settings.unsafe_fixes)
        linted = _Linted(document.uri, document.version, path, text, settings, found, unsafe_fixes)
    with _cache_lock:
        _cache[key] = linted
        while len(_cache) > 32:
            _cache.popitem(last=False)
    return linted


# -- code actions --------------------------------------------------------------------------------

def _overlaps(linted: _Linted, diagnostic: Diagnostic, requested: Dict[str, Any]) -> bool:
    if not requested:
        return True
    span = linted.range(diagnostic.start, diagnostic.end)
    start, end = requested.get("start", {}), requested.get("end", {})

    def key(position):
        return (position.get("line", 0), position.get("character", 0))
    return key(span["start"]) <= key(end) and key(start) <= key(span["end"])


def _wanted(kind: str, only: Optional[Sequence[str]]) -> bool:
    return not only or any(kind == prefix or kind.startswith(prefix + ".") for prefix in only)


def _workspace_edit(config, linted: _Linted, edits: List[Dict[str, Any]]) -> Dict[str, Any]:
    capabilities = getattr(config, "capabilities", None) or {}
    versioned = capabilities.get("workspace", {}).get("workspaceEdit", {}).get("documentChanges")
    if versioned and linted.version is not None:
        return {"documentChanges": [{"textDocument": {"uri": linted.uri, "version": linted.version},
                                     "edits": edits}]}
    return {"changes": {linted.uri: edits}}


def _code_actions(config, document, requested: Dict[str, Any], context: Dict[str, Any]) -> List[Dict[str, Any]]:
    linted = _lint(config, document)
    if linted.settings is None:
        return []
    only = context.get("only")
    actions: List[Dict[str, Any]] = []
    for diagnostic in linted.diagnostics:
        if not _overlaps(linted, diagnostic, requested):
            continue
        lsp = linted.lsp(diagnostic)
        fix = diagnostic.fix
        if fix is not None and fix.edits and _wanted("quickfix", only):
            unsafe = fix.applicability != "safe"
            actions.append({
                "title": f"gradlint ({diagnostic.code}): {fix.message}" + (" (unsafe)" if unsafe else ""),
                "kind": "quickfix",
                "diagnostics": [lsp],
                "isPreferred": not unsafe,
                "edit": _workspace_edit(config, linted, linted.text_edits(fix.edits)),
            })
        disable = _disable_edit(linted, diagnostic)
        if disable is not None and _wanted("quickfix", only):
            actions.append({
                "title": f"gradlint ({diagnostic.code}): Disable {diagnostic.code} for this line",
                "kind": "quickfix",
                "diagnostics": [lsp],
                "edit": _workspace_edit(config, linted, [disable]),
            })
    fix_all = _fix_all(config, linted) if _wanted(FIX_ALL, only) else None
    if fix_all is not None:
        actions.append(fix_all)
    return actions


def _disable_edit(linted: _Linted, diagnostic: Diagnostic) -> Optional[Dict[str, Any]]:
    """`# noqa: CODE` on the line the finding points at (added to a noqa comment already there)."""
    if diagnostic.code.startswith("GL9") or not diagnostic.code.startswith("GL"):
        return None  # file errors cannot be silenced by a line's noqa
    index = diagnostic.start.line - 1
    if not 0 <= index < len(linted.lines):
        return None
    line = linted.lines[index]
    if line.rstrip().endswith("\\"):
        return None  # a comment cannot follow a line continuation
    match = noqa.LINE_NOQA.search(line)
    if match is not None and match.group("codes") is None:
        return None  # a bare noqa silences everything already
    if match is not None:
        end = match.end("codes")
        start = Location(diagnostic.start.line, end + 1)
        edit = Edit(start, start, f", {diagnostic.code}")
    else:
        stripped = line.rstrip()
        start = Location(diagnostic.start.line, len(stripped) + 1)
        edit = Edit(start, Location(diagnostic.start.line, len(line) + 1), f"  # noqa: {diagnostic.code}")
    return linted.text_edits([edit])[0]


def _fix_all(config, linted: _Linted) -> Optional[Dict[str, Any]]:
    """gradlint's `--fix` (with `--unsafe-fixes` when `unsafeFixes`) on the buffer, as one edit."""
    from ..linter import fix_applicable, fix_source
    if not any(fix_applicable(d, linted.unsafe) for d in linted.diagnostics):
        return None
    source = _common.buffer_source(linted.text, linted.path)
    fixed, count, _remaining, problem = fix_source(source, linted.settings, linted.unsafe)
    if problem is not None or not count or fixed.text == linted.text:
        return None
    whole = {"start": {"line": 0, "character": 0},
             "end": linted.position(Location(len(linted.lines), len(linted.lines[-1]) + 1))}
    title = "gradlint: Fix all" + (" (unsafe fixes included)" if linted.unsafe else "")
    return {"title": title, "kind": FIX_ALL,
            "edit": _workspace_edit(config, linted, [{"range": whole, "newText": fixed.text}])}
