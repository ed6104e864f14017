"""A fake OpenAI-compatible server on 127.0.0.1 for adapter tests: it answers from a script of
replies (or failures) and records every request body, so tests check exactly what went over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAIServer:
    """Script items: {"content": str, "tool_calls": [...], "usage": {...}} for a reply,
    {"status": 500} for an error, {"delay": s} to stall before answering (then the next fields)."""

    def __init__(self) -> None:
        self.script: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(body)
                item = server.script.popleft() if server.script else {"content": "ok"}
                if item.get("delay"):
                    time.sleep(item["delay"])
                if item.get("status", 200) != 200:
                    msg = item.get("message", "internal error")
                    self._json(item["status"], {"error": {"message": msg, "type": "server_error"}})
                    return
                if body.get("stream"):
                    self._stream(body, item)
                else:
                    self._json(200, _completion(body, item))

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def _stream(self, body: dict[str, Any], item: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                base = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body.get("model", "fake"),
                }
                content = item.get("content") or ""
                pieces = [content[i : i + 3] for i in range(0, len(content), 3)]
                for piece in pieces:
                    chunk = {
                        **base,
                        "choices": [
                            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                for i, tc in enumerate(item.get("tool_calls") or []):
                    args = (
                        json.dumps(tc["arguments"])
                        if isinstance(tc["arguments"], dict)
                        else tc["arguments"]
                    )
                    half = len(args) // 2
                    for j, part in enumerate((args[:half], args[half:])):
                        delta = {"index": i, "type": "function", "function": {"arguments": part}}
                        if j == 0:
                            delta["id"] = f"call_{i}"
                            delta["function"]["name"] = tc["name"]
                        chunk = {
                            **base,
                            "choices": [
                                {
                                    "index": 0,
                                    "delta": {"tool_calls": [delta]},
                                    "finish_reason": None,
                                }
                            ],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                final = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(final)}\n\n".encode())
                if (body.get("stream_options") or {}).get("include_usage"):
                    usage = {**base, "choices": [], "usage": _usage(item)}
                    self.wfile.write(f"data: {json.dumps(usage)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def reset(self, *items: dict[str, Any]) -> None:
        self.script.clear()
        self.script.extend(items)
        self.requests.clear()


def _usage(item: dict[str, Any]) -> dict[str, int]:
    usage = item.get("usage", {"prompt_tokens": 11, "completion_tokens": 7})
    return {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}


def _completion(body: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": item.get("content")}
    if item.get("tool_calls"):
        message["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {
                    "name": tc["name"],
                    "arguments": tc["arguments"]
                    if isinstance(tc["arguments"], str)
                    else json.dumps(tc["arguments"]),
                },
            }
            for i, tc in enumerate(item["tool_calls"])
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if item.get("tool_calls") else "stop",
            }
        ],
        "usage": _usage(item),
    }
