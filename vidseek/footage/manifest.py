"""The haystack's manifest: every segment with its source, every needle instance with its exact
span and depth, the distractor speech, and the format and tool versions (for reproducibility)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vidseek.footage.authoring import tool_versions
from vidseek.footage.timeline import FPS, HEIGHT, WIDTH, Segment, TimedNeedle

Span = tuple[float, float]


def depth_pct(t: float, total: float) -> float:
    """How deep into the video ``t`` lies, in percent."""
    return round(100 * t / total, 1)


def needle_rows(
    segments: Sequence[Segment], timed: Sequence[TimedNeedle], total: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(needles, distractor speech) in time order; instances of a needle numbered in time order."""
    needles: list[dict[str, Any]] = []
    distractors: list[dict[str, Any]] = []
    for seg in segments:
        if seg.needle:
            a, b = round(seg.start, 2), round(seg.start + seg.frames / FPS, 2)
            needles.append(
                {
                    "id": seg.needle,
                    "kind": seg.kind,
                    "instance": seg.instance,
                    "start": a,
                    "end": b,
                    "depth_pct": depth_pct(a, total),
                    "text": None,
                    "source": seg.source,
                }
            )
    for t in timed:
        if t.kind == "distractor":
            distractors.append(
                {
                    "id": t.id,
                    "start": t.start,
                    "end": round(t.start + t.length, 2),
                    "text": t.speech,
                }
            )
        elif t.kind == "multihop":
            sa, sb = t.start, round(t.start + t.sign_len, 2)
            pa, pb = round(sb + t.gap, 2), round(t.start + t.length, 2)
            needles.append(_row("ocr_wing", "ocr", sa, sb, t.sign, total))
            needles.append(_row("sp_door", "speech", pa, pb, t.speech, total))
        else:
            row = _row(
                t.id, t.kind, t.start, round(t.start + t.length, 2), t.speech or t.sign, total
            )
            row["instance"] = t.instance
            if t.speech:
                row["voice"] = t.voice
            needles.append(row)
    needles.sort(key=lambda n: (n["start"], n["id"]))
    distractors.sort(key=lambda d: d["start"])
    seen: dict[str, int] = {}
    for n in needles:
        n["instance"] = seen.get(n["id"], 0)
        seen[n["id"]] = n["instance"] + 1
    return needles, distractors


def _row(
    nid: str, kind: str, start: float, end: float, text: str | None, total: float
) -> dict[str, Any]:
    return {
        "id": nid,
        "kind": kind,
        "instance": 0,
        "start": start,
        "end": end,
        "depth_pct": depth_pct(start, total),
        "text": text,
        "source": None,
    }


def spans_by_needle(needles: Sequence[dict[str, Any]]) -> dict[str, list[Span]]:
    """Every instance's [start, end] of each needle id, in time order."""
    spans: dict[str, list[Span]] = {}
    for n in needles:
        spans.setdefault(n["id"], []).append((n["start"], n["end"]))
    return spans


def segment_rows(
    segments: Sequence[Segment], needles: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The segments as manifest rows, each with the on-screen text needles that start in it."""
    rows = []
    for i, seg in enumerate(segments):
        a = round(seg.start, 2)
        b = round(seg.start + seg.frames / FPS, 2)
        overlays_in = [
            {
                "needle": n["id"],
                "instance": n["instance"],
                "text": n["text"],
                "start": n["start"],
                "end": n["end"],
            }
            for n in needles
            if n["kind"] == "ocr" and a <= n["start"] < b
        ]
        instance = next(
            (n["instance"] for n in needles if n["id"] == seg.needle and n["start"] == a), None
        )
        rows.append(
            {
                "index": i,
                "kind": seg.kind,
                "source": seg.source,
                "source_file": seg.source_file,
                "start": a,
                "end": b,
                "source_start": seg.source_start,
                "frames": seg.frames,
                "hflip": seg.hflip,
                "needle": seg.needle,
                "instance": instance,
                "overlays": overlays_in,
            }
        )
    return rows


def make_manifest(
    *,
    set_name: str,
    seed: int,
    minutes: float,
    video_name: str,
    total: float,
    segments: Sequence[Segment],
    needles: list[dict[str, Any]],
    distractors: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "set": set_name,
        "seed": seed,
        "minutes": minutes,
        "video": video_name,
        "duration_s": total,
        "frames": round(total * FPS),
        "fps": FPS,
        "resolution": [WIDTH, HEIGHT],
        "audio": {"sample_rate": 16000, "channels": 1, "codec": "aac"},
        "tools": tool_versions(),
        "segments": segment_rows(segments, needles),
        "needles": needles,
        "distractor_speech": distractors,
    }
