"""LV-Haystack (LongVideoHaystack on the Hub, as parquet or JSON/JSONL rows): options as a
{letter: text} mapping, the answer letter, the needle frames as frame_indexes_video and the frame
rate and duration in video_metadata. Needle frames become spans of one frame each (merged when
closer than a second)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vidseek.scenarios.answers import split_embedded_options, to_letter
from vidseek.scenarios.loaders.common import (
    DatasetError,
    find_file,
    frames_to_spans,
    read_records,
    require,
    resolve_video,
)
from vidseek.scenarios.records import QARecord

NAME = "lvhaystack"


def _options(raw: Any) -> list[str]:
    if isinstance(raw, dict):
        return [str(raw[k]) for k in sorted(raw)]
    if isinstance(raw, str):  # "A) x\nB) y" or "(A) x\n(B) y"
        _, opts = split_embedded_options("\n" + raw.replace(") ", ") "))
        if opts:
            return opts
        import re

        return [
            re.sub(r"^[A-Z]\)\s*", "", line).strip() for line in raw.splitlines() if line.strip()
        ]
    return [str(o) for o in raw or []]


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    file = find_file(path, ["test.jsonl", "test.json", "lvhaystack.jsonl", "lvhaystack.json"])
    records = []
    for n, row in enumerate(read_records(file)):
        require(row, ["video_id", "question", "options", "answer"], file, f"item {n}")
        options = _options(row["options"])
        gold = to_letter(row["answer"], options)
        if gold is None:
            raise DatasetError(file, f"item {n}: answer {row['answer']!r} names no option")
        meta = row.get("video_metadata") or {}
        fps = float(meta.get("frame_rate") or row.get("frame_rate") or 0) or None
        frames = [int(f) for f in row.get("frame_indexes_video") or []]
        vid = str(row["video_id"])
        records.append(
            QARecord(
                qid=str(row.get("qid") or row.get("question_id") or f"{vid}_{n}"),
                dataset=NAME,
                video_id=vid,
                video_path=resolve_video(video_root, f"{vid}.mp4", f"videos/{vid}.mp4"),
                question=row["question"],
                options=options,
                answer=gold,
                answer_text=options[ord(gold) - 65],
                duration_s=float(meta["video_duration"]) if meta.get("video_duration") else None,
                gt_spans_s=frames_to_spans(frames, fps) if fps and frames else [],
                gt_frames=frames,
                task_types=[str(row.get("task_type") or "needle")],
                extra={"vclip_id": row.get("vclip_id"), "fps": fps},
            )
        )
    return records
