"""The module graph: imports go one way (front ends -> runner -> linter -> sources / analysis /
rules / fixes -> diagnostic), with no cycle, counting imports inside functions too."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gradlint"


def module_name(path: Path) -> str:
    parts = ["gradlint", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> Dict[str, Set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: Dict[str, Set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: List[str] = []
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
                targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem
                           for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gradlint"):
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names if alias.name.startswith("gradlint")]
            graph[name].update(target for target in targets if target in modules and target != name)
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> List[str]:
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(node: str) -> List[str]:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_the_graph_is_read_from_the_sources():
    graph = import_graph()
    assert "gradlint.sources" in graph["gradlint.linter"] and "gradlint.linter" in graph["gradlint.runner"]
    assert "gradlint.sources.notebook" in graph["gradlint.sources"]  # an import inside a function counts


def test_no_import_cycle():
    assert find_cycle(import_graph()) == []


def test_layers_import_only_below_them():
    graph = import_graph()
    below = {
        "gradlint.analysis": {"gradlint.analysis"},
        "gradlint.sources": {"gradlint.sources", "gradlint.diagnostic", "gradlint.errors", "gradlint.fixes.apply",
                             "gradlint.atomic"},
        "gradlint.diagnostic": set(),
    }
    for module, targets in graph.items():
        for layer, allowed in below.items():
            if module == layer or module.startswith(layer + "."):
                outside = {t for t in targets if not any(t == a or t.startswith(a + ".") for a in allowed)}
                assert not outside, f"{module} imports {sorted(outside)}"


def test_the_analysis_writes_no_messages():
    """The analysis records facts and source text (values.Why); sentences are the rules' (rules/
    reasons.py): no string the analysis builds says where something happened ("on line")."""
    offenders = []
    for path in sorted((PACKAGE / "analysis").glob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and "on line" in node.value:
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders
