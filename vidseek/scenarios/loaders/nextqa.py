"""NExT-QA multiple choice (val.csv / test.csv): five options a0..a4, the answer as a 0-based
index; videos live at <root>/<folder>/<video>.mp4 per map_vid_vidorID.json."""

from __future__ import annotations

import csv
from pathlib import Path

from vidseek.scenarios.answers import to_letter
from vidseek.scenarios.loaders.common import (
    DatasetError,
    find_file,
    read_json,
    require,
    resolve_video,
)
from vidseek.scenarios.records import QARecord

NAME = "nextqa"

TYPES = {
    "CW": "causal why", "CH": "causal how", "TN": "temporal next", "TC": "temporal current",
    "TP": "temporal previous", "DL": "descriptive location", "DC": "descriptive count",
    "DO": "descriptive other",
}  # fmt: skip


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    file = find_file(path, ["val.csv"])
    map_file = file.parent / "map_vid_vidorID.json"
    folders = read_json(map_file) if map_file.exists() else {}
    with file.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    records = []
    for n, row in enumerate(rows, 2):
        require(row, ["video", "question", "answer", "qid", "type", "a0"], file, f"line {n}")
        options = [row[f"a{i}"] for i in range(5) if row.get(f"a{i}") is not None]
        try:
            gold = to_letter(int(row["answer"]), options)
        except ValueError:
            raise DatasetError(
                file, f"line {n}: answer {row['answer']!r} is not an index"
            ) from None
        vid = row["video"]
        rel = folders.get(vid)
        records.append(
            QARecord(
                qid=f"{vid}_{row['qid']}",
                dataset=NAME,
                video_id=vid,
                video_path=resolve_video(
                    video_root, f"{rel}.mp4" if rel else f"{vid}.mp4", f"{vid}.mp4"
                ),
                question=row["question"],
                options=options,
                answer=gold,
                answer_text=options[ord(gold) - 65] if gold else None,
                task_types=[TYPES.get(row["type"], row["type"])],
                extra={"frame_count": int(row["frame_count"]) if row.get("frame_count") else None},
            )
        )
    return records
