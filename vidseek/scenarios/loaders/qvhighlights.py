"""QVHighlights (highlight_*.jsonl): natural-language queries with relevant windows in seconds
(a moment-retrieval set: no options, graded by grounding recall and tIoU)."""

from __future__ import annotations

from pathlib import Path

from vidseek.scenarios.loaders.common import find_file, read_jsonl, require, resolve_video
from vidseek.scenarios.records import QARecord

NAME = "qvhighlights"


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    file = find_file(path, ["highlight_val_release.jsonl"])
    records = []
    for n, row in enumerate(read_jsonl(file), 1):
        require(row, ["qid", "query", "vid"], file, f"line {n}")
        vid = str(row["vid"])
        records.append(
            QARecord(
                qid=str(row["qid"]),
                dataset=NAME,
                video_id=vid,
                video_path=resolve_video(video_root, f"{vid}.mp4", f"videos/{vid}.mp4"),
                question=row["query"],
                duration_s=float(row["duration"]) if row.get("duration") is not None else None,
                gt_spans_s=[(float(a), float(b)) for a, b in row.get("relevant_windows") or []],
                task_types=["moment retrieval"],
            )
        )
    return records
