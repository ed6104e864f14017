"""The segment store shared by several real processes (issue 14, a store for many writers).

Writer processes each fill their own video through ``SegmentStore`` and all merge model records
into one shared video row (a read-then-write upsert: without one transaction around the read and
the write, concurrent merges lose each other's keys), with vectors in one shared embedded chromadb
(which corrupts its HNSW index when two processes write it unguarded: "Error finding id"), while
a reader process queries both parts in a loop. Afterwards every row and vector is there
exactly once, searches work, and SQLite's integrity check passes. Hand-made vectors; no models.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.errors import ConfigError
from vidseek.memory.store import SegmentStore, VectorFilter, collection_name

DIM = 24
ROUNDS = 8  # transactions per writer
PER_ROUND = 40  # segments (and vectors) per transaction

# one writer: ROUNDS rounds of (video upsert, segments, timed text, stage, vectors) for one video
WRITER = """
import sys, numpy as np
from pathlib import Path
from vidseek.config import Settings
from vidseek.memory.store import SegmentStore
from vidseek.memory.types import Segment, TimedText
from vidseek.testing import fake_video_info
data_dir, vid, rounds, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = SegmentStore(Settings(data_dir=data_dir))
rng = np.random.default_rng(abs(hash(vid)) % 2**32)
info = fake_video_info(600.0, vid, Path(data_dir) / f"{vid}.mp4", keyframes_s=(0.0,))
shared = fake_video_info(600.0, "shared0000", Path(data_dir) / "shared.mp4", keyframes_s=(0.0,))
for r in range(rounds):
    store.upsert_video(info, models={f"round{r}": "x"}, digests={f"d{r}": vid})
    store.upsert_video(shared, models={f"{vid}-{r}": "x"})  # every writer merges into one row
    segs = [Segment(f"{vid}:clip:{r * per + i:06d}", vid, "clip", float(r * per + i),
                    float(r * per + i + 1), r * per + i, text=f"{vid} clip {r} {i}")
            for i in range(per)]
    store.upsert_segments(segs)
    store.upsert_timed_text([TimedText(f"{vid}:ocr:{r}", vid, float(r), float(r) + 1,
                                       f"sign {r}", "screen_text")])
    emb = rng.normal(size=(per, DIM)).astype(np.float32)
    store.upsert_segment_vectors(segs, emb / np.linalg.norm(emb, axis=1, keepdims=True), "hand:t")
    store.set_stage(vid, f"stage{r}", "d", "done")
store.mark_indexed(vid, {"done": "yes"})
print("ok", vid)
""".replace("DIM", str(DIM))

# the reader: until the stop file appears, list videos, count rows and search every video
READER = """
import sys, json, time, numpy as np
from pathlib import Path
from vidseek.config import Settings
from vidseek.memory.store import SegmentStore
data_dir, stop = sys.argv[1], Path(sys.argv[2])
store = SegmentStore(Settings(data_dir=data_dir))
q = np.ones(DIM, dtype=np.float32)
loops = searches = 0
while not stop.exists():
    for rec in store.list_videos():
        store.count_segments(rec.video_id)
        store.stages(rec.video_id)
        if "segments" in store.vector_spaces(rec.video_id):
            hits = store.query_vectors(rec.video_id, "segments", q, 5, "clip")
            assert all(h.id.startswith(rec.video_id) for h in hits), hits
            searches += 1
    loops += 1
    time.sleep(0.1)
print(json.dumps({"loops": loops, "searches": searches}))
""".replace("DIM", str(DIM))


def child(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def reap(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


def finish(proc: subprocess.Popen, timeout: float = 240) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"rc={proc.returncode}\n{out}\n{err[-3000:]}"
    assert "database is locked" not in err and "Traceback" not in err, err[-3000:]
    return out


def test_writers_and_a_reader_share_one_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stop = tmp_path / "stop"
    videos = ["va" * 8, "vb" * 8, "vc" * 8]
    reader = child(READER, str(data_dir), str(stop))
    t0 = time.monotonic()
    writers = [child(WRITER, str(data_dir), v, str(ROUNDS), str(PER_ROUND)) for v in videos]
    try:
        for w in writers:
            assert finish(w).strip().startswith("ok")
        writers_s = time.monotonic() - t0
        stop.touch()
        seen = json.loads(finish(reader).strip().splitlines()[-1])
    finally:  # a failed child must not leave the others running
        for proc in (*writers, reader):
            reap(proc)
    assert seen["loops"] > 0 and seen["searches"] > 0, seen  # it really read while they wrote

    # everything is there exactly once: a fresh process-view of both parts
    store = SegmentStore(Settings(data_dir=data_dir))
    name = collection_name("segments", "hand:t", DIM)
    n = ROUNDS * PER_ROUND
    for v in videos:
        rec = store.get_video(v)
        assert rec is not None and rec.indexed_at
        assert set(rec.models) >= {f"round{r}" for r in range(ROUNDS)} | {"done"}
        assert store.count_segments(v) == {"clip": n}
        assert store.count_timed_text(v) == {"screen_text": ROUNDS}
        assert len(store.stages(v)) == ROUNDS
        assert store.vectors.count(name, VectorFilter(v)) == n
        hits = store.query_vectors(v, "segments", np.ones(DIM), n, "clip")
        assert len(hits) == n and len({h.id for h in hits}) == n
    merged = store.get_video("shared0000")
    assert merged is not None
    assert set(merged.models) == {f"{v}-{r}" for v in videos for r in range(ROUNDS)}  # none lost
    with sqlite3.connect(store.sqlite_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 3 * n
        assert db.execute("SELECT COUNT(*) FROM videos").fetchone()[0] == 4
    assert writers_s < 200, writers_s


def test_a_second_holder_of_a_video_lock_waits_and_says_why(tmp_path: Path) -> None:
    """The per-video index lock across processes: the child blocks until we release it, and
    says it waits for another process indexing the video."""
    from vidseek.memory.store.locks import video_lock

    lock = tmp_path / ".abc.lock"
    script = (
        "import sys, time; from pathlib import Path; "
        "from vidseek.memory.store.locks import video_lock\n"
        "with video_lock(Path(sys.argv[1]), 'clip.mp4', lambda m: print(m, flush=True)):\n"
        "    print('got it', time.time(), flush=True)\n"
    )
    try:
        with video_lock(lock, "clip.mp4"):
            proc = child(script, str(lock))
            time.sleep(3.0)
            assert proc.poll() is None  # still waiting for us
            released = time.time()
        out = finish(proc, timeout=60)
    finally:
        reap(proc)
    lines = out.strip().splitlines()
    assert lines[0] == "waiting for another process indexing clip.mp4"
    assert lines[1].startswith("got it") and float(lines[1].split()[2]) >= released


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("localhost:8123", ("localhost", 8123, False)),
        ("chroma.example", ("chroma.example", 8000, False)),
        ("http://10.0.0.5:9000", ("http://10.0.0.5:9000", 9000, False)),
        ("https://vectors.example/", ("https://vectors.example", 443, True)),
    ],
)
def test_chroma_server_addresses(address: str, expected: tuple) -> None:
    from vidseek.memory.store.chroma import parse_server

    assert parse_server(address) == expected


@pytest.mark.parametrize("address", ["ftp://host:1", "localhost:notaport", "http://"])
def test_bad_chroma_server_addresses_are_refused(address: str) -> None:
    from vidseek.memory.store.chroma import parse_server

    with pytest.raises(ConfigError, match="chroma_host"):
        parse_server(address)


def test_an_absent_chroma_server_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(data_dir=tmp_path / "d", chroma_host=f"127.0.0.1:{port}")
    with pytest.raises(ConfigError, match=rf"chroma server 127.0.0.1:{port}: cannot connect"):
        SegmentStore(settings)


def test_a_write_waits_out_a_long_transaction_of_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds the write lock for longer than SQLite's busy timeout: our write
    waits (and says so in the log) instead of failing with "database is locked"."""
    from vidseek.memory.store import sqlite as store_sqlite
    from vidseek.memory.store.metadata import MetadataStore
    from vidseek.testing import fake_video_info

    monkeypatch.setattr(store_sqlite, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "db" / "vidseek.sqlite"
    meta = MetadataStore(path)
    holder = child(
        "import sqlite3, sys, time\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('BEGIN IMMEDIATE')\n"
        "print('holding', flush=True)\n"
        "time.sleep(2.0)\n"
        "db.execute('COMMIT')\n",
        str(path),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        t0 = time.monotonic()
        meta.upsert_video(fake_video_info(10.0, "late0001", tmp_path / "late.mp4"))
        waited = time.monotonic() - t0
        finish(holder, timeout=60)
    finally:
        reap(holder)
    assert meta.get_video("late0001") is not None
    assert waited > 0.5, waited  # it did wait for the other process, past the busy timeout
    assert "the database is busy" in caplog.text
