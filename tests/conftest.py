"""Shared fixtures. Tests never reach a model hub; real footage comes from `vidseek samples fetch`
(cached under VIDSEEK_TEST_DATA, default <repo>/.test-data) and optional ../shared folders;
synthetic clips (a readable frame counter, VFR) come from ``vidseek.footage.synth``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault(
    "VIDSEEK_DISABLE_PLUGINS", "1"
)  # entry-point plug-ins load only when a test asks
# real model requests raise (vidseek.testing); a test opts in with @pytest.mark.allow_model_requests
os.environ.setdefault("VIDSEEK_ALLOW_MODEL_REQUESTS", "0")

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = Path(os.environ.get("VIDSEEK_TEST_DATA", REPO / ".test-data"))
SHARED = Path(os.environ.get("VIDSEEK_SHARED", REPO.parent / "shared"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow_model_requests: the test may call a real model (or a real client on a fake server)",
    )


@pytest.fixture(autouse=True)
def _model_request_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real model requests raise in unit tests unless the test is marked allow_model_requests
    (the switch is an environment variable, so subprocesses of a marked test may call too)."""
    if request.node.get_closest_marker("allow_model_requests"):
        monkeypatch.setenv("VIDSEEK_ALLOW_MODEL_REQUESTS", "1")


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    """A persistent data dir for expensive, reusable artefacts (samples, cached demo index)."""
    TEST_DATA.mkdir(parents=True, exist_ok=True)
    return TEST_DATA


@pytest.fixture
def settings(tmp_path: Path):
    """Fresh Settings with an empty data dir per test."""
    from vidseek.config import Settings

    return Settings(data_dir=tmp_path / "vidseek-data")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present (it is only available to the developers)")
    return SHARED


@pytest.fixture(scope="session")
def intel_media(shared_dir: Path) -> Path:
    path = shared_dir / "media" / "intel"
    if not path.is_dir():
        pytest.skip("../shared/media/intel is not present")
    return path


@pytest.fixture(scope="session")
def indexed_demo(test_data_dir: Path):
    """(settings, video_path, manifest, VideoIndex) of the demo haystack indexed with the offline
    profile. Cached in the persistent test data dir: later sessions reuse the index (the builder's
    stage cache makes the call a few seconds); skips when the samples cannot be fetched."""
    from vidseek.config import Settings
    from vidseek.errors import VidseekError
    from vidseek.footage import demo_haystack
    from vidseek.memory.builder import index

    try:
        video, manifest = demo_haystack(Settings(data_dir=test_data_dir))
    except VidseekError as exc:
        pytest.skip(f"demo haystack unavailable: {exc}")
    settings = Settings(data_dir=test_data_dir / "indexed-demo-v1")
    return settings, video, manifest, index(video, settings, progress=False)


SYNTH_VERSION = 2


@pytest.fixture(scope="session")
def synth_dir(test_data_dir: Path) -> Path:
    """Where synthetic clips are cached between sessions."""
    return test_data_dir / f"media-synth-v{SYNTH_VERSION}"


@pytest.fixture(scope="session")
def counter_mp4(synth_dir: Path) -> Path:
    """20 s, 10 fps, 320x240, GOP 25, B-frames, AAC audio."""
    from vidseek.footage.synth import cached_clip, counter_video

    return cached_clip(synth_dir, "counter.mp4", lambda p: counter_video(p, audio=True))


@pytest.fixture(scope="session")
def silent_mp4(synth_dir: Path) -> Path:
    """12 s, 25 fps, no audio, moov atom in front (faststart)."""
    from vidseek.footage.synth import cached_clip, counter_video

    return cached_clip(
        synth_dir,
        "silent.mp4",
        lambda p: counter_video(p, seconds=12, fps=25, gop=50, faststart=True),
    )


@pytest.fixture(scope="session")
def vfr_mkv(synth_dir: Path) -> Path:
    """150 frames, variable frame rate (see ``vidseek.footage.synth.vfr_pts``)."""
    from vidseek.footage.synth import cached_clip, vfr_counter_video

    return cached_clip(synth_dir, "vfr.mkv", vfr_counter_video)
