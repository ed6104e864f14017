"""Hybrid retrieval over one video, fused by reciprocal rank (RRF, k=60).

Channels (each a ranked list of segments at the requested granularity):
  ``captions``            caption / summary text embeddings (space ``segments``)
  ``frames``              CLIP text-to-frame (space ``frames``; a frame votes for the segment holding it)
  ``speech``              ASR segments by text embedding
  ``speech_bm25``         ASR segments by exact tokens (codes, numbers, names)
  ``screen_text``         OCR lines by text embedding
  ``screen_text_bm25``    OCR lines by exact tokens
  ``bm25``                segment text by exact tokens
  ``exact``               speech, OCR or segment text holding every code/number token of the query
                          verbatim; such segments are ranked first
Selecting the channel ``speech`` (or ``screen_text``) turns on both of its lists. A hit keeps the
rank it got in each list and the text that matched with its own start/end, so an answer can cite
the exact spoken or written moment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from vidseek.errors import ConfigError
from vidseek.memory.lexical import BM25, tokenize
from vidseek.memory.ranking import (
    ExactVectors,
    Match,
    Timeline,
    in_time_range,
    rrf_fuse,
    temporal_dedupe,
)
from vidseek.memory.store import SegmentStore, VectorHit
from vidseek.memory.types import SearchHit, TimedText

log = logging.getLogger(__name__)

# Up to this many vectors of one video in one space are searched exactly in memory (a 2-hour video
# at 1 frame/s is 7,200 frame vectors, 15 MB); a chroma query filtered by video costs 5-20 ms each,
# an exact dot product well under 1 ms. Larger spaces are queried through chroma's HNSW index.
EXACT_MAX_VECTORS = 200_000
TEXT_MIN_SIMILARITY = 0.25
ALL_CHANNELS = ("captions", "frames", "speech", "screen_text", "bm25")
# when a segment was found by several lists with the same rank, cite the most precise evidence
_PRECISION = {
    "exact": -1,
    "speech_bm25": 0,
    "screen_text_bm25": 1,
    "speech": 2,
    "screen_text": 3,
    "frames": 4,
    "bm25": 5,
    "captions": 6,
}


class HybridSearcher:
    """Hybrid search over one video of a SegmentStore. Caches timelines and BM25 indexes, so keep
    one per open video (the VideoIndex does)."""

    def __init__(
        self,
        store: SegmentStore,
        video_id: str,
        text_embedder: Any | None = None,
        image_text_embedder: Any | None = None,
    ) -> None:
        self.store = store
        self.video_id = video_id
        self.text_embedder = text_embedder
        self.image_text_embedder = image_text_embedder
        self.spaces = store.vector_spaces(video_id)
        self._timelines: dict[str, Timeline] = {}
        self._text_rows: dict[str, list[TimedText]] = {}
        self._text_by_id: dict[str, dict[str, TimedText]] = {}
        self._bm25: dict[str, BM25] = {}
        self._exact: dict[str, ExactVectors | None] = {}
        self._lock = threading.Lock()
        self.exact_max_vectors = EXACT_MAX_VECTORS
        # speech / OCR lines below this cosine similarity are not evidence: without a floor every
        # clip with any speech would collect a vote from the semantic lists and outrank clips whose
        # caption alone matches
        self.text_min_similarity = TEXT_MIN_SIMILARITY

    # --- caches -----------------------------------------------------------------------------

    def timeline(self, granularity: str) -> Timeline:
        tl = self._timelines.get(granularity)
        if tl is None:
            tl = self._timelines[granularity] = Timeline(
                self.store.get_segments(self.video_id, granularity)
            )
        return tl

    def text_rows(self, kind: str) -> list[TimedText]:
        rows = self._text_rows.get(kind)
        if rows is None:
            rows = self._text_rows[kind] = self.store.timed_text(self.video_id, kind)  # type: ignore[arg-type]
            self._text_by_id[kind] = {r.id: r for r in rows}
        return rows

    def _bm25_for(self, key: str, docs: Iterable[str]) -> BM25:
        bm = self._bm25.get(key)
        if bm is None:
            bm = self._bm25[key] = BM25(list(docs))
        return bm

    def query_vectors(
        self,
        space: str,
        query: np.ndarray,
        n: int,
        granularity: str | None = None,
        time_range: tuple[float, float] | None = None,
    ) -> list[VectorHit]:
        """Nearest vectors of this video: exact in memory when small enough, else chroma."""
        if space not in self._exact:
            with self._lock:
                if space not in self._exact:
                    count = self.store.count_vectors(self.video_id).get(space, 0)
                    self._exact[space] = (
                        ExactVectors(*self.store.load_vectors(self.video_id, space))  # type: ignore[arg-type]
                        if count <= self.exact_max_vectors
                        else None
                    )
        exact = self._exact[space]
        if exact is not None:
            return exact.query(query, n, granularity, time_range)
        return self.store.query_vectors(self.video_id, space, query, n, granularity, time_range)  # type: ignore[arg-type]

    # --- embeddings -------------------------------------------------------------------------

    def _check_model(self, space: str, embedder: Any) -> None:
        vs = self.spaces.get(space)
        ref = getattr(embedder, "ref", None)
        if vs is not None and ref is not None and ref != vs.model_ref:
            raise ConfigError(
                f"video {self.video_id}: its {space} vectors were made by '{vs.model_ref}', but the "
                f"configured model is '{ref}'; set that model or re-index the video"
            )

    def _text_query(self, query: str) -> np.ndarray | None:
        if self.text_embedder is None:
            return None
        return np.asarray(self.text_embedder.embed([query]), dtype=np.float32)[0]

    # --- channels ---------------------------------------------------------------------------

    def _vector_text_matches(
        self, kind: str, qvec: np.ndarray, n: int, time_range: tuple[float, float] | None
    ) -> list[TimedText]:
        self.text_rows(kind)
        by_id = self._text_by_id[kind]
        hits = self.query_vectors(kind, qvec, n, time_range=time_range)  # type: ignore[arg-type]
        out = []
        for h in hits:
            row = by_id.get(h.id)
            sim = 1.0 - h.distance
            if row is None or sim < self.text_min_similarity:
                continue
            if in_time_range(row.start_s, row.end_s, time_range):
                out.append(replace(row, score=sim))
        return out

    def _lexical_text_matches(
        self, kind: str, query: str, n: int, time_range: tuple[float, float] | None
    ) -> list[TimedText]:
        rows = self.text_rows(kind)
        if not rows:
            return []
        bm = self._bm25_for(kind, (r.text for r in rows))
        out = []
        for i, score in bm.top(query, len(rows)):
            row = rows[i]
            if in_time_range(row.start_s, row.end_s, time_range):
                out.append(replace(row, score=score))
                if len(out) >= n:
                    break
        return out

    def _to_segments(self, granularity: str, texts: Sequence[TimedText]) -> list[Match]:
        tl = self.timeline(granularity)
        out = []
        for t in texts:
            seg = tl.locate(t.start_s, t.end_s)
            if seg is not None:
                out.append(Match(seg.id, t.text, t.start_s, t.end_s))
        return out

    def channel_matches(
        self,
        query: str,
        granularity: str = "clip",
        time_range: tuple[float, float] | None = None,
        channels: Sequence[str] | None = None,
        n: int = 40,
    ) -> dict[str, list[Match]]:
        """Each enabled, indexed channel's ranked matches (already mapped to segments)."""
        wanted = set(channels or ALL_CHANNELS)
        unknown = wanted - set(ALL_CHANNELS)
        if unknown:
            raise ValueError(
                f"unknown search channels {sorted(unknown)}; choose from {list(ALL_CHANNELS)}"
            )
        tl = self.timeline(granularity)
        lists: dict[str, list[Match]] = {}
        text_spaces = [s for s in ("segments", "speech", "screen_text") if s in self.spaces]
        need_text_vec = bool(
            ("captions" in wanted and "segments" in self.spaces)
            or ({"speech", "screen_text"} & wanted & set(text_spaces))
        )
        qvec = None
        if need_text_vec:
            for s in text_spaces:
                self._check_model(s, self.text_embedder)
            qvec = self._text_query(query)
            if qvec is None:
                log.warning("no text embedder: caption/speech/screen-text vectors are not searched")
        if qvec is not None and "captions" in wanted and "segments" in self.spaces:
            hits = self.query_vectors(
                "segments", qvec, n, granularity=granularity, time_range=time_range
            )
            segs = {s.id: s for s in tl.segments}
            lists["captions"] = [
                Match(h.id, segs[h.id].text, segs[h.id].start_s, segs[h.id].end_s)
                for h in hits
                if h.id in segs and in_time_range(segs[h.id].start_s, segs[h.id].end_s, time_range)
            ]
        if "frames" in wanted and "frames" in self.spaces and self.image_text_embedder is not None:
            self._check_model("frames", self.image_text_embedder)
            fq = np.asarray(self.image_text_embedder.embed_texts([query]), dtype=np.float32)[0]
            hits = self.query_vectors("frames", fq, n, time_range=time_range)
            frames = []
            for h in hits:
                t = float(h.metadata.get("start_s", 0.0))
                seg = tl.locate(t, t)
                if seg is not None:
                    frames.append(Match(seg.id, "", t, t))
            lists["frames"] = frames
        for kind in ("speech", "screen_text"):
            if kind not in wanted:
                continue
            if qvec is not None and kind in self.spaces:
                lists[kind] = self._to_segments(
                    granularity, self._vector_text_matches(kind, qvec, n, time_range)
                )
            lexical = self._lexical_text_matches(kind, query, n, time_range)
            if lexical:
                lists[f"{kind}_bm25"] = self._to_segments(granularity, lexical)
        if "bm25" in wanted and tl.segments:
            bm = self._bm25_for(f"segments:{granularity}", (s.text for s in tl.segments))
            out = []
            for i, _score in bm.top(query, len(tl.segments)):
                seg = tl.segments[i]
                if in_time_range(seg.start_s, seg.end_s, time_range):
                    out.append(Match(seg.id, seg.text, seg.start_s, seg.end_s))
                    if len(out) >= n:
                        break
            lists["bm25"] = out
        return {k: v for k, v in lists.items() if v}

    # --- public -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        granularity: str = "clip",
        top_k: int = 8,
        time_range: tuple[float, float] | None = None,
        channels: Sequence[str] | None = None,
        dedupe_gap_s: float | None = 0.5,
    ) -> list[SearchHit]:
        """Ranked segments at ``granularity``; ``dedupe_gap_s=None`` keeps neighbouring hits."""
        if not query.strip():
            raise ValueError("empty search query")
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        lists = self.channel_matches(query, granularity, time_range, channels, n=max(4 * top_k, 40))
        # a code or number of the query (a token with a digit) found verbatim is near-certain
        # evidence: segments holding it go first, in fused order, whatever the other lists say
        codes = {t for t in tokenize(query) if any(c.isdigit() for c in t)}
        if codes:
            exact = [
                m
                for ch in ("speech_bm25", "screen_text_bm25", "bm25")
                for m in lists.get(ch, [])
                if codes <= set(tokenize(m.text))
            ]
            if exact:
                lists["exact"] = exact
        fused = rrf_fuse({ch: [m.segment_id for m in ms] for ch, ms in lists.items()})
        if "exact" in lists:
            fused.sort(key=lambda item: "exact" not in item[2])  # stable: fused order within groups
        first: dict[tuple[str, str], Match] = {}
        for ch, ms in lists.items():
            for m in ms:
                first.setdefault((ch, m.segment_id), m)
        segs = {s.id: s for s in self.timeline(granularity).segments}
        hits = []
        for seg_id, score, ranks in fused:
            best_ch = min(ranks, key=lambda c: (ranks[c], _PRECISION.get(c, 9)))
            m = first[(best_ch, seg_id)]
            hits.append(
                SearchHit(
                    segment=segs[seg_id],
                    score=score,
                    channels=dict(ranks),
                    matched_text=m.text,
                    match_start_s=m.start_s,
                    match_end_s=m.end_s,
                )
            )
        if dedupe_gap_s is not None:
            hits = temporal_dedupe(hits, dedupe_gap_s, limit=top_k)
        return hits[:top_k]

    def search_text(
        self,
        kind: str,
        query: str,
        top_k: int = 5,
        time_range: tuple[float, float] | None = None,
    ) -> list[TimedText]:
        """Speech segments or OCR lines: text embeddings and exact tokens, fused by RRF."""
        if kind not in ("speech", "screen_text"):
            raise ValueError(f"kind must be speech or screen_text, got {kind!r}")
        if not query.strip():
            raise ValueError("empty search query")
        n = max(4 * top_k, 40)
        lists: dict[str, list[TimedText]] = {}
        if kind in self.spaces and self.text_embedder is not None:
            self._check_model(kind, self.text_embedder)
            qvec = self._text_query(query)
            if qvec is not None:
                lists["vector"] = self._vector_text_matches(kind, qvec, n, time_range)
        lists["bm25"] = self._lexical_text_matches(kind, query, n, time_range)
        self.text_rows(kind)
        by_id = self._text_by_id[kind]
        fused = rrf_fuse({ch: [t.id for t in rows] for ch, rows in lists.items()})
        return [replace(by_id[i], score=score) for i, score, _ in fused[:top_k]]
