"""Ranking pieces shared by one-video search: reciprocal-rank fusion, temporal de-duplication,
the timeline of timed text, and exact in-memory vector search."""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from vidseek.errors import ConfigError
from vidseek.memory.store import VectorHit
from vidseek.memory.types import SearchHit, Segment

log = logging.getLogger(__name__)

RRF_K = 60


@dataclass(frozen=True)
class Match:
    """One entry of one channel's ranking: the segment it votes for and the evidence."""

    segment_id: str
    text: str = ""
    start_s: float | None = None
    end_s: float | None = None


def rrf_fuse(
    rankings: dict[str, Sequence[str]], k: int = RRF_K
) -> list[tuple[str, float, dict[str, int]]]:
    """Reciprocal-rank fusion: score(d) = sum over lists of 1 / (k + rank). Duplicates inside one
    list count once (at their best rank). Ties: best single rank, then id, so the order is exact."""
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for channel, ids in rankings.items():
        rank = 0
        seen: set[str] = set()
        for item in ids:
            if item in seen:
                continue
            seen.add(item)
            rank += 1
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
            ranks.setdefault(item, {})[channel] = rank
    order = sorted(scores, key=lambda d: (-scores[d], min(ranks[d].values()), d))
    return [(d, scores[d], ranks[d]) for d in order]


def temporal_dedupe(
    hits: Sequence[SearchHit], gap_s: float = 0.5, limit: int | None = None
) -> list[SearchHit]:
    """Keep the best-scored hit of every group of hits whose spans overlap or lie less than
    ``gap_s`` apart; the kept hit absorbs the channel ranks of those it suppressed. Spans that just
    touch are merged only when ``gap_s`` > 0. At most ``limit`` hits are kept."""
    kept: list[SearchHit] = []
    for hit in sorted(hits, key=lambda h: -h.score):
        s0, s1 = hit.segment.start_s, hit.segment.end_s
        host = None
        for k in kept:
            if s0 < k.segment.end_s + gap_s and k.segment.start_s < s1 + gap_s:
                host = k
                break
        if host is None:
            if limit is None or len(kept) < limit:
                kept.append(replace(hit, channels=dict(hit.channels)))
            continue
        for ch, r in hit.channels.items():
            host.channels[ch] = min(r, host.channels.get(ch, r))
    return kept


class Timeline:
    """Segments of one granularity sorted by start, to map a time span to the segment holding it."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self.segments = sorted(segments, key=lambda s: (s.start_s, s.index))
        self.starts = [s.start_s for s in self.segments]

    def locate(self, start_s: float, end_s: float | None = None) -> Segment | None:
        """The segment containing the middle of the span, else the one overlapping it most."""
        if not self.segments:
            return None
        end_s = start_s if end_s is None else end_s
        mid = (start_s + end_s) / 2
        i = bisect.bisect_right(self.starts, mid) - 1
        if i >= 0:
            seg = self.segments[i]
            if seg.start_s <= mid < seg.end_s or (mid == seg.end_s == seg.start_s):
                return seg
        best, best_ov = None, 0.0
        lo = max(0, bisect.bisect_right(self.starts, start_s) - 2)
        for seg in self.segments[lo:]:
            if seg.start_s > end_s:
                break
            ov = min(end_s, seg.end_s) - max(start_s, seg.start_s)
            if ov > best_ov:
                best, best_ov = seg, ov
        if best is None and 0 <= i < len(self.segments) and mid <= self.segments[i].end_s:
            best = self.segments[i]
        return best


def in_time_range(start_s: float, end_s: float, time_range: tuple[float, float] | None) -> bool:
    if time_range is None:
        return True
    a, b = time_range
    return start_s < b and (end_s > a or start_s >= a)


class ExactVectors:
    """One video's vectors of one space held in memory, searched by exact cosine similarity."""

    def __init__(self, ids: list[str], metas: list[dict[str, Any]], matrix: np.ndarray) -> None:
        norms = np.linalg.norm(matrix, axis=1, keepdims=True) if len(matrix) else None
        self.matrix = matrix / np.maximum(norms, 1e-12) if norms is not None else matrix
        self.ids = ids
        self.metas = metas
        self.start = np.array([float(m.get("start_s", 0.0)) for m in metas], dtype=np.float64)
        self.end = np.array([float(m.get("end_s", 0.0)) for m in metas], dtype=np.float64)
        self.granularity = np.array([str(m.get("granularity", "")) for m in metas])

    def query(
        self,
        query: np.ndarray,
        n: int,
        granularity: str | None = None,
        time_range: tuple[float, float] | None = None,
    ) -> list[VectorHit]:
        if not self.ids:
            return []
        q = np.asarray(query, dtype=np.float32).ravel()
        if q.shape[0] != self.matrix.shape[1]:
            raise ConfigError(
                f"query vector has {q.shape[0]} dimensions, the index {self.matrix.shape[1]}"
            )
        sims = self.matrix @ (q / max(float(np.linalg.norm(q)), 1e-12))
        mask = np.ones(len(self.ids), dtype=bool)
        if granularity is not None:
            mask &= self.granularity == granularity
        if time_range is not None:
            mask &= (self.start < time_range[1]) & (self.end >= time_range[0])
        cand = np.flatnonzero(mask)
        if not len(cand):
            return []
        k = min(int(n), len(cand))
        top = cand[np.argpartition(-sims[cand], k - 1)[:k]]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [VectorHit(self.ids[i], 1.0 - float(sims[i]), self.metas[i]) for i in top]
