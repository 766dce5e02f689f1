"""Suppression comments, as flake8 and ruff read them.

- `# noqa: GL001` (or `# noqa: GL001, GL003`, `# noqa:GL001`) on the line a finding points at
  silences those codes there; a bare `# noqa` silences every code on the line. Codes of other tools
  (`# noqa: E501`) do not silence gradlint.
- `# gradlint: noqa` on a line of its own skips the whole file; `# gradlint: noqa: GL001` silences
  GL001 in the whole file.

File errors (GL9xx) cannot be suppressed by a line's noqa; a file skipped by `# gradlint: noqa` is not
even parsed. Only real comments count: a `# noqa` inside a string does
not (the tokenizer finds the comments; it runs only on files that contain "noqa", and only once
there is a diagnostic to filter or the file may spell `# gradlint: noqa`).
"""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional

# `codes` is None for a bare noqa.
LINE_NOQA = re.compile(
    r"#\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?(?![\w-])", re.IGNORECASE)
FILE_NOQA = re.compile(
    r"^#\s*gradlint\s*:\s*noqa(?:\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?\s*$", re.IGNORECASE)
ALL = frozenset({"*"})
HAS_NOQA = re.compile("noqa", re.IGNORECASE)
# Where a file-level `# gradlint: noqa` could be (also inside strings: the tokenizer then decides).
MAY_SKIP_FILE = re.compile(r"#\s*gradlint\s*:\s*noqa", re.IGNORECASE)


def _codes(text: Optional[str]) -> FrozenSet[str]:
    if not text:
        return ALL
    return frozenset(code.upper() for code in re.split(r"[,\s]+", text.strip()) if code)


@dataclass
class Suppressions:
    lines: Dict[int, FrozenSet[str]] = field(default_factory=dict)  # line -> codes (ALL for bare)
    file_codes: FrozenSet[str] = frozenset()  # file-level codes; ALL: skip the file
    complete: bool = True  # False: only known not to skip the file; line comments not read yet

    @property
    def skip_file(self) -> bool:
        return self.file_codes == ALL

    def suppresses(self, code: str, line: int) -> bool:
        if code.startswith("GL9"):
            return False
        if code in self.file_codes or self.skip_file:
            return True
        codes = self.lines.get(line)
        return codes is not None and (codes == ALL or code in codes)


def _comments(text: str) -> Iterable[tuple]:
    """(line, comment text, comment is alone on its line) for every comment token."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = None
    if tokens is None:  # fall back to a line scan (only for files the tokenizer rejects)
        for number, line in enumerate(text.splitlines(), 1):
            position = line.find("#")
            if position >= 0:
                yield number, line[position:], not line[:position].strip()
        return
    for token in tokens:
        if token.type == tokenize.COMMENT:
            line = token.line.splitlines()[0] if token.line else ""
            alone = not line[: token.start[1]].strip()
            yield token.start[0], token.string, alone


def parse(text: str) -> Suppressions:
    found = Suppressions()
    if not HAS_NOQA.search(text):
        return found
    file_codes: set = set()
    for line, comment, alone in _comments(text):
        if alone:
            match = FILE_NOQA.match(comment.strip())
            if match:
                codes = _codes(match.group("codes"))
                if codes == ALL:
                    found.file_codes = ALL
                    return found
                file_codes |= codes
                continue
        match = LINE_NOQA.search(comment)
        if match:
            found.lines[line] = _codes(match.group("codes"))
    found.file_codes = frozenset(file_codes)
    return found


def file_suppressions(text: str) -> Suppressions:
    """What must be known before analysing a file: does it skip itself (`# gradlint: noqa`)?
    Tokenizing a file costs as much as analysing it, so files that cannot spell the file-level
    comment are not tokenized here; their line comments are read only when there is a
    diagnostic to filter (`filter_suppressed`)."""
    return parse(text) if MAY_SKIP_FILE.search(text) else Suppressions(complete=False)


def filter_suppressed(diagnostics: List, text: str, suppressions: Optional[Suppressions] = None) -> List:
    """Drop the diagnostics a noqa comment silences (positions are lines of `text`)."""
    if not diagnostics:
        return diagnostics
    if suppressions is None or not suppressions.complete:
        suppressions = parse(text)
    return [d for d in diagnostics if not suppressions.suppresses(d.code, d.start.line)]
