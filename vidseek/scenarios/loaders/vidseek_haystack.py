"""vidseek's own needle-in-a-haystack sets (e.g. dev10): the LVBench JSONL schema plus, per
question, ground-truth spans in seconds (time_reference_s), the needle kind, modality, depth and
answer aliases. Written by ``vidseek scenarios make-haystack``."""

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

NAME = "haystack"


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    file = find_file(path, ["questions.jsonl"])
    root = Path(video_root) if video_root is not None else file.parent
    records = []
    for n, video in enumerate(read_jsonl(file), 1):
        require(video, ["key", "qa"], file, f"line {n}")
        key = str(video["key"])
        info = video.get("video_info") or {}
        duration = float(info["duration_minutes"]) * 60.0 if "duration_minutes" in info else None
        rel = video.get("video_path") or f"{key}.mp4"
        vpath = resolve_video(root, rel, Path(rel).name)
        for qa in video["qa"]:
            require(qa, ["uid", "question", "answer"], file, f"line {n} (video {key})")
            stem, embedded = split_embedded_options(qa["question"])
            options = list(qa.get("options") or embedded)
            gold = to_letter(qa["answer"], options)
            if options and gold is None:
                raise DatasetError(
                    file, f"question {qa['uid']}: answer {qa['answer']!r} names no option"
                )
            if "time_reference_s" in qa:
                spans = [(float(a), float(b)) for a, b in qa["time_reference_s"] or []]
            else:
                span = parse_clock_range(qa.get("time_reference"))
                spans = [span] if span else []
            extra = {
                k: qa[k] for k in ("needle_kind", "modality", "depth_pct", "needles") if k in qa
            }
            records.append(
                QARecord(
                    qid=str(qa["uid"]),
                    dataset=NAME,
                    video_id=key,
                    video_path=vpath,
                    question=stem,
                    options=options,
                    answer=gold,
                    answer_text=qa.get("answer_text")
                    or (options[ord(gold) - 65] if gold else None),
                    answer_aliases=list(qa.get("answer_aliases") or []),
                    duration_s=duration,
                    gt_spans_s=spans,
                    task_types=list(qa.get("question_type") or []),
                    extra=extra,
                )
            )
    return records
