"""A Python file (`.py`, `.pyi`, a standard-input buffer): decoded as Python decodes it (BOM, coding
cookie); the text is the program, so positions map to themselves. Fixed text is encoded back in
the file's own encoding (a BOM kept), every byte outside the edits unchanged."""
from __future__ import annotations

import ast
import io
import tokenize
from typing import List, Optional, Sequence, Tuple

from .. import errors
from ..diagnostic import Fix
from .program import FixError, Program, Source, SourceError, unified_diff


def decode(data: bytes, filename: str) -> Tuple[str, str]:
    """(text, encoding) as Python decodes the bytes; a UTF-8 BOM is dropped from the text (the
    encoding "utf-8-sig" puts it back). Raises SourceError (GL901)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), encoding
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise SourceError(errors.file_error(errors.DECODE_ERROR, filename, f"cannot decode the file: {reason}")) \
            from None


class PythonFile(Source):
    kind = "python"

    def __init__(self, filename: str, data: bytes, text: str, encoding: str):
        self.filename = filename
        self.data = data
        self.text = text
        self.encoding = encoding
        self.program = Program(filename, text)

    @classmethod
    def load(cls, data: bytes, filename: str) -> "PythonFile":
        text, encoding = decode(data, filename)
        return cls(filename, data, text, encoding)

    def text_of(self, cell: Optional[int]) -> Optional[str]:
        return self.text if cell is None else None

    def apply_fixes(self, fixes: Sequence[Fix]) -> Tuple["PythonFile", List[int]]:
        from ..fixes.apply import apply_fixes
        applied = apply_fixes(self.text, fixes)
        if not applied.applied or applied.text == self.text:
            return self, []
        try:
            ast.parse(applied.text, filename=self.filename)
        except (SyntaxError, ValueError) as exc:
            raise FixError(f"fixes would introduce a syntax error ({exc})") from None
        return PythonFile(self.filename, self.data, applied.text, self.encoding), applied.applied

    def to_bytes(self) -> bytes:
        if self.text.encode(self.encoding) == self.data:
            return self.data
        original, _ = decode(self.data, self.filename)
        if original.encode(self.encoding) != self.data:
            raise FixError("the file does not round-trip through its encoding; not fixed")
        try:
            return self.text.encode(self.encoding)
        except UnicodeEncodeError:
            raise FixError(f"the fixed text cannot be encoded as {self.encoding}; not fixed") from None

    def diff(self, original: Source) -> bytes:
        return unified_diff(original.data, self.to_bytes(), self.filename)
