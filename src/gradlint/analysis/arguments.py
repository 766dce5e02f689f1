"""The arguments of a call as the analysis sees them: each argument's node and value."""
from __future__ import annotations

import ast
from typing import Dict, List, Tuple

from .values import Value

Args = List[Tuple[ast.AST, Value]]
Kwargs = Dict[str, Tuple[ast.AST, Value]]
