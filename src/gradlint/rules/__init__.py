"""The rule registry: every rule gradlint runs, in code order."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from .base import Rule, RuleContext
from .gl001_nonleaf_grad import NonLeafGradRead
from .gl002_moved_leaf import MovedLeafGradRead
from .gl003_late_retain import LateRetainGrad
from .gl004_nonleaf_optimizer import NonLeafOptimizerParameter

RULES: List[Rule] = [NonLeafGradRead(), MovedLeafGradRead(), LateRetainGrad(), NonLeafOptimizerParameter()]
RULES_BY_CODE: Dict[str, Rule] = {rule.code: rule for rule in RULES}



def selected(code: str, select: Optional[Sequence[str]], ignore: Optional[Sequence[str]]) -> bool:
    """ruff's prefix semantics: the longest matching prefix of select/ignore wins. The GL9xx file
    errors are always reported."""
    if code.startswith("GL9"):
        return True
    best_select = max((len(p) for p in (select or ["GL"]) if code.startswith(p) or p == "ALL"), default=-1)
    best_ignore = max((len(p) for p in (ignore or ()) if code.startswith(p) or p == "ALL"), default=-1)
    return best_select >= 0 and best_select > best_ignore


__all__ = ["RULES", "RULES_BY_CODE", "Rule", "RuleContext", "selected"]
