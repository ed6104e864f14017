"""The batch runner: answers a scenario's questions concurrently, indexes each video once and shares
it, appends every result (with its full trace) to a JSONL file as it arrives, and resumes after a
crash without asking a finished question again. A failing question is a row with its error, never
the end of the run."""

from __future__ import annotations

import json
import logging
import random
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.progress import Progress, ProgressSink
from vidseek.scenarios.answering import AnswerFn, plain
from vidseek.scenarios.answers import is_correct
from vidseek.scenarios.loaders import load_dataset
from vidseek.scenarios.records import QARecord
from vidseek.scenarios.runs import RunWriter, load_run
from vidseek.scenarios.scenario import Scenario

log = logging.getLogger(__name__)


def select_records(scenario: Scenario) -> list[QARecord]:
    """The scenario's questions: filtered by type / qid, then sampled (seeded), then limited."""
    records = load_dataset(
        scenario.dataset, scenario.annotations, scenario.video_root, **scenario.loader_options
    )
    if scenario.task_types:
        wanted = set(scenario.task_types)
        records = [r for r in records if wanted & set(r.task_types)]
    if scenario.qids:
        wanted = set(scenario.qids)
        records = [r for r in records if r.qid in wanted]
    if scenario.sample and scenario.sample < len(records):
        keep = set(random.Random(scenario.seed).sample(range(len(records)), scenario.sample))
        records = [r for i, r in enumerate(records) if i in keep]
    if scenario.limit:
        records = records[: scenario.limit]
    return records


def _count(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return float(len(value))
    if isinstance(value, dict):
        for key in ("total_tokens", "total", "count"):
            if key in value:
                return _count(value[key])
        parts = [value.get("prompt_tokens"), value.get("completion_tokens")]
        if any(p is not None for p in parts):
            return float(sum(p or 0 for p in parts))
    return None


def cost_of(trace: dict[str, Any], wall_s: float) -> dict[str, float | None]:
    """Tokens, tool calls, frames, steps and wall time of one answer, from its trace (the agent's
    Trace: prompt/completion tokens, tool_calls list, frames_looked, steps, wall_s)."""
    tokens = _count(trace.get("total_tokens", trace.get("tokens", trace.get("usage"))))
    if tokens is None and ("prompt_tokens" in trace or "completion_tokens" in trace):
        tokens = float((trace.get("prompt_tokens") or 0) + (trace.get("completion_tokens") or 0))
    return {
        "tokens": tokens,
        "tool_calls": _count(trace.get("tool_calls")),
        "frames": _count(trace.get("frames", trace.get("frames_looked"))),
        "steps": _count(trace.get("steps")),
        "wall_s": float(trace["wall_s"]) if trace.get("wall_s") else round(wall_s, 3),
    }


def _base_row(record: QARecord, scenario: Scenario) -> dict[str, Any]:
    return {
        "run": scenario.name,
        "qid": record.qid,
        "dataset": record.dataset,
        "video_id": record.video_id,
        "video_path": str(record.video_path) if record.video_path else None,
        "question": record.question,
        "options": record.options,
        "gold": record.answer,
        "answer_text": record.answer_text,
        "task_types": record.task_types,
        "duration_s": record.duration_s,
        "gt_spans_s": [list(s) for s in record.gt_spans_s],
        "extra": record.extra,
    }


def answer_one(
    record: QARecord, scenario: Scenario, settings: Settings, answer_fn: AnswerFn
) -> dict[str, Any]:
    """One question -> one row. Never raises: a missing video or a failure is a row with an error."""
    row = _base_row(record, scenario)
    started = time.perf_counter()
    if record.video_path is None or not Path(record.video_path).is_file():
        where = record.video_path or f"(no video_root set for {record.video_id})"
        row.update(prediction=None, correct=None, error=f"video missing: {where}")
        row.update(error_kind="video_missing", trace={}, cost=cost_of({}, 0.0))
    else:
        try:
            out = plain(answer_fn(record, settings))
            if not isinstance(out, dict):
                raise TypeError(f"answer function returned {type(out).__name__}, not a dict")
            trace = out.get("trace") or {}
            prediction = {
                "answer": out.get("answer"),
                "choice": out.get("choice"),
                "evidence": out.get("evidence") or [],
                "confidence": out.get("confidence"),
                "best_effort": bool(out.get("best_effort", False)),
                "agent_error": out.get("error"),
            }
            correct = is_correct(
                record.answer, record.options, prediction, record.answer_text, record.answer_aliases
            )
            row.update(prediction=prediction, correct=correct, error=None, error_kind=None)
            row.update(trace=trace, cost=cost_of(trace, time.perf_counter() - started))
        except Exception as exc:  # noqa: BLE001 - a failed question is recorded, not fatal
            log.debug("question %s failed", record.qid, exc_info=True)
            row.update(prediction=None, correct=None, error=f"{type(exc).__name__}: {exc}")
            row.update(error_kind="exception", traceback=traceback.format_exc(limit=8))
            row.update(trace={}, cost=cost_of({}, time.perf_counter() - started))
    row["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return row


@dataclass
class RunSummary:
    path: Path
    total: int
    skipped: int  # done in an earlier (crashed or finished) run
    asked: int = 0
    failed: int = 0
    graded: int = 0
    correct: int = 0
    asked_qids: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.graded if self.graded else None


def default_output(scenario: Scenario) -> Path:
    return scenario.output or Path("runs") / f"{scenario.name}.jsonl"


def _write_meta(path: Path, scenario: Scenario, settings: Settings, total: int) -> None:
    meta_path = path.with_suffix(".meta.json")
    meta = {
        "scenario": scenario.model_dump(mode="json"),
        "scenario_file": str(scenario.source) if scenario.source else None,
        "profile": settings.profile,
        "agent": settings.agent.model_dump(mode="json"),
        "models": settings.models.model_dump(mode="json", exclude={"api_key"}),
        "questions": total,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    history = []
    if meta_path.exists():
        try:
            history = json.loads(meta_path.read_text()).get("sessions", [])
        except (json.JSONDecodeError, OSError):
            history = []
    meta["sessions"] = [*history, meta["started_at"]]
    meta_path.write_text(json.dumps(meta, indent=1))


def run_scenario(
    scenario: Scenario,
    settings: Settings,
    answer_fn: AnswerFn | None = None,
    *,
    output: Path | None = None,
    retry_failed: bool = False,
    progress: ProgressSink | None = None,
) -> RunSummary:
    """Answer every question of ``scenario`` not yet in the run file. ``answer_fn(record, settings)``
    returns {answer, choice, evidence, confidence, trace}; default: the vidseek agent. ``progress``
    receives one task named after the scenario (in questions) whose status is the running
    accuracy."""
    run_settings = scenario.settings_for(settings)
    records = select_records(scenario)
    path = Path(output or default_output(scenario))
    previous = load_run(path) if path.exists() else []
    done = {str(r["qid"]) for r in previous if not (retry_failed and r.get("error"))}
    todo = [r for r in records if r.qid not in done]
    summary = RunSummary(path=path, total=len(records), skipped=len(records) - len(todo))
    wanted = {r.qid for r in records}
    for row in previous:
        if str(row["qid"]) in wanted and str(row["qid"]) in done and row.get("correct") is not None:
            summary.graded += 1
            summary.correct += int(bool(row["correct"]))
    if answer_fn is None:
        from vidseek.scenarios.agent_answer import agent_answer_fn

        answer_fn = agent_answer_fn(run_settings)
    missing = sum(1 for r in todo if r.video_path is None or not Path(r.video_path).is_file())
    if missing:
        log.warning(
            "%d of %d questions have no video file; they are recorded as errors", missing, len(todo)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_meta(path, scenario, run_settings, len(records))
    bar = Progress(progress, scope=str(path))

    def stats() -> str:
        acc = f"{100 * summary.correct / summary.graded:.1f}%" if summary.graded else "-"
        return f"acc {acc} ({summary.correct}/{summary.graded})  errors {summary.failed}"

    task = scenario.name
    with RunWriter(path) as writer:
        bar.start(task, total=len(records), unit="questions", done=summary.skipped)
        bar.message(stats(), task=task)
        pool = ThreadPoolExecutor(max_workers=scenario.concurrency, thread_name_prefix="vidseek-q")
        pending: set[Future[dict[str, Any]]] = set()
        queue = list(todo)
        try:
            while queue or pending:
                while queue and len(pending) < scenario.concurrency:
                    rec = queue.pop(0)
                    summary.asked_qids.append(rec.qid)
                    pending.add(pool.submit(answer_one, rec, scenario, run_settings, answer_fn))
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    row = fut.result()
                    writer.write(row)
                    summary.asked += 1
                    if row.get("error"):
                        summary.failed += 1
                    elif row.get("correct") is not None:
                        summary.graded += 1
                        summary.correct += int(bool(row["correct"]))
                    bar.message(stats(), task=task)
                    bar.advance(task)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        bar.finish(task, detail=stats())
    return summary
