"""Detection-index tools: ``find_objects`` (when) and ``count_objects`` (how many)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import Field

from vidseek.tools.base import (
    TimeRange,
    Tool,
    ToolArgs,
    ToolContext,
    ToolError,
    ToolResult,
)
from vidseek.tools.builtin._common import span_arg
from vidseek.tools.findings import Finding, fmt_span, fmt_t

MAX_SPANS = 30
SYNONYMS = {
    "people": "person",
    "persons": "person",
    "human": "person",
    "humans": "person",
    "pedestrian": "person",
    "pedestrians": "person",
    "man": "person",
    "men": "person",
    "woman": "person",
    "women": "person",
    "child": "person",
    "children": "person",
}


def detector_labels(ctx: ToolContext) -> tuple[str, ...]:
    """Labels the configured detector can name (loads it lazily; empty when detection is off)."""
    if ctx.settings.models.detector is None:
        return ()
    det = getattr(ctx.models, "detector", None)
    return tuple(getattr(det, "labels", ()) or ())


def resolve_label(ctx: ToolContext, name: str) -> str:
    """Map what the planner wrote ('People', 'cars') to a detector label, or a clear tool error."""
    raw = " ".join(name.lower().split())
    indexed = {k.lower(): k for k in (ctx.index.labels() or {})}
    candidates = [raw, SYNONYMS.get(raw, raw)]
    if raw.endswith("es"):
        candidates.append(raw[:-2])
    if raw.endswith("s"):
        candidates.append(raw[:-1])
    for c in candidates:
        if c in indexed:
            return indexed[c]
    known = {k.lower(): k for k in detector_labels(ctx)}
    for c in candidates:
        if c in known:
            return known[c]  # a label the detector knows but never saw in this video
    if not known and not indexed:
        raise ToolError(
            "object detection is off for this video; use search_segments or inspect_frames"
        )
    names = ", ".join(sorted(set(indexed.values()) | set(known.values()))[:40])
    raise ToolError(
        f"the detector does not know '{name}' (it knows: {names}); use search_segments or "
        "inspect_frames for other things"
    )


def _rows(
    ctx: ToolContext, label: str, tr: tuple[float, float] | None, min_conf: float | None
) -> list[Any]:
    rows = list(ctx.index.detections(label=label, time_range=tr, min_conf=min_conf))
    if tr is not None:
        rows = [r for r in rows if tr[0] <= r.time_s < tr[1] + 1e-6]
    return sorted(rows, key=lambda r: (r.time_s, -r.confidence))


def occurrence_spans(
    times: list[float], step_s: float, end_limit: float
) -> list[tuple[float, float]]:
    """Group sampled frame times into spans: a gap of more than 1.5 sampling steps ends a span; a
    span covers its frames plus one step after the last one."""
    spans: list[tuple[float, float]] = []
    for t in sorted(set(times)):
        if spans and t - spans[-1][1] <= 0.5 * step_s + 1e-6:
            spans[-1] = (spans[-1][0], min(t + step_s, end_limit))
        else:
            spans.append((t, min(t + step_s, end_limit)))
    return spans


class ObjectArgs(ToolArgs):
    name: str = Field(min_length=1, max_length=60, description="object class, e.g. 'person'")
    time_range: TimeRange | None = Field(None, description="only look inside [start_s, end_s]")
    min_confidence: float | None = Field(None, ge=0.0, le=1.0, description="drop weaker detections")


class FindObjects(Tool):
    name = "find_objects"
    finds = ("detection",)
    description = (
        "When does an object class appear? Searches the detection index and returns the time spans "
        "where the detector saw it, with the most seen at once in each span."
    )
    Args = ObjectArgs

    def run(self, args: ObjectArgs, ctx: ToolContext) -> ToolResult:
        tr = span_arg(ctx, args.time_range)
        label = resolve_label(ctx, args.name)
        rows = _rows(ctx, label, tr, args.min_confidence)
        where = f" in {fmt_span(*tr)}" if tr else ""
        if not rows:
            return ToolResult(
                headline=[f"The detector saw no '{label}'{where}."],
                data={"label": label, "spans": []},
            )
        step = 1.0 / max(ctx.settings.index.detect_fps, 1e-3)
        per_frame = Counter(round(r.time_s, 3) for r in rows)
        spans = occurrence_spans(list(per_frame), step, float(ctx.video.duration_s))
        out = []
        for s, e in spans:
            peak = max(n for t, n in per_frame.items() if s <= t < e)
            out.append({"start_s": s, "end_s": e, "max_count": peak})
        findings = [
            Finding(
                row["start_s"],
                row["end_s"],
                "detection",
                f"{label}: up to {row['max_count']} at once",
                saw_pixels=True,
                label=label,
                count=row["max_count"],
                why=f"{label} detected",
            )
            for row in out[:MAX_SPANS]
        ]
        notes = []
        if len(out) > MAX_SPANS:
            notes.append(f"... {len(out) - MAX_SPANS} more spans (narrow the time_range)")
        headline = f"'{label}' seen in {len(per_frame)} sampled frames, {len(spans)} spans{where}:"
        return ToolResult(
            headline=[headline],
            findings=findings,
            notes=notes,
            data={"label": label, "spans": out},
        )


class CountObjects(Tool):
    name = "count_objects"
    finds = ("detection",)
    description = (
        "How many of an object class are visible? From the detection index: the most seen at once in "
        "one frame (and when), frames seen in, and distinct tracks when the detector tracked them."
    )
    Args = ObjectArgs

    def run(self, args: ObjectArgs, ctx: ToolContext) -> ToolResult:
        tr = span_arg(ctx, args.time_range)
        label = resolve_label(ctx, args.name)
        rows = _rows(ctx, label, tr, args.min_confidence)
        where = f" in {fmt_span(*tr)}" if tr else ""
        if not rows:
            return ToolResult(
                headline=[f"0 '{label}' detected{where}."],
                data={"label": label, "max_count": 0, "max_at_s": None, "frames_with": 0},
            )
        per_frame = Counter(round(r.time_s, 3) for r in rows)
        max_count = max(per_frame.values())
        max_at = min(t for t, n in per_frame.items() if n == max_count)
        tracks = {r.track_id for r in rows if r.track_id is not None}
        step = 1.0 / max(ctx.settings.index.detect_fps, 1e-3)
        mean = sum(per_frame.values()) / len(per_frame)
        headline = (
            f"'{label}'{where}: at most {max_count} at once (first at {fmt_t(max_at)} s); "
            f"seen in {len(per_frame)} sampled frames, {mean:.1f} per frame on average"
            + (f"; {len(tracks)} distinct tracks" if tracks else "")
            + ". Counts are per sampled frame from the detector; confirm on pixels if it matters."
        )
        peak_end = min(max_at + step, float(ctx.video.duration_s))
        finding = Finding(
            max_at,
            peak_end,
            "detection",
            f"{max_count} {label} visible at once",
            saw_pixels=True,
            label=label,
            count=max_count,
            why=f"{max_count} {label} visible at once",
        )
        return ToolResult(
            headline=[headline],
            findings=[finding],
            data={
                "label": label,
                "max_count": max_count,
                "max_at_s": max_at,
                "frames_with": len(per_frame),
                "mean_per_frame": round(mean, 3),
                "distinct_tracks": len(tracks) if tracks else None,
                "per_frame": {f"{t:.3f}": n for t, n in sorted(per_frame.items())[:500]},
            },
        )
