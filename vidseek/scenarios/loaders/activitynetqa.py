"""ActivityNet-QA ({split}_q.json + {split}_a.json): open-ended questions with short answers
('yes', 'red', ...), graded by normalised match."""

from __future__ import annotations

from pathlib import Path

from vidseek.scenarios.loaders.common import DatasetError, find_file, read_json, resolve_video
from vidseek.scenarios.records import QARecord

NAME = "activitynetqa"

TYPES = {0: "motion", 1: "spatial", 2: "temporal", 3: "yes/no", 4: "color", 5: "object",
         6: "location", 7: "number", 8: "other"}  # fmt: skip


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    qfile = find_file(path, ["test_q.json"])
    afile = qfile.with_name(qfile.name.replace("_q.json", "_a.json"))
    questions, answers = read_json(qfile), read_json(afile)
    by_id = {a["question_id"]: a for a in answers}
    records = []
    for q in questions:
        a = by_id.get(q["question_id"])
        if a is None:
            raise DatasetError(afile, f"no answer for question {q['question_id']}")
        vid = "v_" + q["video_name"]
        records.append(
            QARecord(
                qid=q["question_id"],
                dataset=NAME,
                video_id=vid,
                video_path=resolve_video(video_root, f"{vid}.mp4", f"{q['video_name']}.mp4"),
                question=q["question"].strip() + "?",
                answer_text=str(a["answer"]),
                task_types=[TYPES.get(a.get("type"), str(a.get("type")))],
            )
        )
    return records
