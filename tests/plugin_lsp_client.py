"""A small LSP client over stdio for the plugin tests: it starts a real language server process
(pylsp, `fixit lsp`), frames JSON-RPC messages with Content-Length headers, answers the server's
requests with null, and collects notifications, so that a test can wait for the
`textDocument/publishDiagnostics` of one document."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence


def path_uri(path: Path) -> str:
    return Path(path).resolve().as_uri()


class LspClient:
    def __init__(self, command: Sequence[str], cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None):
        environment = dict(os.environ, **(env or {}))
        self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=cwd, env=environment)
        self._next_id = 0
        self._responses: Dict[int, "queue.Queue[Dict[str, Any]]"] = {}
        self._lock = threading.Lock()
        self.notifications: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.seen: List[Dict[str, Any]] = []
        self.stderr: List[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # -- wire ------------------------------------------------------------------------------------

    def _send(self, message: Dict[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value.strip())
            if length is None:
                continue
            message = json.loads(stream.read(length).decode("utf-8"))
            if "id" in message and "method" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                with self._lock:
                    waiting = self._responses.get(message["id"])
                if waiting is not None:
                    waiting.put(message)
            else:
                self.notifications.put(message)

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    # -- requests and notifications ----------------------------------------------------------------

    def request(self, method: str, params: Any, timeout: float = 30.0) -> Any:
        with self._lock:
            self._next_id += 1
            number = self._next_id
            self._responses[number] = queue.Queue()
        self._send({"jsonrpc": "2.0", "id": number, "method": method, "params": params})
        try:
            response = self._responses[number].get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no response to {method} within {timeout} s; stderr: "
                                 f"{b''.join(self.stderr)[-3000:].decode(errors='replace')}") from None
        assert "error" not in response, response["error"]
        return response.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, predicate: Callable[[Dict[str, Any]], bool], timeout: float = 30.0) -> Dict[str, Any]:
        """The next notification (or one seen before and not yet claimed) that satisfies `predicate`."""
        for index, message in enumerate(self.seen):
            if predicate(message):
                return self.seen.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching notification within {timeout} s; seen: {self.seen!r}; stderr: "
                                     f"{b''.join(self.stderr)[-3000:].decode(errors='replace')}")
            try:
                message = self.notifications.get(timeout=left)
            except queue.Empty:
                continue
            if predicate(message):
                return message
            self.seen.append(message)

    def diagnostics(self, uri: str, version: Optional[int] = None, timeout: float = 30.0) -> List[Dict[str, Any]]:
        """The next diagnostics published for `uri` (for `version`, when given)."""
        def matches(message: Dict[str, Any]) -> bool:
            params = message.get("params") or {}
            return (message.get("method") == "textDocument/publishDiagnostics" and params.get("uri") == uri
                    and (version is None or params.get("version") == version))
        return self.wait_for(matches, timeout)["params"]["diagnostics"]

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.request("shutdown", None, timeout=10)
                self.notify("exit", None)
                self.process.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a test's own failure matters more than a messy exit
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


def apply_text_edits(text: str, edits: List[Dict[str, Any]]) -> str:
    """Apply LSP text edits (UTF-16 positions) to `text`, as an editor would."""
    lines = text.splitlines(keepends=True) or [""]
    if text.endswith(("\n", "\r")):
        lines.append("")

    def offset(position: Dict[str, int]) -> int:
        line = position["line"]
        before = sum(len(item) for item in lines[:line])
        if line >= len(lines):
            return len(text)
        units, index, current = position["character"], 0, lines[line]
        while units > 0 and index < len(current):
            units -= 2 if ord(current[index]) > 0xFFFF else 1
            index += 1
        return before + index

    placed = sorted(((offset(e["range"]["start"]), offset(e["range"]["end"]), e["newText"]) for e in edits),
                    key=lambda item: (item[0], item[1]), reverse=True)
    for start, end, new in placed:
        text = text[:start] + new + text[end:]
    return text
