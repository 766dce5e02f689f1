"""GL001 and GL003 fixes: call `retain_grad()` right after the statement that binds the tensor."""
from __future__ import annotations

from typing import List, Optional

from ..analysis.facts import GradRead
from ..analysis.source import SourceText
from ..diagnostic import SAFE, UNSAFE, Edit, Fix
from .text import insert_after, statement_deletion


def chosen_bindings(read: GradRead) -> list:
    """The bindings to retain at: one name's (its bindings on every branch), preferring the name
    that is read, then the same attribute (`self.h` for `model.h`), then where it was first bound."""
    bindings = [b for b in read.state.binding if b.in_time]  # a retain after backward() is too late
    if not bindings:
        return []
    last = read.subject.rsplit(".", 1)[-1]
    for wanted in (lambda b: b.target == read.subject,
                   lambda b: "." in b.target and b.target.rsplit(".", 1)[-1] == last):
        chosen = [b for b in bindings if wanted(b)]
        if chosen:
            return chosen
    return [b for b in bindings if b.target == bindings[0].target]


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
