"""`gradlint server` and LSP 3.17 notebook documents, through a real LSP client (pytest-lsp): the
code cells are one program, diagnostics are published per cell URI, and fixes edit the right cell."""
from __future__ import annotations

import pytest

pytest.importorskip("pygls")
pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402

from lsp_client import apply_workspace_edit, code_actions, published, until, whole  # noqa: E402
from lsp_client import server as plain_server  # noqa: E402
from pytest_lsp import client_capabilities  # noqa: E402

NOTEBOOK = "file:///work/notebooks/train.ipynb"
CELLS = [  # (kind, text); cell URIs are the notebook's with a fragment, as VS Code makes them
    (types.NotebookCellKind.Markup, "# The gradient of `y`"),
    (types.NotebookCellKind.Code, "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3"),
    (types.NotebookCellKind.Code, "%matplotlib inline\ny.sum().backward()\nprint(y.grad)"),
    (types.NotebookCellKind.Code, "def broken(:\n    pass"),
]
BINDS, READS, BROKEN = 1, 2, 3  # indexes of the cells (cell N in messages is index N - 1)


def server():
    """The server, for a client that declares LSP 3.17 notebook sync (as vscode-languageclient does)."""
    capabilities = client_capabilities("visual-studio-code")
    capabilities.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities(execution_summary_support=True))
    return plain_server(capabilities=capabilities)


def cell_uri(index: int) -> str:
    return f"vscode-notebook-cell:/work/notebooks/train.ipynb#cell{index}"


def open_notebook(client, cells=CELLS, version: int = 1) -> None:
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=NOTEBOOK, notebook_type="jupyter-notebook", version=version,
            cells=[types.NotebookCell(kind=kind, document=cell_uri(i)) for i, (kind, _) in enumerate(cells)]),
        cell_text_documents=[
            types.TextDocumentItem(uri=cell_uri(i), language_id="python" if kind == types.NotebookCellKind.Code
                                   else "markdown", version=1, text=text)
            for i, (kind, text) in enumerate(cells)]))


def edit_cell(client, index: int, text: str, cell_version: int, notebook_version: int) -> None:
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(version=notebook_version, uri=NOTEBOOK),
        change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[
            types.NotebookDocumentCellContentChanges(
                document=types.VersionedTextDocumentIdentifier(uri=cell_uri(index), version=cell_version),
                changes=[types.TextDocumentContentChangeWholeDocument(text=text)])]))))


def texts_and_versions(cells=CELLS):
    return ({cell_uri(i): text for i, (_, text) in enumerate(cells)}, {cell_uri(i): 1 for i in range(len(cells))})


@pytest.mark.asyncio
async def test_cells_are_one_program_published_per_cell():
    async with server() as client:
        open_notebook(client)
        read = await published(client, cell_uri(READS))
        broken = await published(client, cell_uri(BROKEN))
        first = await published(client, cell_uri(BINDS))
    assert not first.diagnostics and first.version == 1
    (d,) = read.diagnostics
    assert d.code == "GL001" and d.range == types.Range(types.Position(2, 8), types.Position(2, 12))
    assert "on line 3 of cell 2" in d.message  # cells are counted as the notebook shows them, markdown too
    (origin,) = d.related_information
    assert origin.location.uri == cell_uri(BINDS) and origin.location.range.start.line == 2
    (syntax,) = broken.diagnostics
    assert syntax.code == "GL900" and syntax.range.start.line == 0


@pytest.mark.asyncio
async def test_quick_fix_edits_the_cell_that_binds_the_tensor():
    texts, versions = texts_and_versions()
    async with server() as client:
        open_notebook(client)
        (d,) = (await published(client, cell_uri(READS))).diagnostics
        found = await code_actions(client, cell_uri(READS), d.range)
        (fix,) = [a for a in found if a.title.startswith("Fix GL001")]
        assert [c.text_document.uri for c in fix.edit.document_changes] == [cell_uri(BINDS)]
        after = apply_workspace_edit(texts, versions, fix.edit)
        assert after[cell_uri(BINDS)] == CELLS[BINDS][1] + "\ny.retain_grad()"
        assert after[cell_uri(READS)] == CELLS[READS][1]
        (noqa,) = [a for a in found if a.title == "Disable GL001 for this line"]
        silenced = apply_workspace_edit(texts, versions, noqa.edit)
        assert silenced[cell_uri(READS)] == CELLS[READS][1] + "  # noqa: GL001"
        # the editor applies the fix: the read's cell is clear
        before = len(client.published)
        edit_cell(client, BINDS, after[cell_uri(BINDS)], cell_version=2, notebook_version=2)
        assert not (await published(client, cell_uri(READS), after=before)).diagnostics


@pytest.mark.asyncio
async def test_fix_all_from_a_cell_edits_the_other_cell():
    texts, versions = texts_and_versions()
    async with server() as client:
        open_notebook(client)
        await published(client, cell_uri(READS))
        (action,) = await code_actions(client, cell_uri(READS), whole(0, 0), only=["source.fixAll"])
    after = apply_workspace_edit(texts, versions, action.edit)
    assert after[cell_uri(BINDS)] == CELLS[BINDS][1] + "\ny.retain_grad()" and after[cell_uri(READS)] == CELLS[READS][1]


@pytest.mark.asyncio
async def test_removed_cell_and_closed_notebook_are_cleared():
    async with server() as client:
        open_notebook(client)
        assert (await published(client, cell_uri(READS))).diagnostics
        before = len(client.published)
        client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(version=2, uri=NOTEBOOK),
            change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
                structure=types.NotebookDocumentCellChangeStructure(
                    array=types.NotebookCellArrayChange(start=READS, delete_count=1, cells=[]),
                    did_close=[types.TextDocumentIdentifier(uri=cell_uri(READS))])))))
        assert not (await published(client, cell_uri(READS), after=before)).diagnostics
        before = len(client.published)
        client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=NOTEBOOK),
            cell_text_documents=[types.TextDocumentIdentifier(uri=cell_uri(i)) for i in (0, BINDS, BROKEN)]))
        cleared = await until(lambda: [p for p in client.published[before:] if p.uri == cell_uri(BROKEN)],
                              what="the broken cell to be cleared")
    assert not cleared[-1].diagnostics


@pytest.mark.asyncio
async def test_notebook_sync_is_declared_for_python_cells():
    async with server() as client:
        sync = client.initialize_result.capabilities.notebook_document_sync
    (selector,) = sync.notebook_selector
    assert [cell.language for cell in selector.cells] == ["python"]
