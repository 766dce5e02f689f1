"""`gradlint server`: a language server (LSP) over standard input and output, built on pygls.

Modules: `handlers` (the server: document and notebook sync, publishing, settings, code actions),
`documents` (a document as a gradlint source, its settings, linting it), `actions` (code actions),
`convert` (diagnostics and edits in LSP positions). pygls is an optional dependency (the `lsp`
extra); nothing else in gradlint imports this package.
"""
from __future__ import annotations

import sys
from typing import List, Optional

USAGE = """usage: gradlint server [--stdio]

Run the gradlint language server, speaking LSP over standard input and output (the only transport;
`--stdio` is accepted for clients that pass it). Needs the `lsp` extra: pip install 'gradlint[lsp]'.
"""


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(arg in ("-h", "--help") for arg in args):
        sys.stdout.write(USAGE)
        return 0
    unknown = [arg for arg in args if arg != "--stdio"]
    if unknown:
        sys.stderr.write(f"error: unexpected argument {unknown[0]!r}\n{USAGE}")
        return 2
    try:
        from .handlers import create_server
    except ImportError as exc:
        sys.stderr.write(f"error: gradlint server needs pygls ({exc}); install it with: pip install 'gradlint[lsp]'\n")
        return 2
    server = create_server()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not corrupt the protocol stream
    server.start_io(stdin, stdout)
    return 0 if server.shutting_down else 1  # LSP: exit without shutdown first is an error
