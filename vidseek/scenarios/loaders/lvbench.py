"""LVBench (video_info.meta.jsonl): one line per video with its questions; options are embedded in
the question text, time references are 'MM:SS-MM:SS' with minutes above 99, a few reversed, two
with 'None' parts.

The read / validate / record loop over this JSONL schema lives here as ``load_schema``; sets that
reuse the schema (vidseek's own haystack sets, ``vidseek_haystack``) pass an ``LVBenchSchema``
saying what differs: the file name, where videos are, where options and spans come from, which
extra fields are kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidseek.scenarios.answers import split_embedded_options, to_letter
from vidseek.scenarios.loaders.common import (
    DatasetError,
    find_file,
    parse_clock_range,
    read_jsonl,
    require,
    resolve_video,
)
from vidseek.scenarios.records import QARecord, Span

NAME = "lvbench"

Row = dict[str, Any]


@dataclass(frozen=True)
class LVBenchSchema:
    """What differs between sets written in the LVBench JSONL schema.

    ``video_path(key, video, file, video_root)`` finds a video's file; ``options(qa, embedded)``
    gives a question's option texts (``embedded``: those split off the question text);
    ``spans(qa)`` its ground-truth spans in seconds; ``extra(video, qa)`` the fields kept in
    ``QARecord.extra``. With ``own_answers`` a question may be open-ended (no options) and its
    ``answer_text`` / ``answer_aliases`` are read from the question; without it every question is
    multiple choice and the reference text is the chosen option."""

    dataset: str
    file_names: tuple[str, ...]
    video_path: Callable[[str, Row, Path, Path | None], Path | None]
    options: Callable[[Row, list[str]], list[str]]
    spans: Callable[[Row], list[Span]]
    extra: Callable[[Row, Row], dict[str, Any]]
    own_answers: bool = False


def load_schema(schema: LVBenchSchema, path: Path, video_root: Path | None) -> list[QARecord]:
    """Every question of an LVBench-schema JSONL file (or the folder holding it) as QARecords."""
    file = find_file(path, schema.file_names)
    records = []
    for n, video in enumerate(read_jsonl(file), 1):
        require(video, ["key", "qa"], file, f"line {n}")
        key = str(video["key"])
        info = video.get("video_info") or {}
        duration = float(info["duration_minutes"]) * 60.0 if "duration_minutes" in info else None
        vpath = schema.video_path(key, video, file, video_root)
        for qa in video["qa"]:
            require(qa, ["uid", "question", "answer"], file, f"line {n} (video {key})")
            stem, embedded = split_embedded_options(qa["question"])
            options = schema.options(qa, embedded)
            gold = to_letter(qa["answer"], options)
            if gold is None and (options or not schema.own_answers):
                raise DatasetError(
                    file, f"question {qa['uid']}: answer {qa['answer']!r} names no option"
                )
            chosen = options[ord(gold) - 65] if gold else None
            answer_text, aliases = chosen, list[str]()
            if schema.own_answers:
                answer_text = qa.get("answer_text") or chosen
                aliases = list(qa.get("answer_aliases") or [])
            records.append(
                QARecord(
                    qid=str(qa["uid"]),
                    dataset=schema.dataset,
                    video_id=key,
                    video_path=vpath,
                    question=stem,
                    options=options,
                    answer=gold,
                    answer_text=answer_text,
                    answer_aliases=aliases,
                    duration_s=duration,
                    gt_spans_s=schema.spans(qa),
                    task_types=list(qa.get("question_type") or []),
                    extra=schema.extra(video, qa),
                )
            )
    return records


def clock_spans(qa: Row) -> list[Span]:
    """The question's 'MM:SS-MM:SS' time_reference as a span (none when absent or unreadable)."""
    span = parse_clock_range(qa.get("time_reference"))
    return [span] if span else []


def _video_path(key: str, video: Row, file: Path, video_root: Path | None) -> Path | None:
    return resolve_video(video_root, f"{key}.mp4", f"videos/{key}.mp4", f"all_videos/{key}.mp4")


def _embedded_options(qa: Row, embedded: list[str]) -> list[str]:
    return embedded


def _extra(video: Row, qa: Row) -> dict[str, Any]:
    return {"video_type": video.get("type"), "time_reference": qa.get("time_reference")}


SCHEMA = LVBenchSchema(
    dataset=NAME,
    file_names=("video_info.meta.jsonl",),
    video_path=_video_path,
    options=_embedded_options,
    spans=clock_spans,
    extra=_extra,
)


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    return load_schema(SCHEMA, path, video_root)
