"""A bytes-level pre-filter: files in which no rule can fire are never decoded, parsed or analysed.

Only about 1.5% of the files in the PyTorch ecosystem read `.grad` at all, so the cheapest way to
lint a large tree is to prove, from the raw bytes, that a file cannot produce a finding. The filter
is sound with respect to what the analysis recognises (see `src/gradlint/analysis/`):

* GL001, GL002, GL003 report `.grad` reads. The analysis sees a read in exactly two shapes:
  - an attribute `x.grad` (also `x . grad`, `x.\\<newline>grad`, or `(x.  # comment <newline> grad)`,
    all of which Python accepts): `has_attribute_read` below, with a word boundary so that
    `.gradient_checkpointing` (in 447 transformers files) does not count;
  - `getattr(x, "grad")`, where the attribute name is a string constant the analysis knows: a
    literal spelled plainly, split by implicit concatenation (`"gr" "ad"`) or with escapes
    (`"\\x67rad"`), possibly bound to a name first, or literals joined by `+` (the analysis folds
    operators on literals: `"gr" + "ad"`). Whatever the pieces, the first letter of `grad` opens
    some literal (or is an escape right after its quote), and `GETATTR_GRAD` matches the start of
    every such literal. `getattr` itself must appear in the text, since a builtin is only resolved
    through its name (`g = getattr` also names it).
* GL004 reports optimizer constructions: a qualified name `torch.optim.<Class>`, which only arises
  from an import or attribute that spells `optim`, in a file that spells `torch`.

A line whose first non-blank character is `#` holds no code (it is a comment, or a line inside a
multi-line string), so nothing on it counts: `# see p.grad` makes no file pass.

So a file passes when it could hold any of these, and everything else is skipped: it gets no
diagnostics at all, not even a syntax error (a file with no `.grad` is not gradlint's business,
which is what makes a tree like the standard library nearly free to lint).

Files whose coding cookie names a codec that is not ASCII-compatible always pass (their bytes say
nothing about their characters). The filter never knows the kind of source: each kind hands it bytes
that hold its program's code (`sources.screen_bytes`; a notebook's are its code cells' text).

Not covered, by design (Python accepts them, nobody writes them): identifiers written with Unicode
compatibility characters that NFKC folds to `grad` (`x.ｇrad`), and attribute names that
`%`-formatting manufactures from non-letters (`getattr(y, "%crad" % 103)`, `"gr%x%x" % ...`).
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator, List, Optional

# Every `grad` as a whole word; each is then checked backwards for the dot before it, across
# whitespace, line continuations and (inside brackets) line breaks and comment lines:
# `y.grad`, `y . grad`, `y.\\<newline>grad`, `(y.  # note<newline> grad)`. Searching for the
# literal first is several times faster than a regex that starts at every `.`, and one pattern over
# comments and gaps would rescan a whole comment block from every `.` in it.
_GRAD_WORD = re.compile(rb"grad\b")
_SKIPPABLE_LINE = re.compile(rb"[ \t\f]*(?:#.*|\\)?\Z")
_LINE_ENDING_IN_DOT = re.compile(rb"\.[ \t\f]*(?:#.*|\\)?\Z")


def in_comment_line(data: bytes, position: int) -> bool:
    """Is `position` on a line whose first non-blank character is `#`? Such a line holds no code:
    it is a comment, or a line of a multi-line string (a comment cannot follow a `\\`)."""
    start = max(data.rfind(b"\n", 0, position), data.rfind(b"\r", 0, position)) + 1
    return data[start:position].lstrip(b" \t\f").startswith(b"#")


def _dot_before_line(data: bytes, position: int) -> bool:
    """Does the last line before `position` (a line start) that is not blank or a comment end in
    a dot (maybe followed by a comment or a backslash)? `data` has `\n` line breaks only."""
    end = position - 1  # the newline ending the previous line
    while end > 0:
        start = data.rfind(b"\n", 0, end) + 1
        line = data[start:end]
        if not _SKIPPABLE_LINE.match(line):
            return _LINE_ENDING_IN_DOT.search(line) is not None
        end = start - 1
    return False


def attribute_reads(data: bytes) -> Iterator[int]:
    """Where the text could hold `<expr>.grad`, in any of the spellings Python accepts: the offset
    of each such `grad`."""
    normalised = None
    for match in _GRAD_WORD.finditer(data):
        i = match.start() - 1
        while i >= 0 and data[i] in b" \t\f":
            i -= 1
        if i < 0:
            continue
        before = data[i]
        if before == 0x2E:  # "."
            if not in_comment_line(data, i):
                yield match.start()
        elif before in b"\r\n":  # `grad` starts a line: look at the lines before it
            if normalised is None:
                normalised = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data
            # the same `grad` in the normalised text: count the CRs removed before it
            position = i + 1 - (data.count(b"\r\n", 0, i + 1) if normalised is not data else 0)
            if _dot_before_line(normalised, position):
                yield match.start()


def has_attribute_read(data: bytes) -> bool:
    """Could the text hold `<expr>.grad`, in any of the spellings Python accepts?"""
    return next(attribute_reads(data), None) is not None


# An escape in a string literal that could spell a lowercase letter a-z (\x67, \147, \u0067,
# \U00000067, \N{...}), or a backslash-newline continuation (which spells nothing).
_HEX_LETTER = rb"(?:6[1-9a-fA-F]|7[0-9aA])"
_LETTER_ESC = (rb"\\(?:x" + _HEX_LETTER + rb"|1(?:4[1-7]|[56][0-7]|7[0-2])|u00" + _HEX_LETTER
               + rb"|U000000" + _HEX_LETTER + rb"|N\{)")
_CONTINUATION = rb"\\(?:\r\n?|\n)"
_ESC = rb"(?:" + _LETTER_ESC + rb"|" + _CONTINUATION + rb")"
_END = rb"(?:[\"']|" + _ESC + rb")"


def literal_start(word: str) -> "re.Pattern[bytes]":
    """The start of every string literal whose value could be `word`.

    After the opening quote comes a prefix of `word`, then either the end of this piece (a quote:
    the literal ends, or implicit concatenation `"gr" "ad"` goes on) or an escape that could spell
    the next letter (`"g\\x72ad"`). The first non-empty piece of any literal with value `word` has
    this shape, whatever prefixes (r, u, b, f) or quote styles it uses.
    """
    letters = word.encode("ascii")
    pattern = _END
    for letter in reversed(letters[1:]):
        pattern = rb"(?:" + _END + rb"|" + re.escape(bytes([letter])) + pattern + rb")"
    # Empty pieces ("" "grad", or the first quotes of '''grad''') are skipped: the match starts at
    # the opening quote of the first piece that holds a character.
    return re.compile(rb"[\"'](?:" + _CONTINUATION + rb")*(?:" + _LETTER_ESC + rb"|"
                      + re.escape(letters[:1]) + pattern + rb")")


GETATTR_GRAD = literal_start("grad")
GETATTR_OPTIM = literal_start("optim")


def literal_starts(pattern: "re.Pattern[bytes]", data: bytes, first_letter: bytes) -> Iterator["re.Match[bytes]"]:
    """The matches of a `literal_start` pattern, in no particular order. Each starts with a quote
    followed by the word's first letter or a backslash: those two bytes are searched for (fast)
    and the pattern tried only there, not at every quote in the file."""
    for opener in (b'"', b"'"):
        for second in (first_letter, b"\\"):
            needle = opener + second
            i = data.find(needle)
            while i >= 0:
                match = pattern.match(data, i)
                if match is not None and not in_comment_line(data, i):
                    yield match
                i = data.find(needle, i + 1)


def word_offsets(data: bytes, word: bytes) -> Iterator[int]:
    """Where `word` occurs as a whole word (ASCII word characters around it do not count)."""
    end = len(word)
    i = data.find(word)
    while i >= 0:
        before, after = data[i - 1:i] if i else b"", data[i + end:i + end + 1]
        if not (before.isalnum() or before == b"_" or after.isalnum() or after == b"_"
                or in_comment_line(data, i)):
            yield i
        i = data.find(word, i + end)


def has_optim_word(data: bytes) -> bool:
    """Does the whole word `optim` occur in the text?"""
    return next(word_offsets(data, b"optim"), None) is not None


_NOT_A_CONSTRUCTION = re.compile(rb"\s*\.\s*(?:Optimizer\b(?!\s*\()|lr_scheduler\b)")


def finding_offsets(data: bytes, words: Iterable[str] = ()) -> List[int]:
    """Sorted offsets of everything in `data` near which a finding could be reported: each
    `.grad` attribute read, each string literal that could spell "grad" or "optim" (for getattr),
    each whole word `optim`, and each of `words` (names the file binds to optimizers). Code whose
    text holds none of these cannot report a finding of its own."""
    found = list(attribute_reads(data))
    if b"getattr" in data:
        found.extend(match.start() for match in literal_starts(GETATTR_GRAD, data, b"g"))
        found.extend(match.start() for match in literal_starts(GETATTR_OPTIM, data, b"o"))
    # `torch.optim.Optimizer` (isinstance checks, annotations, base classes) and lr schedulers are
    # the mentions of torch.optim that construct no optimizer.
    found.extend(i for i in word_offsets(data, b"optim") if not _NOT_A_CONSTRUCTION.match(data, i + 5))
    for word in words:
        found.extend(word_offsets(data, word.encode("utf-8")))
    return sorted(found)


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
# Codecs in which every ASCII character is encoded as its ASCII byte, so the patterns above see
# the characters Python sees. (The cookie spellings Python accepts, normalised as Python does.)
_ASCII_COMPATIBLE = re.compile(
    r"^(utf[-_]?8(?:[-_]sig)?|ascii|us[-_]ascii|latin[-_]?1|l1|iso[-_]?8859[-_]\d+|iso[-_]latin[-_]\d|"
    r"cp125\d|windows[-_]125\d|cp437|cp85\d|cp86\d|koi8[-_]\w+|mac[-_]?\w+|gb2312|gbk|gb18030|"
    r"euc[-_]\w+|shift[-_]?jis|sjis|cp932|cp949|cp950|big5(?:hkscs)?)$", re.IGNORECASE)

ALL_RULES = frozenset({"GL001", "GL002", "GL003", "GL004"})
READ_RULES = frozenset({"GL001", "GL002", "GL003"})


def _unusual_encoding(data: bytes) -> bool:
    """True when a coding cookie in the first two lines names a codec we cannot scan as bytes."""
    head = data[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16/32 byte order mark
        return True
    first_two = b"\n".join(head.split(b"\n", 2)[:2])
    match = _COOKIE.search(first_two)
    return bool(match) and not _ASCII_COMPATIBLE.match(match.group(1).decode("ascii", "replace"))


def may_read_grad(data: bytes) -> bool:
    """Could this Python source hold a `.grad` read the analysis recognises?"""
    if has_attribute_read(data):
        return True
    return b"getattr" in data and next(literal_starts(GETATTR_GRAD, data, b"g"), None) is not None


def may_build_optimizer(data: bytes) -> bool:
    """Could this Python source construct a `torch.optim` optimizer?

    The analysis knows an optimizer by its qualified name `torch.optim.<Class>`, which comes from
    an import or attribute spelling the word `optim` (`torch.optim.SGD`, `from torch import optim`,
    `from torch.optim import Adam`) or from `getattr(torch, "optim")`, in a file that spells `torch`.
    """
    if b"torch" not in data:
        return False
    if has_optim_word(data):
        return True
    return b"getattr" in data and next(literal_starts(GETATTR_OPTIM, data, b"o"), None) is not None


def could_have_findings(data: Optional[bytes], rules: Optional[Iterable[str]] = None) -> bool:
    """False only when no rule in `rules` (default: all) can report anything in this program.

    `data` holds every character of the program's code (`sources.screen_bytes`: a Python file's raw
    bytes, a notebook's code cells); None means they are not known, and the program must be linted.
    """
    if data is None:
        return True
    enabled = ALL_RULES if rules is None else frozenset(rules)
    if enabled - ALL_RULES:
        return True  # a rule this filter does not know about: never skip on its behalf
    if _unusual_encoding(data):
        return True
    if enabled & READ_RULES and may_read_grad(data):
        return True
    return "GL004" in enabled and may_build_optimizer(data)


def enabled_rules(select=None, ignore=None) -> frozenset:
    """The finding rules (not the GL9xx file errors) that select/ignore leave enabled."""
    from .rules import RULES, selected
    return frozenset(rule.code for rule in RULES if selected(rule.code, select, ignore))
