"""The OpenAI-compatible ChatModel adapter, over real HTTP against a fake server on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest
from fake_openai import FakeOpenAIServer

from vidseek.errors import ConfigError, ModelCallError
from vidseek.models.chat import OpenAIChatModel, load_chat_model
from vidseek.models.chat_base import ChatCapabilities
from vidseek.models.quirks import detect_quirks, get_quirks
from vidseek.models.tool_text import parse_text_tool_calls, tool_call_schema

pytestmark = pytest.mark.allow_model_requests  # the real client, against a fake server

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_speech",
            "description": "Search the transcript.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}, "top_k": {"type": "integer"}},
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "finish",
            "description": "Answer.",
            "parameters": {
                "type": "object",
                "properties": {"answer": {"type": "string"}},
                "required": ["answer"],
            },
        },
    },
]
MSGS = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server():
    srv = FakeOpenAIServer().start()
    yield srv
    srv.stop()


def model(server, quirks="vllm", **kw):
    kw.setdefault("backoff_s", 0.01)
    kw.setdefault("timeout_s", 5.0)
    return OpenAIChatModel(server.base_url, "fake-model", None, quirks, **kw)


def test_plain_completion_counts_tokens(server):
    server.reset({"content": "hello there", "usage": {"prompt_tokens": 20, "completion_tokens": 3}})
    m = model(server)
    resp = m.complete(MSGS, max_tokens=50)
    assert resp.content == "hello there"
    assert resp.tool_calls == []
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (20, 3)
    assert m.total_usage.total_tokens == 23
    sent = server.requests[0]
    assert sent["model"] == "fake-model" and sent["max_tokens"] == 50
    assert sent["messages"] == MSGS


def test_openai_profile_uses_max_completion_tokens_and_prices(server):
    server.reset({"content": "x", "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 0}})
    m = OpenAIChatModel(server.base_url, "gpt-4.1-mini-2025-04-14", None, "openai", backoff_s=0.01)
    resp = m.complete(MSGS, max_tokens=9)
    sent = server.requests[0]
    assert sent["max_completion_tokens"] == 9 and "max_tokens" not in sent
    assert resp.usage.cost_usd == pytest.approx(0.4)


def test_streaming_calls_back_per_token(server):
    server.reset(
        {"content": "streamed answer text", "usage": {"prompt_tokens": 5, "completion_tokens": 4}}
    )
    got: list[str] = []
    resp = model(server).complete(MSGS, on_token=got.append)
    assert resp.content == "streamed answer text"
    assert len(got) > 3 and "".join(got) == resp.content
    assert server.requests[0]["stream"] is True
    assert resp.usage.total_tokens == 9  # vllm profile asks for usage in the stream


def test_native_tool_calls_parallel(server):
    server.reset(
        {
            "tool_calls": [
                {"name": "search_speech", "arguments": {"query": "code"}},
                {"name": "search_speech", "arguments": {"query": "gate"}},
            ]
        }
    )
    resp = model(server).complete(MSGS, tools=TOOLS)
    assert [c.name for c in resp.tool_calls] == ["search_speech", "search_speech"]
    assert [c.arguments["query"] for c in resp.tool_calls] == ["code", "gate"]
    assert server.requests[0]["tools"] == TOOLS


def test_streamed_tool_calls_are_reassembled(server):
    server.reset(
        {"content": "", "tool_calls": [{"name": "finish", "arguments": {"answer": "42 cats"}}]}
    )
    resp = model(server).complete(MSGS, tools=TOOLS, on_token=lambda t: None)
    assert len(resp.tool_calls) == 1
    assert resp.tool_calls[0].name == "finish"
    assert resp.tool_calls[0].arguments == {"answer": "42 cats"}


def test_broken_native_arguments_are_reported_not_raised(server):
    server.reset({"tool_calls": [{"name": "search_speech", "arguments": '{"query": "co'}]})
    resp = model(server).complete(MSGS, tools=TOOLS)
    call = resp.tool_calls[0]
    assert call.parse_error and "not valid JSON" in call.parse_error
    assert call.raw_arguments == '{"query": "co'


@pytest.mark.parametrize(
    "content",
    [
        'Let me search.\n<tool_call>\n{"name": "search_speech", "arguments": {"query": "code"}}\n</tool_call>',
        'I will search.\n```json\n{"name": "search_speech", "arguments": {"query": "code"}}\n```',
        'Searching now {"name": "search_speech", "arguments": {"query": "code"}} ok',
        '{"tool": "search_speech", "arguments": "{\\"query\\": \\"code\\"}"}',
    ],
)
def test_tool_calls_written_in_text(server, content):
    server.reset({"content": content})
    resp = model(server, "generic").complete(MSGS, tools=TOOLS)
    assert len(resp.tool_calls) == 1
    assert resp.tool_calls[0].name == "search_speech"
    assert resp.tool_calls[0].arguments == {"query": "code"}
    assert "search_speech" not in resp.content


def test_text_without_calls_stays_text():
    calls, rest = parse_text_tool_calls('The answer is {"a": 1} and that is all.')
    assert calls == [] and rest.startswith("The answer is")


def test_single_system_profile_merges_system_messages(server):
    server.reset({"content": "ok"})
    msgs = [
        {"role": "system", "content": "A"},
        {"role": "user", "content": "q"},
        {"role": "system", "content": "B"},
    ]
    model(server, "generic").complete(msgs)
    sent = server.requests[0]["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    assert sent[0]["content"] == "A\n\nB"
    server.reset({"content": "ok"})
    model(server, "vllm").complete(msgs)
    assert [m["role"] for m in server.requests[0]["messages"]] == ["system", "user", "system"]


def test_server_without_tools_gets_constrained_output(server):
    server.reset(
        {
            "content": '{"thought": "look in speech", "tool": "search_speech", "arguments": {"query": "door code"}}'
        }
    )
    history = MSGS + [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "search_speech", "arguments": '{"query": "x"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "search_speech", "content": "nothing"},
    ]
    resp = model(server, "llamacpp").complete(history, tools=TOOLS)
    sent = server.requests[0]
    assert "tools" not in sent
    rf = sent["response_format"]
    assert rf["type"] == "json_object"
    names = sorted(v["properties"]["tool"]["enum"][0] for v in rf["schema"]["oneOf"])
    assert names == ["finish", "search_speech"]
    roles = [m["role"] for m in sent["messages"]]
    assert roles.count("system") == 1 and "tool" not in roles
    assert "search_speech" in sent["messages"][0]["content"]  # tools described in the prompt
    assert resp.tool_calls[0].name == "search_speech"
    assert resp.tool_calls[0].arguments == {"query": "door code"}
    assert resp.content == "look in speech"


def test_forced_tool_choice_narrows_the_schema(server):
    server.reset({"content": '{"thought": "done", "tool": "finish", "arguments": {"answer": "B"}}'})
    resp = model(server, "llamacpp").complete(
        MSGS, tools=TOOLS, tool_choice={"type": "function", "function": {"name": "finish"}}
    )
    schema = server.requests[0]["response_format"]["schema"]
    assert schema["properties"]["tool"]["enum"] == ["finish"]
    assert resp.tool_calls[0].arguments == {"answer": "B"}


def test_server_rejecting_tools_falls_back_to_schema(server):
    server.reset(
        {"status": 400, "message": '"auto" tool choice requires --enable-auto-tool-choice'},
        {"content": '{"thought": "t", "tool": "finish", "arguments": {"answer": "yes"}}'},
    )
    m = model(server, "vllm")
    resp = m.complete(MSGS, tools=TOOLS)
    assert resp.tool_calls[0].name == "finish"
    assert "tools" in server.requests[0] and "tools" not in server.requests[1]
    assert m.quirks.tool_mode == "schema"


def test_response_schema_json_schema_style(server):
    server.reset({"content": '{"answer": "B"}'})
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    model(server, "vllm").complete(MSGS, response_schema=schema)
    rf = server.requests[0]["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["schema"] == schema


def test_500s_then_success_retries(server):
    server.reset({"status": 500}, {"status": 503}, {"content": "finally"})
    resp = model(server, max_retries=3).complete(MSGS)
    assert resp.content == "finally"
    assert len(server.requests) == 3


def test_persistent_500_raises_model_call_error(server):
    server.reset(*[{"status": 500}] * 5)
    with pytest.raises(ModelCallError) as exc:
        model(server, max_retries=2).complete(MSGS)
    assert "after 3 attempts" in str(exc.value) and "fake-model" in str(exc.value)
    assert "\n" not in str(exc.value)
    assert len(server.requests) == 3


def test_timeout_retries_then_fails_fast(server):
    server.reset({"delay": 1.5, "content": "late"}, {"delay": 1.5, "content": "late"})
    t0 = time.monotonic()
    with pytest.raises(ModelCallError, match="Timeout"):
        model(server, max_retries=1, timeout_s=0.5).complete(MSGS)
    assert time.monotonic() - t0 < 4.0


def test_client_error_is_not_retried(server):
    server.reset({"status": 401, "message": "bad key"}, {"content": "never"})
    with pytest.raises(ModelCallError, match="refused"):
        model(server, max_retries=3).complete(MSGS)
    assert len(server.requests) == 1


def test_down_server_is_a_clear_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = OpenAIChatModel(
        f"http://127.0.0.1:{port}/v1", "m", None, "generic", max_retries=1, backoff_s=0.01
    )
    with pytest.raises(ModelCallError, match="Connection"):
        m.complete(MSGS)


def test_refs_and_profiles(settings, server):
    m = load_chat_model(f"openai-compatible:{server.base_url}#fake-model", settings)
    assert m.model == "fake-model" and m.quirks.name == "generic"
    assert load_chat_model(f"vllm:{server.base_url}#q", settings).quirks.name == "vllm"
    # the profile is declared (backend or ?profile=), never guessed from a port or a model name
    assert detect_quirks("http://127.0.0.1:11434/v1").name == "generic"
    assert detect_quirks("http://127.0.0.1:8080/v1", "model.gguf").name == "generic"
    assert detect_quirks("https://api.openai.com/v1").name == "openai"
    assert detect_quirks(None).name == "openai"
    m = load_chat_model(f"openai-compatible:{server.base_url}#q?profile=ollama", settings)
    assert m.model == "q" and m.quirks.name == "ollama"
    for bad in (
        "nonsense",
        "openai-compatible:localhost#x",
        "weird:thing",
        "tesseract:eng",  # a backend that serves no planner
        f"openai-compatible:{server.base_url}#q?profile=nope",
    ):
        with pytest.raises(ConfigError):
            load_chat_model(bad, settings)
    with pytest.raises(ConfigError):
        get_quirks("nope")


def test_capabilities_are_declared_by_the_backend_and_the_reference(settings, server):
    url = server.base_url
    assert load_chat_model(f"openai-compatible:{url}#q", settings).capabilities == (
        ChatCapabilities(tool_calls=True, json_schema=True, sees_images=False, streams=True)
    )
    # a vision-language model's name does not make it see: the reference says so
    assert not load_chat_model(f"vllm:{url}#Qwen2.5-VL-7B", settings).capabilities.sees_images
    assert load_chat_model(f"vllm:{url}#Qwen2.5-VL-7B?vision=1", settings).capabilities.sees_images
    # llama.cpp servers: tools are emulated with constrained JSON, so no native tool calls
    caps = load_chat_model(f"llama-server:{url}#q", settings).capabilities
    assert caps.json_schema and caps.streams and not caps.tool_calls and not caps.sees_images
    with pytest.raises(ConfigError, match="vision=1"):
        load_chat_model(f"vllm:{url}#q?vision=maybe", settings)
    # a server that rejects native tools loses the capability when the adapter falls back
    m = load_chat_model(f"vllm:{url}#q", settings)
    assert m.capabilities.tool_calls
    server.reset(
        {"status": 400, "message": '"auto" tool choice requires --enable-auto-tool-choice'},
        {"content": '{"tool": "finish", "arguments": {"answer": "x"}}'},
    )
    m.complete(MSGS, tools=TOOLS)
    assert not m.capabilities.tool_calls


def test_price_file_overrides(settings, server):
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "prices.json").write_text('{"fake-model": [1.0, 2.0]}')
    server.reset({"content": "x", "usage": {"prompt_tokens": 1000, "completion_tokens": 500}})
    m = OpenAIChatModel(server.base_url, "fake-model", settings, "vllm")
    assert m.complete(MSGS).usage.cost_usd == pytest.approx(0.002)


def test_tool_call_schema_inlines_refs():
    spec = {
        "type": "function",
        "function": {
            "name": "t",
            "parameters": {
                "type": "object",
                "properties": {"span": {"$ref": "#/$defs/Span"}},
                "$defs": {
                    "Span": {"type": "object", "properties": {"start_s": {"type": "number"}}}
                },
            },
        },
    }
    schema = tool_call_schema([spec])
    assert schema["properties"]["arguments"]["properties"]["span"]["properties"]["start_s"] == {
        "type": "number"
    }
    assert "$defs" not in str(schema)


def test_llamacpp_schemas_lose_string_bounds(server):
    """llama.cpp expands maxLength into nested grammar rules and dies on a tool-choice schema
    full of them: its profile drops string bounds; other servers get the schema unchanged."""
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string", "maxLength": 200},
            "queries": {"type": "array", "items": {"type": "string", "maxLength": 60}},
        },
    }
    server.reset({"content": '{"answer": "B"}'}, {"content": '{"answer": "B"}'})
    model(server, "llamacpp").complete(MSGS, response_schema=schema)
    sent = json.dumps(server.requests[0]["response_format"])
    assert "maxLength" not in sent and '"queries"' in sent
    model(server, "vllm").complete(MSGS, response_schema=schema)
    assert server.requests[1]["response_format"]["json_schema"]["schema"] == schema
