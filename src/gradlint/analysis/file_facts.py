"""Facts about a whole file that the flow analysis needs before it runs, read from the syntax tree.

Never from the text: a comment or a string that mentions `requires_grad=False` or
`register_forward_hook` changes nothing. (The text only tells when no walk is needed: a file that
never spells a name cannot call it.)
"""
from __future__ import annotations

import ast
import re
from functools import cached_property
from typing import FrozenSet, Optional, Tuple

from . import torch_api as api

FREEZE = api.REQUIRES_GRAD  # `requires_grad_(False)`, `.requires_grad = False`, `Parameter(..., requires_grad=False)`
(MODULE_HOOK,) = api.short_names(api.Kind.GLOBAL_FORWARD_HOOK)  # every module's output may be retained
DEFAULT_CHANGER_NAMES = api.short_names(api.Kind.DEFAULT_CHANGER)
AUTOCAST_NAMES = api.short_names(api.Kind.AUTOCAST)
PARAMETER_CONSTRUCTORS = api.short_names(api.Kind.PARAMETER) | api.short_names(api.Kind.UNINITIALIZED_PARAMETER)
# Text that any freeze the tree could hold must contain (a superset: `requires_grad=True`,
# `.requires_grad_()` and reads in an `if` test or a call argument never match): a call of the
# in-place method with a flag, the attribute or keyword assigned something else than `True` (or
# augmented, or a target in a tuple or with an annotation), the name in quotes (setattr, **kwargs),
# any setattr, a Parameter constructor (whose flag may be positional).
FREEZE_TEXT = re.compile(
    rf"{re.escape(api.REQUIRES_GRAD_METHOD)}\s*\((?!\s*(?:True\s*)?\))"
    rf"|{re.escape(FREEZE)}\s*(?:[-+*/%@&|^]|<<|>>|//|\*\*)?=(?!=)(?!\s*True\b)"
    rf"|{re.escape(FREEZE)}\s*[,:]|[\"']{re.escape(FREEZE)}[\"']|\bsetattr\b"
    rf"|\b(?:{'|'.join(sorted(map(re.escape, PARAMETER_CONSTRUCTORS)))})\s*\(")


class FileFacts:
    """Each fact is read from the tree the first time the analysis asks (most files never need
    most of them), and only from a file that spells a name it depends on."""

    def __init__(self, tree: ast.Module, text: str):
        self.tree = tree
        self.text = text

    @cached_property
    def parameters_may_be_frozen(self) -> bool:
        """Some code may freeze parameters: "a module output requires grad" is unprovable."""
        if FREEZE not in self.text or not FREEZE_TEXT.search(self.text):
            return False
        return any(freezes(node) if isinstance(node, ast.Call) else assigns_requires_grad(node)
                   for node in ast.walk(self.tree) if isinstance(node, _FREEZING))

    @cached_property
    def forward_hook_sites(self) -> FrozenSet[ast.AST]:
        """The calls that register forward hooks (a hook may retain a module's output)."""
        return self._hooks[0]

    @cached_property
    def unresolved_hooks(self) -> bool:
        """Hooks the analysis cannot follow: a global module hook, or a registration method used
        as a value (`add = m.register_forward_hook`)."""
        return self._hooks[1]

    @cached_property
    def _hooks(self) -> Tuple[FrozenSet[ast.AST], bool]:
        if api.FORWARD_HOOK_REGISTRATION not in self.text and MODULE_HOOK not in self.text:
            return frozenset(), False
        sites, methods, unresolved = set(), [], False
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _name_of(node.func) == api.FORWARD_HOOK_REGISTRATION \
                    and isinstance(node.func, ast.Attribute):
                sites.add(node)
            name = _name_of(node)
            if name == MODULE_HOOK:
                unresolved = True
            elif name == api.FORWARD_HOOK_REGISTRATION:
                methods.append(node)
        called = {site.func for site in sites}
        unresolved = unresolved or any(node not in called for node in methods)
        return frozenset(sites), unresolved

    @cached_property
    def defaults_changed(self) -> bool:
        """The default dtype or device may change: factories' dtype and device are unknown."""
        if not any(name in self.text for name in DEFAULT_CHANGER_NAMES):
            return False
        return any(_name_of(node) in DEFAULT_CHANGER_NAMES for node in ast.walk(self.tree))


    @cached_property
    def autocast_possible(self) -> bool:
        """Some code may run under autocast: what an op computes may be of a lower precision than
        its inputs, so results' dtypes are not known."""
        if not any(name in self.text for name in AUTOCAST_NAMES):
            return False
        return any(_name_of(node) in AUTOCAST_NAMES for node in ast.walk(self.tree))


_FREEZING = (ast.Call, ast.Assign, ast.AugAssign, ast.AnnAssign)


def file_facts(tree: ast.Module, text: str) -> FileFacts:
    return FileFacts(tree, text)


def _name_of(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.alias):
        return node.name.rsplit(".", 1)[-1]
    return None


def _is_true(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def freezes(call: ast.Call) -> bool:
    """`t.requires_grad_(flag)` / `setattr(t, "requires_grad", flag)` / `Parameter(t,
    requires_grad=flag)` with a flag that is not literally True."""
    func = call.func
    keyword = next((k.value for k in call.keywords if k.arg == FREEZE), None)
    if isinstance(func, ast.Attribute) and func.attr == api.REQUIRES_GRAD_METHOD:
        flag = call.args[0] if call.args else keyword
        return flag is not None and not _is_true(flag)
    if isinstance(func, ast.Name) and func.id == "setattr" and len(call.args) >= 3:
        name = call.args[1]
        return not (isinstance(name, ast.Constant) and name.value != FREEZE) and not _is_true(call.args[2])
    if _name_of(func) in PARAMETER_CONSTRUCTORS:
        flag = call.args[1] if len(call.args) > 1 else keyword
        return flag is not None and not _is_true(flag)
    return False


def assigns_requires_grad(node: ast.AST) -> bool:
    """`x.requires_grad = flag` (in any target position) with a flag that is not literally True."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
    value = getattr(node, "value", None)
    for target in targets:
        for part in ast.walk(target):
            if isinstance(part, ast.Attribute) and part.attr == FREEZE and isinstance(part.ctx, ast.Store):
                return not (target is part and _is_true(value) and not isinstance(node, ast.AugAssign))
    return False
