"""Library-wide search: ``vidseek search --all`` over three real indexed videos (real chromadb,
real MiniLM), the on-disk ANN index against exact search, and its memory-mapped reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import vidseek
from vidseek.cli import main
from vidseek.config import Settings
from vidseek.memory.library.index import LibraryIndex, LibraryIndexWriter
from vidseek.memory.store import SegmentStore, timed_text_id
from vidseek.memory.types import Segment, TimedText

from .conftest import make_info

VIDEOS = {  # video -> clip captions (10 s each), and what is said where
    "vidA": ["a dog plays fetch in the snow", "a man reads a newspaper on a bench"],
    "vidB": ["a chef chops onions in a kitchen", "a red car drives along the coast at sunset"],
    "vidC": ["children play football in a park", "a security guard opens a metal door"],
}
SPEECH = {("vidB", 1): "the gate code is 4417", ("vidC", 0): "the gate code is 4471"}


def _add_video(store: SegmentStore, embedder, vid: str, folder: Path, done: bool = True) -> None:
    captions = VIDEOS.get(vid, ["a lighthouse on a rocky shore"])
    store.upsert_video(make_info(vid, folder / f"{vid}.mp4", 10.0 * len(captions)))
    segs = [
        Segment(f"{vid}:clip:{i:06d}", vid, "clip", 10.0 * i, 10.0 * i + 10, i, text=t)
        for i, t in enumerate(captions)
    ]
    store.upsert_segments(segs)
    store.upsert_segment_vectors(segs, embedder.embed([s.text for s in segs]), embedder.ref)
    texts = [
        TimedText(
            timed_text_id(v, "speech", 10.0 * i + 2), v, 10.0 * i + 2, 10.0 * i + 5, t, "speech"
        )
        for (v, i), t in SPEECH.items()
        if v == vid
    ]
    if texts:
        store.upsert_timed_text(texts)
        store.upsert_timed_text_vectors(
            texts, embedder.embed([t.text for t in texts]), embedder.ref
        )
    if done:
        store.mark_indexed(vid, {"text_embedder": embedder.ref})


@pytest.fixture(scope="module")
def lib(tmp_path_factory, minilm) -> Settings:
    pytest.importorskip("vidseek.models.text_embed", reason="no text-embedder backend")
    from vidseek.models.hub import ModelHub

    folder = tmp_path_factory.mktemp("library")
    settings = Settings(data_dir=folder / "data")
    embedder = ModelHub(settings).text_embedder
    store = SegmentStore(settings)
    for vid in VIDEOS:
        _add_video(store, embedder, vid, folder)
    _add_video(store, embedder, "vidD", folder, done=False)  # still indexing: not searched
    store.close()
    return settings


def run(args: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_search_all_ranks_across_videos(lib: Settings, capsys) -> None:
    base = ["--data-dir", str(lib.data_dir), "search", "--all"]
    code, out, _ = run([*base, "a dog playing in snow", "--json", "-k", "4"], capsys)
    assert code == 0, out
    res = json.loads(out)
    assert res["videos_searched"] == 3
    assert res["skipped"] == ["vidD.mp4: still indexing"]
    top = res["hits"][0]
    assert (top["video_id"], top["start_s"], top["end_s"]) == ("vidA", 0.0, 10.0)
    assert "captions" in top["channels"] and top["text"] == VIDEOS["vidA"][0]
    assert len(res["hits"]) == 1  # the other clips are too far from the query to be listed

    # ranked across videos: the closer clip first, whichever video holds it
    code, out, _ = run([*base, "playing outdoors", "--json", "-k", "4"], capsys)
    hits = json.loads(out)["hits"]
    assert [(h["rank"], h["video_id"], h["start_s"]) for h in hits] == [
        (1, "vidC", 0.0),
        (2, "vidA", 0.0),
    ]
    assert hits[0]["score"] > hits[1]["score"] and hits[0]["video_name"] == "vidC.mp4"

    # a spoken code: the video that says it verbatim comes first, with the words as evidence
    code, out, _ = run([*base, "gate code 4417", "--json", "-k", "3"], capsys)
    top = json.loads(out)["hits"][0]
    assert (top["video_id"], top["start_s"]) == ("vidB", 10.0)
    assert "exact" in top["channels"] and top["matched_text"] == "the gate code is 4417"

    code, out, _ = run([*base, "cooking vegetables", "-k", "2"], capsys)  # the table
    assert code == 0 and "vidB.mp4" in out and "00:00.0-00:10.0" in out and "3 videos" in out


def test_search_usage_errors(lib: Settings, capsys) -> None:
    base = ["--data-dir", str(lib.data_dir), "search"]
    code, _, err = run([*base, "--all", "vidA", "a dog"], capsys)
    assert code == 2 and "with --all give only the query" in err
    code, _, err = run([*base, "vidA"], capsys)
    assert code == 2 and "say what to look for" in err


def test_library_index_follows_the_library(lib: Settings, minilm, tmp_path: Path) -> None:
    """A newly indexed video is searched (the stale index is rebuilt); per-video search stays."""
    from types import SimpleNamespace

    from vidseek.memory.library.search import LibrarySearch
    from vidseek.models.hub import ModelHub

    hub = ModelHub(lib)
    store = SegmentStore(lib)
    try:
        before = LibrarySearch(store, hub)
        assert before.video_ids == ["vidA", "vidB", "vidC"]
        _add_video(store, hub.text_embedder, "vidE", tmp_path)
        after = LibrarySearch(store, hub)
        assert after.video_ids == ["vidA", "vidB", "vidC", "vidE"]
        hits = after.search("a lighthouse by the sea", top_k=2)
        assert hits[0].segment.video_id == "vidE"
        res = vidseek.search_all("a lighthouse by the sea", lib, top_k=2, models=hub)
        assert (res.videos_searched, res.hits[0].video_id) == (4, "vidE")
        with pytest.raises(ValueError, match="granularity"):
            after.search("x", granularity="frame")
        no_text = LibrarySearch(
            store, SimpleNamespace(image_text_embedder=None, text_embedder=minilm)
        )
        assert no_text.search("newspaper", top_k=1)[0].segment.id == "vidA:clip:000001"
    finally:
        store.remove("vidE")
        store.close()


def shots_library(videos: int = 30, frames: int = 600, dim: int = 64, seed: int = 0):
    """Frames that are near-duplicates of their shot's centroid (shots of 1-15 frames)."""
    rng = np.random.default_rng(seed)
    out = []
    for v in range(videos):
        lengths = rng.integers(1, 16, size=frames)
        shot_of = np.repeat(np.arange(frames), lengths)[:frames]
        cent = rng.standard_normal((frames, dim)).astype(np.float32) + rng.standard_normal(dim)
        vecs = cent[shot_of] + 0.25 * rng.standard_normal((frames, dim)).astype(np.float32)
        out.append((f"v{v:02d}", vecs / np.linalg.norm(vecs, axis=1, keepdims=True)))
    return out


def test_ann_returns_the_exact_top_hits(tmp_path: Path) -> None:
    lib = shots_library()
    writer = LibraryIndexWriter(tmp_path / "frames", 64)
    for vid, vecs in lib:
        t = np.arange(len(vecs), dtype=np.float32)
        writer.add(vid, [f"{vid}:frame:{i}" for i in range(len(vecs))], vecs, t, t, "frame")
    index = writer.finish(exact_below=0)  # force the tree on 18,000 vectors
    assert index.kind == "ivf" and index.count == 18_000 and len(index.leaf) > 40
    rng = np.random.default_rng(1)
    allv = np.concatenate([v for _, v in lib])
    qs = allv[rng.choice(len(allv), 60, replace=False)] + 0.1 * rng.standard_normal((60, 64))
    recall, same_top = [], 0
    for q in qs:
        ann, exact = index.search(q, 10), index.exact(q, 10)
        brute = np.argsort(-(allv @ (q / np.linalg.norm(q))))[:10]
        assert {h.vector_id for h in exact} == {index.vector_id(int(r)) for r in brute}
        recall.append(len({h.vector_id for h in ann} & {h.vector_id for h in exact}) / 10)
        same_top += ann[0].vector_id == exact[0].vector_id
        assert [h.similarity for h in ann] == sorted((h.similarity for h in ann), reverse=True)
    assert np.mean(recall) >= 0.95 and same_top >= 57
    probed = sum(
        int(index.offsets[b + 1] - index.offsets[b]) for b in range(len(index.leaf))
    ) / len(index.leaf)
    assert probed * 24 < index.count / 2  # 24 leaves of average size: under half the rows
    with pytest.raises(Exception, match="dimensions"):
        index.search(np.ones(32), 5)


def _rss_anon_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_vectors_are_memory_mapped_not_loaded(tmp_path: Path) -> None:
    """A 128 MiB index is scanned end to end while the process's own memory grows by a
    fraction of it: the vectors are read through the page cache, never copied in."""
    writer = LibraryIndexWriter(tmp_path / "big", 128)
    rng = np.random.default_rng(0)
    for v in range(32):
        vecs = rng.standard_normal((8192, 128), dtype=np.float32)
        writer.add(
            f"v{v}", [f"v{v}:{i}" for i in range(8192)], vecs, [0.0] * 8192, [0.0] * 8192, "clip"
        )
    index = writer.finish(exact_below=10**9)
    assert index.kind == "exact" and isinstance(index.vectors, np.memmap)
    size = (tmp_path / "big" / "vectors.f32").stat().st_size / 2**20
    assert size == 128.0
    before = _rss_anon_mib()
    hits = index.search(rng.standard_normal(128), 5)
    grown = _rss_anon_mib() - before
    assert len(hits) == 5 and grown < size / 4, f"anonymous memory grew {grown:.0f} MiB"
    again = LibraryIndex(tmp_path / "big")
    assert [h.vector_id for h in again.exact(index.vectors[7], 1)] == [index.vector_id(7)]
