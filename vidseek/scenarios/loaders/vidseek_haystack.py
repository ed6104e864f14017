"""vidseek's own needle-in-a-haystack sets (e.g. dev10): the LVBench JSONL schema plus, per
question, ground-truth spans in seconds (time_reference_s), the needle kind, modality, depth and
answer aliases. Written by ``vidseek scenarios make-haystack``; read by the LVBench loader's
``load_schema`` with the parameters below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vidseek.scenarios.loaders.common import resolve_video
from vidseek.scenarios.loaders.lvbench import LVBenchSchema, Row, clock_spans, load_schema
from vidseek.scenarios.records import QARecord, Span

NAME = "haystack"

EXTRA_FIELDS = ("needle_kind", "modality", "depth_pct", "needles")


def _video_path(key: str, video: Row, file: Path, video_root: Path | None) -> Path | None:
    """``video_path`` (else '<key>.mp4') under ``video_root``, by default the file's folder."""
    root = Path(video_root) if video_root is not None else file.parent
    rel = video.get("video_path") or f"{key}.mp4"
    return resolve_video(root, rel, Path(rel).name)


def _options(qa: Row, embedded: list[str]) -> list[str]:
    """The question's own ``options`` list, else those embedded in its text (none: open-ended)."""
    return list(qa.get("options") or embedded)


def _spans(qa: Row) -> list[Span]:
    """``time_reference_s`` (spans in seconds) when present, else the 'MM:SS-MM:SS' reference."""
    if "time_reference_s" in qa:
        return [(float(a), float(b)) for a, b in qa["time_reference_s"] or []]
    return clock_spans(qa)


def _extra(video: Row, qa: Row) -> dict[str, Any]:
    return {k: qa[k] for k in EXTRA_FIELDS if k in qa}


SCHEMA = LVBenchSchema(
    dataset=NAME,
    file_names=("questions.jsonl",),
    video_path=_video_path,
    options=_options,
    spans=_spans,
    extra=_extra,
    own_answers=True,
)


def load(path: Path, video_root: Path | None = None) -> list[QARecord]:
    return load_schema(SCHEMA, path, video_root)
