"""Scorer known cases: all right, all wrong, spans overlapping by known amounts -> exact IoU."""

from __future__ import annotations

import pytest

from vidseek.scenarios.scoring import (
    duration_bucket,
    hits,
    merge_spans,
    span_iou,
    summarise,
    temporal_iou,
)


def row(
    qid,
    correct,
    spans=(),
    evidence=(),
    types=("t",),
    duration=600.0,
    error=None,
    gold="A",
    cost=None,
):
    return {
        "qid": qid,
        "gold": gold,
        "options": ["a", "b", "c", "d"] if gold else [],
        "task_types": list(types),
        "duration_s": duration,
        "gt_spans_s": [list(s) for s in spans],
        "prediction": None
        if error
        else {"evidence": [{"start_s": a, "end_s": b} for a, b in evidence]},
        "correct": None if error else correct,
        "error": error,
        "cost": cost
        or {"tokens": 100.0, "tool_calls": 2.0, "frames": 8.0, "steps": 3.0, "wall_s": 1.5},
    }


@pytest.mark.parametrize(
    "pred,gold,iou",
    [
        ([(0, 10)], [(0, 10)], 1.0),
        ([(0, 10)], [(5, 15)], 5 / 15),
        ([(0, 10)], [(2, 4)], 0.2),
        ([(0, 10)], [(10, 20)], 0.0),  # touching is not overlapping
        ([(0, 4), (6, 10)], [(2, 8)], 4 / 10),  # unions: |P∩G| = 2 + 2, |P∪G| = 10
        ([(0, 5), (3, 8)], [(0, 8)], 1.0),  # overlapping predictions are merged first
        ([], [(0, 1)], 0.0),
        ([(5, 5)], [(5, 5)], 0.0),  # no length: no IoU
    ],
)
def test_temporal_iou_exact(pred, gold, iou):
    assert temporal_iou(pred, gold) == pytest.approx(iou)


def test_span_helpers():
    assert merge_spans([(5, 6), (0, 2), (1, 3)]) == [(0, 3), (5, 6)]
    assert span_iou((10, 20), (15, 25)) == pytest.approx(5 / 15)
    assert hits([(490, 500)], [(497, 497)])  # a point reference inside the evidence
    assert not hits([(0, 10)], [(11, 12)])
    assert duration_bucket(30) == "<1 min" and duration_bucket(600) == "1-10 min"
    assert duration_bucket(3600) == "30-60 min" and duration_bucket(3601) == ">60 min"
    assert duration_bucket(None) == "unknown"


def test_all_right():
    rows = [row(f"q{i}", True, [(0, 10)], [(0, 10)]) for i in range(5)]
    s = summarise(rows)
    assert s["overall"] == {"n": 5, "correct": 5, "accuracy": 1.0, "accuracy_answered": 1.0}
    g = s["grounding"]
    assert g["n"] == 5 and g["hit_rate"] == 1.0 and g["mean_tiou"] == 1.0
    assert g["recall"] == {"0.3": 1.0, "0.5": 1.0, "0.7": 1.0}


def test_all_wrong():
    rows = [row(f"q{i}", False, [(0, 10)], [(50, 60)]) for i in range(4)]
    s = summarise(rows)
    assert s["overall"]["accuracy"] == 0.0 and s["overall"]["correct"] == 0
    assert s["grounding"]["hit_rate"] == 0.0 and s["grounding"]["mean_tiou"] == 0.0
    assert s["grounding"]["recall"] == {"0.3": 0.0, "0.5": 0.0, "0.7": 0.0}


def test_recall_thresholds_with_known_overlaps():
    # evidence (0, 10) against gold spans giving IoU 1/3, 0.5, 0.6, 0.8 and (no evidence) 0
    rows = [
        row("a", True, [(5, 15)], [(0, 10)]),  # 5/15
        row("b", True, [(0, 20)], [(0, 10)]),  # 10/20
        row("c", True, [(4, 10)], [(0, 10)]),  # 6/10
        row("d", True, [(0, 8)], [(0, 10)]),  # 8/10
        row("e", False, [(0, 8)], []),  # no evidence
    ]
    g = summarise(rows)["grounding"]
    assert g["recall"] == {"0.3": 4 / 5, "0.5": 3 / 5, "0.7": 1 / 5}
    assert g["hit_rate"] == 4 / 5
    assert g["mean_tiou"] == pytest.approx((1 / 3 + 0.5 + 0.6 + 0.8 + 0) / 5)


def test_by_type_duration_errors_and_cost():
    rows = [
        row("a", True, types=("ocr", "reasoning"), duration=30),
        row("b", False, types=("ocr",), duration=30),
        row("c", True, types=("speech",), duration=4000),
        row("d", None, error="video missing: /x.mp4", types=("speech",), duration=4000),
        row("e", None, gold=None, types=("summary",)),  # open-ended, not gradeable
    ]
    rows[3]["error_kind"] = "video_missing"
    rows[2]["cost"] = {
        "tokens": 300.0,
        "tool_calls": 4.0,
        "frames": 16.0,
        "steps": 5.0,
        "wall_s": 3.5,
    }
    s = summarise(rows)
    assert s["overall"]["n"] == 4 and s["overall"]["correct"] == 2
    assert s["overall"]["accuracy"] == 0.5  # the failed question counts as wrong
    assert s["overall"]["accuracy_answered"] == pytest.approx(2 / 3)
    assert s["by_type"]["ocr"]["accuracy"] == 0.5 and s["by_type"]["reasoning"]["accuracy"] == 1.0
    assert s["by_type"]["speech"] == {
        "n": 2,
        "correct": 1,
        "accuracy": 0.5,
        "accuracy_answered": 1.0,
    }
    assert s["by_type"]["summary"]["n"] == 0
    assert s["by_duration"]["<1 min"]["accuracy"] == 0.5 and s["by_duration"][">60 min"]["n"] == 2
    assert s["errors"] == 1 and s["errors_by_kind"] == {"video_missing": 1} and s["ungraded"] == 1
    tokens = s["cost"]["tokens"]  # over the 4 answered rows (a, b, c, e)
    assert tokens["n"] == 4 and tokens["total"] == 600.0 and tokens["median"] == 100.0
    assert tokens["mean"] == 150.0 and s["cost"]["wall_s"]["p90"] == 3.5
