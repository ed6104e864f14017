"""LVBench (video_info.meta.jsonl): one line per video with its questions; options are embedded in
the question text, time references are 'MM:SS-MM:SS' with minutes above 99, a few reversed, two
with 'None' parts."""

from __future__ import annotations

from pathlib import Path

from vidseek.scenarios.answers import split_embedded_options, to_letter
from vidseek.scenarios.loaders.common import (
    DatasetError,
    find_file,
    parse_clock_range,
    read_jsonl,
    require,
    resolve_video,
)
from vidseek.scenarios.records import QARecord

NAME = "lvbench"


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    file = find_file(path, ["video_info.meta.jsonl"])
    records = []
    for n, video in enumerate(read_jsonl(file), 1):
        require(video, ["key", "qa"], file, f"line {n}")
        key = str(video["key"])
        info = video.get("video_info") or {}
        duration = float(info["duration_minutes"]) * 60.0 if "duration_minutes" in info else None
        vpath = resolve_video(
            video_root, f"{key}.mp4", f"videos/{key}.mp4", f"all_videos/{key}.mp4"
        )
        for qa in video["qa"]:
            require(qa, ["uid", "question", "answer"], file, f"line {n} (video {key})")
            stem, options = split_embedded_options(qa["question"])
            gold = to_letter(qa["answer"], options)
            if gold is None:
                raise DatasetError(
                    file, f"question {qa['uid']}: answer {qa['answer']!r} names no option"
                )
            raw_ref = qa.get("time_reference")
            span = parse_clock_range(raw_ref)
            records.append(
                QARecord(
                    qid=str(qa["uid"]),
                    dataset=NAME,
                    video_id=key,
                    video_path=vpath,
                    question=stem,
                    options=options,
                    answer=gold,
                    answer_text=options[ord(gold) - 65],
                    duration_s=duration,
                    gt_spans_s=[span] if span else [],
                    task_types=list(qa.get("question_type") or []),
                    extra={"video_type": video.get("type"), "time_reference": raw_ref},
                )
            )
    return records
