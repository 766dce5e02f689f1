"""The rule registry: every rule gradlint runs, in code order."""
from __future__ import annotations

from typing import Dict, List

from .base import Rule, RuleContext
from .gl001_nonleaf_grad import NonLeafGradRead
from .gl002_moved_leaf import MovedLeafGradRead
from .gl003_late_retain import LateRetainGrad
from .gl004_nonleaf_optimizer import NonLeafOptimizerParameter

RULES: List[Rule] = [NonLeafGradRead(), MovedLeafGradRead(), LateRetainGrad(), NonLeafOptimizerParameter()]
RULES_BY_CODE: Dict[str, Rule] = {rule.code: rule for rule in RULES}

__all__ = ["RULES", "RULES_BY_CODE", "Rule", "RuleContext"]
