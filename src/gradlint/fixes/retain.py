"""GL001 and GL003 fixes: call `retain_grad()` right after the statement that binds the tensor."""
from __future__ import annotations

from typing import List, Optional

from ..analysis.facts import GradRead
from ..analysis.source import SourceText
from ..diagnostic import SAFE, UNSAFE, Edit, Fix
from .text import insert_after, statement_deletion


def chosen_bindings(read: GradRead) -> list:
    """The bindings to retain at: those of the name that is read, else every one."""
    bindings = [b for b in read.state.binding if b.target.replace(" ", "").isprintable()]
    named = [b for b in bindings if b.target == read.subject]
    return named or bindings


def retain_fix(read: GradRead, source: SourceText) -> Optional[Fix]:
    bindings = chosen_bindings(read)
    if not bindings:
        return None
    edits: List[Edit] = []
    for binding in sorted(bindings, key=lambda b: (b.statement.lineno, b.statement.col_offset)):
        edits.append(insert_after(source, binding.statement, f"{binding.target}.retain_grad()"))
    if read.late_retain:
        statement = read.state.retain_statement
        deletion = statement_deletion(source, statement) if statement is not None else None
        if deletion is None:
            return None
        edits.append(deletion)
    safe = all(b.sure for b in bindings)
    targets = ", ".join(sorted({b.target for b in bindings}))
    verb = "Move" if read.late_retain else "Insert"
    return Fix(SAFE if safe else UNSAFE, f"{verb} `{targets}.retain_grad()` after its assignment",
               tuple(sorted(edits, key=lambda e: (e.start, e.end))))
