"""Tool calls written as text, and the JSON schema that forces one when a server has no tool support.

Small and older models (and servers without tool parsing) put their tool calls in the message text:
inside ``<tool_call>`` tags (Qwen, Hermes), in a fenced ```json block, or as a bare JSON object.
This module finds them, and builds the constrained-output schema that replaces native tools.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from vidseek.models.chat_base import ToolCall

_TAG_RE = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_FENCE_RE = re.compile(r"```(?:json|tool_call|tool)?\s*\n?(.*?)```", re.S)
_NAME_KEYS = ("name", "tool", "tool_name", "function_name")
_ARG_KEYS = ("arguments", "args", "parameters", "params", "input")


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:12]


def _as_call(obj: Any) -> ToolCall | None:
    """One JSON value -> a ToolCall, when it looks like one."""
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):  # OpenAI shape written as text
        return _as_call(obj["function"])
    name = next((obj[k] for k in _NAME_KEYS if isinstance(obj.get(k), str) and obj[k]), None)
    if name is None:
        return None
    raw = next((obj[k] for k in _ARG_KEYS if k in obj), {})
    parse_error = None
    if isinstance(raw, str):
        raw_text = raw
        try:
            args = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            args, parse_error = {}, f"arguments are not valid JSON: {exc.msg}"
    else:
        raw_text = json.dumps(raw)
        args = raw
    if not isinstance(args, dict):
        args, parse_error = {}, "arguments must be a JSON object"
    return ToolCall(
        id=str(obj.get("id") or new_call_id()),
        name=name.strip(),
        arguments=args,
        raw_arguments=raw_text,
        parse_error=parse_error,
    )


def _calls_from_value(value: Any) -> list[ToolCall]:
    if isinstance(value, list):
        return [c for v in value if (c := _as_call(v)) is not None]
    if isinstance(value, dict) and isinstance(value.get("tool_calls"), list):
        return _calls_from_value(value["tool_calls"])
    call = _as_call(value)
    return [call] if call else []


def _json_values(text: str) -> Iterable[tuple[int, int, Any]]:
    """Every top-level JSON object or array in ``text`` with its span."""
    decoder = json.JSONDecoder()
    i = 0
    while i < len(text):
        if text[i] in "{[":
            try:
                value, end = decoder.raw_decode(text, i)
            except json.JSONDecodeError:
                i += 1
                continue
            yield i, end, value
            i = end
        else:
            i += 1


def parse_text_tool_calls(text: str) -> tuple[list[ToolCall], str]:
    """Tool calls found in ``text`` and the text that is left once they are cut out.

    Looks in ``<tool_call>`` tags first, then fenced code blocks, then bare JSON objects.
    A block that is not valid JSON but is clearly meant as a call (inside tags) becomes a call with
    ``parse_error`` set, so the planner hears about its mistake instead of it vanishing.
    """
    if not text or ("{" not in text and "<tool_call>" not in text):
        return [], text
    calls: list[ToolCall] = []
    rest = text
    tagged = list(_TAG_RE.finditer(text))
    if tagged:
        for m in tagged:
            body = m.group(1).strip()
            found = []
            for _s, _e, value in _json_values(body):
                found.extend(_calls_from_value(value))
            if not found and body:
                name_m = re.search(r'"(?:name|tool)"\s*:\s*"([^"]+)"', body)
                found = [
                    ToolCall(
                        id=new_call_id(),
                        name=name_m.group(1) if name_m else "",
                        arguments={},
                        raw_arguments=body,
                        parse_error="the tool call is not valid JSON",
                    )
                ]
            calls.extend(found)
        rest = _TAG_RE.sub("", text)
        return calls, rest.strip()
    for m in _FENCE_RE.finditer(text):
        for _s, _e, value in _json_values(m.group(1)):
            calls.extend(_calls_from_value(value))
    if calls:
        return calls, _FENCE_RE.sub("", text).strip()
    spans = []
    for s, e, value in _json_values(text):
        found = _calls_from_value(value)
        if found:
            calls.extend(found)
            spans.append((s, e))
    for s, e in reversed(spans):
        rest = rest[:s] + rest[e:]
    return calls, rest.strip()


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a (pydantic) JSON schema with local ``$ref``s replaced by their definitions;
    grammar compilers of some servers do not follow references."""
    schema = copy.deepcopy(schema)
    defs = {**schema.pop("$defs", {}), **schema.pop("definitions", {})}

    def walk(node: Any, depth: int = 0) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and depth < 20:
                key = ref.rsplit("/", 1)[-1]
                if key in defs:
                    merged = {**defs[key], **{k: v for k, v in node.items() if k != "$ref"}}
                    return walk(merged, depth + 1)
            return {k: walk(v, depth) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [walk(v, depth) for v in node]
        return node

    return walk(schema)


def _tool_name(spec: dict[str, Any]) -> str:
    return spec.get("function", spec).get("name", "")


def select_tools(
    tools: Sequence[dict[str, Any]], tool_choice: str | dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The tools a ``tool_choice`` allows (a forced function narrows them to one)."""
    if tool_choice == "none":
        return []
    if isinstance(tool_choice, dict):
        wanted = tool_choice.get("function", {}).get("name")
        chosen = [t for t in tools if _tool_name(t) == wanted]
        return chosen or list(tools)
    return list(tools)


def tool_call_schema(tools: Sequence[dict[str, Any]], with_thought: bool = True) -> dict[str, Any]:
    """The JSON schema that forces exactly one call of one of ``tools``:
    ``{"thought": str, "tool": NAME, "arguments": {...NAME's parameters}}`` as a ``oneOf``."""
    variants = []
    for spec in tools:
        fn = spec.get("function", spec)
        params = inline_refs(fn.get("parameters") or {"type": "object", "properties": {}})
        params.setdefault("type", "object")
        params.setdefault("properties", {})
        props: dict[str, Any] = {}
        if with_thought:
            props["thought"] = {"type": "string"}
        props["tool"] = {"type": "string", "enum": [fn["name"]]}
        props["arguments"] = params
        variants.append(
            {
                "type": "object",
                "properties": props,
                "required": list(props),
                "additionalProperties": False,
            }
        )
    if len(variants) == 1:
        return variants[0]
    return {"oneOf": variants}


def describe_tools(tools: Sequence[dict[str, Any]]) -> str:
    """A compact listing of tools for the prompt, used when the server gets no ``tools`` field."""
    lines = []
    for spec in tools:
        fn = spec.get("function", spec)
        params = inline_refs(fn.get("parameters") or {})
        props = params.get("properties", {})
        required = set(params.get("required", []))
        args = []
        for pname, p in props.items():
            typ = p.get("type") or "/".join(
                str(x.get("type")) for x in p.get("anyOf", []) if isinstance(x, dict)
            )
            opt = "" if pname in required else "?"
            desc = f" - {p['description']}" if p.get("description") else ""
            args.append(f"    {pname}{opt} ({typ}){desc}")
        lines.append(f"- {fn['name']}: {fn.get('description', '').strip()}")
        lines.extend(args)
    return "\n".join(lines)


def call_from_schema_output(text: str) -> ToolCall | None:
    """The ToolCall in a constrained {"tool", "arguments"} reply (None when it is not JSON)."""
    for _s, _e, value in _json_values(text):
        calls = _calls_from_value(value)
        if calls:
            return calls[0]
    return None
