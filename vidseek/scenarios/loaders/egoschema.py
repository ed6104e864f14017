"""EgoSchema: questions.json (q_uid, google_drive_id, question, 'option 0'..'option 4') joined with
the public answers of the 500-question subset (subset_answers.json, {q_uid: index}) and, when
present, uid_to_ego4d.json (the 3-minute clip's place in its Ego4D video)."""

from __future__ import annotations

from pathlib import Path

from vidseek.scenarios.answers import to_letter
from vidseek.scenarios.loaders.common import (
    DatasetError,
    find_file,
    read_json,
    read_records,
    require,
    resolve_video,
)
from vidseek.scenarios.records import QARecord

NAME = "egoschema"


def load_answers(path: Path) -> dict[str, int]:
    """{q_uid: 0-based option index} from subset_answers.json."""
    file = find_file(path, ["subset_answers.json"])
    data = read_json(file)
    if not isinstance(data, dict):
        raise DatasetError(file, "expected an object {q_uid: answer index}")
    return {str(k): int(v) for k, v in data.items()}


def load(
    path: Path,
    video_root: Path | None = None,
    answers: Path | None = None,
    subset_only: bool = True,
) -> list[QARecord]:
    """``path``: questions.json or its folder; ``answers``: subset_answers.json (default: beside
    the questions). ``subset_only`` keeps the questions that have a public answer."""
    file = find_file(path, ["questions.json"])
    answer_file = Path(answers) if answers else file.parent / "subset_answers.json"
    gold = load_answers(answer_file) if answer_file.exists() else {}
    if not gold and subset_only:
        raise DatasetError(
            answer_file, "no EgoSchema answers (subset_answers.json) to grade against"
        )
    ego4d_file = (
        answer_file.parent / "uid_to_ego4d.json" if answers else file.parent / "uid_to_ego4d.json"
    )
    ego4d = read_json(ego4d_file) if ego4d_file.exists() else {}
    records = []
    for n, row in enumerate(read_records(file)):
        require(row, ["q_uid", "question", "option 0"], file, f"item {n}")
        uid = str(row["q_uid"])
        if subset_only and uid not in gold:
            continue
        options = [str(row[f"option {i}"]) for i in range(10) if f"option {i}" in row]
        letter = to_letter(gold[uid], options) if uid in gold else None
        where = ego4d.get(uid) or {}
        records.append(
            QARecord(
                qid=uid,
                dataset=NAME,
                video_id=uid,
                video_path=resolve_video(video_root, f"{uid}.mp4", f"videos/{uid}.mp4"),
                question=row["question"],
                options=options,
                answer=letter,
                answer_text=options[ord(letter) - 65] if letter else None,
                duration_s=180.0,  # every EgoSchema clip is three minutes long
                task_types=["egoschema"],
                extra={
                    k: where[k] for k in ("video_uid", "starting_sec", "ending_sec") if k in where
                },
            )
        )
    return records
