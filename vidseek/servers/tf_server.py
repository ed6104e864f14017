"""A small OpenAI-compatible chat server on ``transformers``: the fallback local LLM backend.

vidseek's offline profile normally runs llama.cpp's server from the prebuilt ``xllamacpp`` wheel
(or llama-cpp-python's) on the offline GGUF. When neither is usable, ``vidseek.servers.llm_server``
starts this module instead, with the same command-line flags::

    python -m vidseek.servers.tf_server --model PATH.gguf --model_alias NAME \\
        --host 127.0.0.1 --port N [--n_threads K] [--n_ctx C]

It loads the same GGUF file with ``transformers`` (``AutoModelForCausalLM.from_pretrained(folder,
gguf_file=name)``, which needs the ``gguf`` and ``accelerate`` packages) and answers the part of the
OpenAI API that vidseek uses, on the standard library's ``ThreadingHTTPServer``:

- ``GET /v1/models``: the one model, under its alias.
- ``POST /v1/chat/completions``: messages through the tokenizer's chat template; ``max_tokens`` /
  ``max_completion_tokens``, ``temperature`` (0 means greedy), ``top_p``, ``seed``, ``stop``;
  ``usage`` token counts; ``stream: true`` as server-sent events ending with ``data: [DONE]``.

Limits, compared with llama.cpp's server:

- **No grammar-constrained decoding.** When ``response_format`` asks for JSON (``json_object``,
  with or without llama.cpp's ``schema`` field, or ``json_schema``), the server adds an instruction
  (with the schema, when one is given) to the system message, generates freely, and returns the
  first valid JSON object found in the output (a light repair: code fences and text around the
  outermost braces are cut). Nothing checks the object against the schema, and when the output
  holds no JSON object the raw text is returned as it is; clients must validate.
- **No native tool calls.** ``tools`` are passed to the chat template when it takes them (Qwen's
  does); the reply text is returned as ``content`` and never split into ``tool_calls``. vidseek's
  adapter parses tool calls written as JSON (or in ``<tool_call>`` tags) in the text.
- One request generates at a time (a lock serialises them); float32 weights on the CPU, so the
  GGUF's quantisation is undone at load time: more memory, slower than llama.cpp.
- ``n`` > 1, ``logprobs`` and embeddings are not supported.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from vidseek.servers.openai_wire import (
    ChatRequest,
    RequestError,
    json_reply,
    parse_chat_request,
)
from vidseek.servers.tf_generate import (
    Generation,
    Generator,
)

log = logging.getLogger("vidseek.tf_server")

MAX_BODY_BYTES = 32 * 1024 * 1024


# --- HTTP ---------------------------------------------------------------------------------------


def _completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def error_body(status: int, message: str) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "code": status}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vidseek-tf-server/1"
    # set on the class by make_server
    generator: Generator
    model_alias: str = "local"
    verbose: bool = False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        if self.verbose:
            log.info("%s - %s", self.address_string(), format % args)

    # --- plumbing --------------------------------------------------------------------------------

    def _send_json(self, status: int, body: dict[str, Any], close: bool = False) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if close:  # the request body may be unread: do not reuse the connection
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str) -> None:
        self._send_json(status, error_body(status, message), close=True)

    def _read_body(self) -> Any:
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError("a Content-Length header is required")
        try:
            n = int(length)
        except ValueError:
            raise RequestError("bad Content-Length header") from None
        if n < 0 or n > MAX_BODY_BYTES:
            raise RequestError(f"the body must be between 0 and {MAX_BODY_BYTES} bytes")
        raw = self.rfile.read(n)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise RequestError(f"the body is not valid JSON: {exc}") from None

    def _guarded(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except RequestError as exc:
            self._send_error(HTTPStatus.BAD_REQUEST, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:
            log.exception("request failed")
            try:
                self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}")
            except OSError:
                self.close_connection = True

    # --- routes ----------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        self._guarded(self._get)

    def do_POST(self) -> None:  # noqa: N802 (stdlib name)
        self._guarded(self._post)

    def _get(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("/v1/models", "/models"):
            model = {"id": self.model_alias, "object": "model", "owned_by": "vidseek"}
            self._send_json(HTTPStatus.OK, {"object": "list", "data": [model]})
        elif path == "/health":
            self._send_json(HTTPStatus.OK, {"status": "ok"})
        else:
            self._send_error(HTTPStatus.NOT_FOUND, f"no route GET {path or '/'}")

    def _post(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path not in ("/v1/chat/completions", "/chat/completions"):
            self._send_error(HTTPStatus.NOT_FOUND, f"no route POST {path or '/'}")
            return
        req = parse_chat_request(self._read_body())
        if req.stream:
            self._stream(req)
        else:
            self._complete(req)

    def _complete(self, req: ChatRequest) -> None:
        gen = self.generator.generate(req)
        content = json_reply(gen.text) if req.json_mode else gen.text
        self._send_json(
            HTTPStatus.OK,
            {
                "id": _completion_id(),
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.model_alias,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": gen.finish_reason,
                        "logprobs": None,
                    }
                ],
                "usage": _usage(gen),
            },
        )

    def _stream(self, req: ChatRequest) -> None:
        # validate and tokenise before the 200 goes out, so that bad requests still get a 400
        self.generator.prompt_ids(req)
        cid, created = _completion_id(), int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": self.model_alias,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self._event(chunk({"role": "assistant", "content": ""}))
        try:
            if req.json_mode:  # the object is only known at the end: one content chunk
                gen = self.generator.generate(req)
                self._event(chunk({"content": json_reply(gen.text)}))
            else:
                gen = self.generator.generate(
                    req, on_text=lambda text: self._event(chunk({"content": text}))
                )
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception as exc:  # the status line is gone: report in the stream
            log.exception("generation failed")
            self._event(error_body(500, f"{type(exc).__name__}: {exc}"))
            self.wfile.write(b"data: [DONE]\n\n")
            return
        self._event(chunk({}, gen.finish_reason))
        if req.include_usage:
            usage = chunk({})
            usage["choices"], usage["usage"] = [], _usage(gen)
            self._event(usage)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, body: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n")
        self.wfile.flush()


def _usage(gen: Generation) -> dict[str, int]:
    return {
        "prompt_tokens": gen.prompt_tokens,
        "completion_tokens": gen.completion_tokens,
        "total_tokens": gen.prompt_tokens + gen.completion_tokens,
    }


def make_server(
    generator: Generator,
    model_alias: str,
    host: str = "127.0.0.1",
    port: int = 8080,
    verbose: bool = False,
) -> ThreadingHTTPServer:
    """A server (not yet serving) that answers with ``generator`` under the name ``model_alias``."""
    attrs = {"generator": generator, "model_alias": model_alias, "verbose": verbose}
    handler = type("BoundHandler", (Handler,), attrs)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def _bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m vidseek.servers.tf_server",
        description="OpenAI-compatible chat server on transformers (fallback for llama_cpp.server)",
    )
    p.add_argument("--model", required=True, help="path to the .gguf file")
    p.add_argument("--model_alias", default=None, help="the model name clients use")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--n_ctx", type=int, default=8192, help="context window in tokens")
    p.add_argument("--n_threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--n_batch", type=int, default=512, help="accepted for llama.cpp parity; unused")
    p.add_argument("--verbose", type=_bool, default=False, help="log every request")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s"
    )
    log.setLevel(logging.INFO)  # load time and requests (with --verbose) go to the log
    generator = Generator(args.model, n_ctx=args.n_ctx, n_threads=args.n_threads)
    alias = args.model_alias or Path(args.model).name
    server = make_server(generator, alias, args.host, args.port, verbose=args.verbose)
    log.info("serving %s on http://%s:%d/v1", alias, args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
