"""Applying fixes: text edits (unit), the fix loop, and `--fix` / `--diff` / `--unsafe-fixes` through
the CLI, including the never-corrupt guarantees (CRLF, BOM, coding cookie, tabs, atomic writes)."""
from __future__ import annotations

import os
import stat

import pytest

from cli_helpers import BUG, FIXED, cli
import gradlint.fixes.apply
import gradlint.linter
from gradlint.diagnostic import Diagnostic, Edit, Fix, Location
from gradlint.fixes.apply import (ChangedOnDisk, EditError, apply_edits, apply_fixes, write_in_place)


def L(line, column):
    return Location(line, column)


def insert(line, column, text):
    return Edit(L(line, column), L(line, column), text)


# -- apply_edits / apply_fixes on (text, edits) ------------------------------------------------------

def test_insert_replace_delete():
    text = "a = 1\nb = 2\n"
    assert apply_edits(text, [insert(2, 1, "c = 0\n")]) == "a = 1\nc = 0\nb = 2\n"
    assert apply_edits(text, [Edit(L(1, 5), L(1, 6), "10")]) == "a = 10\nb = 2\n"
    assert apply_edits(text, [Edit(L(1, 1), L(2, 1), "")]) == "b = 2\n"
    assert apply_edits(text, [insert(3, 1, "# end\n")]) == text + "# end\n"  # at the end of the text


def test_columns_count_characters_not_bytes():
    text = "s = 'é'; t = 1\n"
    assert apply_edits(text, [Edit(L(1, 14), L(1, 15), "2")]) == "s = 'é'; t = 2\n"


def test_edits_apply_in_position_order_whatever_the_input_order():
    text = "abc\n"
    edits = [insert(1, 4, "Z"), insert(1, 1, "A")]
    assert apply_edits(text, edits) == "AabcZ\n"


@pytest.mark.parametrize("edit", [insert(5, 1, "x"), insert(1, 9, "x"), Edit(L(1, 3), L(1, 2), "")])
def test_edit_outside_the_text_raises(edit):
    with pytest.raises(EditError):
        apply_edits("abc\n", [edit])


def test_overlapping_edits_raise():
    with pytest.raises(EditError):
        apply_edits("abcdef\n", [Edit(L(1, 1), L(1, 4), "x"), Edit(L(1, 3), L(1, 5), "y")])


def test_crlf_file_gets_crlf_in_inserted_text():
    text = "a = 1\r\nb = 2\r\n"
    assert apply_edits(text, [insert(1, 6, "\nc = 3")]) == "a = 1\r\nc = 3\r\nb = 2\r\n"
    assert apply_edits(text, [insert(2, 1, "c = 3\n")]) == "a = 1\r\nc = 3\r\nb = 2\r\n"


def test_column_inside_crlf_is_rejected():
    with pytest.raises(EditError):
        apply_edits("ab\r\ncd\r\n", [insert(1, 4, "x")])


def _fix(*edits, applicability="safe"):
    return Fix(applicability, "fix", tuple(edits))


def test_apply_fixes_skips_a_fix_that_overlaps_an_earlier_one():
    text = "abcdef\n"
    first = _fix(Edit(L(1, 1), L(1, 4), "X"))
    second = _fix(Edit(L(1, 3), L(1, 5), "Y"))
    third = _fix(Edit(L(1, 6), L(1, 7), "Z"))
    result = apply_fixes(text, [second, third, first])
    assert result.text == "XdeZ\n"
    assert result.applied == [0 + 1, 2] and result.skipped == [0]


def test_insertions_at_one_place_are_all_applied_in_one_round_in_order():
    result = apply_fixes("a\n", [_fix(insert(1, 2, "X")), _fix(insert(1, 2, "Y"))])
    assert result.text == "aXY\n" and result.skipped == [] and result.applied == [0, 1]


def test_an_edit_shared_by_two_fixes_is_made_once():
    shared = insert(2, 1, "y.retain_grad()\n")
    result = apply_fixes("y = x * 2\nz = y * 2\n", [_fix(shared), _fix(shared, insert(3, 1, "z.retain_grad()\n"))])
    assert result.text == "y = x * 2\ny.retain_grad()\nz = y * 2\nz.retain_grad()\n"


def test_inserted_lines_take_the_line_ending_where_they_land():
    text = "a = 1\r\nb = 2\nc = 3\r\n"
    assert apply_edits(text, [insert(3, 1, "x = 0\n")]) == "a = 1\r\nb = 2\nx = 0\nc = 3\r\n"
    assert apply_edits(text, [insert(2, 1, "x = 0\n")]) == "a = 1\r\nx = 0\r\nb = 2\nc = 3\r\n"
    assert apply_edits(text, [insert(2, 6, "\nx = 0")]) == "a = 1\r\nb = 2\nx = 0\nc = 3\r\n"
    assert apply_edits("a\rb", [insert(2, 2, "\nc")]) == "a\rb\rc"  # the end of the text: the last ending


def test_identical_fixes_count_once_applied_for_each_finding():
    fix = _fix(insert(2, 1, "y.retain_grad()\n"))
    result = apply_fixes("y = x * 2\nprint(y.grad)\n", [fix, fix])
    assert result.text == "y = x * 2\ny.retain_grad()\nprint(y.grad)\n"
    assert result.applied == [0, 1]


def test_a_fix_whose_own_edits_overlap_is_skipped():
    bad = _fix(Edit(L(1, 1), L(1, 3), "x"), Edit(L(1, 2), L(1, 4), "y"))
    assert apply_fixes("abcd\n", [bad]).text == "abcd\n"


# -- write_in_place -------------------------------------------------------------------------------

def test_writing_keeps_inode_mode_and_hard_links_and_leaves_no_other_file(tmp_path):
    path = tmp_path / "script.py"
    path.write_bytes(b"old text\n")
    os.chmod(path, 0o751)
    os.link(path, tmp_path / "hard-link.py")
    before = path.stat()
    assert write_in_place(str(path), b"new\n", expected=b"old text\n") is True
    after = path.stat()
    assert path.read_bytes() == b"new\n" == (tmp_path / "hard-link.py").read_bytes()
    assert (after.st_ino, after.st_uid, after.st_gid) == (before.st_ino, before.st_uid, before.st_gid)
    assert stat.S_IMODE(after.st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard-link.py", "script.py"]


def test_writing_never_rewrites_an_unchanged_file(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"same\n")
    before = path.stat()
    assert write_in_place(str(path), b"same\n") is False
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_writing_refuses_when_the_file_changed_on_disk(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"edited by the user meanwhile\n")
    with pytest.raises(ChangedOnDisk):
        write_in_place(str(path), b"fixed\n", expected=b"what gradlint read\n")
    assert path.read_bytes() == b"edited by the user meanwhile\n"


def test_writing_goes_through_a_symlink(tmp_path):
    target = tmp_path / "real.py"
    target.write_bytes(b"old\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    write_in_place(str(link), b"new\n")
    assert link.is_symlink() and target.read_bytes() == b"new\n"


def test_a_file_the_user_cannot_write_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_bytes(b"old\n")
    os.chmod(path, 0o444)
    if os.access(path, os.W_OK):  # root may write anything: ask as a user who may not
        monkeypatch.setattr(gradlint.fixes.apply, "may_write", lambda _path: False)
    with pytest.raises(PermissionError, match="Permission denied"):
        write_in_place(str(path), b"new\n", expected=b"old\n")
    assert path.read_bytes() == b"old\n"


# -- the fix loop with hand-made diagnostics ---------------------------------------------------------

def _fake_lint(monkeypatch, make):
    """Replace the analysis: `make(source)` returns the diagnostics for a text."""
    def fake(source, filename="<string>", select=None, ignore=None, **_options):
        return [d if d.filename == filename else Diagnostic(d.code, d.message, filename, d.start, d.end, d.origin,
                                                            d.fix) for d in make(source)]
    monkeypatch.setattr(gradlint.linter, "lint_source", fake)


def _until(source, marker, code, message, line, fix):
    """A finding in a.py at `line` with `fix`, as long as `marker` (what the fix writes) is not in `source`."""
    return [] if marker in source else [Diagnostic(code, message, "a.py", L(line, 1), L(line, 2), fix=fix)]


def test_a_fix_that_breaks_the_syntax_is_not_offered_and_the_others_still_apply(tmp_path, monkeypatch):
    broken = _fix(insert(1, 1, "def (:\n"))
    good = _fix(insert(2, 1, "y = 2\n"))
    _fake_lint(monkeypatch, lambda source: [Diagnostic("GL001", "m", "a.py", L(1, 1), L(1, 2), fix=broken)] + (
        [] if "y = 2" in source else [Diagnostic("GL003", "n", "a.py", L(2, 1), L(2, 2), fix=good)]))
    path = tmp_path / "a.py"
    path.write_text("x = 1\nz = 3\n")
    listed = cli("a.py", cwd=tmp_path).stdout
    assert "a.py:1:1: GL001 m" in listed and "a.py:2:1: GL003 [*] n" in listed  # no [*] on the broken one
    diff = cli("--diff", "a.py", cwd=tmp_path)
    assert "+y = 2" in diff.stdout and "def (" not in diff.stdout and diff.exit_code == 1
    result = cli("--fix", "a.py", cwd=tmp_path)
    assert path.read_text() == "x = 1\ny = 2\nz = 3\n"
    assert "a.py:1:1: GL001 m" in result.stdout and result.exit_code == 1


def test_fixes_that_never_settle_are_reported_as_gradlints_bug(tmp_path, monkeypatch):
    _fake_lint(monkeypatch, lambda source: [Diagnostic("GL001", "m", "a.py", L(1, 1), L(1, 2),
                                                       fix=_fix(insert(1, 1, "pass\n")))])
    (tmp_path / "a.py").write_text("x = 1\n")
    result = cli("--fix", "a.py", cwd=tmp_path)
    assert "did not converge" in result.stderr and "gradlint's fault" in result.stderr
    assert (tmp_path / "a.py").read_text() == "x = 1\n"


def test_fix_loop_relints_until_stable(tmp_path, monkeypatch):
    # each round fixes one of two overlapping findings; the second round fixes the other
    def make(source):
        return (_until(source, "A", "GL001", "a", 1, _fix(insert(1, 2, "A")))
                + _until(source, "B", "GL003", "b", 1, _fix(Edit(L(1, 1), L(1, 2), "xB"))))
    _fake_lint(monkeypatch, make)
    (tmp_path / "a.py").write_text("x\n")
    result = cli("--fix", "a.py", cwd=tmp_path)
    assert (tmp_path / "a.py").read_text() in ("xAB\n", "xBA\n")
    assert result.stdout == "Found 2 errors (2 fixed, 0 remaining).\n"
    assert result.exit_code == 0


def _safe_and_unsafe(source):
    return (_until(source, "safe_done", "GL001", "safe one", 2, _fix(insert(1, 1, "safe_done = 1\n")))
            + _until(source, "unsafe_done", "GL003", "unsafe one", 3,
                     _fix(insert(2, 1, "unsafe_done = 1\n"), applicability="unsafe"))
            + [Diagnostic("GL004", "no fix", "a.py", L(4, 1), L(4, 2))])


def test_summary_counts_fixable_and_hidden_unsafe_fixes(tmp_path, monkeypatch):
    _fake_lint(monkeypatch, _safe_and_unsafe)
    (tmp_path / "a.py").write_text("a = 1\nb = 2\nc = 3\nd = 4\n")
    result = cli("a.py", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0] == "a.py:2:1: GL001 [*] safe one"
    assert lines[1] == "a.py:3:1: GL003 unsafe one"
    assert lines[2] == "a.py:4:1: GL004 no fix"
    assert lines[3] == "Found 3 errors."
    assert lines[4] == "[*] 1 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`)."
    result = cli("--unsafe-fixes", "a.py", cwd=tmp_path)
    assert "a.py:3:1: GL003 [*] unsafe one" in result.stdout
    assert result.stdout.splitlines()[-1] == "[*] 2 fixable with `--fix`."


def test_fix_applies_safe_fixes_only_unless_unsafe_fixes(tmp_path, monkeypatch):
    _fake_lint(monkeypatch, _safe_and_unsafe)
    path = tmp_path / "a.py"
    path.write_text("a = 1\nb = 2\nc = 3\nd = 4\n")
    result = cli("--fix", "a.py", cwd=tmp_path)
    assert path.read_text() == "safe_done = 1\na = 1\nb = 2\nc = 3\nd = 4\n"
    assert "Found 3 errors (1 fixed, 2 remaining)." in result.stdout
    assert "1 unsafe fix available with `--fix --unsafe-fixes`." in result.stdout
    assert result.exit_code == 1
    result = cli("--fix", "--unsafe-fixes", "a.py", cwd=tmp_path)
    assert "unsafe_done = 1" in path.read_text()
    assert "(1 fixed, 1 remaining)" in result.stdout and result.exit_code == 1


def test_only_unsafe_fixes_summary(tmp_path, monkeypatch):
    _fake_lint(monkeypatch, lambda s: [d for d in _safe_and_unsafe("safe_done") if d.code == "GL003"])
    (tmp_path / "a.py").write_text("a = 1\nb = 2\nc = 3\n")
    result = cli("a.py", cwd=tmp_path)
    assert result.stdout.splitlines()[-1] == "1 unsafe fix available with `--fix --unsafe-fixes`."
    result = cli("--diff", "a.py", cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout == ""
    assert "No errors would be fixed (1 fix available with `--unsafe-fixes`)." in result.stderr


# -- the real fixes through the CLI ---------------------------------------------------------------

def test_diff_prints_and_writes_nothing(tmp_path):
    path = tmp_path / "bug.py"
    path.write_text(BUG)
    result = cli("--diff", "bug.py", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == ["--- bug.py", "+++ bug.py"]
    assert "+y.retain_grad()" in result.stdout.splitlines()
    assert "Would fix 1 error." in result.stderr
    assert path.read_text() == BUG


def test_diff_without_changes_exits_0(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = cli("--diff", "ok.py", cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout == ""


def test_fix_then_second_run_changes_nothing(tmp_path):
    path = tmp_path / "bug.py"
    path.write_text(BUG)
    result = cli("--fix", "bug.py", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout == "Found 1 error (1 fixed, 0 remaining).\n"
    assert path.read_text() == FIXED
    before = path.stat()
    result = cli("--fix", "bug.py", cwd=tmp_path)
    assert result.stdout == "All checks passed!\n" and result.exit_code == 0
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_fix_keeps_crlf_bom_and_tabs(tmp_path):
    source = ("\ufeff" + BUG.replace("z.backward()", "if True:\n\tz.backward()")).replace("\n", "\r\n")
    data = source.encode("utf-8")
    path = tmp_path / "bug.py"
    path.write_bytes(data)
    result = cli("--fix", "bug.py", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    fixed = path.read_bytes()
    assert fixed == data.replace(b"y = x * 3\r\n", b"y = x * 3\r\ny.retain_grad()\r\n")
    assert fixed.startswith(b"\xef\xbb\xbf") and b"\tz.backward()" in fixed


def test_fix_keeps_a_latin1_coding_cookie_file(tmp_path):
    source = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + BUG
    path = tmp_path / "bug.py"
    path.write_bytes(source.encode("latin-1"))
    assert cli("--fix", "bug.py", cwd=tmp_path).exit_code == 0
    assert path.read_bytes() == ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + FIXED).encode("latin-1")


def test_fix_keeps_the_file_mode(tmp_path):
    path = tmp_path / "bug.py"
    path.write_text(BUG)
    os.chmod(path, 0o755)
    cli("--fix", "bug.py", cwd=tmp_path)
    assert path.read_text() == FIXED and stat.S_IMODE(path.stat().st_mode) == 0o755


def test_file_changed_on_disk_is_not_overwritten(tmp_path, monkeypatch):
    path = tmp_path / "bug.py"
    path.write_text(BUG)
    real = gradlint.linter.fix_bytes

    def slow_fix(data, filename, settings=None, unsafe=False, linted=None):
        result = real(data, filename, settings, unsafe, linted)
        path.write_text(BUG + "# the user saved meanwhile\n")
        return result
    monkeypatch.setattr(gradlint.linter, "fix_bytes", slow_fix)
    result = cli("--fix", "bug.py", cwd=tmp_path)
    assert path.read_text() == BUG + "# the user saved meanwhile\n"
    assert "changed on disk" in result.stderr
    assert result.exit_code == 1


def test_suppressed_finding_is_never_fixed(tmp_path):
    path = tmp_path / "bug.py"
    path.write_text(BUG.replace("print(y.grad)", "print(y.grad)  # noqa: GL001"))
    result = cli("--fix", "bug.py", cwd=tmp_path)
    assert result.stdout == "All checks passed!\n"
    assert "retain_grad" not in path.read_text()
