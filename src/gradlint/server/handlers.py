"""The language server: document sync, publishing, configuration and code actions.

Documents are synced whole (`TextDocumentSyncKind.Full`): pygls applies incremental changes with
`str.splitlines`, which also splits at form feeds and U+2028, where LSP does not end a line.

Linting runs on one worker thread, so that the event loop keeps reading the client's messages while
a document is linted. An edit to a document that is not being linted is linted at once (a single
edit never waits for a timer). An edit made while its document is being linted only marks it to be
linted again, once the client has sent no edit to it for QUIET seconds, with the text current then:
a burst of keystrokes costs one or two lints, not one per keystroke. A result is published only if
the document still has the versions it was computed for. Every handler reports its own failure
through `window/logMessage` and carries on.
"""
from __future__ import annotations

import asyncio
import functools
import os
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Optional, Set
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from ..errors import ISSUES_URL
from ..version import __version__
from . import actions
from .documents import EDITOR_KEYS, Configuration, Linted, Snapshot, Target, editor_overrides, lint_snapshot

CONFIG_FILE = "pyproject.toml"
QUIET = 0.005  # seconds without an edit before a document changed while it was linted is linted again


def python_language(language_id: Optional[str]) -> bool:
    return not language_id or "python" in language_id.lower()


class GradlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "gradlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[types.NotebookDocumentFilterWithNotebook(
                    notebook="*", cells=[types.NotebookCellLanguage(language="python")])],
                save=True))
        self.configuration = Configuration()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradlint-lint")
        self.results: Dict[str, Linted] = {}  # document key -> its current result
        self.running: Set[str] = set()
        self.again: Set[str] = set()  # changed while being linted: lint again
        self.waiting: Set[str] = set()  # to be linted once its edits stop coming (when_quiet)
        self.changed_at: Dict[str, float] = {}
        self.published: Dict[str, Set[str]] = {}  # document key -> URIs it has published for
        self.reported: Set[str] = set()  # configuration errors already shown
        self.initial_settings: Dict[str, Any] = {}  # initializationOptions
        self.shutting_down = False

    # -- messages to the client -------------------------------------------------------------------

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # noqa: BLE001 - the client is gone; nothing else to tell
            pass

    def trace(self, message: str) -> None:
        """`$/logTrace`, when the client asked for it (`initialize`'s `trace`, or `$/setTrace`)."""
        if self.protocol.trace in (types.TraceValue.Messages, types.TraceValue.Verbose):
            self.protocol.notify(types.LOG_TRACE, types.LogTraceParams(message=message))

    def internal_error(self, what: str) -> None:
        self.log(f"gradlint server: internal error while {what} (the server goes on; please report it at "
                 f"{ISSUES_URL}):\n{traceback.format_exc()}", types.MessageType.Error)

    # -- documents ------------------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        value = self.workspace.position_encoding or "utf-16"
        return str(getattr(value, "value", value)).lower()

    def key_of(self, uri: str) -> str:
        """The document a URI belongs to: a notebook's for one of its cells, else the URI itself."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        return notebook.uri if notebook is not None else uri

    def _where(self, uri: str):
        """(filename, where to look for the configuration) of a document."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if path:
            return path, path
        root = self.workspace.root_path
        if not root:
            folders = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
            root = next((f for f in folders if f), None)
        return uri, root or os.getcwd()

    def snapshot(self, key: str) -> Optional[Snapshot]:
        workspace = self.workspace
        notebook = workspace.get_notebook_document(notebook_uri=key)
        filename, config_path = self._where(key)
        if notebook is not None:
            targets: Dict[Optional[int], Target] = {}
            for number, cell in enumerate(notebook.cells, 1):
                if cell.kind != types.NotebookCellKind.Code:
                    continue
                document = workspace.text_documents.get(unquote(cell.document))
                if document is not None and python_language(document.language_id):
                    targets[number] = Target(cell.document, document.version or 0, document.source)
            return Snapshot(key, notebook.version, filename, config_path, targets, True, self.encoding)
        document = workspace.text_documents.get(unquote(key))
        if document is None or workspace.get_notebook_document(cell_uri=key) is not None:
            return None
        if not python_language(document.language_id) or key.endswith(CONFIG_FILE):
            return None
        target = Target(document.uri, document.version or 0, document.source)
        return Snapshot(key, target.version, filename, config_path, {None: target}, False, self.encoding)

    def current(self, key: str, linted: Optional[Linted]) -> bool:
        """Is this result still about the document as it is?"""
        if linted is None:
            return False
        now = self.snapshot(key)
        return now is not None and now.signature == linted.snapshot.signature

    # -- linting --------------------------------------------------------------------------------------

    def request(self, key: str) -> None:
        """Lint the document now, or, if it is being linted, once more when that lint ends and its
        edits pause (`when_quiet`)."""
        if self.shutting_down:
            return
        self.changed_at[key] = asyncio.get_running_loop().time()
        if key in self.running:
            self.again.add(key)
            return
        if key in self.waiting:
            return
        try:
            snapshot = self.snapshot(key)
        except Exception:  # noqa: BLE001
            self.internal_error(f"reading {key}")
            return
        if snapshot is None:
            return
        self.running.add(key)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, lint_snapshot, snapshot, self.configuration)
        future.add_done_callback(functools.partial(self._linted, key))

    def _linted(self, key: str, future: "asyncio.Future[Linted]") -> None:
        self.running.discard(key)
        try:
            if not future.cancelled():
                self.deliver(key, future.result())
        except Exception:  # noqa: BLE001 - one document's failure must not stop the others
            self.internal_error(f"linting {key}")
        if key in self.again:
            self.again.discard(key)
            self.when_quiet(key)

    def when_quiet(self, key: str) -> None:
        """Lint again once the client has not changed the document for QUIET seconds: the edits
        that came during a lint are often the start of a burst still being read."""
        loop = asyncio.get_running_loop()
        waited = loop.time() - self.changed_at.get(key, 0.0)
        if waited >= QUIET:
            self.waiting.discard(key)
            self.request(key)
        else:
            self.waiting.add(key)
            loop.call_later(QUIET - waited, self.when_quiet, key)

    def deliver(self, key: str, linted: Linted) -> None:
        """Publish a result, unless the document changed (or closed) since its snapshot."""
        fresh = self.current(key, linted)
        self.trace(f"linted {key} (version {linted.snapshot.version}): {len(linted.diagnostics)} diagnostics in "
                   f"{linted.seconds * 1000:.1f} ms{'' if fresh else '; out of date, not published'}")
        if not fresh:
            return
        self.results[key] = linted
        if linted.config_error and linted.config_error not in self.reported:
            self.reported.add(linted.config_error)
            message = f"gradlint: invalid configuration: {linted.config_error} (linting without it)"
            self.log(message, types.MessageType.Error)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
        versions = {t.uri: t.version for t in linted.snapshot.targets.values()}
        gone = self.published.get(key, set()) - set(linted.published)
        for uri in gone:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        for uri, items in linted.published.items():
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, version=versions.get(uri), diagnostics=[published for _, published in items]))
        self.published[key] = set(linted.published)

    def clear(self, key: str, uris=()) -> None:
        """The document was closed: forget it, and clear its diagnostics."""
        self.results.pop(key, None)
        self.again.discard(key)
        self.changed_at.pop(key, None)
        for uri in self.published.pop(key, set()) | set(uris):
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def request_all(self) -> None:
        keys = set(self.workspace.notebook_documents) | {
            uri for uri in self.workspace.text_documents if self.workspace.get_notebook_document(cell_uri=uri) is None}
        for key in sorted(keys):
            document = self.workspace.notebook_documents.get(key) or self.workspace.text_documents.get(key)
            self.request(getattr(document, "uri", key))

    async def linted_now(self, key: str) -> Optional[Linted]:
        """The result for the document as it is now (linted now if the last one is out of date)."""
        linted = self.results.get(key)
        if self.current(key, linted):
            return linted
        snapshot = self.snapshot(key)
        if snapshot is None:
            return None
        linted = await asyncio.get_running_loop().run_in_executor(
            self.executor, lint_snapshot, snapshot, self.configuration)
        self.deliver(key, linted)
        return linted

    # -- settings -------------------------------------------------------------------------------------

    def apply_settings(self, value: Any, origin: str) -> bool:
        """Take the editor's settings (those given later override `initializationOptions` key by
        key); False when `value` holds none of gradlint's (it is for another tool)."""
        if isinstance(value, dict) and isinstance(value.get("gradlint"), dict):
            value = value["gradlint"]
        if not isinstance(value, dict) or not any(key in EDITOR_KEYS for key in value):
            if value not in (None, {}):
                kind = types.MessageType.Warning if origin == "initializationOptions" else types.MessageType.Log
                self.log(f"gradlint: {origin}: no gradlint settings (select, ignore, extend-select, unsafe-fixes) "
                         f"in {value!r}", kind)
            return False
        if origin == "initializationOptions":
            self.initial_settings = dict(value)
        overrides, problems = editor_overrides({**self.initial_settings, **value})
        for problem in problems:
            self.log(f"gradlint: {origin}: {problem}", types.MessageType.Warning)
        self.configuration.set_overrides(overrides)
        return True

    def document_changes(self) -> bool:
        capabilities = self.client_capabilities
        edit = capabilities.workspace.workspace_edit if capabilities and capabilities.workspace else None
        return bool(edit and edit.document_changes)

    def supports(self, check: Callable[[types.ClientCapabilities], Any]) -> bool:
        try:
            return bool(check(self.client_capabilities))
        except AttributeError:
            return False


def guarded(what: str):
    """A handler that logs its failure (window/logMessage) instead of raising it."""
    def wrap(handler):
        if asyncio.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def run_async(server: GradlintServer, params):
                try:
                    return await handler(server, params)
                except Exception:  # noqa: BLE001
                    server.internal_error(what)
                    return None
            return run_async

        @functools.wraps(handler)
        def run(server: GradlintServer, params):
            try:
                return handler(server, params)
            except Exception:  # noqa: BLE001
                server.internal_error(what)
                return None
        return run
    return wrap


def create_server() -> GradlintServer:
    server = GradlintServer()

    @server.feature(types.INITIALIZE)
    @guarded("reading initializationOptions")
    def initialize(ls: GradlintServer, params: types.InitializeParams):
        if params.trace is not None:
            ls.protocol.trace = params.trace
        if params.initialization_options is not None:
            ls.apply_settings(params.initialization_options, "initializationOptions")

    @server.feature(types.INITIALIZED)
    @guarded("starting")
    async def initialized(ls: GradlintServer, params: types.InitializedParams):
        if ls.supports(lambda c: c.workspace.did_change_watched_files.dynamic_registration):
            watchers = [types.FileSystemWatcher(glob_pattern=f"**/{CONFIG_FILE}")]
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
                    id="gradlint-configuration-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))
            except Exception as exc:  # noqa: BLE001 - the configuration is still re-read at each lint
                ls.log(f"gradlint: the client did not watch {CONFIG_FILE} files for the server: {exc}",
                       types.MessageType.Info)
        await pull_settings(ls)

    async def pull_settings(ls: GradlintServer) -> None:
        """Settings of clients that answer `workspace/configuration` (section `gradlint`)."""
        if not ls.supports(lambda c: c.workspace.configuration):
            return
        values = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="gradlint")]))
        if values and ls.apply_settings(values[0], "workspace/configuration"):
            ls.request_all()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded("opening a document")
    def did_open(ls: GradlintServer, params: types.DidOpenTextDocumentParams):
        ls.request(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded("changing a document")
    def did_change(ls: GradlintServer, params: types.DidChangeTextDocumentParams):
        ls.request(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded("saving a document")
    def did_save(ls: GradlintServer, params: types.DidSaveTextDocumentParams):
        if params.text_document.uri.endswith(CONFIG_FILE):
            ls.configuration.reset()
            ls.request_all()
        else:
            ls.request(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded("closing a document")
    def did_close(ls: GradlintServer, params: types.DidCloseTextDocumentParams):
        ls.clear(params.text_document.uri, [params.text_document.uri])

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    @guarded("opening a notebook")
    def notebook_open(ls: GradlintServer, params: types.DidOpenNotebookDocumentParams):
        ls.request(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    @guarded("changing a notebook")
    def notebook_change(ls: GradlintServer, params: types.DidChangeNotebookDocumentParams):
        ls.request(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    @guarded("saving a notebook")
    def notebook_save(ls: GradlintServer, params: types.DidSaveNotebookDocumentParams):
        ls.request(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    @guarded("closing a notebook")
    def notebook_close(ls: GradlintServer, params: types.DidCloseNotebookDocumentParams):
        ls.clear(params.notebook_document.uri, [cell.uri for cell in params.cell_text_documents])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded("reading changed files")
    def watched_files(ls: GradlintServer, params: types.DidChangeWatchedFilesParams):
        if any(change.uri.endswith(CONFIG_FILE) for change in params.changes):
            ls.configuration.reset()
            ls.request_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded("changing settings")
    async def configuration(ls: GradlintServer, params: types.DidChangeConfigurationParams):
        if ls.apply_settings(params.settings, "workspace/didChangeConfiguration"):
            ls.request_all()
        else:  # a client that only says "something changed": ask it
            await pull_settings(ls)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=actions.KINDS, resolve_provider=False))
    @guarded("computing code actions")
    async def code_action(ls: GradlintServer, params: types.CodeActionParams):
        uri = params.text_document.uri
        key = ls.key_of(uri)
        linted = await ls.linted_now(key)
        if linted is None:
            return None
        only = params.context.only
        document_changes = ls.document_changes()
        found = actions.quick_fixes(linted, uri, params.range, only, document_changes)
        if actions.wanted(actions.FIX_ALL, only) and actions.fixable(linted):
            action = await asyncio.get_running_loop().run_in_executor(
                ls.executor, actions.fix_all, linted, document_changes)
            if action is not None and ls.current(key, linted):
                found.append(action)
        return found

    @server.feature(types.SHUTDOWN)
    @guarded("shutting down")
    def shutdown(ls: GradlintServer, params: Any):
        ls.shutting_down = True
        ls.executor.shutdown(wait=False, cancel_futures=True)

    return server
