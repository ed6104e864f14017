"""A small OpenAI-compatible chat server on ``transformers``: the fallback local LLM backend.

vidseek's offline profile normally runs llama.cpp's server (``python -m llama_cpp.server``) on the
offline GGUF. llama-cpp-python is compiled at install time and that build fails on some machines
(no compiler, no CMake, an unsupported CPU). When it is missing, ``vidseek.servers.llm_server`` starts
this module instead, with the same command-line flags::

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
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from vidseek.servers.openai_wire import (
    ChatRequest,
    RequestError,
    cut_at_stop,
    json_reply,
    parse_chat_request,
    with_json_instruction,
)

log = logging.getLogger("vidseek.tf_server")

DEFAULT_MAX_TOKENS = 2048
MAX_BODY_BYTES = 32 * 1024 * 1024

# --- generation ---------------------------------------------------------------------------------


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" or "length"


class Generator:
    """The model and tokenizer, with a lock so that one request generates at a time."""

    def __init__(self, model_path: str | Path, n_ctx: int = 8192, n_threads: int | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if n_threads:
            torch.set_num_threads(n_threads)
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"model file {path} does not exist")
        self.n_ctx = n_ctx
        self.lock = threading.Lock()
        t0 = time.monotonic()
        self.tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        self.model = AutoModelForCausalLM.from_pretrained(
            str(path.parent), gguf_file=path.name, dtype=torch.float32
        )
        self.model.eval()
        template = self.tokenizer.chat_template or ""
        self.template_takes_tools = "tools" in template
        log.info("loaded %s in %.1f s", path.name, time.monotonic() - t0)

    def prompt_ids(self, req: ChatRequest) -> Any:
        messages = (
            with_json_instruction(req.messages, req.schema) if req.json_mode else req.messages
        )
        kwargs: dict[str, Any] = {}
        if req.tools and self.template_takes_tools:
            kwargs["tools"] = req.tools
        try:
            enc = self.tokenizer.apply_chat_template(
                messages,
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
                **kwargs,
            )
        except Exception as exc:  # jinja errors: a message sequence the template refuses
            raise RequestError(f"the chat template refused the messages: {exc}") from exc
        n = int(enc["input_ids"].shape[1])
        if n >= self.n_ctx:
            raise RequestError(
                f"the prompt has {n} tokens, more than the context window of {self.n_ctx}"
            )
        return enc

    def generate(
        self, req: ChatRequest, on_text: Callable[[str], None] | None = None
    ) -> Generation:
        """Generate a reply; ``on_text`` (if given) receives the text as it is produced, already
        cut at stop strings."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        enc = self.prompt_ids(req)
        n_prompt = int(enc["input_ids"].shape[1])
        budget = self.n_ctx - n_prompt
        max_new = min(req.max_tokens or DEFAULT_MAX_TOKENS, budget)
        tokenizer = self.tokenizer
        stops = req.stop

        abort = threading.Event()  # set when a streaming client goes away

        class _StopOnText(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                hit = abort.is_set()
                if stops and not hit:
                    tail = tokenizer.decode(input_ids[0, n_prompt:], skip_special_tokens=True)
                    hit = any(s in tail for s in stops)
                return torch.full((input_ids.shape[0],), hit, dtype=torch.bool)

        gen_kwargs: dict[str, Any] = dict(
            enc,
            max_new_tokens=max_new,
            pad_token_id=(
                tokenizer.pad_token_id
                if tokenizer.pad_token_id is not None
                else tokenizer.eos_token_id
            ),
        )
        if req.temperature == 0:
            gen_kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            gen_kwargs.update(do_sample=True, temperature=req.temperature, top_p=req.top_p)
        if stops or on_text is not None:
            gen_kwargs["stopping_criteria"] = StoppingCriteriaList([_StopOnText()])

        with self.lock:
            if req.seed is not None:
                torch.manual_seed(req.seed)
            if on_text is None:
                with torch.inference_mode():
                    out = self.model.generate(**gen_kwargs)
                new_ids = out[0, n_prompt:]
                text = tokenizer.decode(new_ids, skip_special_tokens=True)
            else:
                streamer = TextIteratorStreamer(
                    tokenizer, skip_prompt=True, skip_special_tokens=True
                )
                result: dict[str, Any] = {}

                def run() -> None:
                    try:
                        with torch.inference_mode():
                            result["out"] = self.model.generate(**gen_kwargs, streamer=streamer)
                    except Exception as exc:  # surfaced below, after the streamer ends
                        result["error"] = exc
                        streamer.end()

                worker = threading.Thread(target=run, daemon=True)
                worker.start()
                try:
                    text = relay_text(streamer, stops, on_text)
                except BaseException:
                    # the client is gone: stop generating, and finish before the lock is released
                    abort.set()
                    for _ in streamer:
                        pass
                    raise
                finally:
                    worker.join()
                if "error" in result:
                    raise result["error"]
                new_ids = result["out"][0, n_prompt:]
                if not stops:
                    text = tokenizer.decode(new_ids, skip_special_tokens=True)
        text, stopped = cut_at_stop(text, stops)
        n_new = int(new_ids.shape[0])
        eos = tokenizer.eos_token_id
        ended = n_new > 0 and eos is not None and int(new_ids[-1]) == eos
        finish = "stop" if stopped or ended or n_new < max_new else "length"
        return Generation(text, n_prompt, n_new, finish)


def relay_text(pieces: Iterator[str], stops: list[str], on_text: Callable[[str], None]) -> str:
    """Pass streamed text on, holding back what could be the start of a stop string; returns all
    the text (uncut; the caller cuts it)."""
    hold = max((len(s) for s in stops), default=1) - 1
    text, sent, stopped = "", 0, False
    for piece in pieces:
        text += piece
        if stopped:
            continue  # drain the streamer so that generate() can finish
        cut, stopped = cut_at_stop(text, stops)
        upto = len(cut) if stopped else max(sent, len(text) - hold)
        if upto > sent:
            on_text(text[sent:upto])
            sent = upto
    if not stopped:
        cut, _ = cut_at_stop(text, stops)
        if len(cut) > sent:
            on_text(cut[sent:])
    return text


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
