"""Search every indexed video at once: the library indexes' nearest vectors, fused by rank.

Channels, as in one video's hybrid search: ``captions`` (caption / summary text embeddings at the
requested granularity), ``frames`` (CLIP text-to-frame, when an image-text embedder is set),
``speech`` and ``screen_text`` (text embeddings of transcripts and OCR lines), each mapped to the
segment of the requested granularity that holds it; and ``exact``: segments whose speech, OCR or
text holds every code / number token of the query verbatim, ranked first. Lists are fused by
reciprocal rank over the whole library, so a video with one strong match outranks a video with
many weak ones. The keyword (BM25) lists of the one-video search are not built library-wide.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import numpy as np

from vidseek.errors import ConfigError
from vidseek.memory.lexical import tokenize
from vidseek.memory.library.index import LibraryHit as VectorRow
from vidseek.memory.library.sync import open_library_indexes
from vidseek.memory.ranking import Match, Timeline, rrf_fuse, temporal_dedupe
from vidseek.memory.search import _PRECISION, TEXT_MIN_SIMILARITY
from vidseek.memory.store import SegmentStore
from vidseek.memory.types import SearchHit, Segment

log = logging.getLogger(__name__)

GRANULARITIES = ("clip", "shot", "scene")
# (top clusters, leaf lists) probed per space, chosen by benchmarks/search.py --video-hours 1000:
# frame vectors of one shot are near-duplicates (32 lists reach recall@10 0.97); caption-like text
# has weaker neighbour structure (near-ties within a scene) and needs 192 lists for 0.96
PROBES = {"frames": (12, 32), "segments": (12, 192), "speech": (12, 192), "screen_text": (12, 192)}
EXACT_ROWS = 200  # most verbatim matches the exact channel reads


class LibrarySearch:
    """Ranks segments across every completely indexed video of ``store``."""

    def __init__(
        self,
        store: SegmentStore,
        models: Any,
        probes: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        """``models`` has ``text_embedder`` / ``image_text_embedder`` (a ModelHub); each is
        loaded only when some library index holds vectors of its kind."""
        self.store = store
        self.models = models
        self.probes = {**PROBES, **(probes or {})}
        self.indexes = open_library_indexes(store)
        self.spaces = {vs.space for vs, _ in self.indexes.values()}
        self._timelines: dict[tuple[str, str], Timeline] = {}

    @property
    def video_ids(self) -> list[str]:
        """Every video some library index covers."""
        return sorted({v for _, idx in self.indexes.values() for v in idx.videos})

    def timeline(self, video_id: str, granularity: str) -> Timeline:
        key = (video_id, granularity)
        if key not in self._timelines:
            self._timelines[key] = Timeline(self.store.get_segments(video_id, granularity))
        return self._timelines[key]

    def _rows(
        self, space: str, qvec: np.ndarray | None, model_ref: str, n: int, gran: str | None
    ) -> list[VectorRow]:
        if qvec is None:
            return []
        rows: list[VectorRow] = []
        for vs, index in self.indexes.values():
            if vs.space != space:
                continue
            if model_ref and vs.model_ref != model_ref:
                log.info(
                    "library: %s vectors by %s are not searched with %s",
                    space,
                    vs.model_ref,
                    model_ref,
                )
                continue
            if len(qvec) != index.dim:
                raise ConfigError(
                    f"{space}: query has {len(qvec)} dimensions, the index {index.dim}"
                )
            probe_top, nprobe = self.probes[space]
            rows += index.search(qvec, n, gran, probe_top=probe_top, nprobe=nprobe)
        return sorted(rows, key=lambda r: -r.similarity)[:n]

    def _locate(self, row: VectorRow, granularity: str, text: str = "") -> Match | None:
        seg = self.timeline(row.video_id, granularity).locate(row.start_s, row.end_s)
        return None if seg is None else Match(seg.id, text, row.start_s, row.end_s)

    def channel_matches(self, query: str, granularity: str, n: int) -> dict[str, list[Match]]:
        lists: dict[str, list[Match]] = {}
        qvec, text_ref = None, ""
        if self.spaces & {"segments", "speech", "screen_text"}:
            embedder = self.models.text_embedder
            text_ref = getattr(embedder, "ref", "")
            qvec = np.asarray(embedder.embed([query]), dtype=np.float32)[0]
        caps = self._rows("segments", qvec, text_ref, n, granularity)
        lists["captions"] = [
            Match(r.vector_id, "", r.start_s, r.end_s)
            for r in caps
            if r.similarity >= TEXT_MIN_SIMILARITY
        ]
        for kind in ("speech", "screen_text"):
            rows = [
                r
                for r in self._rows(kind, qvec, text_ref, n, kind)
                if r.similarity >= TEXT_MIN_SIMILARITY
            ]
            texts = self._texts([r.vector_id for r in rows])
            lists[kind] = [
                m for r in rows if (m := self._locate(r, granularity, texts.get(r.vector_id, "")))
            ]
        image = self.models.image_text_embedder if "frames" in self.spaces else None
        if image is not None:
            fq = np.asarray(image.embed_texts([query]), dtype=np.float32)[0]
            ref = getattr(image, "ref", "")
            lists["frames"] = [
                m
                for r in self._rows("frames", fq, ref, n, "frame")
                if (m := self._locate(r, granularity))
            ]
        codes = {t for t in tokenize(query) if any(c.isdigit() for c in t)}
        if codes:
            lists["exact"] = self._exact(codes, granularity)
        return {k: v for k, v in lists.items() if v}

    def _texts(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {
            r["id"]: r["text"]
            for r in self.store.meta.rows(
                f"SELECT id, text FROM timed_text WHERE id IN ({marks})", ids
            )
        }

    def _exact(self, codes: set[str], granularity: str) -> list[Match]:
        """Speech, OCR and segment text holding every code token verbatim (SQL narrows by the
        longest code, tokens confirm); only videos some library index covers."""
        videos = set(self.video_ids)
        key = max(codes, key=len)
        out: list[Match] = []
        rows = self.store.meta.rows(
            "SELECT video_id, start_s, end_s, text FROM timed_text WHERE text LIKE ? "
            "ORDER BY video_id, start_s LIMIT ?",
            (f"%{key}%", EXACT_ROWS),
        )
        for r in rows:
            if r["video_id"] in videos and codes <= set(tokenize(r["text"])):
                row = VectorRow(r["video_id"], "", "speech", r["start_s"], r["end_s"], 1.0)
                m = self._locate(row, granularity, r["text"])
                if m is not None:
                    out.append(m)
        rows = self.store.meta.rows(
            "SELECT id, video_id, start_s, end_s, text FROM segments WHERE granularity=? AND text LIKE ? "
            "ORDER BY video_id, start_s LIMIT ?",
            (granularity, f"%{key}%", EXACT_ROWS),
        )
        out += [
            Match(r["id"], r["text"], r["start_s"], r["end_s"])
            for r in rows
            if r["video_id"] in videos and codes <= set(tokenize(r["text"]))
        ]
        return out

    def search(self, query: str, granularity: str = "clip", top_k: int = 10) -> list[SearchHit]:
        """The best ``top_k`` segments of the whole library (one per stretch of each video)."""
        if not query.strip():
            raise ValueError("empty search query")
        if granularity not in GRANULARITIES:
            raise ValueError(
                f"granularity {granularity!r}: choose one of {', '.join(GRANULARITIES)}"
            )
        lists = self.channel_matches(query, granularity, n=max(4 * top_k, 40))
        fused = rrf_fuse({ch: [m.segment_id for m in ms] for ch, ms in lists.items()})
        if "exact" in lists:
            fused.sort(key=lambda item: "exact" not in item[2])
        first: dict[tuple[str, str], Match] = {}
        for ch, ms in lists.items():
            for m in ms:
                first.setdefault((ch, m.segment_id), m)
        segs = self.store.get_segments_by_ids([seg_id for seg_id, _, _ in fused])
        per_video: dict[str, list[SearchHit]] = defaultdict(list)
        order: list[str] = []
        for seg_id, score, ranks in fused:
            seg: Segment | None = segs.get(seg_id)
            if seg is None:
                continue
            best = min(ranks, key=lambda c: (ranks[c], _PRECISION.get(c, 9)))
            m = first[(best, seg_id)]
            hit = SearchHit(seg, score, dict(ranks), m.text, m.start_s, m.end_s)
            per_video[seg.video_id].append(hit)
            order.append(seg_id)
        rank = {s: i for i, s in enumerate(order)}
        kept = [h for hits in per_video.values() for h in temporal_dedupe(hits, 0.5)]
        kept.sort(key=lambda h: rank[h.segment.id])
        return kept[:top_k]
