"""The default answer function of the runner: the vidseek agent, over an index built once per video
and shared by every question (and thread) that asks about it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.scenarios.records import QARecord
from vidseek.scenarios.runner import AnswerFn, IndexFn, SharedIndexes, _plain


def _build_index(video: Path, settings: Settings) -> Any:
    from vidseek.memory.builder import index

    return index(video, settings)


def answer_to_dict(answer: Any) -> dict[str, Any]:
    """The agent's Answer as the runner's plain dict (answer, choice, evidence, confidence, trace)."""
    out = _plain(answer)
    if not isinstance(out, dict):
        raise TypeError(f"the agent returned {type(answer).__name__}, not an Answer")
    trace = out.get("trace")
    if trace is None and hasattr(answer, "trace"):
        trace = _plain(answer.trace)
    out["trace"] = trace or {}
    return out


def agent_answer_fn(settings: Settings, index_fn: IndexFn | None = None) -> AnswerFn:
    """An answer function that indexes each video once (``index_fn``, default the index builder)
    and asks the agent with the question's options."""
    indexes = SharedIndexes(index_fn or _build_index, settings)

    def answer(record: QARecord, run_settings: Settings) -> dict[str, Any]:
        from vidseek.agent import ask

        assert record.video_path is not None
        indexes.get(record.video_path)
        result = ask(
            record.video_path,
            record.question,
            settings=run_settings,
            options=record.options or None,
        )
        return answer_to_dict(result)

    answer.indexes = indexes  # type: ignore[attr-defined]
    return answer
