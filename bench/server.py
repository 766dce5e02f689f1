#!/usr/bin/env python
"""Time `gradlint server`: from a `textDocument/didChange` to the `publishDiagnostics` of that
version, over real stdio, with a warm server (the issue's target: median <= 50 ms for a 500-line
model file).

    python bench/server.py              # 60 changes per case
    python bench/server.py --changes 200

The client here is a minimal JSON-RPC writer/reader (no LSP library), so that what is timed is the
server: writing the full-text change, the server reading it, linting, converting and writing the
diagnostics, and this process reading them. Each change edits a comment, so every version is
linted anew (nothing is cached between versions). The server's own lint time per version comes
from its `$/logTrace` messages. Cases: bench.py's generated 500-line model file (layers, no `.grad`
read) and a 500-line file of model and training code with findings (fixes checked too).
Needs the `lsp` extra (pygls).
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from bench import MODEL_CLASS, MODEL_HEADER, SCRIPT_MAIN, TRAINING_BLOCK, generate_lines  # noqa: E402

TARGET_MS = 50.0


class Client:
    """Just enough LSP over a subprocess' stdin/stdout."""

    def __init__(self, command: List[str], cwd: str):
        paths = [os.path.join(ROOT, "src"), os.environ.get("PYTHONPATH")]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd, env=env)
        self.messages: "queue.Queue[tuple]" = queue.Queue()
        self.next_id = 0
        self.traces: List[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                match = re.match(rb"Content-Length: (\d+)", line)
                if match:
                    length = int(match.group(1))
            body = stream.read(length)
            self.messages.put((time.perf_counter(), json.loads(body)))

    def send(self, message: Dict[str, Any]) -> float:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        started = time.perf_counter()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        self.process.stdin.flush()
        return started

    def notify(self, method: str, params: Any) -> float:
        return self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)[1].get("result")

    def wait(self, matches, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while True:
            received, message = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            if message.get("method") == "$/logTrace":
                self.traces.append(message["params"]["message"])
            if message.get("method") == "window/logMessage" and message["params"]["type"] == 1:
                print(f"server error: {message['params']['message']}", file=sys.stderr)
            if "id" in message and "method" in message:  # a request from the server: answer it
                self.send({"id": message["id"], "result": None})
                continue
            if matches(message):
                return received, message


def run_case(label: str, text: str, changes: int, cwd: str) -> Dict[str, Any]:
    client = Client([sys.executable, "-m", "gradlint", "server"], cwd)
    uri = "file://" + os.path.join(cwd, f"{label.split()[0]}.py")
    client.request("initialize", {"processId": os.getpid(), "rootUri": "file://" + cwd, "capabilities": {},
                                  "trace": "messages"})
    client.notify("initialized", {})
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": text}})
    first = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics")[1]
    findings = len(first["params"]["diagnostics"])
    lines = text.count("\n")
    latencies: List[float] = []
    lint_times: List[float] = []
    warmup = 5
    for version in range(2, changes + warmup + 2):
        changed = text.replace("# padding\n", f"# padding {version}\n", 1) if "# padding\n" in text \
            else text + f"# edit {version}\n"
        started = client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": changed}]})
        received, message = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                        and m["params"].get("version") == version)
        trace = next(t for t in client.traces if f"(version {version})" in t)
        if version > warmup + 1:
            latencies.append((received - started) * 1000)
            lint_times.append(float(re.search(r"in ([\d.]+) ms", trace).group(1)))
        assert len(message["params"]["diagnostics"]) == findings
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0},
                                                "end": {"line": lines, "character": 0}},
        "context": {"diagnostics": [], "only": ["source.fixAll"]}})
    client.request("shutdown", None)
    client.notify("exit", None)
    code = client.process.wait(timeout=30)
    return dict(label=label, lines=lines, findings=findings, median=statistics.median(latencies),
                p90=sorted(latencies)[int(0.9 * (len(latencies) - 1))], best=min(latencies),
                lint=statistics.median(lint_times), fix_all=bool(actions), exit=code, n=len(latencies))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=60, help="timed changes per case (after 5 untimed)")
    args = parser.parse_args(argv)
    cases = [("model file, 500 lines (bench.py's editor case)", generate_lines(MODEL_HEADER, MODEL_CLASS, 500)),
             ("model and training code, 500 lines, with findings",
              generate_lines(MODEL_HEADER, MODEL_CLASS + TRAINING_BLOCK, 500, SCRIPT_MAIN))]
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="gradlint-bench-server-") as cwd:
        for label, text in cases:
            row = run_case(label, text, args.changes, cwd)
            worst = max(worst, row["median"])
            print(f"{row['label']}: {row['findings']} findings; didChange -> publishDiagnostics median "
                  f"{row['median']:.1f} ms (p90 {row['p90']:.1f}, best {row['best']:.1f}; the server's lint "
                  f"{row['lint']:.1f} ms) over {row['n']} changes; fixAll offered: {row['fix_all']}; "
                  f"exit {row['exit']}")
    print(f"target: median <= {TARGET_MS:.0f} ms: {'met' if worst <= TARGET_MS else 'NOT met'} "
          f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
