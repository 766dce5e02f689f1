"""The pylsp plugin (gradlint.plugins.pylsp), driven through a real `pylsp` process over stdio by a
small LSP client (tests/plugin_lsp_client.py): diagnostics as published, code actions as returned,
settings as a client sends them."""
from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytest.importorskip("pylsp")

from plugin_lsp_client import LspClient, apply_text_edits, path_uri  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"

# GL001 on line 8 (0-based 7): `print("🔥", y.grad)`: `grad` is character 13, but UTF-16 code unit 14
# (the emoji takes two), which is what LSP positions count.
PROGRAM = '''import torch

x = torch.tensor(2.0, requires_grad=True)
y = x * 3
z = y * 4
z.backward()
y2 = y
print("🔥", y.grad)
'''
FIXED = PROGRAM.replace("y = x * 3\n", "y = x * 3\ny.retain_grad()\n")
MESSAGE = ("`y.grad` is always None: y is not a leaf (`x * 3` on line 4 computed it); call y.retain_grad() before "
           "backward(), or read .grad of the leaf it comes from")
# GL002 whose only fix is unsafe (the tensor is used between its creation and the move).
UNSAFE = '''import torch

t = torch.zeros(3, requires_grad=True)
print(t.is_leaf)
t = t.to(torch.float64)
t.sum().backward()
print(t.grad)
'''
UNSAFE_FIXED = UNSAFE.replace("torch.zeros(3, requires_grad=True)", "torch.zeros(3)").replace(
    "t.to(torch.float64)", "t.to(torch.float64).requires_grad_()")
QUIET = {"pyflakes": {"enabled": False}, "pycodestyle": {"enabled": False}, "mccabe": {"enabled": False},
         "pydocstyle": {"enabled": False}, "autopep8": {"enabled": False}, "yapf": {"enabled": False},
         "jedi_completion": {"enabled": False}, "rope_autoimport": {"enabled": False}}


def start(root: Path, plugin_settings=None) -> LspClient:
    env = {"PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    client = LspClient([sys.executable, "-m", "pylsp"], cwd=root, env=env)
    plugins = dict(QUIET)
    if plugin_settings is not None:
        plugins["gradlint"] = plugin_settings
    client.request("initialize", {
        "processId": os.getpid(), "rootUri": path_uri(root),
        "capabilities": {"workspace": {"workspaceEdit": {"documentChanges": True}}},
        "initializationOptions": {"pylsp": {"plugins": plugins}}})
    client.notify("initialized", {})
    return client


def open_document(client: LspClient, path: Path, text: str, version: int = 1) -> str:
    uri = path_uri(path)
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": version,
                                                            "text": text}})
    return uri


def ours(diagnostics):
    return [d for d in diagnostics if d.get("source") == "gradlint"]


@pytest.fixture
def server(tmp_path):
    client = start(tmp_path)
    yield client
    client.close()


def test_the_entry_point_is_registered():
    found = {entry.name: entry.value for entry in metadata.entry_points(group="pylsp")}
    assert found.get("gradlint") == "gradlint.plugins.pylsp", \
        "gradlint's pylsp entry point is not installed: reinstall gradlint (pip install -e .)"


def test_diagnostics_on_open_and_change(server, tmp_path):
    uri = open_document(server, tmp_path / "train.py", PROGRAM)
    published = ours(server.diagnostics(uri, version=1))
    assert published == [{
        "source": "gradlint",
        "code": "GL001",
        "codeDescription": {"href": "https://github.com/gradlint/gradlint#gl001"},
        "message": MESSAGE,
        "severity": 1,
        "range": {"start": {"line": 7, "character": 14}, "end": {"line": 7, "character": 18}},
        "relatedInformation": [{
            "location": {"uri": uri, "range": {"start": {"line": 3, "character": 4},
                                               "end": {"line": 3, "character": 4}}},
            "message": "`x * 3` on line 4 computed it"}],
    }]
    # an unsaved edit that fixes the bug clears the diagnostic (the buffer is linted, not the file)
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": FIXED}]})
    assert ours(server.diagnostics(uri, version=2)) == []
    assert not (tmp_path / "train.py").exists()


def test_code_actions_fix_the_buffer(server, tmp_path):
    uri = open_document(server, tmp_path / "train.py", PROGRAM, version=3)
    diagnostic = ours(server.diagnostics(uri, version=3))[0]
    actions = server.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}})
    titles = [(action["title"], action["kind"]) for action in actions]
    assert titles == [
        ("gradlint (GL001): Insert `y.retain_grad()` where it is assigned", "quickfix"),
        ("gradlint (GL001): Disable GL001 for this line", "quickfix"),
        ("gradlint: Fix all", "source.fixAll.gradlint"),
    ]
    fix, disable, fix_all = actions
    assert fix["isPreferred"] is True
    assert fix["diagnostics"][0]["code"] == "GL001"
    change = fix["edit"]["documentChanges"][0]
    assert change["textDocument"] == {"uri": uri, "version": 3}  # edits for the version they were made for
    assert change["edits"] == [{"range": {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 0}},
                                "newText": "y.retain_grad()\n"}]
    assert apply_text_edits(PROGRAM, change["edits"]) == FIXED
    assert apply_text_edits(PROGRAM, disable["edit"]["documentChanges"][0]["edits"]) == \
        PROGRAM.replace('print("🔥", y.grad)', 'print("🔥", y.grad)  # noqa: GL001')
    assert apply_text_edits(PROGRAM, fix_all["edit"]["documentChanges"][0]["edits"]) == FIXED
    # only the fix-all source action, when that is all the client asks for
    only = server.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": diagnostic["range"],
        "context": {"diagnostics": [], "only": ["source.fixAll"]}})
    assert [action["kind"] for action in only] == ["source.fixAll.gradlint"]
    # nothing of gradlint's away from the finding but the fix-all
    elsewhere = server.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "context": {"diagnostics": []},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 3}}})
    assert [action["title"] for action in elsewhere if "gradlint" in action["title"]] == ["gradlint: Fix all"]


def test_unsafe_fixes_are_titled_unsafe_and_opt_in_for_fix_all(tmp_path):
    for unsafe_fixes in (None, True):
        client = start(tmp_path, None if unsafe_fixes is None else {"unsafeFixes": True})
        try:
            uri = open_document(client, tmp_path / "cast.py", UNSAFE)
            diagnostic = ours(client.diagnostics(uri))[0]
            assert (diagnostic["code"], diagnostic["range"]["start"]) == ("GL002", {"line": 6, "character": 8})
            actions = client.request("textDocument/codeAction", {
                "textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}})
            by_title = {action["title"]: action for action in actions}
            unsafe = by_title["gradlint (GL002): Ask for grad after the move: `.to(...).requires_grad_()` (unsafe)"]
            assert unsafe["isPreferred"] is False
            assert apply_text_edits(UNSAFE, unsafe["edit"]["documentChanges"][0]["edits"]) == UNSAFE_FIXED
            fix_all = [title for title in by_title if title.startswith("gradlint: Fix all")]
            if unsafe_fixes:
                assert fix_all == ["gradlint: Fix all (unsafe fixes included)"]
                edits = by_title[fix_all[0]]["edit"]["documentChanges"][0]["edits"]
                assert apply_text_edits(UNSAFE, edits) == UNSAFE_FIXED
            else:
                assert fix_all == []  # nothing safe to fix
        finally:
            client.close()


def test_settings_select_ignore_enabled(server, tmp_path):
    both = PROGRAM + UNSAFE.replace("import torch\n", "")
    uri = open_document(server, tmp_path / "train.py", both)
    assert [d["code"] for d in ours(server.diagnostics(uri))] == ["GL001", "GL002"]
    for settings, expected in (({"ignore": ["GL001"]}, ["GL002"]), ({"select": ["GL001"]}, ["GL001"]),
                               ({"enabled": False}, [])):
        server.notify("workspace/didChangeConfiguration",
                      {"settings": {"pylsp": {"plugins": dict(QUIET, gradlint=settings)}}})
        assert [d["code"] for d in ours(server.diagnostics(uri))] == expected, settings


def test_the_project_configuration_applies(server, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradlint]\nper-file-ignores = {"legacy/*" = ["GL001"]}\n')
    (tmp_path / "legacy").mkdir()
    legacy = open_document(server, tmp_path / "legacy" / "old.py", PROGRAM)
    assert ours(server.diagnostics(legacy)) == []
    current = open_document(server, tmp_path / "train.py", PROGRAM)
    assert [d["code"] for d in ours(server.diagnostics(current))] == ["GL001"]
    # a broken configuration is shown, not swallowed
    (tmp_path / "pyproject.toml").write_text('[tool.gradlint]\nselect = ["GL777"]\n')
    server.notify("textDocument/didChange", {"textDocument": {"uri": current, "version": 5},
                                             "contentChanges": [{"text": PROGRAM + "\n"}]})
    [problem] = ours(server.diagnostics(current, version=5))
    assert problem["code"] == "config" and "GL777" in problem["message"]
