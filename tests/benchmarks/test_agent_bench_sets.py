"""benchmarks/agent.py's set loading and its by-length / by-depth reports, on constructed folders
and rows (no model, no video decoding)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from agent_reports import depth_rows, length_rows, summarise  # noqa: E402
from agent_sets import depth_bucket, depth_pct, load_haystack  # noqa: E402
from rich.console import Console  # noqa: E402

from vidseek.scenarios.loaders.common import DatasetError  # noqa: E402


def _qa(uid: str, spans: list[list[float]], kind: str = "speech", answer: str = "B") -> dict:
    return {
        "uid": uid,
        "question": f"What is said in {uid}?\n(A) one\n(B) two\n(C) three\n(D) four",
        "answer": answer,
        "question_type": ["key information retrieval"],
        "time_reference_s": spans,
        "needle_kind": kind,
        "modality": kind,
        "answer_text": "two",
        "answer_aliases": ["two", "2"],
        "options": ["one", "two", "three", "four"],
    }


def _write_haystack(folder: Path, name: str, duration_s: float, qa: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / "haystack.mp4").write_bytes(b"\x00")
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "set": name,
                "minutes": duration_s / 60,
                "video": "haystack.mp4",
                "duration_s": duration_s,
                "needles": [{"id": "n1", "kind": "speech", "start": 100.0, "end": 104.0}],
            }
        )
    )
    row = {"key": f"vidseek-{name}", "video_path": "haystack.mp4", "qa": qa}
    row["video_info"] = {"duration_minutes": duration_s / 60}
    (folder / "questions.jsonl").write_text(json.dumps(row) + "\n")
    return folder


def test_haystack_folder_loads_name_length_questions_and_depth(tmp_path: Path) -> None:
    folder = _write_haystack(
        tmp_path / "hay",
        "haystack-30m-s3",
        1800.0,
        [
            _qa("q1", [[100.0, 104.0]]),
            _qa("q2", [[1500.0, 1504.0], [10.0, 12.0]], kind="ocr", answer="C"),
            _qa("q3", [], kind="absent", answer="D"),
        ],
    )
    qset = load_haystack(folder)
    assert qset.name == "haystack-30m-s3"
    assert qset.minutes == 30.0
    assert qset.video == folder / "haystack.mp4"
    q1, q2, q3 = qset.questions
    assert q1["question"].endswith("(D) four") and q1["stem"] == "What is said in q1?"
    assert q1["options"] == ["one", "two", "three", "four"] and q1["choice"] == "B"
    assert q2["choice"] == "C" and q2["kind"] == "ocr"
    # depth from the first span's start, not the earliest one; no span: no depth
    assert q1["depth_pct"] == pytest.approx(5.6, abs=0.05)
    assert q2["depth_pct"] == pytest.approx(83.3, abs=0.05)
    assert q3["depth_pct"] is None and q3["spans"] == []
    only_ocr = load_haystack(folder, kinds={"ocr"})
    assert [q["qid"] for q in only_ocr.questions] == ["q2"]


def test_haystack_folder_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="manifest.json"):
        load_haystack(tmp_path)  # an empty folder
    folder = _write_haystack(tmp_path / "hay", "h", 600.0, [_qa("q1", [[1.0, 2.0]])])
    (folder / "haystack.mp4").unlink()
    with pytest.raises(DatasetError, match="haystack.mp4 is missing"):
        load_haystack(folder)


@pytest.mark.parametrize(
    ("pct", "bucket"),
    [(0.0, "0-33 %"), (33.2, "0-33 %"), (33.4, "33-67 %"), (66.6, "33-67 %"), (66.7, "67-100 %")],
)
def test_depth_buckets_are_thirds(pct: float, bucket: str) -> None:
    assert depth_bucket(pct) == bucket


def test_depth_edges() -> None:
    assert depth_bucket(100.0) == "67-100 %"
    assert depth_bucket(None) is None
    assert depth_pct([], 600.0) is None
    assert depth_pct([(700.0, 710.0)], 600.0) == 100.0  # a span past the end is clamped


def _row(name: str, minutes: float, depth: float | None, ok: bool, ev: bool | None, **kw) -> dict:
    row = {
        "set": name,
        "minutes": minutes,
        "planner": "local:p",
        "policy": "chain_of_shot",
        "qid": f"{name}-{depth}-{ok}",
        "kind": "speech",
        "depth_pct": depth,
        "correct": ok,
        "evidence_hit": ev,
        "baseline_hit": kw.get("base", ev),
        "chance": 0.25,
        "tool_calls": 3,
        "tokens": kw.get("tokens", 100),
        "wall_s": kw.get("wall", 1.0),
        "best_effort": False,
        "abstained": kw.get("abstained", False),
        "confidence": 0.9 if ok else 0.0,
        "answer": "x",
        "choice": "A",
    }
    return row


ROWS = [
    _row("hay30", 30.0, 10.0, True, True, wall=4.0, tokens=300),
    _row("hay30", 30.0, 20.0, False, False, wall=6.0, tokens=500, base=True),
    _row("hay30", 30.0, 50.0, True, True, wall=8.0, tokens=700),
    _row("hay30", 30.0, 90.0, False, True, wall=100.0, tokens=900),
    _row("hay30", 30.0, None, False, None, abstained=True, wall=2.0, tokens=0),
    _row("dev10", 10.0, 70.0, True, True, wall=1.0, tokens=50),
]


def test_by_length_aggregates_per_set_in_order_of_minutes() -> None:
    dev10, hay30 = length_rows(ROWS)
    assert (dev10["set"], dev10["minutes"], dev10["n"], dev10["correct"]) == ("dev10", 10.0, 1, 1)
    assert (hay30["set"], hay30["n"], hay30["correct"]) == ("hay30", 5, 2)
    # the absent question has no span: it counts in n and accuracy, not in evidence hit
    assert (hay30["evidence_hit"], hay30["evidence_n"]) == (3, 4)
    assert (hay30["baseline_hit"], hay30["baseline_n"]) == (4, 4)
    assert hay30["abstained"] == 1
    assert hay30["median_wall_s"] == 6.0 and hay30["median_tokens"] == 500


def test_by_depth_splits_thirds_and_leaves_out_absent_questions() -> None:
    lines = [
        (x["set"], x["depth"], x["n"], x["correct"], x["evidence_hit"]) for x in depth_rows(ROWS)
    ]
    assert lines == [
        ("dev10", "67-100 %", 1, 1, 1),
        ("hay30", "0-33 %", 2, 1, 1),
        ("hay30", "33-67 %", 1, 1, 1),
        ("hay30", "67-100 %", 1, 0, 1),
    ]


def test_summary_prints_length_and_depth_tables() -> None:
    console = Console(record=True, width=250)
    summarise(ROWS, console)
    text = console.export_text()
    assert "by length" in text and "by depth" in text
    assert "2/5 (0.40)" in text  # hay30 accuracy in the by-length table
    assert "67-100 %" in text and "local:p" in text
