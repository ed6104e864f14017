"""Pure parts of the hybrid search: RRF, temporal de-duplication, span -> segment mapping, BM25."""

from __future__ import annotations

import numpy as np

from vidseek.memory.lexical import BM25, tokenize
from vidseek.memory.ranking import ExactVectors, Timeline, rrf_fuse, temporal_dedupe
from vidseek.memory.types import SearchHit, Segment


def seg(i: int, start: float, end: float) -> Segment:
    return Segment(f"v:clip:{i:06d}", "v", "clip", start, end, i)


def test_rrf_exact_order_and_scores() -> None:
    fused = rrf_fuse({"a": ["x", "y", "z"], "b": ["y", "z"], "c": ["z", "w"]}, k=60)
    assert [d for d, _, _ in fused] == ["z", "y", "x", "w"]
    scores = {d: s for d, s, _ in fused}
    assert np.isclose(scores["z"], 1 / 63 + 1 / 62 + 1 / 61)
    assert np.isclose(scores["y"], 1 / 62 + 1 / 61)
    assert np.isclose(scores["x"], 1 / 61)
    assert np.isclose(scores["w"], 1 / 62)
    assert fused[0][2] == {"a": 3, "b": 2, "c": 1}


def test_rrf_ties_and_duplicates() -> None:
    # p and q tie on score: the one with the better single rank wins; then the id decides
    fused = rrf_fuse({"a": ["p", "q"], "b": ["q", "p"], "c": ["s", "s", "r"]})
    assert [d for d, _, _ in fused] == ["p", "q", "s", "r"]
    assert dict((d, r) for d, _, r in fused)["r"] == {"c": 2}  # the duplicate "s" counted once


def hit(i: int, start: float, end: float, score: float, **channels: int) -> SearchHit:
    return SearchHit(seg(i, start, end), score, channels=channels)


def test_temporal_dedupe_merges_overlaps_and_small_gaps() -> None:
    hits = [
        hit(0, 0, 10, 0.9, captions=1),
        hit(1, 10, 20, 0.5, speech=1),  # touches the best hit: folded into it
        hit(2, 30, 40, 0.8, bm25=1),
        hit(3, 40.3, 50, 0.4, frames=2),  # 0.3 s after hit 2: folded
        hit(4, 60, 70, 0.3, captions=3),
    ]
    kept = temporal_dedupe(hits, gap_s=0.5)
    assert [h.segment.index for h in kept] == [0, 2, 4]
    assert kept[0].channels == {"captions": 1, "speech": 1}
    assert kept[1].channels == {"bm25": 1, "frames": 2}
    # with no gap, spans that only touch stay separate; strict overlaps still merge
    kept = temporal_dedupe(hits + [hit(5, 5, 8, 0.2, bm25=4)], gap_s=0.0)
    assert [h.segment.index for h in kept] == [0, 2, 1, 3, 4]
    assert kept[0].channels == {"captions": 1, "bm25": 4}
    assert [h.segment.index for h in temporal_dedupe(hits, 0.5, limit=2)] == [0, 2]
    assert hits[0].channels == {"captions": 1}  # inputs are not modified


def test_timeline_locate() -> None:
    tl = Timeline([seg(1, 10, 20), seg(0, 0, 10), seg(2, 20, 25.5)])
    assert tl.locate(3.0, 5.0).index == 0
    assert tl.locate(9.0, 14.0).index == 1  # middle 11.5 s
    assert tl.locate(10.0, 10.0).index == 1  # a frame time on a boundary belongs to the later clip
    assert tl.locate(25.0, 27.0).index == 2  # runs past the end: the overlapping clip
    assert tl.locate(40.0, 41.0) is None
    assert Timeline([]).locate(1.0) is None


def test_bm25_prefers_exact_code() -> None:
    docs = ["the gate code is 4417", "the gate code is 4471", "a gate in the park", "nothing here"]
    bm = BM25(docs)
    top = bm.top("code 4417", 4)
    assert top[0][0] == 0 and top[1][0] == 1 and len(top) == 2
    assert bm.top("the", 4) == []  # stopwords alone match nothing
    assert tokenize("Price: $3.50, O'Neil's car") == ["price", "3.50", "o'neil's", "car"]


def test_exact_vectors_filters() -> None:
    rng = np.random.default_rng(0)
    m = rng.normal(size=(6, 5)).astype(np.float32)
    metas = [
        {"granularity": "clip" if i < 4 else "scene", "start_s": 10.0 * i, "end_s": 10.0 * i + 10}
        for i in range(6)
    ]
    ex = ExactVectors([f"id{i}" for i in range(6)], metas, m)
    hits = ex.query(m[2] * 3.0, 3)
    assert hits[0].id == "id2" and abs(hits[0].distance) < 1e-5
    assert [h.id for h in ex.query(m[4], 10, granularity="clip")] == [
        h.id for h in ex.query(m[4], 10) if int(h.id[2:]) < 4
    ]
    assert {h.id for h in ex.query(m[0], 10, time_range=(15.0, 30.0))} == {"id1", "id2"}
