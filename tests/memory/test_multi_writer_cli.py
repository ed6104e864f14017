"""Several ``vidseek index`` processes and a reader on one data dir (issues 14 and 15).

Two small real videos (ffmpeg-made, a sign tesseract reads on each; real OCR, real MiniLM, real
chromadb) are indexed by two concurrent ``vidseek index`` processes while a third process searches
and reads overviews in a loop: with the embedded chromadb and against a ``chroma run`` server
subprocess. No process fails or prints "database is locked", SQLite's integrity check passes and
every video's segments, timed text, stage records and vector counts equal those of one process
indexing the same videos alone. Two processes indexing the same video: one waits for the other,
finds its work done and skips it; the result equals a single index, nothing is duplicated.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
from clirun import Run, vidseek  # noqa: E402

from vidseek.config import Settings  # noqa: E402

MODELS = {"detector": None, "speech": None}  # OCR + MiniLM + metadata captions: seconds a clip
ENV = {"VIDSEEK_MODELS": json.dumps(MODELS)}
SIGNS = {"gate.mp4": "GATE 7", "exit.mp4": "EXIT 12"}
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
WAITING = "waiting for another process indexing"

# searches and overviews of every complete video, in a loop until the stop file appears (then
# one more loop, which sees every video complete)
READER = """
import json, sys, time
from pathlib import Path
from vidseek.config import load_settings
from vidseek.memory.store import SegmentStore
from vidseek.memory.video_index import VideoIndex
from vidseek.models.hub import ModelHub
settings = load_settings(data_dir=sys.argv[1])
stop = Path(sys.argv[2])
store, hub = SegmentStore(settings), ModelHub(settings)
stats = {"loops": 0, "searches": 0, "overviews": 0, "hits": {}}
while True:
    stopping = stop.exists()  # one last full loop after the indexers are done
    for rec in store.list_videos():
        if rec.indexed_at is None:
            continue
        index = VideoIndex.open(settings, rec.video_id, models=hub, store=store)
        hits = index.search("a sign with a number", top_k=3)
        assert hits and all(h.segment.video_id == rec.video_id for h in hits), hits
        stats["hits"][rec.info.path.name] = len(hits)
        assert index.overview()["video_id"] == rec.video_id
        stats["searches"] += 1
        stats["overviews"] += 1
    stats["loops"] += 1
    if stopping:
        break
    time.sleep(1.0)  # a user refreshing a page, not a busy loop stealing the indexers' CPU
print(json.dumps(stats))
"""


def make_clip(path: Path, sign: str) -> Path:
    font = f"fontfile={FONT}:" if FONT.is_file() else ""
    draw = (
        f"drawtext={font}text='{sign}':fontsize=44:fontcolor=black:box=1:boxcolor=white:"
        "boxborderw=12:x=(w-text_w)/2:y=(h-text_h)/2"
    )
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
           "-i", "testsrc2=s=320x240:r=10:d=2", "-vf", draw, "-c:v", "libx264",
           "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", str(path)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("multi-writer-clips")
    return [make_clip(folder / name, sign) for name, sign in SIGNS.items()]


def snapshot(settings: Settings) -> dict[str, Any]:
    """What is indexed per video (by file name), minus times of day; SQLite integrity checked."""
    from vidseek.memory.store import SegmentStore

    store = SegmentStore(settings)
    with sqlite3.connect(store.sqlite_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    out: dict[str, Any] = {}
    for rec in store.list_videos():
        vid = rec.video_id
        segments = store.get_segments(vid)
        texts = [t for kind in ("speech", "screen_text") for t in store.timed_text(vid, kind)]
        out[rec.info.path.name] = {
            "complete": rec.indexed_at is not None,
            "segments": [(s.id, s.granularity, s.start_s, s.end_s, s.text) for s in segments],
            "timed_text": [(t.id, t.kind, t.start_s, t.end_s, t.text) for t in texts],
            "stages": {r.stage: (r.digest, r.status) for r in store.stages(vid)},
            "vectors": store.count_vectors(vid),
            "detections": len(store.detections(vid)),
        }
        assert len({s.id for s in segments}) == len(segments)
    store.close()
    return out


@pytest.fixture(scope="module")
def reference(clips, tmp_path_factory) -> dict[str, Any]:
    """The same videos indexed by this one process, alone."""
    from vidseek.memory.builder import index_many

    settings = Settings(data_dir=tmp_path_factory.mktemp("single") / "data", models=MODELS)
    index_many(clips, settings, progress=False)
    snap = snapshot(settings)
    assert set(snap) == set(SIGNS)
    for name, sign in SIGNS.items():  # the signs were read: real OCR text, real vectors
        assert any(sign.split()[0] in t[-1].upper() for t in snap[name]["timed_text"]), snap
        assert snap[name]["complete"] and snap[name]["vectors"].get("screen_text", 0) > 0
    return snap


class Reader:
    """The reader process: started before the indexers, stopped after them."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.stop = data_dir.parent / "stop-reader"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", READER, str(data_dir), str(self.stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )

    def close(self) -> None:
        """Kill it if it is still running (a failed test must not leave it looping)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def finish(self) -> dict[str, Any]:
        self.stop.touch()
        out, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err[-3000:]
        assert "database is locked" not in err
        return json.loads(out.strip().splitlines()[-1])


def start_index(
    pool: ThreadPoolExecutor, data_dir: Path, video: Path, env: dict[str, str], *extra: str
) -> Future[Run]:
    """One ``vidseek index`` child process (``clirun.vidseek``), run on a pool thread."""
    args = ("--data-dir", str(data_dir), "index", *extra, str(video))
    return pool.submit(vidseek, *args, cwd=data_dir.parent, env=env, timeout_s=600)


def check_runs(runs: list[Run]) -> None:
    for run in runs:
        assert run.rc == 0, str(run)
        assert "database is locked" not in run.stderr + run.stdout, str(run)
        assert "Traceback" not in run.stderr, str(run)


def stage_statuses(run: Run) -> dict[str, str]:
    """Stage -> status from the report ``index`` prints ("  write: cached, ...")."""
    rows = [ln.strip().split(":", 1) for ln in run.stdout.splitlines() if ln.startswith("  ")]
    return {name: rest.split(",")[0].strip() for name, rest in rows}


def check_against_reference(
    settings: Settings, reference: dict[str, Any], stats: dict[str, Any]
) -> None:
    assert snapshot(settings) == reference
    # the reader really read while they wrote, and found both videos once they were complete
    assert stats["loops"] >= 2 and stats["searches"] >= 1, stats
    assert set(stats["hits"]) == set(SIGNS), stats


def test_indexers_and_a_reader_embedded(clips, reference, tmp_path: Path) -> None:
    """Three index processes (the first video twice, the second once) and a reader. Both
    processes of the first video start while this test holds its index lock, so they are surely
    inside ``index`` at once; released, one indexes it while the other waits (saying so on its
    plain progress lines), then finds every stage done and skips it."""
    from vidseek.media.probe import probe
    from vidseek.memory.store.locks import video_lock

    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, models=MODELS)
    first, second = clips
    lock = settings.videos_dir / f".{probe(first, settings).video_id}.lock"
    reader = Reader(data_dir, ENV)
    try:
        with ThreadPoolExecutor(3) as pool:
            with video_lock(lock, str(first)):
                same = [start_index(pool, data_dir, first, ENV) for _ in range(2)]
                other = start_index(pool, data_dir, second, ENV, "--no-progress")
                deadline = time.monotonic() + 300
                while waiters(lock) < 2 and time.monotonic() < deadline:
                    assert not any(f.done() for f in same), [str(f.result()) for f in same]
                    time.sleep(0.2)
                assert waiters(lock) == 2  # both blocked behind this test, neither got past it
            runs = [f.result() for f in same]
            check_runs([*runs, other.result()])
        stats = reader.finish()
    finally:
        reader.close()
    check_against_reference(settings, reference, stats)
    for run in runs:
        assert WAITING in run.stderr + run.stdout, str(run)
    statuses = [stage_statuses(run) for run in runs]
    ran = [s for s in statuses if s.get("write") == "done"]
    skipped = [s for s in statuses if s.get("write") == "cached"]
    assert len(ran) == 1 and len(skipped) == 1, statuses
    assert skipped[0]["screen_text"] == skipped[0]["clips"] == "cached", statuses
    assert set(skipped[0].values()) <= {"done", "cached", "skipped"}  # probe always runs
    assert ran[0]["screen_text"] == "done", statuses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A ``chroma run`` server subprocess on a free port (skips when it cannot start)."""
    exe = Path(sys.executable).parent / "chroma"
    if not exe.is_file():
        pytest.skip("the chroma CLI is not installed next to this Python")
    port = free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(
                        f"`chroma run` did not start: {(tmp_path / 'chroma.log').read_text()[-500:]}"
                    )
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_two_indexers_and_a_reader_against_a_chroma_server(
    clips, reference, chroma_server: str, tmp_path: Path
) -> None:
    env = {**ENV, "VIDSEEK_CHROMA_HOST": chroma_server}
    data_dir = tmp_path / "data"
    reader = Reader(data_dir, env)
    try:
        with ThreadPoolExecutor(2) as pool:
            futures = [start_index(pool, data_dir, v, env, "--no-progress") for v in clips]
            check_runs([f.result() for f in futures])
        stats = reader.finish()
    finally:
        reader.close()
    settings = Settings(data_dir=data_dir, models=MODELS, chroma_host=chroma_server)
    check_against_reference(settings, reference, stats)
    assert not (data_dir / "db" / "chroma").exists()  # the vectors went to the server only


def waiters(lock: Path) -> int:
    """How many processes are blocked on ``lock`` (from /proc/locks: blocked entries show '->')."""
    if not lock.exists():
        return 0
    inode = os.stat(lock).st_ino
    text = Path("/proc/locks").read_text()
    return sum(1 for ln in text.splitlines() if "->" in ln and f":{inode} " in ln)
