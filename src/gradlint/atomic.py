"""Replace a file's content atomically: a temporary file in the same directory, then os.replace.

Readers see the old content or the new, never a part; on any failure the temporary file is removed
and the original is left as it was.
"""
from __future__ import annotations

import os
import tempfile
from typing import Optional


def replace_file(target: str, data: bytes, mode: Optional[int], *, prefix: str, suffix: str = "",
                 sync: bool = False) -> None:
    directory = os.path.dirname(target) or "."
    descriptor, temporary = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
