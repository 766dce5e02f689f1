"""torch's API is one table of disjoint specs (analysis/torch_api.py): a name has one kind, every
kind is handled, and nothing in the table is dead."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from gradlint.analysis import torch_api as api
from gradlint.analysis.torch_calls import FUNCTION_HANDLERS, UNFOLLOWED

PACKAGE = Path(api.__file__).resolve().parents[1]
TABLE = Path(api.__file__).read_text(encoding="utf-8")
# Every module but the table itself (the handlers and what reads names from syntax).
USERS = "\n".join(path.read_text(encoding="utf-8") for path in sorted(PACKAGE.rglob("*.py"))
                  if path.name != "torch_api.py")


def test_a_name_has_one_spec():
    assert api.SPECS["torch.zeros_like"].kind is api.Kind.FACTORY
    with pytest.raises(ValueError, match="two specs"):
        api._declare("torch.zeros_like", api.Spec(api.Kind.NONDIFFERENTIABLE))
    assert api.SPECS["torch.zeros_like"].kind is api.Kind.FACTORY


def test_names_are_qualified_and_namespaces_do_not_leak():
    # A tensor method is not a torch function: `torch.Tensor.add(x, y)` is not `torch.add`.
    assert api.function(api.TENSOR + ".add") is None
    assert api.tensor_member("add").kind is api.Kind.DIFFERENTIABLE
    assert api.function("torch.add").kind is api.Kind.DIFFERENTIABLE
    assert api.function("torch.optim.Adam").kind is api.Kind.OPTIMIZER
    assert api.function("torch.optim.lr_scheduler.StepLR") is None
    assert api.function("torch.nn.utils.prune.is_pruned").kind is api.Kind.UNMODELLED
    assert api.function("torch.nn.utils.prune.remove").kind is api.Kind.REPARAMETRIZATION_REMOVAL
    assert api.function("torch.nn.utils.prune.l1_unstructured").kind is api.Kind.REPARAMETRIZATION


def test_every_kind_has_entries_and_a_use():
    kinds = {spec.kind for spec in api.SPECS.values()} | {spec.kind for _, spec in api.PREFIXES}
    kinds.add(api.function("torch.optim.SGD").kind)
    assert set(api.Kind) == kinds, "kinds without an entry"
    lookups = TABLE.split("# ------------------------------------------------------------------ lookups")[1]
    unused = [kind.name for kind in api.Kind if kind not in FUNCTION_HANDLERS and kind not in UNFOLLOWED
              and not re.search(rf"\bKind\.{kind.name}\b", USERS + lookups)]
    assert not unused, f"kinds no handler dispatches on: {unused}"


def test_every_spec_attribute_is_read():
    for attribute in api.Spec.__dataclass_fields__:
        if attribute == "kind":
            continue
        assert re.search(rf"\bspec\.{attribute}\b|\bmember\.{attribute}\b", USERS + TABLE), attribute


def test_no_dead_constants():
    public = re.findall(r"^([A-Z][A-Z0-9_]*)(?::[^=\n]*)? =", TABLE, re.M)
    public += re.findall(r"^def ([a-z][a-z_]*)\(", TABLE, re.M)
    dead = [name for name in public
            if not re.search(rf"\b{name}\b", USERS) and len(re.findall(rf"\b{name}\b", TABLE)) < 2]
    assert not dead, f"defined, never used: {dead}"


def test_a_leaf_keeping_function_is_one_entry():
    """What the README's Contributing note promises: one `_declare` line makes a function known."""
    assert api.function("torch.sinc").kind is api.Kind.DIFFERENTIABLE
    assert api.function("torch.isnan").kind is api.Kind.NONDIFFERENTIABLE
