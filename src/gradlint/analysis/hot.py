"""What makes code "hot" besides the bytes the pre-filter looks for.

A function the file never calls is analysed on its own only when its text is hot, and in large
files long cold module-level statements are skipped (see `Interpreter.hot`). The hot offsets are an
input of the analysis: the pipeline computes them with the pre-filter's byte patterns
(`prefilter.finding_offsets`: `.grad` reads, getattr literals, `optim`) plus the names this module
finds bound to torch.optim, which build optimizers without spelling it.
"""
from __future__ import annotations

import ast
from typing import List

from .source import SourceText


def optimizer_aliases(tree: ast.Module, source: SourceText) -> List[str]:
    """Names the module binds to torch.optim or its classes without spelling `optim` where they
    are used (`from torch.optim import SGD`, `import torch.optim as opt`, `O = torch.optim`)."""
    names: List[str] = []
    if "optim" not in source.text:
        return names
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and not stmt.level:
            module = stmt.module or ""
            if module == "torch.optim" or module.startswith("torch.optim."):
                names += [alias.asname or alias.name for alias in stmt.names]
            elif module == "torch":
                names += [alias.asname for alias in stmt.names if alias.asname and alias.name == "optim"]
        elif isinstance(stmt, ast.Import):
            names += [alias.asname for alias in stmt.names if alias.asname and alias.name.startswith("torch.optim")]
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None and \
                "optim" in "".join(source.lines[stmt.lineno - 1:stmt.end_lineno]):
            if any(isinstance(n, ast.Attribute) and "optim" in n.attr or isinstance(n, ast.Name) and "optim" in n.id
                   for n in ast.walk(stmt.value)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return [name for name in names if name != "*" and "optim" not in name]
