"""Code actions: what the editor offers on a diagnostic (its fixes, a `# noqa`) and on the document
(`source.fixAll.gradlint`), each a `WorkspaceEdit` against the versions of the texts it was computed
for. Fixes are the linter's own (in the source's coordinates: each edit names its cell, which may be
another cell than the read's, e.g. the cell that binds the tensor); nothing here invents an edit
but the noqa comment.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from lsprotocol import types

from .. import noqa
from ..diagnostic import SAFE, Diagnostic, Location
from ..linter import fix_source
from . import convert
from .documents import Linted, Snapshot

QUICK_FIX = types.CodeActionKind.QuickFix.value  # "quickfix"
FIX_ALL = "source.fixAll.gradlint"
KINDS = [QUICK_FIX, FIX_ALL]


def wanted(kind: str, only: Optional[Sequence[str]]) -> bool:
    """Does the client ask for actions of this kind? (`only` names kinds or their prefixes.)"""
    return not only or any(kind == prefix or kind.startswith(prefix + ".") for prefix in only)


def workspace_edit(snapshot: Snapshot, edits: List[Tuple[str, types.TextEdit]],
                   document_changes: bool) -> types.WorkspaceEdit:
    groups = convert.group(edits)
    if not document_changes:
        return types.WorkspaceEdit(changes={uri: items for uri, items in groups})
    changes = []
    for uri, items in groups:
        target = snapshot.target_by_uri(uri)
        changes.append(types.TextDocumentEdit(
            types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=target.version if target else None),
            list(items)))
    return types.WorkspaceEdit(document_changes=changes)


def quick_fixes(linted: Linted, uri: str, where: types.Range, only: Optional[Sequence[str]],
                document_changes: bool) -> List[types.CodeAction]:
    """For each diagnostic of `uri` that touches `where`: its fix (unsafe ones titled so), then
    "Disable CODE for this line"."""
    if not wanted(QUICK_FIX, only):
        return []
    snapshot = linted.snapshot
    actions: List[types.CodeAction] = []
    for d, published in linted.published.get(uri, []):
        if not convert.overlaps(published.range, where):
            continue
        fix = d.fix
        if fix is not None and fix.edits:
            edits = [e for e in (convert.text_edit(edit, snapshot.locate) for edit in fix.edits) if e is not None]
            if len(edits) == len(fix.edits):
                safe = fix.applicability == SAFE
                title = f"Fix {d.code}: {fix.message}" if safe else f"Fix {d.code} (unsafe): {fix.message}"
                actions.append(types.CodeAction(
                    title=title, kind=QUICK_FIX, diagnostics=[published], is_preferred=safe or None,
                    edit=workspace_edit(snapshot, edits, document_changes)))
        comment = noqa_edit(d, snapshot)
        if comment is not None:
            actions.append(types.CodeAction(
                title=f"Disable {d.code} for this line", kind=QUICK_FIX, diagnostics=[published],
                edit=workspace_edit(snapshot, [comment], document_changes)))
    return actions


def noqa_edit(d: Diagnostic, snapshot: Snapshot) -> Optional[Tuple[str, types.TextEdit]]:
    """Add the code to the line's `# noqa: ...` comment, or end the line with `  # noqa: CODE`;
    None where no comment there would silence it (a file error; the line ends inside a string or
    continues with a backslash)."""
    where = snapshot.locate(d.cell)
    if d.code.startswith("GL9") or where is None or d.start.line > len(where[1].lines):
        return None
    uri, lines = where
    text = lines.lines[d.start.line - 1]
    candidates = []
    for match in noqa.LINE_NOQA.finditer(text):
        if match.group("codes"):
            column = match.end("codes") + 1
            candidates.append((column, column, f", {d.code}"))
    code = text.rstrip()
    if not code.endswith("\\"):
        candidates.append((len(code) + 1, len(text) + 1, f"  # noqa: {d.code}"))
    for start, end, content in candidates:
        changed = text[: start - 1] + content + text[end - 1:]
        lines_after = list(lines.lines)
        lines_after[d.start.line - 1] = changed
        if noqa.parse("\n".join(lines_after)).suppresses(d.code, d.start.line):
            return uri, types.TextEdit(lines.range(Location(d.start.line, start), Location(d.start.line, end)),
                                       content)
    return None


def fix_all(linted: Linted, document_changes: bool) -> Optional[types.CodeAction]:
    """Every fix that applies (safe ones; unsafe ones too with `unsafe-fixes`), round after round
    as `gradlint --fix` applies them, as one edit per changed text."""
    snapshot = linted.snapshot
    source = snapshot.source()
    fixed, count, _remaining, _error = fix_source(source, linted.settings, linted.unsafe)
    if not count or fixed is source:
        return None
    edits: List[Tuple[str, types.TextEdit]] = []
    for cell, target in snapshot.targets.items():
        if cell is None:
            after = fixed.text  # type: ignore[attr-defined]
            after = convert.BOM + after if target.text.startswith(convert.BOM) else after
        else:
            after = fixed.cells.get(cell, target.text)  # type: ignore[attr-defined]
        located = snapshot.locate(cell)
        edit = convert.minimal_edit(target.text, after, located[1]) if located else None
        if edit is not None:
            edits.append((target.uri, edit))
    if not edits:
        return None
    title = "Fix all gradlint findings" + (" (unsafe fixes included)" if linted.unsafe else "")
    return types.CodeAction(title=title, kind=FIX_ALL, edit=workspace_edit(snapshot, edits, document_changes))


def fixable(linted: Linted) -> bool:
    """Is there a fix that fixAll would apply?"""
    return any(d.fix is not None and d.fix.edits and (d.fix.applicability == SAFE or linted.unsafe)
               for d in linted.diagnostics)
