"""The ray engine on a real local Ray cluster (2 CPUs) and real models: three real clips (two
Intel sample clips, and one with a sentence spoken by espeak-ng and a sign burned in by ffmpeg)
give exactly the segments, timed text, detections and vectors of the local engine (run as
``vidseek index DIR`` in a child process, which must not import ray); a worker SIGKILLed mid-video
is retried, resumes from its stage records, and nothing is lost or duplicated."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vidseek.config import Settings
from vidseek.errors import VidseekError

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'vidseek[cluster]')")

pytestmark = pytest.mark.slow

SPOKEN = "The red bottle stands on the left side of the table."


@pytest.fixture(scope="module")
def clips(intel_media: Path, tmp_path_factory) -> Path:
    """A folder of three real clips; the third has speech and on-screen text."""
    for tool in ("ffmpeg", "espeak-ng"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    folder = tmp_path_factory.mktemp("ray-clips")
    shutil.copy(intel_media / "intel_classroom.mp4", folder / "a_classroom.mp4")
    shutil.copy(intel_media / "asl_book.mp4", folder / "b_book.mp4")
    wav = folder.parent / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", wav, SPOKEN], check=True)
    sign = "drawtext=text='GATE 42':fontsize=48:fontcolor=white:box=1:boxcolor=black:x=40:y=40"
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", intel_media / "intel_bottle-detection.mp4"]
    cmd += ["-i", wav, "-filter_complex", f"[0:v]loop=1:size=50,{sign}[v]"]
    cmd += ["-map", "[v]", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast"]
    cmd += ["-c:a", "aac", "-shortest", folder / "c_bottle_speech.mp4"]
    subprocess.run(cmd, check=True)
    return folder


def _content(settings: Settings) -> dict[str, dict]:
    """Everything indexed in a data dir, by video id: segments (id, granularity, span, text),
    timed text, detection and vector counts."""
    from vidseek.memory.store import SegmentStore

    store = SegmentStore(settings)
    try:
        out = {}
        for rec in store.list_videos():
            vid = rec.video_id
            segs = store.get_segments(vid)
            out[vid] = {
                "complete": rec.indexed_at is not None,
                "segments": sorted(
                    (s.id, s.granularity, round(s.start_s, 3), round(s.end_s, 3), s.text)
                    for s in segs
                ),
                "texts": sorted(
                    (t.id, t.kind, round(t.start_s, 3), t.text)
                    for kind in ("speech", "screen_text")
                    for t in store.timed_text(vid, kind)
                ),
                "detections": len(store.detections(vid)),
                "vectors": store.count_vectors(vid),
                "segment_ids_unique": len({s.id for s in segs}) == len(segs),
            }
        return out
    finally:
        store.close()


@pytest.fixture(scope="module")
def local_reference(clips: Path, tmp_path_factory) -> tuple[Settings, dict]:
    """``vidseek index DIR`` with the default (local) engine in a child process; it records
    whether ray got imported."""
    data = tmp_path_factory.mktemp("ray-local") / "data"
    mark = data.parent / "ray-modules.json"
    code = (
        "import atexit, json, sys\n"
        "mark, data, clips = sys.argv[1:4]\n"
        "atexit.register(lambda: open(mark, 'w').write(json.dumps("
        "[m for m in sys.modules if m == 'ray' or m.startswith('ray.')])))\n"
        "from vidseek.cli import main\n"
        "main(['--data-dir', data, 'index', clips, '--no-progress'])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, mark, data, clips],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    settings = Settings(data_dir=data)
    return settings, {"ray_modules": json.loads(mark.read_text()), "content": _content(settings)}


@pytest.fixture(scope="module")
def local_ray():
    """A private local Ray cluster with 2 CPUs for this module."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=200 * 2**20)
    yield ray
    ray.shutdown()


def test_local_engine_does_not_import_ray_and_indexes_the_folder(local_reference):
    _, ref = local_reference
    assert ref["ray_modules"] == []
    content = ref["content"]
    assert len(content) == 3 and all(v["complete"] for v in content.values())
    texts = [t for v in content.values() for t in v["texts"]]
    spoken = " ".join(t[3] for t in texts if t[1] == "speech").lower()
    assert "bottle" in spoken and "table" in spoken
    assert any("42" in t[3] for t in texts if t[1] == "screen_text")
    assert sum(v["detections"] for v in content.values()) > 0


def test_ray_engine_gives_the_segments_of_the_local_engine(local_ray, local_reference, clips):
    from vidseek.memory.pipeline import index_many

    ref_settings, ref = local_reference
    settings = Settings(
        data_dir=ref_settings.data_dir.parent / "ray-data", cluster={"engine": "ray"}
    )
    reports = index_many([clips], settings)
    assert sorted(r.info.path.name for r in reports) == sorted(p.name for p in clips.iterdir())
    got = _content(settings)
    assert got == ref["content"]
    # a second run skips every stage: the stage digests and records work through the writer actor
    again = index_many([clips], settings)
    for report in again:
        assert {r.status for r in report.stages if r.stage != "probe"} <= {"cached", "skipped"}
    assert _content(settings) == ref["content"]


def test_a_killed_worker_is_retried_and_nothing_is_lost_or_duplicated(
    local_ray, local_reference, clips, caplog
):
    from vidseek.media.listing import expand_video_paths
    from vidseek.memory.pipeline.ray_engine import RayEngine
    from vidseek.testing.faults import KillOnce

    ref_settings, ref = local_reference
    root = ref_settings.data_dir.parent
    flag = root / "killed"
    settings = Settings(data_dir=root / "ray-killed", cluster={"engine": "ray"})
    bogus = root / "not-a-video.mp4"  # bad input: reported in one line, the others still run
    bogus.write_text("this is text, not a video")
    engine = RayEngine(settings, worker_sink=KillOnce(flag, task="captions"))
    reports: list = []
    with pytest.raises(VidseekError, match="1 of 4 videos could not be indexed"):
        engine.run_many([*expand_video_paths([clips]), bogus], on_report=reports.append)
    assert f"{bogus}: " in caplog.text  # the bad file's own line names it
    pid, victim = flag.read_text().split("\n")[:2]  # a worker was killed mid-video ...
    assert int(pid) > 0 and Path(victim).parent == clips
    assert len(reports) == 3  # ... and its video was retried to the end
    resumed = next(r for r in reports if str(r.info.path) == victim)
    status = {r.stage: r.status for r in resumed.stages}
    assert status["detections"] == "cached" and status["captions"] == "done"
    assert _content(settings) == ref["content"]
