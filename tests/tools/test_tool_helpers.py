"""The deterministic pieces behind the tools: frame plans, tiling, merging, de-duplication."""

from __future__ import annotations

import pytest

from vidseek.memory.types import SearchHit, Segment, TimedText
from vidseek.tools.base import ToolError
from vidseek.tools.builtin.look import FOCUS_MAX_S, plan_frames
from vidseek.tools.builtin.objects import occurrence_spans
from vidseek.tools.builtin.search import dedup_hits, merge_timed
from vidseek.tools.builtin.shots import tile


def test_plan_focuses_short_spans_and_skims_long_ones() -> None:
    plan = plan_frames([(40, 50), (60, 140)], 24)
    (short, m1, t1), (long_, m2, t2) = plan
    assert (m1, len(t1)) == ("focus", 10) and (m2, len(t2)) == ("skim", 14)
    assert t1 == pytest.approx([40.5 + k for k in range(10)])
    assert all(60 < t < 140 for t in t2)


def test_plan_is_dense_when_the_budget_allows_and_shares_when_not() -> None:
    assert [len(t) for _, _, t in plan_frames([(0, 5), (10, 12)], 32)] == [5, 2]
    shares = [len(t) for _, m, t in plan_frames([(0, 10), (20, 30), (40, 80)], 12)]
    assert sum(shares) == 12 and shares[2] > shares[0]
    assert plan_frames([(0, 8), (4, 12)], 32)[0][0] == (0, 12)  # overlapping spans merge
    assert plan_frames([(0, 8)], 32) == plan_frames([(0, 8)], 32)  # deterministic
    assert plan_frames([(0, FOCUS_MAX_S + 1)], 64)[0][1] == "skim"
    with pytest.raises(ToolError, match="3 spans need at least 3 frames"):
        plan_frames([(0, 1), (2, 3), (4, 5)], 2)


@pytest.mark.parametrize(
    "start, end, parts", [(0.0, 79.25, 3), (12.345, 13.0, 7), (1 / 3, 10.1, 8)]
)
def test_tile_is_exact(start, end, parts) -> None:
    kids = tile(start, end, parts)
    assert kids[0][0] == start and kids[-1][1] == end and len(kids) == parts
    assert all(a[1] == b[0] for a, b in zip(kids, kids[1:], strict=False))
    assert all(e > s for s, e in kids)


def _tt(s: float, e: float, text: str) -> TimedText:
    return TimedText(f"{s}", "v", s, e, text, "screen_text")


def test_merge_folds_partial_readings_that_touch() -> None:
    rows = [_tt(93, 96, "STORE ROOM 27 CLOSED"), _tt(91, 93, "STORE ROO"), _tt(91, 92, "OM 27 CLOSED"),
            _tt(120, 121, "STORE ROOM 27 CLOSED"), _tt(92, 93, "EXIT")]  # fmt: skip
    groups = merge_timed(rows, gap_s=1.5)
    assert [(g["start_s"], g["end_s"], g["text"], g["n"]) for g in groups] == [
        (91, 96, "STORE ROOM 27 CLOSED", 3),
        (120, 121, "STORE ROOM 27 CLOSED", 1),  # the same sign later is another sighting
        (92, 93, "EXIT", 1),
    ]


def test_dedup_keeps_the_best_hit_of_each_stretch() -> None:
    def hit(s: float, e: float, score: float) -> SearchHit:
        return SearchHit(Segment(f"c{s}", "v", "clip", s, e), score)

    hits = [
        hit(40, 50, 0.9),
        hit(50, 60, 0.8),
        hit(100, 110, 0.7),
        hit(30, 40, 0.6),
        hit(0, 10, 0.5),
    ]
    kept = dedup_hits(hits, top_k=2)
    assert [(h.segment.id, [f.segment.id for f in folded]) for h, folded in kept] == [
        ("c40", ["c50", "c30"]),
        ("c100", []),
    ]


def test_occurrence_spans_split_at_gaps() -> None:
    times = [0.0, 0.5, 1.0, 3.0, 3.5]
    assert occurrence_spans(times, 0.5, 10.0) == [(0.0, 1.5), (3.0, 4.0)]
    assert occurrence_spans([9.8], 0.5, 10.0) == [(9.8, 10.0)]
