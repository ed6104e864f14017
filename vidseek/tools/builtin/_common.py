"""Helpers shared by the built-in tools: span checks, captions as findings, frame decoding and
evidence JPEGs. (Rendering and quoting live in ``vidseek.tools.findings``.)"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidseek.models.metadata import MARKER, SUMMARY_MARKER
from vidseek.tools.base import ToolContext, ToolError, check_span

if TYPE_CHECKING:
    import numpy as np

    from vidseek.media.types import Frame


def span_arg(
    ctx: ToolContext, span: Sequence[float] | None, what: str = "time_range"
) -> tuple[float, float] | None:
    """Check a [start_s, end_s] argument against the video; clamp the end to the duration."""
    if span is None:
        return None
    start, end = float(span[0]), float(span[1])
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ToolError(f"{what} [{start}, {end}] must be finite numbers of seconds")
    duration = float(ctx.video.duration_s)
    check_span(start, end, duration, what)
    return start, min(end, duration)


def time_arg(ctx: ToolContext, t: float, what: str = "time_s") -> float:
    """Check a moment against the video."""
    duration = float(ctx.video.duration_s)
    if not math.isfinite(t) or t < 0 or t > duration:
        raise ToolError(f"{what}={t} is outside the video (0 to {duration:.2f} s)")
    return min(float(t), max(duration - 1e-3, 0.0))


def overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def frame_source(ctx: ToolContext) -> Any:
    """The index's frame source when it has one, else a fresh one over the video file."""
    getter = getattr(ctx.index, "frame_source", None)
    if callable(getter):
        return getter()
    from vidseek.media.frames import open_frame_source

    return open_frame_source(ctx.video.path, ctx.settings)


def decode(ctx: ToolContext, times_s: Sequence[float], max_side: int | None) -> list[Frame]:
    """Decode frames at the given times (``max_side=None``: full resolution)."""
    src = frame_source(ctx)
    # the index shares one decoder between tool calls that may run in parallel; decoders keep
    # seek state, so calls on one source take turns (the lock lives on the source itself)
    lock = getattr(src, "__dict__", {}).setdefault("_tool_decode_lock", threading.Lock())
    with lock:
        return list(src.frames_at(list(times_s), max_side=max_side))


def artefact_dir(ctx: ToolContext, tool: str, key: str) -> Path:
    """A per-call folder for evidence JPEGs, named by a hash of the call so reruns overwrite."""
    base = (
        Path(ctx.artefact_dir)
        if ctx.artefact_dir
        else ctx.settings.data_dir / "artefacts" / ctx.video.video_id
    )
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    path = base / f"{tool}-{digest}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_jpeg(image: np.ndarray, path: Path, quality: int = 90) -> str:
    from PIL import Image

    Image.fromarray(image).save(path, format="JPEG", quality=quality)
    return str(path)


def look_model(ctx: ToolContext) -> Any:
    """Who answers a look at frames: the hub's ``looker`` (the inspector, else a captioner that can
    see, else the metadata captioner, which says it cannot see)."""
    looker = getattr(ctx.models, "looker", None)
    if looker is not None:
        return looker
    model = getattr(ctx.models, "inspector", None)
    return model if model is not None else ctx.models.captioner


def channels_text(fields: Mapping[str, Any]) -> str:
    """What the cheap channels recorded in a clip, from its structured caption fields (objects,
    on-screen text, speech, subjects), without the times and frame counts of the prose."""
    bits: list[str] = []
    objects = [str(o) for o in fields.get("objects") or []]
    if objects:
        bits.append("detector found " + ", ".join(f"up to {o}" for o in objects))
    screen = [" ".join(str(t).split()) for t in fields.get("screen_text") or []]
    if screen:
        bits.append("on-screen text: " + "; ".join(f"'{t}'" for t in screen if t))
    speech = " ".join(str(fields.get("speech") or "").split())
    if speech:
        bits.append(f"speech: '{speech}'")
    subjects = [str(x) for x in fields.get("subjects") or []]
    if subjects:
        bits.append("known subjects: " + ", ".join(subjects))
    return "; ".join(bits) or "nothing recorded"


def described(text: str, fields: Mapping[str, Any] | None = None) -> tuple[str, bool]:
    """(clean text, saw_pixels) of a caption or summary as the index stores it. A caption the
    metadata captioner wrote (no vision model) becomes what its channels recorded, from its
    fields when it has them; the markers never reach the planner."""
    fields = fields or {}
    description = str(fields.get("description") or "")
    if description.startswith(MARKER):
        return channels_text(fields), False
    if MARKER in text or SUMMARY_MARKER in text:
        return " ".join(text.replace(MARKER, " ").replace(SUMMARY_MARKER, " ").split()), False
    return text, True
