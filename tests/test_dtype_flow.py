"""Dtype flow (numpy arrays' dtypes, module conversions, dtype comparisons), checked against torch:
small programs where a dtype copy is proven (gradlint must report what torch reports) and programs
where a naive dtype rule would guess wrong (gradlint must not report anything torch does not).
The realistic versions are the `device_dtype_*` and `ok_dtype_*` fixtures."""
from __future__ import annotations

import pytest

import probing
from generator.runner import ProgramFiles

torch = pytest.importorskip("torch")
pytest.importorskip("numpy")

HEAD = "import numpy as np\nimport torch\n"

# Programs whose None reads gradlint must find (and torch must report some).
FOUND = {
    "from_numpy_float64": "x = torch.from_numpy(np.random.randn(4, 2)).requires_grad_().float()\n"
                          "x.sum().backward()\nprint(x.grad)\n",
    "float64_arithmetic": "lb, ub = np.array([-1.0, 0.0]), np.array([1.0, 1.0])\n"
                          "X = lb + (ub - lb) * np.random.rand(8, 2)\n"
                          "x = torch.tensor(X[:, 0:1], requires_grad=True).float()\n"
                          "x.sum().backward()\nprint(x.grad)\n",
    "meshgrid_each_dtype": "A, B = np.meshgrid(np.random.rand(3).astype(np.float32), np.random.rand(2))\n"
                           "x = torch.tensor(A, requires_grad=True).float()\n"
                           "y = torch.tensor(B, requires_grad=True).float()\n"
                           "(x.sum() + y.sum()).backward()\nprint(x.grad)\nprint(y.grad)\n",
    "dtype_is_folded": "m = torch.nn.Linear(2, 1).half()\ndtype = next(m.parameters()).dtype\n"
                       "x = torch.ones(2, requires_grad=True)\n"
                       "if dtype is not torch.float16:\n    x = torch.ones(2, requires_grad=True)\n"
                       "else:\n    x = x.to(dtype)\n"
                       "x.float().sum().backward()\nprint(x.grad)\n",
    "module_to_dtype": "m = torch.nn.Linear(2, 1)\nm.to('cpu', torch.float64)\n"
                       "x = torch.ones(2, requires_grad=True).to(next(m.parameters()).dtype)\n"
                       "m(x).sum().backward()\nprint(x.grad)\n",
}

# Programs where guessing would be wrong: torch fills every grad read here.
SILENT = {
    "sampler_without_size": "x = torch.tensor(np.random.rand(), requires_grad=True).float()\n"
                            "x.backward()\nprint(x.grad)\n",
    "positional_numpy_dtype": "x = torch.tensor(np.zeros(3, np.float32), requires_grad=True).float()\n"
                              "x.sum().backward()\nprint(x.grad)\n",
    "dtype_argument_wins": "x = torch.tensor(np.random.rand(3), dtype=torch.float32, requires_grad=True).float()\n"
                           "x.sum().backward()\nprint(x.grad)\n",
    "reduction_with_dtype": "x = torch.tensor(np.random.rand(3, 2).mean(0, np.float32), requires_grad=True).float()\n"
                            "x.sum().backward()\nprint(x.grad)\n",
    "linspace_of_float32": "x = torch.tensor(np.linspace(np.float32(0), np.float32(1), 3), requires_grad=True)"
                           ".float()\nx.sum().backward()\nprint(x.grad)\n",
    "parent_converts_child": "child = torch.nn.Linear(2, 2)\nseq = torch.nn.Sequential(child)\nchild.double()\n"
                             "seq.float()\nx = torch.ones(2, requires_grad=True).to(next(child.parameters()).dtype)\n"
                             "child(x).sum().backward()\nprint(x.grad)\n",
    "converted_on_one_path": "import sys\nm = torch.nn.Linear(2, 1)\nif len(sys.argv) > 5:\n    m.double()\n"
                             "x = torch.ones(2, requires_grad=True).to(next(m.parameters()).dtype)\n"
                             "m(x).sum().backward()\nprint(x.grad)\n",
    "module_escapes": "m = torch.nn.Linear(2, 1).double()\nlist(map(lambda mod: mod.float(), [m]))\n"
                      "x = torch.ones(2, requires_grad=True).to(next(m.parameters()).dtype)\n"
                      "m(x).sum().backward()\nprint(x.grad)\n",
    "module_apply": "m = torch.nn.Linear(2, 1).double()\nm.apply(lambda mod: mod.float())\n"
                    "x = torch.ones(2, requires_grad=True).to(next(m.parameters()).dtype)\n"
                    "m(x).sum().backward()\nprint(x.grad)\n",
    "state_assigned": "m = torch.nn.Linear(2, 1).double()\n"
                      "m.load_state_dict(torch.nn.Linear(2, 1).state_dict(), assign=True)\n"
                      "x = torch.ones(2, requires_grad=True).to(next(m.parameters()).dtype)\n"
                      "m(x).sum().backward()\nprint(x.grad)\n",
    "child_replaced": "class Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                      "        self.fc = torch.nn.Linear(2, 1)\n\n    def forward(self, x):\n"
                      "        return self.fc(x)\n\n\nnet = Net().double()\nnet.fc = torch.nn.Linear(2, 1)\n"
                      "x = torch.ones(2, requires_grad=True).to(next(net.parameters()).dtype)\n"
                      "net(x).sum().backward()\nprint(x.grad)\n",
    "child_appended": "seq = torch.nn.Sequential(torch.nn.ReLU()).double()\nseq.append(torch.nn.Linear(2, 1))\n"
                      "x = torch.ones(2, requires_grad=True).to(next(seq.parameters()).dtype)\n"
                      "seq(x).sum().backward()\nprint(x.grad)\n",
    # (which of the two is handled last is arbitrary: one of these two programs catches a guess)
    "one_of_two_converted": "import sys\na, b = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)\n"
                            "(a if len(sys.argv) > 5 else b).double()\n"
                            "x = torch.ones(2, requires_grad=True).to(next(a.parameters()).dtype)\n"
                            "a(x).sum().backward()\nprint(x.grad)\n",
    "other_of_two_converted": "import sys\na, b = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)\n"
                              "(a if len(sys.argv) < 5 else b).double()\n"
                              "x = torch.ones(2, requires_grad=True).to(next(b.parameters()).dtype)\n"
                              "b(x).sum().backward()\nprint(x.grad)\n",
    "int_division_is_float": "with torch.no_grad():\n    a = torch.arange(4, dtype=torch.long) / 2\n"
                             "a.requires_grad_()\nb = a.float()\nb.sum().backward()\nprint(a.grad, b.grad)\n",
    "numpy_scalar_in_list": "X = np.random.rand(2, 2)\np = torch.tensor([X[0, 0], 1.5], requires_grad=True).double()\n"
                            "p.sum().backward()\nprint(p.grad)\n",
    "array_promotes_tensor": "with torch.no_grad():\n    y = torch.zeros(3) + np.random.rand(3)\n"
                             "y.requires_grad_()\nz = y.double()\nz.sum().backward()\nprint(y.grad, z.grad)\n",
}


FILES = ProgramFiles(lambda: {name: HEAD + text for name, text in {**FOUND, **SILENT}.items()}, "gradlint_dtype_")
probing.in_background("dtype_verdicts", FILES.write, FILES.remove)  # probed while other tests run


@pytest.fixture(scope="module")
def dtype_verdicts():
    return FILES.verdicts(probing.results("dtype_verdicts"))


@pytest.mark.parametrize("name", sorted(FOUND))
def test_proven_dtype_copies_are_found(name, dtype_verdicts):
    verdict = dtype_verdicts[name]
    assert verdict.probe["nonleaf_reads"], "torch reports nothing: the program proves nothing"
    assert verdict.agrees, verdict.describe()


@pytest.mark.parametrize("name", sorted(SILENT))
def test_unproven_dtypes_are_not_guessed(name, dtype_verdicts):
    verdict = dtype_verdicts[name]
    assert verdict.probe.get("error") is None, verdict.probe["error"]
    assert not verdict.false_positives and not verdict.lint["nonleaf_reads"], verdict.describe()
