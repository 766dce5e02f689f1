"""Editors: `gradlint --stdin-filename path -` lints standard input as that file."""
from __future__ import annotations

import json
import subprocess
import sys

from cli_helpers import BUG, FIXED, cli


def test_stdin_is_linted_as_the_named_file(tmp_path):
    result = cli("--stdin-filename", "pkg/model.py", "-", cwd=tmp_path, input=BUG)
    assert result.exit_code == 1
    assert result.stdout.startswith("pkg/model.py:6:9: GL001 [*]")
    assert not (tmp_path / "pkg").exists()


def test_dash_alone_reads_stdin(tmp_path):
    result = cli("-", cwd=tmp_path, input=BUG)
    assert result.exit_code == 1 and result.stdout.startswith("-:6:9: GL001")


def test_stdin_json_for_editors(tmp_path):
    result = cli("--output-format", "json", "--stdin-filename", "a.py", "-", cwd=tmp_path, input=BUG)
    item = json.loads(result.stdout)[0]
    assert item["filename"] == str(tmp_path / "a.py") and item["location"] == {"row": 6, "column": 9}


def test_config_and_per_file_ignores_apply_to_the_stdin_filename(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradlint.per-file-ignores]\n"scratch/*" = ["GL001"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.gradlint]\nignore = ["GL001"]\n')
    assert cli("--stdin-filename", "scratch/try.py", "-", cwd=tmp_path, input=BUG).exit_code == 0
    assert cli("--stdin-filename", "sub/x.py", "-", cwd=tmp_path, input=BUG).exit_code == 0
    assert cli("--stdin-filename", "src/x.py", "-", cwd=tmp_path, input=BUG).exit_code == 1


def test_force_exclude_with_stdin(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradlint]\nextend-exclude = ["gen"]\n')
    assert cli("--stdin-filename", "gen/x.py", "-", cwd=tmp_path, input=BUG).exit_code == 1
    result = cli("--force-exclude", "--stdin-filename", "gen/x.py", "-", cwd=tmp_path, input=BUG)
    assert result.exit_code == 0 and result.stdout == ""
    result = cli("--fix", "--force-exclude", "--stdin-filename", "gen/x.py", "-", cwd=tmp_path, input=BUG)
    assert result.stdout == BUG  # the buffer comes back unchanged


def test_fix_writes_the_fixed_buffer_to_stdout(tmp_path):
    result = cli("--fix", "--stdin-filename", "a.py", "-", cwd=tmp_path, input=BUG)
    assert result.exit_code == 0
    assert result.stdout == FIXED
    assert "Found 1 error (1 fixed, 0 remaining)." in result.stderr
    assert not (tmp_path / "a.py").exists()


def test_fix_of_a_clean_buffer_echoes_it(tmp_path):
    result = cli("--fix", "--stdin-filename", "a.py", "-", cwd=tmp_path, input="x = 1\r\n")
    assert result.stdout_bytes == b"x = 1\r\n" and result.exit_code == 0


def test_fix_with_remaining_findings_reports_them_on_stderr(tmp_path):
    text = "import torch\nw = torch.randn(3, requires_grad=True).exp()\nopt = torch.optim.SGD([w], lr=0.1)\n"
    result = cli("--fix", "--stdin-filename", "a.py", "-", cwd=tmp_path, input=text)
    assert result.stdout == text and result.exit_code == 1
    assert "a.py:3:" in result.stderr and "GL004" in result.stderr


def test_diff_from_stdin(tmp_path):
    result = cli("--diff", "--stdin-filename", "a.py", "-", cwd=tmp_path, input=BUG)
    assert result.exit_code == 1
    assert result.stdout == "--- a.py\n+++ a.py\n@@ -1,6 +1,7 @@\n import torch\n x = torch.tensor(2.0, requires_grad=True)\n" \
        " y = x * 3\n+y.retain_grad()\n z = y * 4\n z.backward()\n print(y.grad)\n"


def test_stdin_with_other_paths_is_a_usage_error(tmp_path):
    assert cli("--stdin-filename", "a.py", "-", "b.py", cwd=tmp_path, input=BUG).exit_code == 2


def test_stdin_through_a_real_process(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gradlint", "--fix", "--stdin-filename", "a.py", "-"],
                            input=BUG.encode(), cwd=tmp_path, capture_output=True)
    assert result.returncode == 0 and result.stdout.decode() == FIXED
