"""Run one fixture script under real torch and report which `.grad` reads came back None.

Usage: python tests/runtime_probe.py SCRIPT  -> one JSON object on stdout:
       python tests/runtime_probe.py --many SCRIPT...  -> one JSON line per script, {"path", ...};
       torch is imported once and each script runs in a forked child (fast, still isolated).

  nonleaf_reads      lines where `.grad` was read on a non-leaf that does not retain grad
                     (torch's own UserWarning; also for tensor subclasses, found by walking the stack)
  late_retain_reads  lines where `.grad` of a retained non-leaf came back None because every
                     backward() through it ran before its retain_grad() (torch is silent there)
  unreached_reads    lines where `.grad` of a non-leaf that retained grad before a backward() came
                     back None: no backward() since its retain_grad() reached it (torch is silent)
  optimizer_errors   lines where an optimizer raised "can't optimize a non-leaf Tensor"
  error              any other exception that ended the script, as "Type: message (line N)"

The script runs as __main__ in this process, so the probe sees its frames. Torch is the authority
here: nothing in this file knows gradlint's rules.
"""
from __future__ import annotations

import json
import os
import random
import sys
import traceback
import warnings
import weakref

import torch
from torch.overrides import TorchFunctionMode

NONLEAF_WARNING = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"
NONLEAF_OPTIMIZER = "can't optimize a non-leaf Tensor"

script = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else ""
nonleaf_reads: set[int] = set()
late_retain_reads: set[int] = set()
unreached_reads: set[int] = set()
backward_count = 0
class IdentityWeakMap:
    """Like WeakKeyDictionary, but keys compare by identity (Tensor.__eq__ is elementwise)."""

    def __init__(self):
        self._entries = {}

    def _entry(self, key):
        entry = self._entries.get(id(key))
        return entry if entry is not None and entry[0]() is key else None

    def __contains__(self, key):
        return self._entry(key) is not None

    def get(self, key, default=None):
        entry = self._entry(key)
        return default if entry is None else entry[1]

    def __setitem__(self, key, value):
        k = id(key)
        entries = self._entries
        entries[k] = (weakref.ref(key, lambda _ref, k=k: entries.pop(k, None)), value)


created_at = IdentityWeakMap()
retained_at = IdentityWeakMap()


def script_line(frame=None) -> int | None:
    """Innermost line of the fixture on the current stack."""
    frame = frame or sys._getframe(1)
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename) == script:
            return frame.f_lineno
        frame = frame.f_back
    return None


def record_warning(message, category, filename, lineno, file=None, line=None):
    if NONLEAF_WARNING in str(message):
        found = script_line()
        if found is not None:
            nonleaf_reads.add(found)


class CreationRecorder(TorchFunctionMode):
    """Remember how many backward passes had run when each tensor was made."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        for out in result if isinstance(result, (tuple, list)) else (result,):
            if isinstance(out, torch.Tensor) and out not in created_at:
                try:
                    created_at[out] = backward_count
                except TypeError:
                    pass
        return result


_original_backward = torch.autograd.backward


def counting_backward(*args, **kwargs):
    global backward_count
    result = _original_backward(*args, **kwargs)
    backward_count += 1
    return result


_original_retain_grad = torch.Tensor.retain_grad


def recording_retain_grad(self):
    if self not in retained_at:
        retained_at[self] = backward_count
    return _original_retain_grad(self)


_base_grad = torch._C.TensorBase.grad


def probed_grad_get(self):
    value = _base_grad.__get__(self)
    if value is None and self.requires_grad and not self.is_leaf and self.retains_grad:
        made, retained = created_at.get(self), retained_at.get(self)
        if made is not None and retained is not None and made < retained == backward_count:
            found = script_line()
            if found is not None:
                late_retain_reads.add(found)
        elif retained is not None and retained < backward_count:
            found = script_line()
            if found is not None:
                unreached_reads.add(found)
    return value


def main() -> None:
    print(json.dumps(probe()), file=sys.__stdout__)


def probe() -> dict:
    torch.autograd.backward = counting_backward
    torch.Tensor.retain_grad = recording_retain_grad
    torch.Tensor.grad = property(probed_grad_get, _base_grad.__set__, _base_grad.__delete__)
    warnings.simplefilter("always")
    warnings.showwarning = record_warning
    optimizer_errors: list[int] = []
    error = None
    sys.argv = [script]
    sys.path.insert(0, os.path.dirname(script))
    # The same random draws in every run (torch seeds itself from the OS in each process), so that
    # what a script and its fixed version print can be compared value for value.
    torch.manual_seed(0)
    random.seed(0)
    code = compile(open(script, encoding="utf-8").read(), script, "exec")
    try:
        with CreationRecorder():
            exec(code, {"__name__": "__main__", "__file__": script})
    except BaseException as exc:  # the script's own failure is data, not a probe crash
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == script]
        line = frames[-1].lineno if frames else None
        if isinstance(exc, ValueError) and NONLEAF_OPTIMIZER in str(exc):
            optimizer_errors.append(line)
        elif not isinstance(exc, SystemExit) or exc.code not in (None, 0):
            error = f"{type(exc).__name__}: {exc} (line {line})"
    sys.stdout.flush()
    return {
        "nonleaf_reads": sorted(nonleaf_reads),
        "late_retain_reads": sorted(late_retain_reads),
        "unreached_reads": sorted(unreached_reads),
        "optimizer_errors": optimizer_errors,
        "error": error,
    }


def main_many(paths) -> None:
    """Probe many scripts: fork a child per script so each starts from a fresh interpreter state."""
    global script
    torch.set_num_threads(1)  # no worker threads alive across fork()
    for path in paths:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            script = os.path.abspath(path)
            import io
            sys.stdout = captured = io.StringIO()
            try:
                result = probe()
                result["stdout"] = captured.getvalue()
            except BaseException as exc:  # the probe itself failed: report, never hang
                result = {"error": f"probe failed: {exc!r}"}
            with os.fdopen(write_end, "w") as out:
                out.write(json.dumps(result))
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        result = json.loads(data) if data else {"error": "probe child died"}
        result["path"] = path
        print(json.dumps(result), file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--many"]:
        main_many(sys.argv[2:])
    else:
        main()
