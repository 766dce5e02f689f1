"""`gradlint server` driven over stdio by a real LSP client (pytest-lsp): diagnostics and their
positions, versions, code actions applied as an editor applies them, settings, robustness, exit.
Notebook documents are in test_server_notebook.py."""
from __future__ import annotations

import pytest

pytest.importorskip("pygls")
pytest.importorskip("pytest_lsp")

import asyncio  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402
from pathlib import Path  # noqa: E402

from lsprotocol import types  # noqa: E402

from gradlint.output import rule_url  # noqa: E402
from lsp_client import (SERVER, apply_workspace_edit, change_text, code_actions, open_text, published,  # noqa: E402
                        server, until, whole)

# The read is after an emoji: one character for gradlint, two UTF-16 code units for LSP.
SAMPLE = ("import torch\n"
          "\n"
          "x = torch.tensor(2.0, requires_grad=True)\n"
          "y = x * 3\n"
          "z = y * 4\n"
          "z.backward()\n"
          'print("🔥", y.grad)\n')
SAMPLE_FIXED = SAMPLE.replace("y = x * 3\n", "y = x * 3\ny.retain_grad()\n")
CLEAN = "import torch\n\nx = torch.tensor(2.0, requires_grad=True)\n(x * 3).backward()\nprint(x.grad)\n"
# `y` may be None where it is bound: retain_grad() there is an unsafe fix.
UNSAFE = ("import torch\n"
          "x = torch.ones(2, requires_grad=True)\n"
          "y = x * 2 if len(x) > 1 else None\n"
          "y.sum().backward()\n"
          "print(y.grad)\n")
UNSAFE_FIXED = UNSAFE.replace("else None\n", "else None\ny.retain_grad()\n")


def rng(line, start, end_line, end):
    return types.Range(types.Position(line, start), types.Position(end_line, end))


def uri_in(tmp_path: Path, name: str = "model.py") -> str:
    return (tmp_path / name).as_uri()


@pytest.mark.asyncio
async def test_diagnostic_range_code_link_source_and_origin_in_utf16(tmp_path):
    uri = uri_in(tmp_path)
    async with server(tmp_path) as client:
        open_text(client, uri, SAMPLE, version=1)
        params = await published(client, uri)
    assert params.version == 1
    (d,) = params.diagnostics
    assert d.code == "GL001" and d.source == "gradlint"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert d.range == rng(6, 14, 6, 18)  # `grad`: code points 13-17, UTF-16 units 14-18 (the emoji is 2)
    assert d.code_description.href == rule_url("GL001")
    assert "`y.grad` is always None" in d.message
    (origin,) = d.related_information
    assert origin.location.uri == uri and origin.location.range.start.line == 3  # `y = x * 3`
    assert "`x * 3`" in origin.message


@pytest.mark.asyncio
async def test_change_save_and_close(tmp_path):
    uri = uri_in(tmp_path)
    async with server(tmp_path) as client:
        open_text(client, uri, CLEAN, version=1)
        assert not (await published(client, uri, 1)).diagnostics
        change_text(client, uri, SAMPLE, version=2)
        assert len((await published(client, uri, 2)).diagnostics) == 1
        before = len(client.published)
        client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
        assert len((await published(client, uri, 2, after=before)).diagnostics) == 1
        before = len(client.published)
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
        cleared = await published(client, uri, after=before)
    assert not cleared.diagnostics


@pytest.mark.asyncio
async def test_every_publish_matches_its_version_and_a_burst_is_coalesced(tmp_path):
    """Thirty edits sent back to back: every publish is for a newer version than the one before, its
    diagnostics are those of that version's text, the last version is published, and the burst is
    linted far fewer times than it has edits (each lint of this text takes tens of milliseconds)."""
    uri = uri_in(tmp_path)
    padding = "".join(f"h{i} = torch.nn.Linear(4, 4)(torch.randn(2, 4)).relu()\n" for i in range(1000))
    texts = {1: CLEAN + padding}
    for version in range(2, 32):
        texts[version] = (SAMPLE if version % 2 else CLEAN) + padding
    async with server(tmp_path, trace=types.TraceValue.Messages) as client:
        open_text(client, uri, texts[1], version=1)
        await published(client, uri, 1)
        for version in range(2, 32):
            change_text(client, uri, texts[version], version)
        await published(client, uri, 31)
        await asyncio.sleep(0.5)  # anything late would show up now
        mine = [p for p in client.published if p.uri == uri]
        linted = [t for t in client.traces if t.startswith(f"linted {uri}")]
    versions = [p.version for p in mine]
    assert versions == sorted(set(versions)) and versions[-1] == 31
    for params in mine:
        assert len(params.diagnostics) == (1 if texts[params.version].startswith(SAMPLE) else 0), params.version
    assert len(linted) <= 20, linted  # one lint per edit would be 31; here it is 3 or 4 unless the machine stalls


@pytest.mark.asyncio
async def test_quick_fix_is_a_versioned_edit_that_fixes_the_read(tmp_path):
    uri = uri_in(tmp_path)
    async with server(tmp_path) as client:
        open_text(client, uri, CLEAN, version=1)
        change_text(client, uri, SAMPLE, version=7)
        (d,) = (await published(client, uri, 7)).diagnostics
        found = await code_actions(client, uri, types.Range(d.range.start, d.range.start))
        fixes = [a for a in found if a.title.startswith("Fix GL001")]
        (fix,) = fixes
        assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
        assert fix.diagnostics[0].range == d.range
        fixed = apply_workspace_edit({uri: SAMPLE}, {uri: 7}, fix.edit)[uri]
        assert fixed == SAMPLE_FIXED
        change_text(client, uri, fixed, version=8)
        assert not (await published(client, uri, 8)).diagnostics
        # nothing is offered away from the finding
        assert [a for a in await code_actions(client, uri, rng(0, 0, 0, 3)) if a.kind == "quickfix"] == []


@pytest.mark.asyncio
async def test_crlf_text_positions_and_fixes(tmp_path):
    uri = uri_in(tmp_path)
    text = SAMPLE.replace("\n", "\r\n")
    async with server(tmp_path) as client:
        open_text(client, uri, text, version=1)
        (d,) = (await published(client, uri, 1)).diagnostics
        assert d.range == rng(6, 14, 6, 18)
        (fix_all,) = await code_actions(client, uri, d.range, only=["source.fixAll"])
        (quick,) = [a for a in await code_actions(client, uri, d.range) if a.title.startswith("Fix GL001")]
    for action in (fix_all, quick):
        assert apply_workspace_edit({uri: text}, {uri: 1}, action.edit)[uri] == SAMPLE_FIXED.replace("\n", "\r\n")


@pytest.mark.asyncio
async def test_unsafe_fix_is_a_separate_action_titled_unsafe(tmp_path):
    uri = uri_in(tmp_path)
    async with server(tmp_path) as client:
        open_text(client, uri, UNSAFE, version=3)
        (d,) = (await published(client, uri, 3)).diagnostics
        found = await code_actions(client, uri, d.range)
    (fix,) = [a for a in found if a.title.startswith("Fix GL001")]
    assert "(unsafe)" in fix.title and not fix.is_preferred
    assert apply_workspace_edit({uri: UNSAFE}, {uri: 3}, fix.edit)[uri] == UNSAFE_FIXED


@pytest.mark.parametrize("line, expected", [
    ('print("🔥", y.grad)', 'print("🔥", y.grad)  # noqa: GL001'),
    ('print("🔥", y.grad)   ', 'print("🔥", y.grad)  # noqa: GL001'),
    ('print("🔥", y.grad)  # noqa: E501', 'print("🔥", y.grad)  # noqa: E501, GL001'),
    ('print("# noqa: X1", y.grad)', 'print("# noqa: X1", y.grad)  # noqa: GL001'),  # not a comment
])
@pytest.mark.asyncio
async def test_disable_for_this_line_adds_a_noqa_that_silences_it(tmp_path, line, expected):
    uri = uri_in(tmp_path)
    text = SAMPLE.replace('print("🔥", y.grad)', line)
    async with server(tmp_path) as client:
        open_text(client, uri, text, version=1)
        (d,) = (await published(client, uri, 1)).diagnostics
        found = await code_actions(client, uri, d.range)
        (action,) = [a for a in found if a.title == "Disable GL001 for this line"]
        assert action.kind == types.CodeActionKind.QuickFix
        after = apply_workspace_edit({uri: text}, {uri: 1}, action.edit)[uri]
        assert after == text.replace(line, expected)
        change_text(client, uri, after, version=2)
        assert not (await published(client, uri, 2)).diagnostics


@pytest.mark.asyncio
async def test_fix_all_applies_safe_fixes_and_unsafe_ones_only_when_enabled(tmp_path):
    uri = uri_in(tmp_path)
    text = SAMPLE + "\n\ndef f():\n" + textwrap.indent(UNSAFE.replace("import torch\n", ""), "    ")
    async with server(tmp_path) as client:
        open_text(client, uri, text, version=4)
        assert len((await published(client, uri, 4)).diagnostics) == 2
        found = await code_actions(client, uri, rng(0, 0, 0, 0), only=["source.fixAll"])
        (action,) = found
        assert action.kind == "source.fixAll.gradlint"
        fixed = apply_workspace_edit({uri: text}, {uri: 4}, action.edit)[uri]
        assert fixed == text.replace("y = x * 3\n", "y = x * 3\ny.retain_grad()\n")  # the unsafe one is left
        # the fixAll kind is not offered when the client asks for quick fixes only
        assert [a.kind for a in await code_actions(client, uri, whole(), only=["quickfix"])] == ["quickfix"] * 4
    async with server(tmp_path, options={"unsafe-fixes": True}) as client:
        open_text(client, uri, text, version=4)
        await published(client, uri, 4)
        (action,) = await code_actions(client, uri, rng(0, 0, 0, 0), only=["source.fixAll.gradlint"])
        fixed = apply_workspace_edit({uri: text}, {uri: 4}, action.edit)[uri]
        assert fixed.count("y.retain_grad()") == 2 and "unsafe" in action.title


@pytest.mark.asyncio
async def test_initialization_options_and_did_change_configuration_select_and_ignore(tmp_path):
    uri = uri_in(tmp_path)
    async with server(tmp_path, options={"ignore": ["GL001"]}) as client:
        open_text(client, uri, SAMPLE, version=1)
        assert not (await published(client, uri, 1)).diagnostics
        before = len(client.published)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"gradlint": {"select": ["GL001"], "ignore": []}}))  # each key overrides initializationOptions
        params = await published(client, uri, 1, after=before)
        assert [d.code for d in params.diagnostics] == ["GL001"]
        before = len(client.published)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"gradlint": {"select": ["GL002"], "ignore": ["NOPE1"]}}))
        assert not (await published(client, uri, 1, after=before)).diagnostics
        await until(lambda: any("NOPE1" in m.message for m in client.log_messages), what="a warning")
        # settings for another tool change nothing
        before = len(client.published)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"python": {"x": 1}}))
        client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
        assert not (await published(client, uri, 1, after=before)).diagnostics


@pytest.mark.asyncio
async def test_project_configuration_is_read_and_reread_when_it_changes(tmp_path):
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    config = project / "pyproject.toml"
    config.write_text('[tool.gradlint]\nignore = ["GL001"]\n')
    uri = (project / "pkg" / "model.py").as_uri()
    async with server(tmp_path) as client:
        await until(lambda: any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in client.registrations),
                    what="the server to watch pyproject.toml files")
        open_text(client, uri, SAMPLE, version=1)
        assert not (await published(client, uri, 1)).diagnostics
        config.write_text('[tool.gradlint]\nselect = ["GL001"]\n')
        before = len(client.published)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]))
        assert [d.code for d in (await published(client, uri, 1, after=before)).diagnostics] == ["GL001"]
        # a client that reports nothing: the next lint sees the file changed all the same
        config.write_text('[tool.gradlint]\nselect = ["GL002", "GL003"]\n')
        change_text(client, uri, SAMPLE + "\n", version=2)
        assert not (await published(client, uri, 2)).diagnostics
        # an invalid configuration is reported, and the document is linted without it
        config.write_text('[tool.gradlint]\nselec = ["GL001"]\n')
        change_text(client, uri, SAMPLE, version=3)
        assert len((await published(client, uri, 3)).diagnostics) == 1
        await until(lambda: any("selec" in m.message for m in client.messages), what="an error message")


@pytest.mark.asyncio
async def test_unsaved_buffer_and_file_outside_the_workspace(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    outside = tmp_path / "elsewhere" / "scratch.py"
    async with server(workspace) as client:
        open_text(client, "untitled:Untitled-1", SAMPLE, version=1)
        open_text(client, outside.as_uri(), SAMPLE, version=1)
        assert len((await published(client, "untitled:Untitled-1", 1)).diagnostics) == 1
        assert len((await published(client, outside.as_uri(), 1)).diagnostics) == 1


@pytest.mark.asyncio
async def test_syntax_error_is_a_gl900_error(tmp_path):
    uri = uri_in(tmp_path)
    async with server(tmp_path) as client:
        open_text(client, uri, "import torch\nx = (1,\nprint(x.grad\n", version=1)
        (d,) = (await published(client, uri, 1)).diagnostics
    assert d.code == "GL900" and d.severity == types.DiagnosticSeverity.Error and d.source == "gradlint"
    assert d.message.startswith("SyntaxError")
    assert d.code_description.href == rule_url("GL900")


@pytest.mark.asyncio
async def test_garbage_does_not_stop_the_server(tmp_path):
    uri = uri_in(tmp_path)
    garbage = {
        "nul.py": "x = 1\0\0\0 y.grad\n",
        "deep.py": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
        "binary.py": "".join(chr(c) for c in range(1, 0x2FF)) + "\ud800\n",
        "lines.py": "a = 1\r\x0c\u2028b.grad\rprint(\u2029)\n",
        "empty.py": "",
    }
    async with server(tmp_path) as client:
        for name, text in garbage.items():
            open_text(client, uri_in(tmp_path, name), text)
        open_text(client, uri_in(tmp_path, "notes.toml"), "[tool]\nx = 1\n", language="toml")
        # messages about documents the server never saw, and a code action far past the end
        change_text(client, uri_in(tmp_path, "never-opened.py"), SAMPLE, version=5)
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(
            uri=uri_in(tmp_path, "never-opened.py"))))
        assert await code_actions(client, uri_in(tmp_path, "never-opened.py"), whole()) == []
        for name in garbage:
            await published(client, uri_in(tmp_path, name), 1)
        assert await code_actions(client, uri_in(tmp_path, "lines.py"), rng(500, 0, 900, 4)) == []
        # malformed messages on the wire: not JSON, and JSON that is no valid notification
        for body in (b"{not json", b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"x": 1}}',
                     b'{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": null}'):
            client._server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))  # noqa: SLF001
        await client._server.stdin.drain()  # noqa: SLF001
        open_text(client, uri, SAMPLE, version=1)
        assert len((await published(client, uri, 1)).diagnostics) == 1
    assert not [m for m in client.log_messages if m.type == types.MessageType.Error], client.log_messages


# The real server process with its lint function wrapped: it fails on a text holding CRASH, and
# takes a second over one holding SLOW (so that newer versions arrive while it runs).
PATCHED_SERVER = [sys.executable, "-c", """
import sys, time
import gradlint.server.documents as documents
import gradlint.server.handlers as handlers
lint = documents.lint_snapshot
def patched(snapshot, configuration):
    texts = [target.text for target in snapshot.targets.values()]
    if any("CRASH" in text for text in texts):
        raise RuntimeError("boom")
    if any("SLOW" in text for text in texts):
        time.sleep(1.0)
    return lint(snapshot, configuration)
documents.lint_snapshot = handlers.lint_snapshot = patched
from gradlint.server import main
sys.exit(main([]))
"""]


@pytest.mark.asyncio
async def test_a_result_for_an_older_version_is_never_published(tmp_path):
    uri = uri_in(tmp_path)
    async with server(tmp_path, command=PATCHED_SERVER) as client:
        open_text(client, uri, "SLOW = 1\n" + SAMPLE, version=1)
        change_text(client, uri, CLEAN, version=2)  # arrives while version 1 is linted
        assert not (await published(client, uri, 2)).diagnostics
        await asyncio.sleep(1.5)
    assert [p.version for p in client.published if p.uri == uri] == [2]


@pytest.mark.asyncio
async def test_an_internal_error_is_logged_and_the_server_goes_on(tmp_path):
    """The server process is the real one with its lint function made to fail on one document."""
    async with server(tmp_path, command=PATCHED_SERVER) as client:
        open_text(client, uri_in(tmp_path, "bad.py"), "CRASH = 1\n")
        await until(lambda: [m for m in client.log_messages if "boom" in m.message], what="the error log")
        assert await code_actions(client, uri_in(tmp_path, "bad.py"), whole()) is not None
        open_text(client, uri_in(tmp_path), SAMPLE)
        assert len((await published(client, uri_in(tmp_path), 1)).diagnostics) == 1
    (error, *_) = [m for m in client.log_messages if "boom" in m.message]
    assert error.type == types.MessageType.Error
    assert "RuntimeError: boom" in error.message and "Traceback" in error.message


@pytest.mark.asyncio
async def test_utf8_positions_when_the_client_asks_for_them(tmp_path):
    uri = uri_in(tmp_path)
    capabilities = types.ClientCapabilities(general=types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf8]))
    async with server(tmp_path, capabilities=capabilities) as client:
        open_text(client, uri, SAMPLE)
        (d,) = (await published(client, uri, 1)).diagnostics
    assert d.range == rng(6, 16, 6, 20)  # the emoji is 4 bytes


@pytest.mark.asyncio
async def test_shutdown_and_exit_are_clean(tmp_path):
    async with server(tmp_path) as client:
        open_text(client, uri_in(tmp_path), SAMPLE)
        await published(client, uri_in(tmp_path), 1)
        process = client._server  # noqa: SLF001
        await client.shutdown_session()
        assert await asyncio.wait_for(process.wait(), 10) == 0


@pytest.mark.asyncio
async def test_exit_without_shutdown_is_an_error_exit(tmp_path):
    async with server(tmp_path) as client:
        process = client._server  # noqa: SLF001
        client.exit(None)
        assert await asyncio.wait_for(process.wait(), 10) == 1


def test_server_help_bad_arguments_and_missing_pygls():
    import subprocess
    from lsp_client import ENV
    shown = subprocess.run([*SERVER, "--help"], capture_output=True, text=True, env=ENV, timeout=60)
    assert shown.returncode == 0 and "gradlint server" in shown.stdout
    bad = subprocess.run([*SERVER, "--port", "1"], capture_output=True, text=True, env=ENV, timeout=60)
    assert bad.returncode == 2 and "--port" in bad.stderr
    without = subprocess.run([sys.executable, "-c", "import sys; sys.modules['pygls'] = None; sys.argv = ['gradlint', "
                              "'server']; from gradlint.cli import main; main()"],
                             capture_output=True, text=True, env=ENV, timeout=60)
    assert without.returncode == 2 and "pip install 'gradlint[lsp]'" in without.stderr
