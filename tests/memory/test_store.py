"""SegmentStore mechanics on a real chromadb + SQLite, with hand-made vectors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.errors import ConfigError
from vidseek.memory.store import SegmentStore, collection_name, frame_id, timed_text_id
from vidseek.memory.types import Segment, TimedText
from vidseek.models.base import Detection

from .conftest import make_info

DIM = 16


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill(store: SegmentStore, video_id: str, tmp: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """One video: 6 clips, 2 scenes, speech, OCR, detections, frames, subjects, a stage."""
    rng = np.random.default_rng(seed)
    store.upsert_video(
        make_info(video_id, tmp / f"{video_id}.mp4", 60.0), models={"detector": "yolo"}
    )
    clips = [
        Segment(
            f"{video_id}:clip:{i:06d}",
            video_id,
            "clip",
            10.0 * i,
            10.0 * i + 10,
            i,
            parent_id=f"{video_id}:scene:{i // 3:06d}",
            text=f"clip {i}",
            fields={"objects": ["cup"]},
            models={"captioner": "metadata"},
        )
        for i in range(6)
    ]
    scenes = [
        Segment(
            f"{video_id}:scene:{j:06d}",
            video_id,
            "scene",
            30.0 * j,
            30.0 * j + 30,
            j,
            text=f"scene {j}",
        )
        for j in range(2)
    ]
    store.upsert_segments(clips + scenes)
    seg_vecs = unit(rng, 8)
    store.upsert_segment_vectors(clips + scenes, seg_vecs, "hand:text")
    texts = [
        TimedText(
            timed_text_id(video_id, "speech", 2.0 + 10 * i),
            video_id,
            2.0 + 10 * i,
            6.0 + 10 * i,
            f"line {i}",
            "speech",
        )
        for i in range(6)
    ]
    texts.append(
        TimedText(
            timed_text_id(video_id, "screen_text", 15.0),
            video_id,
            15.0,
            15.0,
            "EXIT 12",
            "screen_text",
        )
    )
    store.upsert_timed_text(texts)
    store.upsert_timed_text_vectors(texts, unit(rng, len(texts)), "hand:text")
    times = [0.5 * k for k in range(120)]
    frame_vecs = unit(rng, len(times), 32)
    store.upsert_frame_vectors(video_id, times, frame_vecs, "hand:clip")
    dets = [Detection(t, "person", 0.9, (1, 2, 30, 40)) for t in (1.0, 1.5, 2.0)]
    dets += [
        Detection(1.0, "person", 0.4, (50, 2, 80, 40)),
        Detection(20.0, "dog", 0.8, (0, 0, 9, 9)),
    ]
    store.upsert_detections(video_id, dets)
    store.upsert_subjects(video_id, [{"name": "Alice", "description": "woman in red"}])
    store.set_stage(video_id, "detections", "abc", "done", {"frames": 3})
    store.video_dir(video_id).joinpath("thumb.jpg").write_bytes(b"x")
    return {"segments": seg_vecs, "frames": frame_vecs}


def counts(store: SegmentStore, video_id: str) -> dict:
    return {
        "segments": store.count_segments(video_id),
        "text": store.count_timed_text(video_id),
        "vectors": store.count_vectors(video_id),
        "detections": len(store.detections(video_id)),
        "subjects": len(store.subjects(video_id)),
        "stages": len(store.stages(video_id)),
    }


def test_round_trip(settings: Settings, tmp_path: Path) -> None:
    store = SegmentStore(settings)
    vecs = fill(store, "vid1", tmp_path)
    rec = store.get_video("vid1")
    assert rec is not None and rec.info.duration_s == 60.0 and rec.info.keyframes_s == (0.0, 10.0)
    assert rec.models == {"detector": "yolo"} and rec.indexed_at is None
    store.mark_indexed("vid1", {"text_embedder": "hand:text"})
    rec = store.get_video("vid1")
    assert rec.indexed_at is not None and rec.models == {
        "detector": "yolo",
        "text_embedder": "hand:text",
    }
    assert store.find_video(tmp_path / "vid1.mp4").video_id == "vid1"  # by path

    clips = store.get_segments("vid1", "clip")
    assert [c.index for c in clips] == list(range(6))
    assert clips[4].parent_id == "vid1:scene:000001" and clips[4].fields == {"objects": ["cup"]}
    assert clips[4].models == {"captioner": "metadata"}
    assert [c.index for c in store.get_segments("vid1", "clip", (15.0, 30.0))] == [1, 2]
    assert store.get_segment("vid1:scene:000001").text == "scene 1"

    assert counts(store, "vid1") == {
        "segments": {"clip": 6, "scene": 2},
        "text": {"speech": 6, "screen_text": 1},
        "vectors": {"segments": 8, "frames": 120, "speech": 6, "screen_text": 1},
        "detections": 5,
        "subjects": 1,
        "stages": 1,
    }
    # the exact vector of clip 2 finds clip 2 first, at distance ~0 (cosine space)
    hits = store.query_vectors("vid1", "segments", vecs["segments"][2], 3, granularity="clip")
    assert hits[0].id == "vid1:clip:000002" and hits[0].distance < 1e-4
    assert all(h.metadata["granularity"] == "clip" for h in hits)
    hits = store.query_vectors("vid1", "frames", vecs["frames"][50], 5, time_range=(24.0, 26.0))
    assert hits[0].id == frame_id("vid1", 25.0)
    assert all(24.0 <= h.metadata["start_s"] < 26.0 for h in hits) and len(hits) == 4
    assert store.stage_done("vid1", "detections", "abc") and not store.stage_done(
        "vid1", "detections", "xyz"
    )
    assert store.subjects("vid1")[0]["description"] == "woman in red"
    with pytest.raises(ConfigError, match="hand:text"):
        store.query_vectors("vid1", "segments", np.ones(7, dtype=np.float32), 3)


def test_writes_are_idempotent(settings: Settings, tmp_path: Path) -> None:
    store = SegmentStore(settings)
    fill(store, "vid1", tmp_path)
    before = counts(store, "vid1")
    fill(store, "vid1", tmp_path, seed=1)  # a re-run after a crash writes the same ids again
    assert counts(store, "vid1") == before
    # a frame written again with fewer objects keeps only the new ones
    store.upsert_detections("vid1", [Detection(1.0, "person", 0.95, (1, 2, 3, 4))])
    at_1s = store.detections("vid1", time_range=(1.0, 1.01))
    assert [(d.label, d.confidence) for d in at_1s] == [("person", 0.95)]


def test_detection_queries(settings: Settings, tmp_path: Path) -> None:
    store = SegmentStore(settings)
    fill(store, "vid1", tmp_path)
    assert store.labels("vid1") == {"person": 3, "dog": 1}
    assert store.labels("vid1", min_conf=0.5) == {"person": 3, "dog": 1}
    assert len(store.detections("vid1", label="person")) == 4
    assert len(store.detections("vid1", label="person", min_conf=0.5)) == 3
    rows = store.detections("vid1", time_range=(1.0, 2.0))
    assert [r.time_s for r in rows] == [1.0, 1.0, 1.5]
    assert rows[0].box == (1.0, 2.0, 30.0, 40.0)
    assert store.detections("vid1", label="cat") == []


def test_remove_one_of_two(settings: Settings, tmp_path: Path) -> None:
    store = SegmentStore(settings)
    fill(store, "vid1", tmp_path)
    fill(store, "vid2", tmp_path, seed=3)
    kept = counts(store, "vid2")
    assert store.remove("vid1") is True
    assert store.get_video("vid1") is None
    assert counts(store, "vid1") == {
        "segments": {},
        "text": {},
        "vectors": {},
        "detections": 0,
        "subjects": 0,
        "stages": 0,
    }
    assert not store.video_dir("vid1", create=False).exists()
    # the chroma collections no longer hold any vector of vid1
    for name in ("segments", "frames", "speech", "screen_text"):
        model, dim = ("hand:clip", 32) if name == "frames" else ("hand:text", DIM)
        col = store.collection(collection_name(name, model, dim))
        assert col.get(where={"video_id": "vid1"}, include=[])["ids"] == []
    assert counts(store, "vid2") == kept
    assert store.video_dir("vid2", create=False).joinpath("thumb.jpg").exists()
    assert store.remove("vid1") is False


def test_new_model_replaces_old_vectors(settings: Settings, tmp_path: Path) -> None:
    store = SegmentStore(settings)
    fill(store, "vid1", tmp_path)
    segs = store.get_segments("vid1")
    store.upsert_segment_vectors(segs, unit(np.random.default_rng(5), len(segs), 8), "other:text")
    spaces = store.vector_spaces("vid1")
    assert spaces["segments"].model_ref == "other:text" and spaces["segments"].dim == 8
    old = store.collection(collection_name("segments", "hand:text", DIM))
    assert old.get(where={"video_id": "vid1"}, include=[])["ids"] == []
    assert store.count_vectors("vid1")["segments"] == 8


def test_reopen_from_new_process(settings: Settings, tmp_path: Path) -> None:
    store = SegmentStore(settings)
    fill(store, "vid1", tmp_path)
    store.close()
    code = (
        "import json, sys\n"
        "from vidseek.config import Settings\n"
        "from vidseek.memory.store import SegmentStore\n"
        "s = SegmentStore(Settings(data_dir=sys.argv[1]))\n"
        "print(json.dumps({'segs': s.count_segments('vid1'), 'vec': s.count_vectors('vid1'),"
        " 'labels': s.labels('vid1')}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(settings.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {
        "segs": {"clip": 6, "scene": 2},
        "vec": {"segments": 8, "frames": 120, "speech": 6, "screen_text": 1},
        "labels": {"person": 3, "dog": 1},
    }


def test_default_embedder_never_runs(settings: Settings, tmp_path: Path, monkeypatch) -> None:
    """chromadb's default embedder downloads an ONNX model: it must never be called."""
    from chromadb.api import types as chroma_types
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    calls: list[str] = []

    def refuse(self, input):  # noqa: A002 - chroma checks this exact signature
        calls.append("called")
        raise AssertionError("chroma's default embedding function ran")

    def no_download(*_a, **_k):
        calls.append("download")
        raise AssertionError("chroma tried to download its ONNX model")

    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__call__", refuse)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "_download_model_if_not_exists", no_download)
    monkeypatch.setattr(chroma_types.DefaultEmbeddingFunction, "__call__", refuse)
    store = SegmentStore(settings)
    fill(store, "vid1", tmp_path)
    store.query_vectors("vid1", "speech", np.ones(DIM, dtype=np.float32) / 4, 3)
    store.remove("vid1")
    assert calls == []
    # documents without embeddings are refused instead of being embedded by chroma
    col = store.collection(collection_name("speech", "hand:text", DIM))
    with pytest.raises(ValueError, match="embedding function"):
        col.add(ids=["x"], documents=["some text"])
    assert calls == []
    assert col.configuration["hnsw"]["space"] == "cosine"


def test_rejects_bad_vectors(settings: Settings, tmp_path: Path) -> None:
    store = SegmentStore(settings)
    store.upsert_video(make_info("vid1", tmp_path / "a.mp4"))
    seg = Segment("vid1:clip:000000", "vid1", "clip", 0.0, 10.0)
    with pytest.raises(ValueError, match="NaN"):
        store.upsert_segment_vectors([seg], np.full((1, 4), np.nan, dtype=np.float32), "m")
    with pytest.raises(ValueError, match="do not match"):
        store.upsert_segment_vectors([seg], np.ones((2, 4), dtype=np.float32), "m")
    assert store.vector_spaces("vid1") == {}


def test_batches_above_chroma_limit(settings: Settings, tmp_path: Path) -> None:
    store = SegmentStore(settings)
    store.vectors.max_batch = 7  # force several batches on a small input
    store.upsert_video(make_info("vid1", tmp_path / "a.mp4"))
    times = [0.1 * k for k in range(30)]
    store.upsert_frame_vectors("vid1", times, unit(np.random.default_rng(0), 30, 4), "m")
    assert store.count_vectors("vid1") == {"frames": 30}


def test_vector_filter_without_a_video_searches_every_video(
    settings: Settings, tmp_path: Path
) -> None:
    """The vector part answers library-wide queries (no video filter) and per-video ones."""
    from vidseek.memory.store import VectorFilter

    store = SegmentStore(settings)
    vecs1 = fill(store, "vid1", tmp_path, seed=0)
    fill(store, "vid2", tmp_path, seed=5)
    name = store.vector_spaces("vid1")["segments"].collection
    assert store.vector_spaces("vid2")["segments"].collection == name
    query = vecs1["segments"][2]
    everywhere = store.vectors.query(name, query, 16, VectorFilter())
    assert {h.metadata["video_id"] for h in everywhere} == {"vid1", "vid2"}
    assert everywhere[0].id == "vid1:clip:000002" and len(everywhere) == 16
    only2 = store.vectors.query(name, query, 16, VectorFilter("vid2", granularity="scene"))
    assert [h.id for h in only2] and all(h.id.startswith("vid2:scene:") for h in only2)
    assert store.vectors.count(name, VectorFilter()) == 16
    assert (
        store.vectors.count(name, VectorFilter("vid1", time_range=(15.0, 30.0))) == 3
    )  # clips 1, 2, scene 0


def test_unsure_words_round_trip_and_an_older_database_gains_their_column(
    settings: Settings, tmp_path: Path
) -> None:
    """Speech rows keep the words the recognizer was unsure of; a database written before that
    column existed opens, reads its rows as "nothing unsure" and stores new ones with it."""
    import sqlite3

    path = SegmentStore(settings).sqlite_path
    path.unlink()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE timed_text (id TEXT PRIMARY KEY, video_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " start_s REAL NOT NULL, end_s REAL NOT NULL, text TEXT NOT NULL);"
        "INSERT INTO timed_text VALUES ('old', 'vid1', 'speech', 1.0, 2.0, 'said before');"
        "PRAGMA user_version=2;"
    )
    old.commit()
    old.close()
    store = SegmentStore(settings)
    assert [(t.text, t.unsure) for t in store.timed_text("vid1", "speech")] == [("said before", ())]
    heard = TimedText("new", "vid1", 5.0, 7.0, "starts at 8 o'clock", "speech", unsure=("8",))
    store.upsert_timed_text([heard])
    rows = {t.id: t.unsure for t in store.timed_text("vid1", "speech")}
    assert rows == {"old": (), "new": ("8",)}
    store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3
