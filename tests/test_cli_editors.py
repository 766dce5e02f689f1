"""The README's editor set-ups read real gradlint output: the VS Code problem matcher's regexp and
the flycheck/efm line format must match what the CLI prints."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path


from cli_helpers import CliRunner
from gradlint.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
BUG = "import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x * 3\ny.sum().backward()\nprint(y.grad)\n"


def _output(tmp_path, *args, input=None):
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        return CliRunner().invoke(main, list(args), input=input).stdout
    finally:
        os.chdir(old)


def test_vscode_problem_matcher_matches_cli_output(tmp_path):
    block = re.search(r"```json\n(\{\n  \"version\": \"2.0.0\".*?)```", README.read_text(), re.S).group(1)
    task = json.loads(block)["tasks"][0]
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bug.py").write_text(BUG)
    out = _output(tmp_path, *task["args"])
    pattern = task["problemMatcher"]["pattern"]
    lines = out.splitlines()
    assert len(lines) == 1  # --quiet: findings only
    match = re.match(pattern["regexp"], lines[0])
    assert match.group(pattern["file"]) == os.path.join("pkg", "bug.py")
    assert (match.group(pattern["line"]), match.group(pattern["column"])) == ("5", "9")
    assert match.group(pattern["code"]) == "GL001"


def test_stdin_concise_line_matches_efm_and_flycheck(tmp_path):
    out = _output(tmp_path, "--quiet", "--stdin-filename", str(tmp_path / "a.py"), "-", input=BUG)
    line = out.splitlines()[0]
    # efm: "%f:%l:%c: %m"; flycheck: file ":" line ":" column ": " id " " message
    match = re.match(r"^(.+):(\d+):(\d+): (GL\d+) (.+)$", line)
    assert match.group(1) == str(tmp_path / "a.py") and match.group(4) == "GL001"
