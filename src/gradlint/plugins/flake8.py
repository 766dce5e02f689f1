"""gradlint as a flake8 extension: `flake8 --select GL file.py`.

Registered under the `flake8.extension` entry point group with the code prefix `GL`. flake8 calls
`GradlintChecker(tree, lines, filename)` once per file and reads `(line, column, "GL001 message",
type)` tuples from `run()`; the column is 0-based (flake8 prints it plus one), so a finding is at the
same line and column as `gradlint FILE` prints. flake8 handles `# noqa: GL001` itself (gradlint's
own noqa and `[tool.gradlint]` of the file's project apply as in the CLI).

flake8 has already parsed the file for its own checks (`tree`), but gradlint parses and analyses the
text itself, so the text first goes through gradlint's byte pre-filter: a file that cannot hold a
finding (no `.grad` read, no optimizer) costs a scan of its bytes and nothing else.

This module imports nothing of flake8: the extension needs no extra.
"""
from __future__ import annotations

from typing import Iterator, Sequence, Tuple

from ..version import __version__
from . import _common


class GradlintChecker:
    name = "gradlint"
    version = __version__

    def __init__(self, tree, lines: Sequence[str] = (), filename: str = "stdin"):
        # `tree` must be asked for (it makes flake8 run the plugin once per file); gradlint's own
        # pipeline parses the text, and only when the pre-filter lets it through.
        self.lines = lines
        self.filename = filename
        # Here, not in run(): flake8 reports an exception raised while it makes the plugin (an
        # invalid `[tool.gradlint]`) as the plugin's failure on the file, without a traceback.
        self.settings = _common.settings_for(filename)

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        text = "".join(self.lines)
        for diagnostic in _common.lint_text(text, self.filename, self.settings):
            yield (diagnostic.start.line, diagnostic.start.column - 1,
                   f"{diagnostic.code} {diagnostic.message}", type(self))
