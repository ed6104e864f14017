"""The ChatModel adapter over the ``openai`` client, for any OpenAI-compatible server.

One code path serves OpenAI, vLLM, llama.cpp's server and Ollama; the differences live in a
``ServerQuirks`` profile (vidseek.models.quirks). The adapter retries transient failures with
exponential backoff, counts tokens (and cost, from a price table), streams tokens to a callback, and
turns tool calls written as text, or forced through constrained JSON output, into ``ToolCall``s.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from vidseek.errors import ConfigError, ModelCallError
from vidseek.models.chat_base import (
    ChatCapabilities,
    ChatModel,
    ChatResponse,
    Message,
    Usage,
    check_model_requests,
)
from vidseek.models.chat_wire import (
    _brief,
    _native_call,
    _price_for,
    _text_of,
    flatten_tool_messages,
    load_prices,
    without_string_bounds,
)
from vidseek.models.quirks import ServerQuirks, detect_quirks, get_quirks
from vidseek.models.tool_text import (
    call_from_schema_output,
    describe_tools,
    parse_text_tool_calls,
    select_tools,
    tool_call_schema,
)

if TYPE_CHECKING:
    from vidseek.config import Settings
    from vidseek.models.refs import ModelRef

log = logging.getLogger(__name__)

TokenCallback = Callable[[str], None]


SCHEMA_TOOL_INSTRUCTION = (
    "You can use these tools:\n{tools}\n\n"
    'Reply with one JSON object only: {{"thought": "<one short sentence>", "tool": "<tool name>", '
    '"arguments": {{...}}}}.'
)


class OpenAIChatModel:
    """A ChatModel for one model on one OpenAI-compatible server."""

    def __init__(
        self,
        base_url: str | None,
        model: str,
        settings: Settings | None = None,
        quirks: ServerQuirks | str | None = None,
        *,
        ref: str | None = None,
        api_key: str | None = None,
        timeout_s: float | None = None,
        max_retries: int | None = None,
        backoff_s: float = 0.5,
        prices: dict[str, tuple[float, float]] | None = None,
        schema_thought: bool = True,
        capabilities: ChatCapabilities | None = None,
    ) -> None:
        import openai

        if isinstance(quirks, str):
            quirks = get_quirks(quirks)
        self.base_url = base_url
        self.model = model
        self.quirks = quirks or detect_quirks(base_url, model)
        self.ref = ref or (
            f"openai-compatible:{base_url}#{model}" if base_url else f"openai:{model}"
        )
        ms = settings.models if settings is not None else None
        self.timeout_s = (
            timeout_s if timeout_s is not None else (ms.request_timeout_s if ms else 120.0)
        )
        self.max_retries = max_retries if max_retries is not None else (ms.max_retries if ms else 3)
        self.backoff_s = backoff_s
        self.prices = prices if prices is not None else load_prices(settings)
        self.schema_thought = schema_thought
        key = api_key or (ms.api_key if ms else None)
        if key is None and base_url is not None:
            key = "sk-no-key"  # local servers ignore it, but the client insists on one
        try:
            self._client = openai.OpenAI(
                base_url=base_url, api_key=key, timeout=self.timeout_s, max_retries=0
            )
        except openai.OpenAIError as exc:
            raise ConfigError(
                f"planner '{self.ref}': {exc} (set VIDSEEK_MODELS__API_KEY or OPENAI_API_KEY)"
            ) from exc
        declared = capabilities or ChatCapabilities(streams=True)
        # the server profile can only take away what the backend declares
        self.capabilities = replace(
            declared,
            tool_calls=declared.tool_calls and self.quirks.tool_mode == "native",
            json_schema=declared.json_schema and self.quirks.response_format != "none",
        )
        self.total_usage = Usage()
        self.calls = 0

    # --- public ----------------------------------------------------------------------------------

    def complete(
        self,
        messages: Sequence[Message],
        tools: Sequence[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        response_schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        on_token: TokenCallback | None = None,
    ) -> ChatResponse:
        """One chat turn (see ChatModel). ``on_token`` streams content as it arrives."""
        check_model_requests(self.ref)
        tools = select_tools(tools or [], tool_choice)
        mode = self.quirks.tool_mode if tools else None
        if mode == "native":
            try:
                return self._turn(
                    messages, tools, tool_choice, response_schema, max_tokens, temperature, on_token
                )
            except _ToolsRejected as exc:
                log.warning(
                    "%s rejected native tools (%s); using constrained output", self.ref, exc
                )
                self.quirks = replace(self.quirks, tool_mode="schema")
                self.capabilities = replace(self.capabilities, tool_calls=False)
                mode = "schema"
        if mode in ("schema", "text"):
            return self._schema_turn(messages, tools, max_tokens, temperature, on_token, mode)
        return self._turn(messages, None, None, response_schema, max_tokens, temperature, on_token)

    # --- tool emulation ----------------------------------------------------------------------------

    def _schema_turn(
        self,
        messages: Sequence[Message],
        tools: list[dict[str, Any]],
        max_tokens: int | None,
        temperature: float,
        on_token: TokenCallback | None,
        mode: str,
    ) -> ChatResponse:
        """No native tools: describe them in the system prompt and force (or ask for) one call as
        JSON; the reply becomes a ToolCall so callers never see the difference."""
        instruction = SCHEMA_TOOL_INSTRUCTION.format(tools=describe_tools(tools))
        msgs = [{"role": "system", "content": instruction}, *flatten_tool_messages(messages)]
        schema = (
            tool_call_schema(tools, with_thought=self.schema_thought) if mode == "schema" else None
        )
        resp = self._turn(msgs, None, None, schema, max_tokens, temperature, on_token)
        call = call_from_schema_output(resp.content)
        if call is None:
            calls, rest = parse_text_tool_calls(resp.content)
            resp.tool_calls = calls
            return resp
        thought = ""
        try:
            value = json.loads(resp.content)
            if isinstance(value, dict):
                thought = str(value.get("thought", ""))
        except json.JSONDecodeError:
            pass
        resp.tool_calls = [call]
        resp.content = thought
        return resp

    # --- one request ---------------------------------------------------------------------------

    def _turn(
        self,
        messages: Sequence[Message],
        tools: list[dict[str, Any]] | None,
        tool_choice: str | dict[str, Any] | None,
        response_schema: dict[str, Any] | None,
        max_tokens: int | None,
        temperature: float,
        on_token: TokenCallback | None,
    ) -> ChatResponse:
        kwargs: dict[str, Any] = {"model": self.model, "messages": self.prepare_messages(messages)}
        if self.quirks.supports_temperature:
            kwargs["temperature"] = temperature
        if max_tokens:
            kwargs[self.quirks.max_tokens_param] = max_tokens
        if tools:
            kwargs["tools"] = tools
            if tool_choice is not None:
                kwargs["tool_choice"] = tool_choice
            if self.quirks.parallel_tool_calls and self.quirks.name in ("openai", "vllm"):
                kwargs["parallel_tool_calls"] = True
        if response_schema is not None:
            rf = self._response_format(response_schema)
            if rf is not None:
                kwargs["response_format"] = rf
        resp = self._with_retries(kwargs, stream=on_token is not None, on_token=on_token)
        if tools and not resp.tool_calls:
            calls, rest = parse_text_tool_calls(resp.content)
            if calls:
                resp.tool_calls, resp.content = calls, rest
        self.calls += 1
        self.total_usage.add(resp.usage)
        return resp

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        style = self.quirks.response_format
        if not self.quirks.schema_string_bounds:
            schema = without_string_bounds(schema)
        if style == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": "response", "schema": schema, "strict": False},
            }
        if style == "json_object_schema":
            return {"type": "json_object", "schema": schema}
        return None

    def prepare_messages(self, messages: Sequence[Message]) -> list[Message]:
        """Apply the profile to a message list (one system message where required)."""
        msgs = [dict(m) for m in messages]
        if not self.quirks.single_system:
            return msgs
        systems = [m for m in msgs if m.get("role") == "system"]
        if len(systems) <= 1 and (not systems or msgs[0] is systems[0]):
            return msgs
        merged = "\n\n".join(_text_of(m.get("content")) for m in systems)
        return [{"role": "system", "content": merged}] + [
            m for m in msgs if m.get("role") != "system"
        ]

    def _with_retries(
        self, kwargs: dict[str, Any], stream: bool, on_token: TokenCallback | None
    ) -> ChatResponse:
        import openai

        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                delay = self.backoff_s * 2 ** (attempt - 1)
                log.info("%s: retry %d in %.1f s after %s", self.ref, attempt, delay, _brief(last))
                time.sleep(delay)
            try:
                if stream:
                    return self._stream_once(kwargs, on_token)
                return self._once(kwargs)
            except (
                openai.APIConnectionError,  # includes timeouts
                openai.InternalServerError,
                openai.RateLimitError,
            ) as exc:
                last = exc
            except openai.APIStatusError as exc:
                if kwargs.get("tools") and exc.status_code in (400, 404, 422, 501):
                    body = str(exc).lower()
                    if "tool" in body or "function" in body:
                        raise _ToolsRejected(_brief(exc)) from exc
                raise ModelCallError(
                    f"planner '{self.ref}': request refused: {_brief(exc)}"
                ) from exc
            except openai.APIError as exc:
                raise ModelCallError(f"planner '{self.ref}': bad response: {_brief(exc)}") from exc
        raise ModelCallError(
            f"planner '{self.ref}': {_brief(last)} (after {self.max_retries + 1} attempts)"
        ) from last

    def _once(self, kwargs: dict[str, Any]) -> ChatResponse:
        completion = self._client.chat.completions.create(**kwargs)
        if not getattr(completion, "choices", None):
            raise ModelCallError(f"planner '{self.ref}': the server returned no choices")
        choice = completion.choices[0]
        msg = choice.message
        calls = [
            _native_call(tc.id, tc.function.name, tc.function.arguments)
            for tc in (msg.tool_calls or [])
            if getattr(tc, "function", None) is not None
        ]
        usage = self._usage(
            getattr(completion.usage, "prompt_tokens", None),
            getattr(completion.usage, "completion_tokens", None),
            kwargs,
            msg.content or "",
        )
        return ChatResponse(
            content=msg.content or "",
            tool_calls=calls,
            usage=usage,
            model=completion.model or self.model,
            finish_reason=choice.finish_reason or "",
        )

    def _stream_once(self, kwargs: dict[str, Any], on_token: TokenCallback | None) -> ChatResponse:
        extra: dict[str, Any] = {"stream": True}
        if self.quirks.stream_usage:
            extra["stream_options"] = {"include_usage": True}
        content: list[str] = []
        partial: dict[int, dict[str, str]] = {}
        finish = ""
        model = self.model
        prompt_t = completion_t = None
        for chunk in self._client.chat.completions.create(**kwargs, **extra):
            model = getattr(chunk, "model", None) or model
            if getattr(chunk, "usage", None):
                prompt_t = chunk.usage.prompt_tokens
                completion_t = chunk.usage.completion_tokens
            for choice in chunk.choices or []:
                delta = choice.delta
                if delta is not None and delta.content:
                    content.append(delta.content)
                    if on_token is not None:
                        on_token(delta.content)
                for tc in (delta.tool_calls if delta is not None else None) or []:
                    slot = partial.setdefault(tc.index or 0, {"id": "", "name": "", "args": ""})
                    slot["id"] = tc.id or slot["id"]
                    if tc.function is not None:
                        slot["name"] += tc.function.name or ""
                        slot["args"] += tc.function.arguments or ""
                if choice.finish_reason:
                    finish = choice.finish_reason
        text = "".join(content)
        calls = [_native_call(s["id"], s["name"], s["args"]) for _, s in sorted(partial.items())]
        return ChatResponse(
            content=text,
            tool_calls=calls,
            usage=self._usage(prompt_t, completion_t, kwargs, text),
            model=model,
            finish_reason=finish,
        )

    def _usage(
        self, prompt: int | None, completion: int | None, kwargs: dict[str, Any], text: str
    ) -> Usage:
        """Server-reported tokens, or a 4-characters-per-token estimate when it reports none."""
        if prompt is None:
            prompt = len(json.dumps(kwargs.get("messages", []))) // 4
        if completion is None:
            completion = max(1, len(text) // 4) if text else 0
        usage = Usage(prompt_tokens=int(prompt), completion_tokens=int(completion))
        price = _price_for(self.model, self.prices)
        if price is not None:
            usage.cost_usd = (
                usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]
            ) / 1e6
        return usage

    def __repr__(self) -> str:
        return f"OpenAIChatModel({self.ref!r}, quirks={self.quirks.name})"


class _ToolsRejected(Exception):
    """The server refused the ``tools`` field: switch to constrained output."""


# --- references ------------------------------------------------------------------------------------

LOCAL_TIMEOUT_S = 600.0


def chat_model_from_ref(ref: ModelRef, settings: Settings) -> OpenAIChatModel:
    """The chat model of an HTTP backend's reference (``openai:MODEL``, ``KIND:URL#MODEL``), with
    the server profile and the capabilities its backend declares. ``?profile=NAME`` picks another
    server profile; ``?vision=1`` declares a model that sees images."""
    from vidseek.models.backends import chat_capabilities, find_backend

    backend = find_backend(ref.backend)
    if backend is None:
        raise ConfigError(f"chat model reference '{ref}': unknown backend '{ref.backend}'")
    caps = chat_capabilities(backend, ref.options)
    quirks = detect_quirks(
        ref.base_url, ref.name, explicit=ref.options.get("profile") or backend.quirks
    )
    return OpenAIChatModel(
        ref.base_url, ref.name, settings, quirks, ref=str(ref), capabilities=caps
    )


def load_chat_model(ref: str, settings: Settings) -> ChatModel:
    """A ChatModel from a reference string, through the backend it names: ``openai:MODEL``,
    ``openai-compatible:URL#MODEL``, ``vllm:`` / ``llamacpp:`` / ``llama-server:`` /
    ``ollama:URL#MODEL`` (server profile named), ``local:NAME`` (vidseek starts, or reuses, its own
    server for an offline model), or a plug-in's backend."""
    from vidseek.models.loader import load_planner

    return load_planner(ref, settings)
