"""Pixel tools, the expensive ones: ``inspect_frames`` (a VLM looks at frames from one or several
spans), ``zoom`` (full-resolution crop of one moment) and ``caption_range`` (a fresh caption).
Each takes its frames from ``ctx.budget`` first and never decodes more than it was granted."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict
from typing import Any, Literal

from pydantic import Field

from vidseek.models.base import Detection, SpeechSegment, TextLine, VisualContext
from vidseek.tools.base import (
    FrameRef,
    TimeRange,
    Tool,
    ToolArgs,
    ToolContext,
    ToolError,
    ToolResult,
)
from vidseek.tools.builtin._common import (
    artefact_dir,
    decode,
    described,
    look_model,
    save_jpeg,
    span_arg,
    time_arg,
)
from vidseek.tools.builtin.objects import resolve_label
from vidseek.tools.findings import Finding, fmt_span, fmt_t, one_line

FOCUS_MAX_S = 16.0  # spans up to this long are looked at densely ("focus")
FOCUS_FPS = 1.0
MAX_CONTEXT_ITEMS = 200
CAPTION_FRAMES = 8
ZOOM_PAD = 0.10  # an object's box is widened by this fraction of its size on each side


MAX_ANSWER_CHARS = 1500  # a model's answer is cut to this for the planner (data keeps it all)
LOOK_FRAMES = 16  # frames of a closer look a policy asks for


def merge_spans(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def share_frames(lengths: list[float], total: int, caps: list[int]) -> list[int]:
    """Share ``total`` frames by span length (largest remainder), at least one each, at most
    ``caps``."""
    length = sum(lengths) or 1.0
    spare = total - len(lengths)
    quotas = [spare * x / length for x in lengths]
    alloc = [1 + int(q) for q in quotas]
    order = sorted(range(len(lengths)), key=lambda i: (-(quotas[i] - int(quotas[i])), i))
    for i in order[: max(0, total - sum(alloc))]:
        alloc[i] += 1
    return [min(a, c) for a, c in zip(alloc, caps, strict=True)]


def plan_frames(
    spans: list[tuple[float, float]], max_frames: int
) -> list[tuple[tuple[float, float], str, list[float]]]:
    """Frame times per span. Short spans (<= ``FOCUS_MAX_S``) get focus (``FOCUS_FPS``) first when
    the budget allows it; long spans skim (evenly spaced) with the frames left, shared by length.
    Deterministic: the same spans and budget give the same times."""
    spans = merge_spans(spans)
    if max_frames < len(spans):
        raise ToolError(
            f"{len(spans)} spans need at least {len(spans)} frames but only {max_frames} may be "
            "used; give fewer spans or a larger max_frames"
        )
    lengths = [e - s for s, e in spans]
    dense = [max(1, math.ceil(x * FOCUS_FPS - 1e-9)) for x in lengths]
    short = [i for i, x in enumerate(lengths) if x <= FOCUS_MAX_S]
    long_ = [i for i, x in enumerate(lengths) if x > FOCUS_MAX_S]
    need_short = sum(dense[i] for i in short)
    if sum(dense) <= max_frames:
        alloc = dense
    elif need_short + len(long_) <= max_frames:
        alloc = list(dense)
        shares = share_frames(
            [lengths[i] for i in long_], max_frames - need_short, [dense[i] for i in long_]
        )
        for i, n in zip(long_, shares, strict=True):
            alloc[i] = n
    else:
        alloc = share_frames(lengths, max_frames, dense)
    plan = []
    for (s, e), n, d in zip(spans, alloc, dense, strict=True):
        mode = "focus" if (e - s) <= FOCUS_MAX_S and n >= d else "skim"
        times = [s + (e - s) * (k + 0.5) / n for k in range(n)]
        plan.append(((s, e), mode, times))
    return plan


def visual_context(
    ctx: ToolContext, start_s: float, end_s: float, times: list[float]
) -> VisualContext:
    """The cheap channels in a span, handed to the VLM as data (never as instructions)."""
    speech = [
        SpeechSegment(t.start_s, t.end_s, t.text) for t in ctx.index.speech_in(start_s, end_s)
    ][:MAX_CONTEXT_ITEMS]
    screen = [TextLine(t.start_s, t.text, 1.0) for t in ctx.index.screen_text_in(start_s, end_s)][
        :MAX_CONTEXT_ITEMS
    ]
    dets = [
        Detection(r.time_s, r.label, r.confidence, tuple(r.box), r.track_id)
        for r in ctx.index.detections(time_range=(start_s, end_s))
        if start_s <= r.time_s <= end_s
    ][: MAX_CONTEXT_ITEMS * 5]
    return VisualContext(start_s, end_s, list(times), speech, screen, dets)


def _take_frames(ctx: ToolContext, wanted: int, tool: str) -> int:
    granted = min(wanted, max(ctx.budget.frames_left, 0))
    if granted <= 0:
        raise ToolError(f"the frame budget of this run is spent; {tool} cannot look at more frames")
    return granted


class InspectFramesArgs(ToolArgs):
    question: str = Field(min_length=1, max_length=1000, description="what to look for or answer")
    time_ranges: list[TimeRange] = Field(
        min_length=1, max_length=8, description="one or several [start_s, end_s] spans to look at"
    )
    max_frames: int = Field(32, ge=1, le=64, description="at most this many frames in this look")


class InspectFrames(Tool):
    name = "inspect_frames"
    role = "look"
    finds = ("look",)
    needs_vision = True
    description = (
        "Look at the pixels: a vision model answers the question from frames sampled across one or "
        "several spans (densely, 1 fps, on spans up to 16 s; evenly spaced on longer spans), or says "
        "it was not found. Use it to confirm on pixels what search suggested."
    )
    Args = InspectFramesArgs

    def look_calls(self, spans: list[list[float]], question: str) -> list[dict[str, Any]]:
        return [{"question": question, "time_ranges": spans, "max_frames": LOOK_FRAMES}]

    def run(self, args: InspectFramesArgs, ctx: ToolContext) -> ToolResult:
        spans = [
            span_arg(ctx, tr, what=f"time_ranges[{i}]") for i, tr in enumerate(args.time_ranges)
        ]
        limit = _take_frames(ctx, args.max_frames, self.name)
        plan = plan_frames([s for s in spans if s is not None], limit)
        times = [t for _, _, ts in plan for t in ts]
        ctx.budget.take_frames(len(times))
        frames = decode(ctx, times, ctx.settings.media.max_side)
        folder = artefact_dir(ctx, self.name, f"{args.question}|{times}")
        refs = [
            FrameRef(f.time_s, save_jpeg(f.image, folder / f"frame_{i:03d}_{f.time_s:09.3f}.jpg"))
            for i, f in enumerate(frames)
        ]
        lo, hi = min(s for (s, _), _, _ in plan), max(e for (_, e), _, _ in plan)
        vctx = visual_context(ctx, lo, hi, [f.time_s for f in frames])
        model = look_model(ctx)
        look = model.inspect([f.image for f in frames], args.question, vctx)
        modes = ", ".join(f"{fmt_span(s, e)} {mode} {len(ts)} frames" for (s, e), mode, ts in plan)
        sees = bool(getattr(look, "can_see", True)) and bool(getattr(model, "can_see", True))
        ev_times = sorted(look.evidence_times_s) or []
        duration = float(ctx.video.duration_s)
        spans_why = (
            [(t, min(t + 1.0, duration), "frame the model cited") for t in ev_times]
            if ev_times
            else [(s, e, f"looked: {mode}") for (s, e), mode, _ in plan]
        )
        answer = one_line(look.answer, MAX_ANSWER_CHARS)
        verdict = "(found)" if look.found else "(not found)"
        findings = [
            Finding(
                s, e, "look", answer, saw_pixels=sees, model=look.model, why=why, detail=verdict
            )
            for s, e, why in spans_why
        ]
        return ToolResult(
            headline=[f"Looked at {len(frames)} frames: {modes}."],
            findings=findings,
            frames=refs,
            frames_used=len(frames),
            tokens_used=look.tokens,
            data={
                "plan": [
                    {"start_s": s, "end_s": e, "mode": mode, "times_s": ts}
                    for (s, e), mode, ts in plan
                ],
                "frame_times_s": [f.time_s for f in frames],
                "answer": look.answer,
                "found": look.found,
                "model": look.model,
                "can_see": bool(getattr(look, "can_see", True)),
            },
        )


class ZoomArgs(ToolArgs):
    time_s: float = Field(description="the moment to look at, seconds")
    question: str | None = Field(None, max_length=1000, description="what to look for in the crop")
    box: list[float] | None = Field(
        None, min_length=4, max_length=4, description="region [x1, y1, x2, y2]; see box_units"
    )
    box_units: Literal["normalized", "pixels"] = Field(
        "normalized", description="box in 0-1 fractions of the frame, or in full-resolution pixels"
    )
    object: str | None = Field(
        None,
        max_length=60,
        description="instead of a box: an object class the detector finds there",
    )


def _pixel_box(box: list[float], units: str, w: int, h: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise ToolError(f"box {box} must hold finite numbers")
    if units == "normalized":
        if not all(0.0 <= v <= 1.0 for v in (x1, y1, x2, y2)):
            raise ToolError(
                f"normalized box {box} must lie within 0-1 (or pass box_units='pixels')"
            )
        x1, x2, y1, y2 = x1 * w, x2 * w, y1 * h, y2 * h
    elif not (0 <= x1 <= w and 0 <= x2 <= w and 0 <= y1 <= h and 0 <= y2 <= h):
        raise ToolError(f"pixel box {box} lies outside the {w}x{h} frame")
    px = (round(x1), round(y1), round(x2), round(y2))
    if px[2] - px[0] < 2 or px[3] - px[1] < 2:
        raise ToolError(f"box {box} is empty or reversed; give x1 < x2 and y1 < y2")
    return px


class Zoom(Tool):
    name = "zoom"
    role = "look"
    finds = ("look",)
    needs_vision = True
    description = (
        "Full-resolution crop of one moment: a region given as a box, or the best detection of an "
        "object class, or the whole frame. Use it to read small text or see small details."
    )
    Args = ZoomArgs

    def look_calls(self, spans: list[list[float]], question: str) -> list[dict[str, Any]]:
        return [{"time_s": round((s + e) / 2, 2), "question": question} for s, e in spans]

    def run(self, args: ZoomArgs, ctx: ToolContext) -> ToolResult:
        t = time_arg(ctx, args.time_s)
        if args.box is not None and args.object:
            raise ToolError("give either box or object, not both")
        label = resolve_label(ctx, args.object) if args.object else None
        _take_frames(ctx, 1, self.name)
        frame = decode(ctx, [t], None)[0]
        h, w = frame.image.shape[:2]
        if args.box is not None:
            box = _pixel_box(args.box, args.box_units, w, h)
            how = f"box {args.box} ({args.box_units})"
        elif label is not None:
            dets = ctx.models.detector.detect([frame.image], [frame.time_s], classes=[label])[0]
            dets = [d for d in dets if d.label == label]
            if not dets:
                raise ToolError(
                    f"no '{label}' found at {fmt_t(frame.time_s)} s; try find_objects('{label}') for "
                    "when it is visible"
                )
            best = max(dets, key=lambda d: d.confidence)
            bx1, by1, bx2, by2 = best.box
            pw, ph = (bx2 - bx1) * ZOOM_PAD, (by2 - by1) * ZOOM_PAD
            box = (
                max(0, round(bx1 - pw)),
                max(0, round(by1 - ph)),
                min(w, round(bx2 + pw)),
                min(h, round(by2 + ph)),
            )
            how = f"best of {len(dets)} '{label}' detections (confidence {best.confidence:.2f}), padded {int(ZOOM_PAD * 100)} %"
        else:
            box = (0, 0, w, h)
            how = "whole frame"
        ctx.budget.take_frames(1)
        x1, y1, x2, y2 = box
        crop = frame.image[y1:y2, x1:x2]
        folder = artefact_dir(ctx, self.name, f"{frame.time_s}|{box}")
        path = save_jpeg(crop, folder / f"zoom_{frame.time_s:09.3f}_{x1}_{y1}_{x2}_{y2}.jpg")
        ref = FrameRef(
            frame.time_s, path, box=(float(x1), float(y1), float(x2), float(y2)), label=label or ""
        )
        headline = [
            f"Crop {x2 - x1}x{y2 - y1} px from the {w}x{h} frame at {fmt_t(frame.time_s)} s, "
            f"region {box} in pixels ({how})."
        ]
        tokens = 0
        answer = None
        end = min(frame.time_s + 1.0, float(ctx.video.duration_s))
        finding = Finding(frame.time_s, end, "look", why=f"zoom {how}")
        if args.question:
            model = look_model(ctx)
            vctx = visual_context(
                ctx, max(0.0, frame.time_s - 0.5), frame.time_s + 0.5, [frame.time_s]
            )
            look = model.inspect([crop], args.question, vctx)
            tokens = look.tokens
            answer = look.answer
            sees = bool(getattr(look, "can_see", True))
            if not sees:
                headline.append("The crop is saved for people.")
            finding = Finding(
                frame.time_s,
                end,
                "look",
                one_line(look.answer, MAX_ANSWER_CHARS),
                saw_pixels=sees,
                model=look.model,
                why=f"zoom {how}",
            )
        return ToolResult(
            headline=headline,
            findings=[finding],
            frames=[ref],
            frames_used=1,
            tokens_used=tokens,
            data={
                "time_s": frame.time_s,
                "box_px": list(box),
                "crop_size": [x2 - x1, y2 - y1],
                "frame_size": [w, h],
                "path": path,
                "answer": answer,
            },
        )


class CaptionRangeArgs(ToolArgs):
    time_range: TimeRange = Field(description="the span to caption, [start_s, end_s]")
    focus: str | None = Field(None, max_length=500, description="what the caption should attend to")


class CaptionRange(Tool):
    name = "caption_range"
    role = "look"
    finds = ("caption",)
    description = (
        "Write a fresh caption of one span with your question as its focus (subjects, objects, "
        "actions, on-screen text, speech). Cheaper than inspect_frames for a general description."
    )
    Args = CaptionRangeArgs

    def look_calls(self, spans: list[list[float]], question: str) -> list[dict[str, Any]]:
        return [{"time_range": span, "focus": question[:400]} for span in spans]

    def run(self, args: CaptionRangeArgs, ctx: ToolContext) -> ToolResult:
        span = span_arg(ctx, args.time_range)
        assert span is not None
        s, e = span
        model = ctx.models.captioner
        sees = bool(getattr(model, "can_see", True))
        frames: list[Any] = []
        times: list[float] = []
        if sees:  # a model without vision gets no pixels, so it costs no frames
            n = _take_frames(ctx, CAPTION_FRAMES, self.name)
            ctx.budget.take_frames(n)
            times = [s + (e - s) * (k + 0.5) / n for k in range(n)]
            frames = decode(ctx, times, ctx.settings.media.max_side)
            times = [f.time_s for f in frames]
        vctx = visual_context(ctx, s, e, times)
        cap = model.caption_clip([f.image for f in frames], vctx, args.focus)
        labels = Counter(d.label for d in vctx.detections)
        who = cap.model or getattr(model, "ref", "?")
        how = f"from {len(frames)} frames" if frames else "(no vision: from indexed metadata)"
        text, saw = described(cap.to_text(), asdict(cap))
        finding = Finding(
            s,
            e,
            "caption",
            one_line(text, MAX_ANSWER_CHARS),
            saw_pixels=saw and sees,
            model=cap.model,
            why="captioned span",
        )
        return ToolResult(
            headline=[f"Caption of {fmt_span(s, e)} by {who} {how}:"],
            findings=[finding],
            frames_used=len(frames),
            data={
                "caption": cap.to_text(),
                "model": cap.model,
                "frame_times_s": times,
                "objects": dict(labels),
            },
        )
