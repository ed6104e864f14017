"""Chain-of-shot navigation, coarse to fine: ``list_shots`` and ``split_shot``.

Sub-shots are not stored: a child id is its parent's id plus ``.p<k>of<n>`` (e.g.
``<video>:shot:000003.p2of4``), so the planner can split children again and every id is resolvable
from the index alone (deterministic, no hidden state)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pydantic import Field

from vidseek.fmt import one_line
from vidseek.tools.base import (
    Evidence,
    TimeRange,
    Tool,
    ToolArgs,
    ToolContext,
    ToolError,
    ToolResult,
)
from vidseek.tools.builtin._common import cap_lines, fmt_span, quote, span_arg

MAX_SHOTS = 60
MIN_PART_S = 0.25
_PART = re.compile(r"\.p(\d+)of(\d+)")
SPLITTABLE = ("shot", "scene", "clip")


def tile(start_s: float, end_s: float, parts: int) -> list[tuple[float, float]]:
    """``parts`` equal spans that tile [start_s, end_s] exactly (shared bounds, exact ends)."""
    bounds = [start_s + (end_s - start_s) * i / parts for i in range(parts)] + [end_s]
    return [(bounds[i], bounds[i + 1]) for i in range(parts)]


def resolve_shot(ctx: ToolContext, shot_id: str) -> tuple[str, float, float]:
    """(id, start_s, end_s) of a stored shot/scene/clip or of a sub-shot id made by split_shot."""
    base, _, rest = shot_id.partition(".p")
    rest = ".p" + rest if rest else ""
    try:
        seg = ctx.index.get_segment(base)
    except Exception:  # a facade may raise for unknown ids; the planner only needs a clear message
        seg = None
    if seg is None:
        raise ToolError(f"unknown shot id '{shot_id}'; use list_shots to see the ids")
    if seg.granularity not in SPLITTABLE:
        raise ToolError(f"'{base}' is a {seg.granularity}, not a shot, scene or clip")
    start, end = float(seg.start_s), float(seg.end_s)
    pos = 0
    while pos < len(rest):
        m = _PART.match(rest, pos)
        if not m:
            raise ToolError(f"malformed sub-shot id '{shot_id}' (expected <id>.p<k>of<n>)")
        k, n = int(m.group(1)), int(m.group(2))
        if not 1 <= k <= n:
            raise ToolError(f"malformed sub-shot id '{shot_id}': part {k} of {n}")
        start, end = tile(start, end, n)[k - 1]
        pos = m.end()
    return shot_id, start, end


def describe_span(ctx: ToolContext, start_s: float, end_s: float) -> list[str]:
    """What the cheap channels recorded inside a span (objects, speech, on-screen text)."""
    out: list[str] = []
    rows = ctx.index.detections(time_range=(start_s, end_s))
    rows = [r for r in rows if start_s <= r.time_s < end_s]
    if rows:
        per = Counter((round(r.time_s, 3), r.label) for r in rows)
        peak: dict[str, int] = {}
        for (_, label), n in per.items():
            peak[label] = max(peak.get(label, 0), n)
        out.append("objects: " + ", ".join(f"{k} up to {v}" for k, v in sorted(peak.items())))
    speech = [t.text for t in ctx.index.speech_in(start_s, end_s)]
    if speech:
        out.append(quote("speech", " ".join(speech), limit=200))
    screen = list(
        dict.fromkeys(" ".join(t.text.split()) for t in ctx.index.screen_text_in(start_s, end_s))
    )
    if screen:
        out.append(quote("screen_text", " | ".join(screen), limit=160))
    return out


class ListShotsArgs(ToolArgs):
    time_range: TimeRange | None = Field(
        None, description="only shots overlapping [start_s, end_s]"
    )


class ListShots(Tool):
    name = "list_shots"
    description = (
        "List the camera shots (ids, spans, one-line captions), optionally inside a time range. "
        "Pick shots to look at, and use split_shot to go finer."
    )
    Args = ListShotsArgs

    def run(self, args: ListShotsArgs, ctx: ToolContext) -> ToolResult:
        tr = span_arg(ctx, args.time_range)
        shots = list(ctx.index.segments("shot", time_range=tr))
        if tr is not None:
            shots = [s for s in shots if s.start_s < tr[1] and tr[0] < s.end_s]
        shots.sort(key=lambda s: s.start_s)
        where = f" in {fmt_span(*tr)}" if tr else ""
        if not shots:
            return ToolResult(text=f"No shots{where}.", data={"shots": []})
        lines = [f"{len(shots)} shots{where}:"]
        evidence = []
        for s in shots[:MAX_SHOTS]:
            cap = f" {quote('caption', one_line(s.text))}" if s.text else ""
            lines.append(
                f"  {s.id} {fmt_span(s.start_s, s.end_s)} ({s.end_s - s.start_s:.1f} s){cap}"
            )
            evidence.append(Evidence(s.start_s, s.end_s, f"shot {s.index}"))
        if len(shots) > MAX_SHOTS:
            lines.append(f"  ... {len(shots) - MAX_SHOTS} more shots (narrow the time_range)")
        data = {"shots": [{"id": s.id, "start_s": s.start_s, "end_s": s.end_s} for s in shots]}
        return ToolResult(text=cap_lines(ctx, lines, 2500), evidence=evidence, data=data)


class SplitShotArgs(ToolArgs):
    shot_id: str = Field(
        min_length=1, max_length=200, description="a shot id from list_shots (or a sub-shot id)"
    )
    parts: int = Field(4, ge=2, le=8, description="how many equal sub-shots")


class SplitShot(Tool):
    name = "split_shot"
    description = (
        "Split a shot (or a sub-shot) into equal sub-shots that tile it exactly, each with what the "
        "detector, speech and on-screen text recorded there. Ids of sub-shots can be split again."
    )
    Args = SplitShotArgs

    def run(self, args: SplitShotArgs, ctx: ToolContext) -> ToolResult:
        shot_id, start, end = resolve_shot(ctx, args.shot_id.strip())
        if (end - start) / args.parts < MIN_PART_S:
            raise ToolError(
                f"{shot_id} lasts {end - start:.2f} s: too short for {args.parts} parts "
                f"(each must last at least {MIN_PART_S} s); use fewer parts or inspect_frames"
            )
        children: list[dict[str, Any]] = []
        lines = [f"{shot_id} {fmt_span(start, end)} split into {args.parts} sub-shots:"]
        evidence = []
        for k, (s, e) in enumerate(tile(start, end, args.parts), 1):
            cid = f"{shot_id}.p{k}of{args.parts}"
            desc = describe_span(ctx, s, e)
            children.append({"id": cid, "start_s": s, "end_s": e})
            lines.append(
                f"  {cid} {fmt_span(s, e)}"
                + (": " + "; ".join(desc) if desc else ": nothing recorded")
            )
            evidence.append(Evidence(s, e, f"part {k} of {args.parts} of {shot_id}"))
        return ToolResult(
            text=cap_lines(ctx, lines, 1500),
            evidence=evidence,
            data={"parent": {"id": shot_id, "start_s": start, "end_s": end}, "children": children},
        )
