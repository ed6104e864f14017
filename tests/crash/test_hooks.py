"""The two test hooks the crash suites stand on: kill points (inert without their variable, exact
with it) and the test planner (deterministic tool calls, then a cited finish)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from vidseek.testing.planner import TestPlanner

_PASS_THREE = (
    "from vidseek import killpoints\n"
    "for _ in range(3):\n"
    "    killpoints.reached('write.advance')\n"
    "print('alive')\n"
)


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_TEST_KILL")}
    return subprocess.run(
        [sys.executable, "-c", _PASS_THREE], env={**clean, **env}, capture_output=True, text=True
    )


def test_a_kill_point_kills_at_the_nth_pass_and_is_inert_otherwise(tmp_path):
    assert _run({}).stdout.strip() == "alive"
    assert _run({"VIDSEEK_TEST_KILL_AT": "write.advance:4"}).stdout.strip() == "alive"
    assert _run({"VIDSEEK_TEST_KILL_AT": "speech.advance:1"}).stdout.strip() == "alive"
    log = tmp_path / "points.log"
    killed = _run({"VIDSEEK_TEST_KILL_AT": "write.advance:2", "VIDSEEK_TEST_KILL_LOG": str(log)})
    assert killed.returncode == -signal.SIGKILL and "alive" not in killed.stdout
    assert log.read_text().split() == ["write.advance", "write.advance"]


def _specs(*names: str) -> list[dict]:
    return [{"type": "function", "function": {"name": n, "parameters": {}}} for n in names]


def test_the_test_planner_searches_in_turn_then_finishes_with_the_first_cited_line(tmp_path):
    log = tmp_path / "asked.jsonl"
    planner = TestPlanner(["search_speech", "search_segments"], str(log))
    tools = _specs("search_speech", "search_segments", "finish")
    msgs: list[dict] = [{"role": "system", "content": "x"}, {"role": "user", "content": "code?"}]
    first = planner.complete(msgs, tools)
    assert [(c.name, c.arguments) for c in first.tool_calls] == [
        ("search_speech", {"query": "code?"})
    ]
    msgs.append({"role": "tool", "content": '1. [0.15 s - 3.10 s] speech: "code 427"'})
    assert planner.complete(msgs, tools).tool_calls[0].name == "search_segments"
    msgs.append({"role": "tool", "content": "no matches"})
    done = planner.complete(msgs, tools).tool_calls[0]
    assert done.name == "finish" and "code 427" in done.arguments["answer"]
    assert done.arguments["evidence"][0]["start_s"] == 0.15
    assert len(log.read_text().splitlines()) == 3
    schema = {"type": "object", "required": ["selected"], "properties": {
        "selected": {"type": "array", "items": {"type": "integer"}}}}  # fmt: skip
    assert planner.complete(msgs, None, response_schema=schema).content == '{"selected": [1]}'
