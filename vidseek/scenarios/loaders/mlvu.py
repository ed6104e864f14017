"""MLVU dev (one JSON per task, e.g. 1_plotQA.json): multiple-choice answers are the option TEXT
(the count task's options are digits, so text is matched before indices); the open-ended tasks
(sub-scene, summary) have no candidates and keep their reference in answer_text."""

from __future__ import annotations

from pathlib import Path

from vidseek.scenarios.answers import to_letter
from vidseek.scenarios.loaders.common import DatasetError, read_records, require, resolve_video
from vidseek.scenarios.records import QARecord

NAME = "mlvu"


def _files(path: Path) -> list[Path]:
    path = Path(path).expanduser()
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DatasetError(path, "annotation folder not found")
    files = sorted(path.glob("[0-9]*_*.json"), key=lambda p: int(p.name.split("_")[0]))
    if not files:
        raise DatasetError(path, "no MLVU task files (N_task.json) here")
    return files


def load(path: Path, video_root: Path | None = None, open_ended: bool = True) -> list[QARecord]:
    """All tasks; ``open_ended=False`` keeps only the multiple-choice ones."""
    records = []
    for file in _files(path):
        task = file.stem
        for n, row in enumerate(read_records(file)):
            require(row, ["video", "question", "answer"], file, f"item {n}")
            options = [str(c) for c in row.get("candidates") or []]
            if not options and not open_ended:
                continue
            gold = to_letter(str(row["answer"]), options) if options else None
            records.append(
                QARecord(
                    qid=f"{task}_{n}",
                    dataset=NAME,
                    video_id=Path(row["video"]).stem,
                    video_path=resolve_video(
                        video_root,
                        f"video/{task}/{row['video']}",
                        f"{task}/{row['video']}",
                        row["video"],
                    ),
                    question=row["question"].strip(),
                    options=options,
                    answer=gold,
                    answer_text=str(row["answer"]),
                    duration_s=float(row["duration"]) if row.get("duration") is not None else None,
                    task_types=[str(row.get("question_type", task))],
                    extra={
                        "task": task,
                        # 2 needle answers are not among their options; 1 item has empty options
                        "ungradeable": bool(options) and gold is None,
                        **(
                            {"scoring_points": row["scoring_points"]}
                            if "scoring_points" in row
                            else {}
                        ),
                    },
                )
            )
    return records
