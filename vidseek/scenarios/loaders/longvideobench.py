"""LongVideoBench (lvb_val.json): candidates[] with an integer correct_choice; the referred moment
is given as frame indices (``position``), kept as gt_frames because the file gives no frame rate."""

from __future__ import annotations

from pathlib import Path

from vidseek.scenarios.answers import to_letter
from vidseek.scenarios.loaders.common import find_file, read_records, require, resolve_video
from vidseek.scenarios.records import QARecord

NAME = "longvideobench"


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    file = find_file(path, ["lvb_val.json"])
    records = []
    for n, row in enumerate(read_records(file)):
        require(row, ["id", "video_id", "question", "candidates"], file, f"item {n}")
        options = [str(c) for c in row["candidates"]]
        gold = to_letter(row.get("correct_choice"), options)  # int: 0-based index; absent in test
        rel = row.get("video_path") or f"{row['video_id']}.mp4"
        records.append(
            QARecord(
                qid=str(row["id"]),
                dataset=NAME,
                video_id=str(row["video_id"]),
                video_path=resolve_video(video_root, rel, f"videos/{rel}"),
                question=row["question"],
                options=options,
                answer=gold,
                answer_text=options[ord(gold) - 65] if gold else None,
                duration_s=float(row["duration"]) if row.get("duration") is not None else None,
                gt_frames=[int(p) for p in row.get("position") or []],
                task_types=[str(row.get("question_category", "unknown"))],
                extra={
                    k: row.get(k)
                    for k in ("level", "duration_group", "topic_category", "subtitle_path")
                    if k in row
                },
            )
        )
    return records
