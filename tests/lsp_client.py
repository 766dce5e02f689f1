"""Driving the real `gradlint server` process over stdio with pytest-lsp's LSP client.

`server()` starts `python -m gradlint server` from this working tree, initializes it (VS Code's
client capabilities unless told otherwise) and shuts it down; the client records every
`publishDiagnostics` (with its version), `$/logTrace` and `window/logMessage`, and accepts
`client/registerCapability`. Edits returned by the server are applied here with LSP's rules
(UTF-16 positions), so that a test sees the text an editor would have.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SRC = str(Path(__file__).resolve().parents[1] / "src")
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
SERVER = [sys.executable, "-m", "gradlint", "server"]
TIMEOUT = 30.0


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]  # every PublishDiagnosticsParams, in order
    client.traces = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
        client.published.append(params)  # type: ignore[attr-defined]
        client.diagnostics[params.uri] = params.diagnostics

    def trace(client: LanguageClient, params: types.LogTraceParams):
        client.traces.append(params.message)  # type: ignore[attr-defined]

    def register(client: LanguageClient, params: types.RegistrationParams):
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.LOG_TRACE] = trace
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    register_lsp_features(client, features)
    return client


@contextlib.asynccontextmanager
async def server(root: Optional[Path] = None, options: Any = None,
                 capabilities: Optional[types.ClientCapabilities] = None,
                 trace: Optional[types.TraceValue] = None, command: Optional[List[str]] = None):
    config = ClientServerConfig(server_command=command or SERVER, client_factory=make_client, server_env=ENV)
    client = await config.start()
    try:
        client.initialize_result = await client.initialize_session(types.InitializeParams(
            capabilities=capabilities or client_capabilities("visual-studio-code"),
            root_uri=root.as_uri() if root else None,
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="root")] if root else None,
            initialization_options=options, trace=trace))
        yield client
        if client._server is not None and client._server.returncode is None:  # noqa: SLF001
            await asyncio.wait_for(client.shutdown_session(), TIMEOUT)
    finally:
        process = client._server  # noqa: SLF001
        if process is not None and process.returncode is None:  # a test failed: do not wait for it
            process.kill()
        await client.stop()


async def until(condition: Callable[[], Any], timeout: float = TIMEOUT, what: str = "the server"):
    """Wait until `condition()` is truthy (and return it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def published(client: LanguageClient, uri: str, version: Optional[int] = None, after: int = 0):
    """The first publishDiagnostics for `uri` (of `version`, if given) among those received from
    index `after` on."""
    def find():
        for params in client.published[after:]:  # type: ignore[attr-defined]
            if params.uri == uri and (version is None or params.version == version):
                return params
        return None
    return await until(find, what=f"diagnostics of {uri} (version {version})")


def open_text(client: LanguageClient, uri: str, text: str, version: int = 1, language: str = "python") -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)))


def change_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))


async def code_actions(client: LanguageClient, uri: str, where: types.Range, only: Optional[List[str]] = None):
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=where,
        context=types.CodeActionContext(diagnostics=[], only=only))) or []


# -- applying edits as an editor does ----------------------------------------------------------------

LINE_END = re.compile(r"\r\n|\r|\n")


def offset(text: str, position: types.Position) -> int:
    """The string index of an LSP position (UTF-16 code units) in `text`."""
    starts = [0] + [m.end() for m in LINE_END.finditer(text)]
    assert position.line < len(starts), f"{position} is past the end of the text"
    start = starts[position.line]
    end = starts[position.line + 1] if position.line + 1 < len(starts) else len(text)
    line = LINE_END.sub("", text[start:end])
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            assert units == position.character, f"{position} splits a surrogate pair"
            return start + index
        units += 2 if ord(char) > 0xFFFF else 1
    assert units == position.character, f"{position} is past the end of line {position.line}"
    return start + len(line)


def apply_text_edits(text: str, edits: List[types.TextEdit]) -> str:
    spans = sorted(((offset(text, e.range.start), offset(text, e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def apply_workspace_edit(texts: Dict[str, str], versions: Dict[str, int], edit: types.WorkspaceEdit) -> Dict[str, str]:
    """The texts (by URI) after the edit; each TextDocumentEdit must name the version it was made for."""
    result = dict(texts)
    assert edit.document_changes, "expected versioned documentChanges"
    for change in edit.document_changes:
        assert isinstance(change, types.TextDocumentEdit)
        uri = change.text_document.uri
        made_for = change.text_document.version
        assert made_for == versions[uri], f"an edit for version {made_for} of {uri}, which is at {versions[uri]}"
        result[uri] = apply_text_edits(result[uri], list(change.edits))
    return result


def whole(line: int = 0, end_line: int = 10_000) -> types.Range:
    return types.Range(types.Position(line, 0), types.Position(end_line, 0))
