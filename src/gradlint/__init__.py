"""gradlint: a linter that knows autograd."""
from __future__ import annotations

from .diagnostic import Diagnostic, Edit, Fix, Location, Origin
from .linter import lint_source
from .runner import lint_paths

from .version import __version__
__all__ = ["Diagnostic", "Edit", "Fix", "Location", "Origin", "lint_paths", "lint_source", "__version__"]


def load_ipython_extension(ipython) -> None:
    """`%load_ext gradlint`: check each cell before it runs (gradlint.jupyter, imported only when
    IPython loads the extension, so `import gradlint` stays light)."""
    from .jupyter import load_ipython_extension as load
    load(ipython)


def unload_ipython_extension(ipython) -> None:
    from .jupyter import unload_ipython_extension as unload
    unload(ipython)
