"""Wire helpers of the chat adapter: tool-call arguments, message text, tool turns flattened
for servers without a ``tools`` field, schema bounds, and the price table that turns tokens into
cost."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidseek.errors import ConfigError
from vidseek.models.chat_base import (
    Message,
    ToolCall,
)
from vidseek.models.tool_text import new_call_id

if TYPE_CHECKING:
    from vidseek.config import Settings

# USD per million tokens (input, output). Extend or override with <data_dir>/prices.json:
# {"model-name": [input_per_million, output_per_million], ...}
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.4, 1.6),
    "gpt-4.1-nano": (0.1, 0.4),
    "gpt-4o": (2.5, 10.0),
    "gpt-4o-mini": (0.15, 0.6),
    "o3": (2.0, 8.0),
    "o4-mini": (1.1, 4.4),
}


def load_prices(settings: Settings | None) -> dict[str, tuple[float, float]]:
    """The built-in price table merged with ``<data_dir>/prices.json`` when that file exists."""
    prices = dict(DEFAULT_PRICES)
    if settings is None:
        return prices
    path = Path(settings.data_dir) / "prices.json"
    if path.is_file():
        try:
            extra = json.loads(path.read_text())
            prices.update({str(k): (float(v[0]), float(v[1])) for k, v in extra.items()})
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise ConfigError(f"{path}: not a price table {{model: [in, out]}}: {exc}") from exc
    return prices


def _price_for(model: str, prices: dict[str, tuple[float, float]]) -> tuple[float, float] | None:
    if model in prices:
        return prices[model]
    # dated snapshots ("gpt-4.1-mini-2025-04-14") cost what their family costs
    best = max((k for k in prices if model.startswith(k + "-")), key=len, default=None)
    return prices[best] if best else None


def _native_call(call_id: str | None, name: str, raw: str | None) -> ToolCall:
    raw = raw or ""
    try:
        args = json.loads(raw) if raw.strip() else {}
        error = None if isinstance(args, dict) else "arguments must be a JSON object"
        if not isinstance(args, dict):
            args = {}
    except json.JSONDecodeError as exc:
        args, error = {}, f"arguments are not valid JSON: {exc.msg}"
    return ToolCall(
        id=call_id or new_call_id(), name=name, arguments=args, raw_arguments=raw, parse_error=error
    )


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _brief(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    status = getattr(exc, "status_code", None)
    text = " ".join(str(exc).split())[:200]
    name = type(exc).__name__
    return f"{name} {status}: {text}" if status else f"{name}: {text}"


def flatten_tool_messages(messages: Sequence[Message]) -> list[Message]:
    """Rewrite tool-call turns as plain text, for servers that get no ``tools`` field: an assistant
    call becomes the JSON it would have written, a tool result becomes a user message."""
    out: list[Message] = []
    for m in messages:
        role = m.get("role")
        if role == "assistant" and m.get("tool_calls"):
            parts = []
            for tc in m["tool_calls"]:
                fn = tc.get("function", {})
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except json.JSONDecodeError:
                    args = fn.get("arguments")
                parts.append(json.dumps({"tool": fn.get("name"), "arguments": args}))
            text = _text_of(m.get("content"))
            out.append({"role": "assistant", "content": "\n".join([text, *parts]).strip()})
        elif role == "tool":
            name = m.get("name") or "tool"
            out.append(
                {"role": "user", "content": f"[result of {name}]\n{_text_of(m.get('content'))}"}
            )
        else:
            out.append(dict(m))
    return out


def without_string_bounds(schema: Any) -> Any:
    """A copy of a JSON schema without ``minLength``/``maxLength`` (see
    ``ServerQuirks.schema_string_bounds``); the tools still check lengths on their arguments."""
    if isinstance(schema, dict):
        return {
            k: without_string_bounds(v)
            for k, v in schema.items()
            if k not in ("minLength", "maxLength")
        }
    if isinstance(schema, list):
        return [without_string_bounds(v) for v in schema]
    return schema
