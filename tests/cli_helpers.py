"""What the command-line tests share: one buggy program (and the program `--fix` makes of it), and
`cli(...)`, which runs `gradlint ARGS...` in a folder through click's runner, as a user would there."""
from __future__ import annotations

import os
from pathlib import Path

import inspect

from click.testing import CliRunner as _ClickRunner

from gradlint.cli import main


def CliRunner(**options) -> _ClickRunner:
    """click's test runner with stdout and stderr apart (click 8.1, the last for Python 3.9, mixes
    them unless told not to; 8.2 always keeps them apart and has no such option)."""
    if "mix_stderr" in inspect.signature(_ClickRunner.__init__).parameters:
        options.setdefault("mix_stderr", False)
    return _ClickRunner(**options)


# GL001 at 6:9: `y.grad` of a non-leaf without retain_grad()
BUG = """import torch
x = torch.tensor(2.0, requires_grad=True)
y = x * 3
z = y * 4
z.backward()
print(y.grad)
"""
FIXED = BUG.replace("y = x * 3\n", "y = x * 3\ny.retain_grad()\n")
# a file without a `.grad` in it
NO_GRAD = "import os\nprint(os.getcwd())\n"


def cli(*args, cwd: Path, input=None, env=None):
    """`gradlint ARGS...` run in `cwd` (each argument passed as str); exceptions propagate."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args], input=input, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)


def write(root: Path, name: str, text: str) -> Path:
    """Write `text` to root/name, making the folders on the way."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
