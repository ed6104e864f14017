"""The default answer function of the runner: the vidseek agent, over an index built once per video
(one video at a time, with one shared set of models) and shared by every question and thread."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.scenarios.answering import AnswerFn, IndexFn, SharedIndexes, plain
from vidseek.scenarios.records import QARecord


class _Models:
    """One ModelHub for the whole run, made on first use (loading models once, not per video)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._hub: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._hub is None:
                from vidseek.models.hub import ModelHub

                self._hub = ModelHub(self._settings)
            return self._hub


def answer_to_dict(answer: Any) -> dict[str, Any]:
    """The agent's Answer as the runner's plain dict (answer, choice, evidence, confidence, trace)."""
    out = answer.as_dict() if hasattr(answer, "as_dict") else plain(answer)
    if not isinstance(out, dict):
        raise TypeError(f"the agent returned {type(answer).__name__}, not an Answer")
    out["trace"] = plain(out.get("trace")) or {}
    return out


def agent_answer_fn(settings: Settings, index_fn: IndexFn | None = None) -> AnswerFn:
    """An answer function that indexes each video once (``index_fn``, default the index builder
    without its own progress bars, which would clash with the runner's) and asks the agent."""
    models = _Models(settings)

    def build(video: Path, s: Settings) -> Any:
        from vidseek.memory.builder import index

        return index(video, s, models=models.get(), progress=False)

    indexes = SharedIndexes(index_fn or build, settings, one_at_a_time=True)

    def answer(record: QARecord, run_settings: Settings) -> dict[str, Any]:
        from vidseek.agent import Agent

        if record.video_path is None:
            raise ValueError(f"{record.qid}: no video path")
        index = indexes.get(record.video_path)
        events: list[dict[str, Any]] = []
        with Agent(
            record.video_path,
            run_settings,
            index=index,
            models=models.get(),
            on_event=lambda e: events.append(e.as_dict()),
            progress=False,
        ) as agent:
            result = agent.ask(record.question, record.options or None)
        out = answer_to_dict(result)
        out["trace"]["events"] = plain(events)  # planner thoughts, tool calls, evidence
        return out

    answer.indexes = indexes  # type: ignore[attr-defined]
    return answer
