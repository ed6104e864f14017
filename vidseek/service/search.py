"""Search over one video or the whole library: each video's hybrid search, merged by fused score."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vidseek.errors import VidseekError
from vidseek.memory.store import VideoRecord
from vidseek.memory.types import SearchHit
from vidseek.service.errors import InputError
from vidseek.service.types import LibraryHit, SearchResult

log = logging.getLogger(__name__)

GRANULARITIES = ("clip", "shot", "scene")
MAX_TOP_K = 100


def hit_out(rec: VideoRecord, hit: SearchHit) -> LibraryHit:
    seg = hit.segment
    return LibraryHit(
        video_id=rec.video_id,
        video_name=Path(rec.info.path).name,
        segment_id=seg.id,
        granularity=seg.granularity,
        start_s=seg.start_s,
        end_s=seg.end_s,
        score=round(float(hit.score), 6),
        channels=[c for c, _ in sorted(hit.channels.items(), key=lambda kv: kv[1])],
        text=" ".join((seg.text or "").split())[:600],
        matched_text=" ".join((hit.matched_text or "").split())[:600],
        match_start_s=hit.match_start_s,
        match_end_s=hit.match_end_s,
    )


def search_videos(
    records: Sequence[VideoRecord],
    open_index: Callable[[str], Any],
    query: str,
    granularity: str = "clip",
    top_k: int = 10,
) -> SearchResult:
    """The best ``top_k`` hits for ``query`` over ``records`` (a video that cannot be searched,
    e.g. one still indexing, is listed in ``skipped`` and does not fail the search)."""
    query = (query or "").strip()
    if not query:
        raise InputError("the search query is empty")
    if granularity not in GRANULARITIES:
        raise InputError(f"granularity {granularity!r}: choose one of {', '.join(GRANULARITIES)}")
    if not 1 <= int(top_k) <= MAX_TOP_K:
        raise InputError(f"top_k {top_k}: give 1 to {MAX_TOP_K}")
    hits: list[LibraryHit] = []
    skipped: list[str] = []
    searched = 0
    for rec in records:
        try:
            index = open_index(rec.video_id)
            found = index.search(query, granularity=granularity, top_k=top_k)
        except VidseekError as exc:
            skipped.append(f"{Path(rec.info.path).name}: {exc}")
            continue
        searched += 1
        hits.extend(hit_out(rec, h) for h in found)
    hits.sort(key=lambda h: (-h.score, h.video_name, h.start_s))
    return SearchResult(query=query, videos_searched=searched, hits=hits[:top_k], skipped=skipped)
