"""Crash safety of a chat thread: ``vidseek chat`` SIGKILLed between two tool calls keeps the
LangGraph checkpoint; reopening the thread finishes the cut-off question without making the
finished tool call again, then takes a follow-up in the same thread."""

from __future__ import annotations

import json
import signal

import pytest

from tests.crash.conftest import QUESTIONS, agent_env, answer_of, copy_data

pytestmark = pytest.mark.slow


def _saved(data_dir, thread_id: str) -> dict:
    from vidseek.agent.sessions import open_checkpointer
    from vidseek.config import Settings

    saver = open_checkpointer(Settings(data_dir=data_dir))
    try:
        saved = saver.get_tuple({"configurable": {"thread_id": thread_id}})
        return dict(saved.checkpoint["channel_values"]) if saved else {}
    finally:
        saver.conn.close()


def test_a_chat_killed_between_tool_calls_resumes_its_thread(baseline, forks, alone, tmp_path):
    data = copy_data(baseline, tmp_path / "data")
    thread = f"{baseline.video_id[:16]}-0000c0de"
    args = ("--data-dir", str(data), "chat", str(baseline.video), "--thread", thread)
    first = tmp_path / "first.txt"
    first.write_text(f"{QUESTIONS['q1']}\n/quit\n")
    log1 = tmp_path / "asked-1.jsonl"
    env = agent_env(log1) | {"VIDSEEK_TEST_KILL_AT": "agent.tool_start:2"}
    res = forks.run(*args, env=env, stdin=first)
    assert res.rc == -signal.SIGKILL, res

    cut = _saved(data, thread)  # the checkpoint holds the first search, the second one pending
    assert cut["question"] == QUESTIONS["q1"] and not cut.get("history")
    assert [r["name"] for r in cut["results"]] == ["search_speech"]
    assert [c["name"] for c in cut["pending"]] == ["search_segments"]

    follow = tmp_path / "follow.txt"
    follow.write_text(f"{QUESTIONS['q2']}\n/quit\n")
    log2 = tmp_path / "asked-2.jsonl"
    res = forks.run(*args, env=agent_env(log2), stdin=follow)
    assert res.rc == 0, res
    assert "resuming the interrupted question" in res.stdout, res.stdout
    asked = [json.loads(line) for line in log2.read_text().splitlines()]
    # the cut-off question: only the step after both searches was asked again
    assert [a["results"] for a in asked if a["question"] == QUESTIONS["q1"]] == [2]

    done = _saved(data, thread)
    turns = done["history"]
    assert [t["question"] for t in turns] == [QUESTIONS["q1"], QUESTIONS["q2"]]
    assert answer_of(turns[0]) == alone["q1"] and answer_of(turns[1]) == alone["q2"]
