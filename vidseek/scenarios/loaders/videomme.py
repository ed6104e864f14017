"""Video-MME (parquet from the Hub, or the same rows as JSON/JSONL): options are written
'A. text', the answer is a letter, ``duration`` is the short/medium/long bucket."""

from __future__ import annotations

from pathlib import Path

from vidseek.scenarios.answers import strip_option_prefix, to_letter
from vidseek.scenarios.loaders.common import (
    DatasetError,
    find_file,
    read_records,
    require,
    resolve_video,
)
from vidseek.scenarios.records import QARecord

NAME = "videomme"


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    file = find_file(
        path, ["test-00000-of-00001.parquet", "videomme.json", "videomme.jsonl", "test.json"]
    )
    records = []
    for n, row in enumerate(read_records(file)):
        require(row, ["question_id", "videoID", "question", "options", "answer"], file, f"item {n}")
        options = [strip_option_prefix(str(o)) for o in row["options"]]
        gold = to_letter(row["answer"], options)
        if gold is None:
            raise DatasetError(
                file, f"question {row['question_id']}: answer {row['answer']!r} names no option"
            )
        vid = str(row["videoID"])
        records.append(
            QARecord(
                qid=str(row["question_id"]),
                dataset=NAME,
                video_id=vid,
                video_path=resolve_video(
                    video_root, f"{vid}.mp4", f"data/{vid}.mp4", f"videos/{vid}.mp4"
                ),
                question=row["question"],
                options=options,
                answer=gold,
                answer_text=options[ord(gold) - 65],
                task_types=[str(row.get("task_type", "unknown"))],
                extra={
                    "duration_group": row.get("duration"),
                    "domain": row.get("domain"),
                    "sub_category": row.get("sub_category"),
                },
            )
        )
    return records
