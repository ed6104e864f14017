"""Search over one video (its hybrid search) or the whole library (the library indexes, see
``vidseek.memory.library``), as the same ``SearchResult``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.memory.store import SegmentStore, VideoRecord
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


def check_query(query: str, granularity: str, top_k: int) -> str:
    """The stripped query, or an ``InputError`` saying what is wrong."""
    query = (query or "").strip()
    if not query:
        raise InputError("the search query is empty")
    if granularity not in GRANULARITIES:
        raise InputError(f"granularity {granularity!r}: choose one of {', '.join(GRANULARITIES)}")
    if not 1 <= int(top_k) <= MAX_TOP_K:
        raise InputError(f"top_k {top_k}: give 1 to {MAX_TOP_K}")
    return query


def search_library(
    store: SegmentStore, models: Any, query: str, granularity: str = "clip", top_k: int = 10
) -> SearchResult:
    """The best ``top_k`` segments of every completely indexed video, ranked together (videos
    still indexing are listed in ``skipped``)."""
    from vidseek.memory.library.search import LibrarySearch

    query = check_query(query, granularity, top_k)
    searcher = LibrarySearch(store, models)
    covered = set(searcher.video_ids)
    records = {r.video_id: r for r in store.list_videos()}
    skipped = [
        f"{Path(r.info.path).name}: still indexing" for r in records.values() if not r.indexed_at
    ]
    hits = [
        hit_out(records[h.segment.video_id], h) for h in searcher.search(query, granularity, top_k)
    ]
    return SearchResult(query=query, videos_searched=len(covered), hits=hits, skipped=skipped)


def search_all(
    query: str,
    settings: Settings | None = None,
    granularity: str = "clip",
    top_k: int = 10,
    models: Any = None,
) -> SearchResult:
    """``vidseek.search_all``: rank the segments of every indexed video of ``settings``' data
    dir for ``query`` (opens the store and, unless given, a ModelHub; closes the store)."""
    from vidseek.models.hub import ModelHub

    settings = settings or Settings()
    store = SegmentStore(settings)
    try:
        return search_library(store, models or ModelHub(settings), query, granularity, top_k)
    finally:
        store.close()


def search_videos(
    records: Sequence[VideoRecord],
    open_index: Callable[[str], Any],
    query: str,
    granularity: str = "clip",
    top_k: int = 10,
) -> SearchResult:
    """The best ``top_k`` hits for ``query`` over ``records`` (a video that cannot be searched,
    e.g. one still indexing, is listed in ``skipped`` and does not fail the search)."""
    query = check_query(query, granularity, top_k)
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
