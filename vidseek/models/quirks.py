"""Server profiles: what an OpenAI-compatible server gets wrong, so the chat adapter can work around it.

Servers differ in small, painful ways: some write tool calls as JSON inside the text, some have no
tool support at all (then JSON-schema constrained output stands in for it), some accept only one
system message, and OpenAI's newer models want ``max_completion_tokens`` instead of ``max_tokens``.
A profile is declared by the model reference (its backend, e.g. ``vllm:``, or ``?profile=NAME``),
never guessed from a port, a host or a model name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlparse

from vidseek.errors import ConfigError

ToolMode = Literal["native", "schema", "text"]
ResponseFormatStyle = Literal["json_schema", "json_object_schema", "none"]


@dataclass(frozen=True)
class ServerQuirks:
    """How to talk to one kind of server.

    ``tool_mode``: ``native`` sends ``tools`` and reads ``tool_calls`` (falling back to JSON in the
    text); ``schema`` sends no tools but forces a {"tool", "arguments"} JSON object through
    constrained decoding; ``text`` describes the tools in the prompt and parses whatever JSON comes
    back. ``response_format``: how a JSON schema is sent (OpenAI's ``json_schema`` wrapper, or
    llama.cpp's ``{"type": "json_object", "schema": ...}``), or not at all.
    """

    name: str
    tool_mode: ToolMode = "native"
    response_format: ResponseFormatStyle = "json_schema"
    single_system: bool = False
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    parallel_tool_calls: bool = True
    stream_usage: bool = True  # accepts stream_options={"include_usage": true}
    supports_temperature: bool = True
    # llama.cpp turns a string's maxLength N into N nested grammar rules; a tool-choice schema
    # with a dozen bounded strings exceeds its limits and the server process dies
    schema_string_bounds: bool = True


PROFILES: dict[str, ServerQuirks] = {
    "openai": ServerQuirks(name="openai", max_tokens_param="max_completion_tokens"),
    "vllm": ServerQuirks(name="vllm"),
    # llama-cpp-python's server: grammar-constrained JSON via response_format.schema is reliable,
    # while its tool-call parsing depends on the chat format; small models do best constrained.
    "llamacpp": ServerQuirks(
        name="llamacpp",
        tool_mode="schema",
        response_format="json_object_schema",
        single_system=True,
        parallel_tool_calls=False,
        stream_usage=False,
        schema_string_bounds=False,
    ),
    # llama.cpp's own C++ server (llama-server, also what the xllamacpp wheel runs): OpenAI's
    # json_schema wrapper is enforced while decoding (llguidance), usage comes in the last chunk
    "llama-server": ServerQuirks(
        name="llama-server",
        tool_mode="schema",
        single_system=True,
        parallel_tool_calls=False,
    ),
    "ollama": ServerQuirks(name="ollama", single_system=True, stream_usage=False),
    "generic": ServerQuirks(name="generic", single_system=True, stream_usage=False),
}


def get_quirks(name: str, **overrides: object) -> ServerQuirks:
    """A named profile, optionally with some fields changed."""
    try:
        base = PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ConfigError(f"unknown server profile '{name}' (known: {known})") from None
    return replace(base, **overrides) if overrides else base  # type: ignore[arg-type]


def detect_quirks(
    base_url: str | None, model: str = "", explicit: str | None = None
) -> ServerQuirks:
    """The profile for a server: the one declared (by the reference's backend or its
    ``?profile=`` option), else ``openai`` for OpenAI's own API, else ``generic``. Never guessed
    from a port number, a host name or a model name: a server kind is declared or unknown.

    ``base_url`` None means api.openai.com.
    """
    if explicit:
        return get_quirks(explicit)
    if not base_url:
        return PROFILES["openai"]
    host = (urlparse(base_url).hostname or "").lower()
    if host == "api.openai.com":
        return PROFILES["openai"]
    return PROFILES["generic"]
