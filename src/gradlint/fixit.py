"""`[tool.fixit] enable = ["gradlint.fixit"]`: the spelling the plugin was announced with; the rules
live in `gradlint.plugins.fixit` (either module name enables the same four rules)."""
from __future__ import annotations

from .plugins.fixit import LateRetainGrad, MovedLeafGrad, NonLeafGrad, NonLeafOptimizerParameter

__all__ = ["LateRetainGrad", "MovedLeafGrad", "NonLeafGrad", "NonLeafOptimizerParameter"]
