"""The OpenAI chat-completions request, parsed and checked, and the JSON repair that a server
without constrained decoding needs (pure functions; ``vidseek.servers.tf_server`` serves them).

``parse_chat_request(body)`` turns a decoded request body into a ``ChatRequest`` or raises
``RequestError`` with a message for the client (HTTP 400); ``extract_json_object`` finds the first
valid JSON object in a model's free text; ``cut_at_stop`` cuts a reply at its stop strings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

ROLES = ("system", "user", "assistant", "tool", "developer")
JSON_INSTRUCTION = "Reply with one JSON object only, and no other text."
JSON_SCHEMA_INSTRUCTION = (
    "Reply with one JSON object only, and no other text. It must match this JSON schema:\n{schema}"
)


class RequestError(ValueError):
    """A request that the server refuses with 400 (the message goes to the client)."""


# --- request parsing (pure) --------------------------------------------------------------------


@dataclass
class ChatRequest:
    """A validated ``/v1/chat/completions`` request."""

    messages: list[dict[str, Any]]
    max_tokens: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False
    json_mode: bool = False
    schema: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    seed: int | None = None


def _number(body: dict[str, Any], key: str, lo: float, hi: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(f"'{key}' must be a number")
    if not lo <= value <= hi:
        raise RequestError(f"'{key}' must be between {lo:g} and {hi:g}")
    return float(value)


def _text_content(content: Any, where: str) -> str:
    """Message content as text: a string, or a list of text parts (other parts are refused)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type", "text") != "text":
                raise RequestError(f"{where}: only text content parts are supported")
            text = part.get("text")
            if not isinstance(text, str):
                raise RequestError(f"{where}: a text part needs a string 'text'")
            parts.append(text)
        return "\n".join(parts)
    raise RequestError(f"{where}: 'content' must be a string, a list of text parts or null")


def _message(raw: Any, i: int) -> dict[str, Any]:
    where = f"messages[{i}]"
    if not isinstance(raw, dict):
        raise RequestError(f"{where} must be an object")
    role = raw.get("role")
    if role not in ROLES:
        raise RequestError(f"{where}: 'role' must be one of {', '.join(ROLES)}")
    msg: dict[str, Any] = {
        "role": "system" if role == "developer" else role,
        "content": _text_content(raw.get("content"), where),
    }
    if role == "assistant" and raw.get("tool_calls"):
        calls = raw["tool_calls"]
        if not isinstance(calls, list):
            raise RequestError(f"{where}: 'tool_calls' must be a list")
        msg["tool_calls"] = []
        for call in calls:
            fn = call.get("function") if isinstance(call, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                raise RequestError(f"{where}: each tool call needs a function with a name")
            args = fn.get("arguments") or {}
            if isinstance(args, str):  # OpenAI sends a JSON string; chat templates want a dict
                try:
                    args = json.loads(args) if args.strip() else {}
                except json.JSONDecodeError:
                    pass
            msg["tool_calls"].append(
                {"type": "function", "function": {"name": fn["name"], "arguments": args}}
            )
    for key in ("name", "tool_call_id"):
        if isinstance(raw.get(key), str):
            msg[key] = raw[key]
    return msg


def _response_format(value: Any) -> tuple[bool, dict[str, Any] | None]:
    """(json wanted, schema or None) from a ``response_format`` field."""
    if value is None:
        return False, None
    if not isinstance(value, dict):
        raise RequestError("'response_format' must be an object")
    kind = value.get("type")
    if kind == "text":
        return False, None
    if kind == "json_object":  # llama.cpp's server also takes a "schema" here
        schema = value.get("schema")
        if schema is not None and not isinstance(schema, dict):
            raise RequestError("'response_format.schema' must be an object")
        return True, schema
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict):
            raise RequestError("'response_format.json_schema' must be an object")
        schema = spec.get("schema")
        if schema is not None and not isinstance(schema, dict):
            raise RequestError("'response_format.json_schema.schema' must be an object")
        return True, schema
    raise RequestError("'response_format.type' must be text, json_object or json_schema")


def parse_chat_request(body: Any) -> ChatRequest:
    """Validate a decoded request body; raises RequestError (HTTP 400) with a readable message."""
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("'messages' must be a non-empty list")
    req = ChatRequest(messages=[_message(m, i) for i, m in enumerate(messages)])

    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RequestError(f"'{key}' must be a positive integer")
        req.max_tokens = value
        break
    temperature = _number(body, "temperature", 0.0, 2.0)
    req.temperature = 1.0 if temperature is None else temperature
    top_p = _number(body, "top_p", 0.0, 1.0)
    req.top_p = 1.0 if top_p is None else top_p

    stop = body.get("stop")
    if isinstance(stop, str):
        req.stop = [stop] if stop else []
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        req.stop = [s for s in stop if s]
    elif stop is not None:
        raise RequestError("'stop' must be a string or a list of strings")

    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise RequestError("'stream' must be true or false")
    req.stream = bool(stream)
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise RequestError("'stream_options' must be an object")
        req.include_usage = bool(options.get("include_usage"))

    req.json_mode, req.schema = _response_format(body.get("response_format"))

    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
            raise RequestError("'tools' must be a list of objects")
        req.tools = tools or None

    n = body.get("n")
    if n is not None and n != 1:
        raise RequestError("only n=1 is supported")
    seed = body.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise RequestError("'seed' must be an integer")
        req.seed = seed
    return req


def with_json_instruction(
    messages: list[dict[str, Any]], schema: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The messages with a "reply in JSON" instruction added to the (first) system message: without
    grammar-constrained decoding, the prompt is all that steers the model towards JSON."""
    text = (
        JSON_SCHEMA_INSTRUCTION.format(schema=json.dumps(schema, ensure_ascii=False))
        if schema
        else JSON_INSTRUCTION
    )
    msgs = [dict(m) for m in messages]
    if msgs and msgs[0]["role"] == "system":
        msgs[0]["content"] = f"{msgs[0]['content']}\n\n{text}".strip()
    else:
        msgs.insert(0, {"role": "system", "content": text})
    return msgs


# --- JSON extraction (pure) --------------------------------------------------------------------

_FENCE_RE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first valid JSON object in a model's output, or None.

    Tried in order: the whole text, the inside of code fences, the text cut to its outermost braces
    (first ``{`` to last ``}``), then the first object that parses from any ``{`` onwards.
    """
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE_RE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    pos = text.find("{")
    while pos != -1:
        try:
            value, _ = decoder.raw_decode(text, pos)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
        pos = text.find("{", pos + 1)
    return None


def json_reply(text: str) -> str:
    """The reply for a JSON request: the extracted object, re-serialised, or the text unchanged
    when it holds none (the client's validation then reports it)."""
    value = extract_json_object(text)
    return text if value is None else json.dumps(value, ensure_ascii=False)


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """``text`` cut before the earliest stop string, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stops) if i != -1), default=-1)
    return (text, False) if cut == -1 else (text[:cut], True)
