"""gradlint: a linter that knows autograd."""
from __future__ import annotations

from .diagnostic import Diagnostic, Edit, Fix, Location, Origin
from .linter import lint_paths, lint_source

__version__ = "0.1.0"
__all__ = ["Diagnostic", "Edit", "Fix", "Location", "Origin", "lint_paths", "lint_source", "__version__"]
