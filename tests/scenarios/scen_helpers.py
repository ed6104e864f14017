"""Builders for small question sets in vidseek's haystack schema, and a deterministic answer
function, shared by the scenario tests (the runner's seam; the real agent is tested end to end)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from vidseek.scenarios.records import QARecord


def write_haystack(
    folder: Path, n: int = 12, videos: int = 3, missing: tuple[int, ...] = ()
) -> Path:
    """A questions.jsonl with ``n`` four-option questions over ``videos`` video files. The runner
    only checks that a video exists (the answer function given in tests never opens it), so the
    files are placeholders; videos whose number is in ``missing`` are not created."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for v in range(videos):
        name = f"video{v}.mp4"
        if v not in missing:
            (folder / name).write_bytes(b"placeholder, never decoded by these tests")
        qa = []
        for i in range(v, n, videos):
            start = 30.0 + 10 * i
            qa.append(
                {
                    "uid": f"q{i:02d}",
                    "question": f"Question {i}?\n(A) red\n(B) green\n(C) blue\n(D) white",
                    "answer": "ABCD"[i % 4],
                    "question_type": ["speech" if i % 2 else "ocr"],
                    "time_reference_s": [[start, start + 4.0]],
                    "depth_pct": round(100 * start / 600, 1),
                }
            )
        lines.append(
            {
                "key": f"hay{v}",
                "video_info": {"duration_minutes": 10.0},
                "video_path": name,
                "qa": qa,
            }
        )
    path = folder / "questions.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def write_scenario(folder: Path, questions: Path, **fields: Any) -> Path:
    body = {
        "name": "unit",
        "dataset": "haystack",
        "annotations": str(questions),
        "concurrency": 2,
        "output": str(folder / "run.jsonl"),
        **fields,
    }
    path = folder / "scenario.yaml"
    import yaml

    path.write_text(yaml.safe_dump(body))
    return path


def oracle_answer(record: QARecord, settings: Any) -> dict[str, Any]:
    """Right on even question numbers, wrong on odd ones; cites the true span shifted by 1 s."""
    i = int(record.qid[1:])
    right = record.answer or "A"
    wrong = "ABCD"[("ABCD".index(right) + 1) % 4]
    start, end = record.gt_spans_s[0]
    delay = float(os.environ.get("SCEN_DELAY", "0"))
    log = os.environ.get("SCEN_ASKED_LOG")
    if log:
        with open(log, "a") as fh:
            fh.write(record.qid + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    if delay:
        time.sleep(delay)
    if record.qid in os.environ.get("SCEN_FAIL", "").split(","):
        raise RuntimeError(f"planner crashed on {record.qid}")
    return {
        "answer": f"The answer is ({right if i % 2 == 0 else wrong}).",
        "choice": None,
        "evidence": [{"start_s": start + 1.0, "end_s": end + 1.0, "why": "test"}],
        "confidence": 2,
        "trace": {
            "tokens": 100 + i,
            "tool_calls": [{"name": "search"}] * (i % 3),
            "frames": 8,
            "steps": 2,
        },
    }
