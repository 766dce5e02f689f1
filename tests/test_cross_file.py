"""Imports of the project's own modules (gradlint/project.py, analysis/imports.py): what they define
is analysed as if it were in the file, findings stay in the linted file, and a cached result is
never served once a module it imported changed."""
from __future__ import annotations

import json
import os
import time

import pytest

from cli_helpers import cli
from gradlint import lint_source
from gradlint.project import ProjectImports

DATA = """import torch


def sample(n):
    return 2 * torch.rand(n, 1, requires_grad=True) - 1
"""
LEAF = DATA.replace("2 * torch.rand(n, 1, requires_grad=True) - 1", "torch.rand(n, 1, requires_grad=True)")
MAIN = """import torch
from data import sample

x = sample(8)
(x ** 2).sum().backward()
print(x.grad)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "data.py").write_text(DATA)
    (tmp_path / "main.py").write_text(MAIN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(path):
    return lint_source(path.read_text(), str(path))


def test_a_helper_imported_is_followed_and_the_reason_names_its_module(project):
    (found,) = lint(project / "main.py")
    assert (found.code, found.line) == ("GL001", 6)
    assert "in data.py line 5" in found.message
    assert found.origin is None  # no place in main.py to point at


def test_nothing_is_followed_without_a_file_or_a_resolver(project):
    assert lint_source(MAIN, "<string>") == []
    assert lint_source(MAIN, str(project / "main.py"), imports=None) == []


def test_reads_in_the_imported_module_are_not_reported_here(project):
    (project / "data.py").write_text(DATA + "\ny = sample(2)\ny.sum().backward()\nprint(y.grad)\n")
    assert [d.line for d in lint(project / "main.py")] == [6]
    assert [d.line for d in lint(project / "data.py")] == [9]


def test_a_src_layout_package_and_its_relative_imports(tmp_path):
    (tmp_path / "setup.cfg").write_text("")
    package = tmp_path / "src" / "proj"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data.py").write_text(DATA)
    (package / "helpers.py").write_text("from .data import sample\n\n\ndef twice(n):\n    return sample(n)\n")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    script = scripts / "train.py"
    script.write_text(MAIN.replace("from data import sample", "from proj.helpers import twice as sample"))
    (found,) = lint(script)
    assert "in src/proj/data.py line 5" in found.message


def test_a_relative_import_outside_a_package_stays_unknown(project):
    (project / "main.py").write_text(MAIN.replace("from data import", "from .data import"))
    assert lint(project / "main.py") == []


def test_dependencies_record_what_was_looked_at(project):
    imports = ProjectImports(str(project / "main.py"))
    lint_source(MAIN, str(project / "main.py"), imports=imports)
    recorded = dict(imports.dependencies())
    assert len(recorded[str(project / "data.py")]) == 64


def test_an_edited_dependency_changes_the_cached_result(project):
    first = cli("--output-format", "json", "main.py", cwd=project)
    assert [d["code"] for d in json.loads(first.output)] == ["GL001"]
    (project / "data.py").write_text(LEAF)  # main.py itself is unchanged: its stat entry too
    second = cli("--output-format", "json", "main.py", cwd=project)
    assert json.loads(second.output) == []
    (project / "data.py").write_text(DATA)
    third = cli("--output-format", "json", "main.py", cwd=project)
    assert [d["code"] for d in json.loads(third.output)] == ["GL001"]


def test_a_dependency_created_later_changes_the_cached_result(project):
    (project / "data.py").unlink()
    (project / "main.py").write_text(MAIN.replace("from data import sample", "from helpers import sample"))
    assert json.loads(cli("--output-format", "json", "main.py", cwd=project).output) == []
    (project / "helpers.py").write_text(DATA)
    assert [d["code"] for d in json.loads(cli("--output-format", "json", "main.py", cwd=project).output)] == ["GL001"]


@pytest.mark.parametrize("imports, call, found", [
    ("import data", "data.sample(8)", True),
    ("import data as d", "d.sample(8)", True),
    ("import data, math", "data.sample(8)", False),  # one of them is not the project's: as before
    ("try:\n    import data\nexcept ImportError:\n    data = None", "data.sample(8)", False),
    ("import data\ndata = object()", "data.sample(8)", False),
])
def test_import_module_forms(project, imports, call, found):
    text = f"import torch\n{imports}\n\nx = {call}\n(x ** 2).sum().backward()\nprint(x.grad)\n"
    findings = lint_source(text, filename=str(project / "main.py"), imports=ProjectImports(str(project / "main.py")))
    assert [f.code for f in findings] == (["GL001"] if found else [])


def test_import_of_a_submodule_sets_the_package_attribute(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "data.py").write_text(DATA)
    main = tmp_path / "main.py"
    for imports, call, count in [("import pkg.data", "pkg.data.sample(8)", 1),
                                 ("import pkg.data as data", "data.sample(8)", 1),
                                 ("import pkg", "pkg.data.sample(8)", 0)]:  # not imported: AttributeError
        text = f"import torch\n{imports}\n\nx = {call}\n(x ** 2).sum().backward()\nprint(x.grad)\n"
        assert len(lint_source(text, filename=str(main), imports=ProjectImports(str(main)))) == count, imports


def test_import_as_of_a_module_past_the_limit_stays_unknown(tmp_path):
    """Past the limit of modules followed per file, `import m as x` binds nothing known, and
    nothing fails (an IndexError once, found on pytorch-lightning and captum)."""
    from gradlint.analysis.imports import MAX_UNITS
    for index in range(MAX_UNITS + 1):
        (tmp_path / f"m{index}.py").write_text(DATA)
    main = tmp_path / "main.py"
    imports = "".join(f"import m{index}\n" for index in range(MAX_UNITS)) + f"import m{MAX_UNITS} as last\n"
    calls = " + ".join(f"m{index}.sample(1)" for index in range(MAX_UNITS))
    text = f"import torch\n{imports}\nx = last.sample(8)\ny = {calls}\n(x ** 2).sum().backward()\nprint(x.grad)\n"
    main.write_text(text)
    found = lint_source(text, filename=str(main), imports=ProjectImports(str(main)))
    assert [f.code for f in found] == []
