"""The README's editor set-ups, each taken from the README text and run by its real client on what the
real `gradlint` CLI prints for a real workspace: VS Code's problem matchers through node's RegExp
(JavaScript semantics), Vim's errorformat through `vim -es` and `:make`, efm-langserver's command
through `sh -c` as efm runs it, with its lint-formats read as efm's errorformat library reads them.

The workspace has a path with spaces, non-ASCII text, a tab and a double-width character before the
findings (gradlint counts columns in characters), a notebook finding (`path:cell N:line:col:`) and
a malformed notebook (`path:1:1: GL904`)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import yaml

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
HEAD = "import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x * 3\ny.sum().backward()\n"
ACCENT = HEAD + 'print("é", y.grad)\n'  # GL001 at 5:14 in characters (5:15 in bytes)
TAB_WIDE = HEAD + 'if True:\n\tprint("漢", y.grad)\n'  # GL001 at 6:15 in characters (screen cell 23)
# (kind, line, column, code) per file, 1-based, columns in characters; a notebook finding is a
# problem of the whole notebook (its message starts with the cell's position)
EXPECTED = {
    "pkg/a b.py": ("location", 5, 14, "GL001"),
    "pkg/tabs.py": ("location", 6, 15, "GL001"),
    "nb/my nb.ipynb": ("file", None, None, "GL001"),
    "bad.ipynb": ("location", 1, 1, "GL904"),
}
NOTEBOOK_MESSAGE = "cell 4:1:14: GL001 "  # markdown cell 1, code cells 2-4; the read is in cell 4
BIN = Path(sys.executable).parent  # the `gradlint` script installed next to this Python


def path_with_gradlint() -> str:
    if shutil.which("gradlint", path=str(BIN)) is None:
        pytest.skip(f"no gradlint script in {BIN} (pip install -e .)")
    return f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def readme_block(after: str, lang: str) -> str:
    """The first ```lang block after the text `after` in the README."""
    start = README.index(after)
    return re.compile(rf"```{lang}\n(.*?)```", re.S).search(README, start).group(1)


def gradlint(*args, cwd: Path) -> list[str]:
    result = subprocess.run([sys.executable, "-m", "gradlint", "--no-cache", *args], cwd=cwd,
                            capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout.splitlines()


@pytest.fixture
def workspace(tmp_path) -> Path:
    nbformat = pytest.importorskip("nbformat")
    root = tmp_path / "my project"
    (root / "pkg").mkdir(parents=True)
    (root / "nb").mkdir()
    (root / "pkg" / "a b.py").write_text(ACCENT, encoding="utf-8")
    (root / "pkg" / "tabs.py").write_text(TAB_WIDE, encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Training"), nbformat.v4.new_code_cell(HEAD.split("y =")[0]),
                nbformat.v4.new_code_cell("y = x * 3\ny.sum().backward()"),
                nbformat.v4.new_code_cell('print("é", y.grad)')]
    nbformat.write(nb, str(root / "nb" / "my nb.ipynb"))
    (root / "bad.ipynb").write_text('{"cells": [{"source": "print(y.grad)"')  # cut short
    return root


def test_vscode_problem_matchers_read_every_line(workspace):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    block = readme_block("**VS Code**", "json")
    task = json.loads(block)["tasks"][0]
    lines = gradlint(*task["args"], cwd=workspace)
    script = r"""
    const {block, lines} = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const matchers = [].concat(JSON.parse(block).tasks[0].problemMatcher);
    console.log(JSON.stringify(lines.map(line => matchers.flatMap(({pattern: p}) => {
      const m = new RegExp(p.regexp).exec(line);
      if (!m) return [];
      const problem = {kind: p.kind || "location"};
      for (const key of ["file", "line", "column", "code", "message"])
        if (p[key] !== undefined) problem[key] = m[p[key]];
      return [problem];
    }))));"""
    result = subprocess.run(["node", "-e", script], input=json.dumps({"block": block, "lines": lines}),
                            capture_output=True, text=True, check=True)
    problems = json.loads(result.stdout)
    assert all(len(found) == 1 for found in problems), list(zip(lines, problems))  # one matcher per line
    got = {}
    for [problem] in problems:
        line, column = problem.get("line"), problem.get("column")
        got[problem["file"]] = (problem["kind"], line and int(line), column and int(column), problem["code"])
        if problem["file"].endswith("my nb.ipynb"):
            assert problem["message"].startswith(NOTEBOOK_MESSAGE), problem
    assert got == {os.path.normpath(path): want for path, want in EXPECTED.items()}


def test_vim_quickfix_from_make(workspace, tmp_path):
    if shutil.which("vim") is None:
        pytest.skip("vim is not installed")
    ftplugin = tmp_path / "gradlint.vim"
    ftplugin.write_text(readme_block("**Vim**", "vim"), encoding="utf-8")
    result_file = tmp_path / "qf.json"
    script = tmp_path / "test.vim"
    # the README's lines as the python ftplugin runs them (in a Python buffer), then `:make!` with
    # --no-cache; each entry with a line is jumped to, to read the cursor's column in characters
    script.write_text(f"""
edit pkg/a\\ b.py
source {ftplugin}
make! --no-cache .
let entries = []
for i in range(len(getqflist()))
  let e = getqflist()[i]
  let entry = {{'file': bufname(e.bufnr), 'lnum': e.lnum, 'valid': e.valid, 'text': e.text}}
  if e.valid && e.lnum > 0
    execute 'cc' (i + 1)
    let entry.charcol = charcol('.')
  endif
  call add(entries, entry)
endfor
call writefile([json_encode({{'entries': entries, 'messages': execute('messages')}})], '{result_file}')
qall!
""", encoding="utf-8")
    env = dict(os.environ, PATH=path_with_gradlint(), NO_COLOR="1")
    subprocess.run(["vim", "-N", "-u", "NONE", "-i", "NONE", "-es", "-S", str(script)], cwd=workspace,
                   env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    assert result_file.exists(), "vim did not finish the script"
    result = json.loads(result_file.read_text(encoding="utf-8"))
    entries = result["entries"]
    assert all(e["valid"] for e in entries), result
    got = {}
    for e in entries:
        kind = "location" if e["lnum"] else "file"
        got[e["file"]] = (kind, e["lnum"] or None, e.get("charcol"), re.search(r"GL\d+", e["text"]).group())
        if kind == "file":  # the notebook: named as the file, the cell in the message, no line
            assert e["text"].startswith(NOTEBOOK_MESSAGE), e
    assert got == EXPECTED, result


# efm-langserver reads lint-formats with github.com/reviewdog/errorformat (a Go port of Vim's
# errorformat, errorformat.go NewEfm): these are its conversions for the items handled here.
EFM_ITEMS = {"f": r"(?P<f>(?:[A-Za-z]:)?(?:\\ |[^ ])+?)", "l": r"(?P<l>\d+)", "c": r"(?P<c>\d+)",
             "m": r"(?P<m>.+)"}


def efm_regex(fmt: str) -> re.Pattern:
    out, i = ["^"], 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            i += 1
            item = fmt[i]
            if item in EFM_ITEMS:
                out.append(EFM_ITEMS[item])
            elif item in "%\\.^$?+[":
                out.append(item)
            elif item == "#":
                out.append("*")
            else:
                raise AssertionError(f"%{item}: extend this port of efm's errorformat to test it")
        elif char == "\\" and i < len(fmt) - 1:
            i += 1
            out.append(fmt[i])
        else:
            out.append("\\" + char if char in ".+*()|[{^$" else char)
        i += 1
    return re.compile("".join(out) + "$")


def test_efm_langserver_on_a_path_with_spaces(workspace):
    if shutil.which("sh") is None:
        pytest.skip("no sh to run efm's command line with")
    tool = yaml.safe_load(readme_block("efm-langserver", "yaml"))["tools"]["gradlint"]
    assert tool["lint-stdin"] and tool["lint-ignore-exit-code"]
    document = workspace / "pkg" / "a b.py"
    # efm: ${INPUT} -> the document's path with ( and ) escaped, then `sh -c` in the root folder,
    # the buffer on standard input, standard output and error read together
    path = str(document).replace("(", r"\(").replace(")", r"\)")
    command = tool["lint-command"].replace("${INPUT}", path)
    run = subprocess.run(["sh", "-c", command], cwd=workspace, input=ACCENT, capture_output=True, text=True,
                         env=dict(os.environ, PATH=path_with_gradlint()))
    formats = [efm_regex(fmt) for fmt in tool["lint-formats"]]
    diagnostics = []
    for line in (run.stdout + run.stderr).splitlines():
        match = next((m for m in (f.match(line) for f in formats) if m), None)
        if match is None:
            continue
        named = match.groupdict()
        # efm keeps an entry without a file for the document, one with a file only for that file
        if named.get("f") in (None, "") or os.path.abspath(named["f"]) == str(document):
            diagnostics.append((int(named["l"]), int(named.get("c") or 1), named["m"].split()[0]))
    assert diagnostics == [(5, 14, "GL001")], run.stdout + run.stderr
