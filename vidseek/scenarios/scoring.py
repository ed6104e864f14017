"""Scores of a run: accuracy (overall, by task type, by video length), grounding (evidence hit rate,
temporal IoU, recall at IoU 0.3/0.5/0.7 where the benchmark has spans) and cost per question.

Conventions: a question that failed (error row) counts as wrong in ``accuracy`` (it was asked and
not answered) and is left out of ``accuracy_answered``; ungradeable questions (long open-ended
references) count in neither. A question with several task types counts toward each (LVBench)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import Any

Span = Sequence[float]

IOU_THRESHOLDS = (0.3, 0.5, 0.7)
DURATION_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<1 min", 60.0),
    ("1-10 min", 600.0),
    ("10-30 min", 1800.0),
    ("30-60 min", 3600.0),
    (">60 min", float("inf")),
)
COST_KEYS = ("tokens", "tool_calls", "frames", "steps", "wall_s")


def merge_spans(spans: Iterable[Span]) -> list[tuple[float, float]]:
    """Sorted, overlapping spans merged into a disjoint union."""
    out: list[list[float]] = []
    for a, b in sorted((min(s[0], s[1]), max(s[0], s[1])) for s in spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _length(spans: list[tuple[float, float]]) -> float:
    return sum(b - a for a, b in spans)


def _intersection(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    total, i, j = 0.0, 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        total += max(0.0, hi - lo)
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def temporal_iou(pred: Iterable[Span], gold: Iterable[Span]) -> float:
    """IoU of the unions of two sets of spans (seconds): |P ∩ G| / |P ∪ G|; 0 when either is empty
    or both have no length."""
    p, g = merge_spans(pred), merge_spans(gold)
    if not p or not g:
        return 0.0
    inter = _intersection(p, g)
    union = _length(p) + _length(g) - inter
    return inter / union if union > 0 else 0.0


def span_iou(a: Span, b: Span) -> float:
    return temporal_iou([a], [b])


def hits(pred: Iterable[Span], gold: Iterable[Span]) -> bool:
    """Whether any predicted span touches any gold span (closed intervals, so a point reference
    inside a predicted span counts)."""
    gold = list(gold)
    return any(
        min(p[0], p[1]) <= max(g[0], g[1]) and min(g[0], g[1]) <= max(p[0], p[1])
        for p in pred
        for g in gold
    )


def evidence_spans(row: dict[str, Any]) -> list[tuple[float, float]]:
    pred = row.get("prediction") or {}
    spans = []
    for ev in pred.get("evidence") or []:
        try:
            spans.append((float(ev["start_s"]), float(ev["end_s"])))
        except (KeyError, TypeError, ValueError):
            continue
    return spans


def duration_bucket(duration_s: float | None) -> str:
    if duration_s is None:
        return "unknown"
    for name, upper in DURATION_BUCKETS:  # upper bounds inclusive: a 10-minute video is 1-10 min
        if duration_s <= upper:
            return name
    return DURATION_BUCKETS[-1][0]


def _acc(rows: list[dict[str, Any]]) -> dict[str, Any]:
    graded = [r for r in rows if gradeable(r)]
    correct = sum(1 for r in graded if r.get("correct") is True)
    answered = [r for r in graded if not r.get("error")]
    return {
        "n": len(graded),
        "correct": correct,
        "accuracy": correct / len(graded) if graded else None,
        "accuracy_answered": (
            sum(1 for r in answered if r.get("correct") is True) / len(answered)
            if answered
            else None
        ),
    }


def gradeable(row: dict[str, Any]) -> bool:
    """Has a reference to grade against: a correct flag was computed, or it failed before one could
    be (error rows of gradeable questions count as wrong)."""
    if row.get("correct") is not None:
        return True
    if row.get("error"):
        return bool(row.get("gold")) or _short_reference(row)
    return False


def _short_reference(row: dict[str, Any]) -> bool:
    text = row.get("answer_text")
    return bool(text) and not row.get("options") and len(str(text).split()) <= 4


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "mean": None, "median": None, "p90": None, "total": None}
    ordered = sorted(values)
    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "median": statistics.median(values),
        "p90": ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))],
        "total": sum(values),
    }


def grounding(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Over questions with ground-truth spans (absent-needle questions have none and are skipped):
    evidence hit rate, mean tIoU of the evidence union, and recall@IoU = share of questions whose
    best single evidence span reaches IoU >= m with some gold span."""
    with_gt = [r for r in rows if r.get("gt_spans_s")]
    if not with_gt:
        return {"n": 0, "hit_rate": None, "mean_tiou": None, "recall": {}}
    hit_n, tious, best = 0, [], []
    for r in with_gt:
        pred, gold = evidence_spans(r), r["gt_spans_s"]
        hit_n += hits(pred, gold)
        tious.append(temporal_iou(pred, gold))
        best.append(max((span_iou(p, g) for p in pred for g in gold), default=0.0))
    n = len(with_gt)
    return {
        "n": n,
        "hit_rate": hit_n / n,
        "mean_tiou": statistics.fmean(tious),
        "recall": {f"{m:.1f}": sum(1 for b in best if b >= m - 1e-9) / n for m in IOU_THRESHOLDS},
    }


def depth_pct(row: dict[str, Any]) -> float | None:
    """Where the needle sits, in % of the video: the haystack's own depth, else the first gold
    span's start over the duration."""
    extra = row.get("extra") or {}
    if extra.get("depth_pct") is not None:
        return float(extra["depth_pct"])
    spans, duration = row.get("gt_spans_s"), row.get("duration_s")
    if spans and duration:
        return 100.0 * min(s[0] for s in spans) / float(duration)
    return None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every figure a report shows, from the run's rows (one per qid)."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    by_duration: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        for t in r.get("task_types") or ["unknown"]:
            by_type.setdefault(t, []).append(r)
        by_duration.setdefault(duration_bucket(r.get("duration_s")), []).append(r)
    order = [name for name, _ in DURATION_BUCKETS] + ["unknown"]
    answered = [r for r in rows if not r.get("error")]
    cost = {
        k: _stats(
            [float(r["cost"][k]) for r in answered if (r.get("cost") or {}).get(k) is not None]
        )
        for k in COST_KEYS
    }
    errors: dict[str, int] = {}
    for r in rows:
        if r.get("error"):
            kind = r.get("error_kind") or "exception"
            errors[kind] = errors.get(kind, 0) + 1
    return {
        "questions": len(rows),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "ungraded": sum(1 for r in rows if not gradeable(r)),
        "overall": _acc(rows),
        "by_type": {t: _acc(v) for t, v in sorted(by_type.items())},
        "by_duration": {b: _acc(by_duration[b]) for b in order if b in by_duration},
        "grounding": grounding(rows),
        "cost": cost,
    }
