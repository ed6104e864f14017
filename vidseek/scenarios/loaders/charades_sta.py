"""Charades-STA (charades_sta_{train,test}.txt): lines 'VIDEO_ID START END##sentence'."""

from __future__ import annotations

from pathlib import Path

from vidseek.scenarios.loaders.common import DatasetError, find_file, resolve_video
from vidseek.scenarios.records import QARecord

NAME = "charades_sta"


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    file = find_file(path, ["charades_sta_test.txt"])
    records = []
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DatasetError(file, f"not UTF-8 text ({exc})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        head, sep, sentence = line.partition("##")
        parts = head.split()
        if not sep or len(parts) != 3:
            raise DatasetError(file, f"line {n} is not 'VIDEO_ID START END##sentence'")
        vid, start, end = parts
        try:
            span = (float(start), float(end))
        except ValueError:
            raise DatasetError(file, f"line {n}: times {start!r} {end!r} are not numbers") from None
        records.append(
            QARecord(
                qid=f"{vid}_{n}",
                dataset=NAME,
                video_id=vid,
                video_path=resolve_video(video_root, f"{vid}.mp4", f"Charades_v1/{vid}.mp4"),
                question=sentence.strip(),
                gt_spans_s=[span],
                task_types=["temporal grounding"],
            )
        )
    return records
