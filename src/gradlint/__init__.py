"""gradlint: a linter that knows autograd."""
from __future__ import annotations

from .diagnostic import Diagnostic, Edit, Fix, Location, Origin
from .linter import lint_source
from .runner import lint_paths

from .version import __version__
__all__ = ["Diagnostic", "Edit", "Fix", "Location", "Origin", "lint_paths", "lint_source", "__version__"]
