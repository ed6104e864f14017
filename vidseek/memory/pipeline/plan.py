"""The stage graph and its digests: which settings (and which code) each stage's output depends
on. A stage is recomputed when its digest changes; the digests of its inputs are chained in, so a
changed setting recomputes exactly the stages downstream of it."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.media.types import VideoInfo

# bump a stage's version when its code changes what it produces: old caches then recompute
VERSIONS = {
    "frames": 1,
    "shots": 1,
    "detections": 1,
    "screen_text": 1,
    "speech": 1,
    "clips": 1,
    "captions": 1,
    "summaries": 1,
    "write": 3,  # 2: partial OCR readings join their sign; 3: no vectors of empty segments
}
FRAME_STAGES = ("frames", "shots", "detections", "screen_text")
STAGE_ORDER = ("probe", *FRAME_STAGES, "speech", "clips", "captions", "summaries", "write")


def source_digest(module: str) -> str:
    """Hash of a module's source: a stage made by code that changed (the shot detector, say)
    is recomputed even when no setting changed."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return ""
    return hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()[:12]


# the module that implements each built-in backend: a stage made by a backend whose code changed
# is recomputed (backends from plug-ins are covered by their model reference only)
_BACKEND_MODULES = {
    "open_clip": ("vidseek.models.clip",),
    "ultralytics": ("vidseek.models.detector",),
    # the text gate's decision and reading sides change what OCR stores too
    "tesseract": (
        "vidseek.models.ocr",
        "vidseek.models.ocr_gated",
        "vidseek.models.tesseract_engine",
        "vidseek.media.textgate",
    ),
    "faster-whisper": ("vidseek.models.asr",),
    "metadata": ("vidseek.models.metadata",),
}


def backend_digest(ref: str | None) -> str:
    """Hash of the source of the backend that ``ref`` names ("" when off or not built in)."""
    if not ref:
        return ""
    from vidseek.errors import ConfigError
    from vidseek.models.refs import parse_ref

    try:
        backend = parse_ref(ref).backend
    except ConfigError:
        return ""
    modules = _BACKEND_MODULES.get(backend, ())
    return "+".join(source_digest(m) for m in modules)


def ocr_side(settings: Settings, info: VideoInfo) -> int:
    """Longest side OCR reads at: text needs more pixels than the other models, so the source
    size up to 1280 px."""
    return max(settings.media.max_side, min(1280, max(info.width, info.height)))


def plan_digests(video: Path, info: VideoInfo, settings: Settings) -> dict[str, str]:
    """The digest of every stage for ``settings`` (inputs chained in), by stage name."""
    st, m, ix = settings, settings.models, settings.index
    vid = info.video_id
    digests: dict[str, str] = {}

    def digest(stage: str, **parts: Any) -> None:
        payload = json.dumps({"v": VERSIONS[stage], **parts}, sort_keys=True, default=str)
        digests[stage] = settings.digest(stage, payload)

    digest(
        "frames",
        video=vid,
        model=m.image_text_embedder,
        code=backend_digest(m.image_text_embedder),
        fps=ix.sample_fps,
        max_side=st.media.max_side,
    )
    digest(
        "shots",
        video=vid,
        fps=ix.sample_fps,
        max_side=st.media.max_side,
        threshold=st.media.shot_threshold,
        code=source_digest("vidseek.media.shots"),
        min_len=st.media.shot_min_len_s,
        frames=digests["frames"] if m.image_text_embedder else None,
    )
    digest(
        "detections",
        video=vid,
        model=m.detector,
        code=backend_digest(m.detector),
        fps=ix.detect_fps,
        min_conf=ix.detect_min_conf,
        max_side=st.media.max_side,
    )
    digest(
        "screen_text",
        video=vid,
        model=m.ocr,
        code=backend_digest(m.ocr),
        fps=ix.ocr_fps,
        max_side=ocr_side(st, info),
    )
    digest(
        "speech", video=vid, model=m.speech, code=backend_digest(m.speech), has_audio=info.has_audio
    )
    digest(
        "clips",
        shots=digests["shots"],
        clip_len=ix.clip_len_s,
        scene_min=ix.scene_min_s,
        scene_max=ix.scene_max_s,
    )
    digest(
        "captions",
        model=m.captioner,
        code=backend_digest(m.captioner),
        clips=digests["clips"],
        detections=digests["detections"],
        speech=digests["speech"],
        screen_text=digests["screen_text"],
        max_side=st.media.max_side,
    )
    digest("summaries", model=m.captioner, captions=digests["captions"])
    digest(
        "write",
        model=m.text_embedder,
        path=str(video.resolve()),
        **{k: digests[k] for k in FRAME_STAGES + ("speech", "summaries")},
    )
    return digests
