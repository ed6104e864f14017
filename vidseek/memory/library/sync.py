"""Keep one library index per vector collection in step with the segment store.

An index is rebuilt when the set of complete videos holding vectors in its collection changed
(its ``stamp``); it is read one video at a time from the store, so building needs the memory of
one video's vectors, not of the library's. A lock file makes concurrent processes wait for one
build instead of racing.
"""

from __future__ import annotations

import fcntl
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha1
from pathlib import Path

from vidseek.memory.library.index import LibraryIndex, LibraryIndexWriter
from vidseek.memory.store import SegmentStore
from vidseek.memory.store.records import SPACES, VectorSpace

log = logging.getLogger(__name__)


def library_dir(store: SegmentStore) -> Path:
    return store.db_dir / "library"


def complete_spaces(store: SegmentStore) -> dict[str, list[VectorSpace]]:
    """Collection name -> the vector spaces of every completely indexed video stored in it."""
    by_collection: dict[str, list[VectorSpace]] = defaultdict(list)
    for rec in store.list_videos():
        if not rec.indexed_at:
            continue  # still indexing: its vectors may be half written
        for vs in store.vector_spaces(rec.video_id).values():
            by_collection[vs.collection].append(vs)
    return dict(by_collection)


def _stamp(store: SegmentStore, spaces: list[VectorSpace]) -> str:
    parts = []
    for vs in sorted(spaces, key=lambda s: s.video_id):
        rec = store.get_video(vs.video_id)
        parts.append(f"{vs.video_id}:{rec.indexed_at if rec else 0}:{vs.model_ref}:{vs.dim}")
    return sha1("\n".join(parts).encode()).hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _current(path: Path, stamp: str) -> LibraryIndex | None:
    if not (path / "meta.json").exists():
        return None
    try:
        index = LibraryIndex(path)
    except Exception as exc:  # an unreadable or old index is rebuilt, never trusted
        log.info("library index %s is rebuilt: %s", path, exc)
        return None
    return index if index.stamp == stamp else None


def open_library_indexes(store: SegmentStore) -> dict[str, tuple[VectorSpace, LibraryIndex]]:
    """Collection -> (a space record naming its model, the up-to-date index), building stale ones."""
    out: dict[str, tuple[VectorSpace, LibraryIndex]] = {}
    for collection, spaces in complete_spaces(store).items():
        if spaces[0].space not in SPACES:
            continue
        path = library_dir(store) / collection
        stamp = _stamp(store, spaces)
        index = _current(path, stamp)
        if index is None:
            with _locked(library_dir(store) / f"{collection}.lock"):
                index = _current(path, stamp) or _build(store, path, spaces, stamp)
        out[collection] = (spaces[0], index)
    return out


def _build(store: SegmentStore, path: Path, spaces: list[VectorSpace], stamp: str) -> LibraryIndex:
    log.info("building the library index %s over %d videos", path.name, len(spaces))
    writer = LibraryIndexWriter(path, spaces[0].dim, stamp=stamp)
    for vs in sorted(spaces, key=lambda s: s.video_id):
        ids, metas, matrix = store.load_vectors(vs.video_id, vs.space)
        if not ids:
            continue
        writer.add(
            vs.video_id,
            ids,
            matrix,
            [float(m.get("start_s", 0.0)) for m in metas],
            [float(m.get("end_s", 0.0)) for m in metas],
            [str(m.get("granularity") or "frame") for m in metas],
        )
    return writer.finish()
