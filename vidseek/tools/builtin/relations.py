"""Relation tools: count distinct occurrences, order events, and list what was said or shown
before, after or during a moment, computed from the index's timed rows (speech, on-screen text,
detections) rather than from a model's reading of search results.

Each tool searches with the existing fused search (text embeddings and exact tokens), keeps the
rows that state what was asked (``MIN_MATCH`` of its content words; see
``vidseek.tools.occurrences.coverage``), groups them into occurrences with a minimum gap and
orders them by time. Role ``relate``; ``relation`` says which question each one answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from vidseek.tools.base import TimeRange, Tool, ToolArgs, ToolContext, ToolResult
from vidseek.tools.builtin._common import span_arg
from vidseek.tools.builtin.search import merge_timed
from vidseek.tools.findings import Finding, fmt_span, one_line
from vidseek.tools.occurrences import (
    Hit,
    Occurrence,
    around,
    content_words,
    coverage,
    group_occurrences,
    in_order,
    same_word,
)

Channel = Literal["speech", "screen_text", "detection"]
TEXT_CHANNELS: tuple[Channel, ...] = ("speech", "screen_text")
MIN_MATCH = 0.6  # share of the asked phrase's content words a row must contain to count
NEAR_MATCH = 0.4  # below MIN_MATCH but this close: maybe an occurrence the ASR or OCR garbled
SEARCH_DEPTH = 60  # rows fetched per channel before matching (more than any count asked)
DEFAULT_GAP_S = 3.0  # one occurrence: a sentence split by the ASR, a sign read in a few frames
CHANNEL_LABEL = {"speech": "speech", "screen_text": "on-screen text", "detection": "detections"}

ChannelsField = Field(
    default_factory=lambda: list(TEXT_CHANNELS),
    min_length=1,
    max_length=3,
    description="where to look: speech, screen_text (OCR), detection (detector classes)",
)


def matching_hits(
    ctx: ToolContext,
    what: str,
    channels: Sequence[str],
    time_range: tuple[float, float] | None = None,
    min_match: float = MIN_MATCH,
) -> list[Hit]:
    """Rows of the given channels that state ``what``: fused search for candidates, then the
    word match decides (a ranked list alone cannot tell a repeat from a near miss)."""
    hits: list[Hit] = []
    for channel in dict.fromkeys(channels):
        if channel == "detection":
            hits += _detection_hits(ctx, what, time_range)
            continue
        search = ctx.index.search_speech if channel == "speech" else ctx.index.search_screen_text
        for row in search(what, top_k=SEARCH_DEPTH, time_range=time_range):
            m = coverage(what, row.text)
            if m >= min_match:
                end = max(float(row.end_s), float(row.start_s) + 1e-3)
                hits.append(Hit(float(row.start_s), end, channel, row.text, m))
    return hits


def _detection_hits(
    ctx: ToolContext, what: str, time_range: tuple[float, float] | None
) -> list[Hit]:
    """Detector frames of a class the phrase names ("people" names ``person``)."""
    words = content_words(what)
    if "people" in words:
        words.append("person")
    step = 1.0 / max(float(ctx.settings.index.detect_fps), 1e-3)
    hits = []
    for label in ctx.index.labels() or {}:
        if not any(same_word(label.lower(), w) for w in words):
            continue
        for d in ctx.index.detections(label, time_range):
            hits.append(Hit(float(d.time_s), float(d.time_s) + step, "detection", label, 1.0))
    return hits


def occurrence_finding(o: Occurrence, why: str) -> Finding:
    return Finding(
        o.start_s,
        o.end_s,
        o.kind,
        one_line(o.text, 300),
        score=round(o.match, 3),
        saw_pixels=o.kind != "speech",
        why=why,
        detail=f"(match {o.match:.2f}" + (f", {o.hits} hits merged)" if o.hits > 1 else ")"),
    )


def occurrence_row(o: Occurrence) -> dict[str, Any]:
    return {
        "start_s": round(o.start_s, 3),
        "end_s": round(o.end_s, 3),
        "kind": o.kind,
        "text": o.text,
        "match": round(o.match, 3),
        "hits": o.hits,
    }


def _where(channels: Sequence[str], tr: tuple[float, float] | None) -> str:
    names = " and ".join(CHANNEL_LABEL.get(c, c) for c in dict.fromkeys(channels))
    return names + (f" in {fmt_span(*tr)}" if tr else "")


class RelationTool(Tool):
    """A tool that answers a relation question from timed rows (role ``relate``)."""

    role = "relate"
    relation: ClassVar[str] = ""
    finds = ("speech", "screen_text", "detection")


# --- counting ------------------------------------------------------------------------------------


class CountArgs(ToolArgs):
    what: str = Field(min_length=1, max_length=300, description="what to count, in words")
    channels: list[Channel] = ChannelsField
    min_gap_s: float = Field(
        DEFAULT_GAP_S,
        ge=0,
        le=600,
        description="a hit starting less than this after the previous one joins its occurrence",
    )
    time_range: TimeRange | None = Field(None, description="only count inside [start_s, end_s]")


class CountOccurrences(RelationTool):
    name = "count_occurrences"
    relation = "count"
    description = (
        "Count the distinct times something is said, written on screen or detected: rows that "
        "state it are grouped into occurrences (hits starting closer than min_gap_s merge); returns each "
        "occurrence's span in time order."
    )
    Args = CountArgs

    def run(self, args: CountArgs, ctx: ToolContext) -> ToolResult:
        tr = span_arg(ctx, args.time_range)
        found = matching_hits(ctx, args.what, args.channels, tr, NEAR_MATCH)
        occ = group_occurrences([h for h in found if h.match >= MIN_MATCH], args.min_gap_s)
        # rows that nearly state it, away from every occurrence: the count may be short
        near = group_occurrences(
            [
                h
                for h in found
                if h.match < MIN_MATCH
                and not any(o.start_s - args.min_gap_s <= h.start_s <= o.end_s for o in occ)
            ],
            args.min_gap_s,
        )
        where = _where(args.channels, tr)
        data = {
            "what": args.what,
            "channels": list(args.channels),
            "min_gap_s": args.min_gap_s,
            "count": len(occ),
            "occurrences": [occurrence_row(o) for o in occ],
            "near_misses": [occurrence_row(o) for o in near],
        }
        if not occ:
            return ToolResult(headline=[f"No occurrence of '{args.what}' in {where}."], data=data)
        n = len(occ)
        findings = [
            occurrence_finding(o, f"occurrence {i} of {n} of '{args.what}'")
            for i, o in enumerate(occ, 1)
        ]
        headline = (
            f"{n} distinct occurrence{'s' if n > 1 else ''} of '{args.what}' in {where} "
            f"(hits starting within {args.min_gap_s:g} s merged), in time order:"
        )
        notes = [
            f"{len(near)} more stretch(es) nearly state it (a garbled reading?): "
            + ", ".join(fmt_span(o.start_s, o.end_s) for o in near)
        ]
        return ToolResult(
            headline=[headline], findings=findings, notes=notes if near else [], data=data
        )


# --- ordering ------------------------------------------------------------------------------------


class EventSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what: str = Field(min_length=1, max_length=300, description="the event, in words")
    channels: list[Channel] = ChannelsField


class OrderArgs(ToolArgs):
    events: list[EventSpec] = Field(min_length=2, max_length=6, description="events to order")
    min_gap_s: float = Field(DEFAULT_GAP_S, ge=0, le=600)


class OrderEvents(RelationTool):
    name = "order_events"
    relation = "order"
    description = (
        "Order events by when they first happen (said, written on screen or detected); says which "
        "could not be found and which happen at the same moment."
    )
    Args = OrderArgs

    def run(self, args: OrderArgs, ctx: ToolContext) -> ToolResult:
        per_event = [
            group_occurrences(matching_hits(ctx, e.what, e.channels), args.min_gap_s)
            for e in args.events
        ]
        order = in_order(per_event)
        missing = [i for i, occ in enumerate(per_event) if not occ]
        firsts = {i: per_event[i][0] for i in order}
        same = [
            [a, b]
            for k, a in enumerate(order)
            for b in order[k + 1 :]
            if firsts[a].start_s < firsts[b].end_s and firsts[b].start_s < firsts[a].end_s
        ]
        data = {
            "events": [
                {
                    "what": e.what,
                    "channels": list(e.channels),
                    "count": len(per_event[i]),
                    "first": occurrence_row(per_event[i][0]) if per_event[i] else None,
                }
                for i, e in enumerate(args.events)
            ],
            "order": order,
            "missing": missing,
            "same_time": same,
        }
        findings = [
            occurrence_finding(
                firsts[i], f"event {i + 1} '{args.events[i].what}' first occurs here ({rank} first)"
            )
            for rank, i in enumerate(order, 1)
        ]
        headline = ["Events in the order they first occur:" if order else "No event was found."]
        notes = [
            f"Not found: event {i + 1} '{args.events[i].what}' in "
            f"{_where(args.events[i].channels, None)}."
            for i in missing
        ]
        notes += [f"Events {a + 1} and {b + 1} overlap in time." for a, b in same]
        return ToolResult(headline=headline, findings=findings, notes=notes, data=data)


# --- before / after / during ---------------------------------------------------------------------


class AroundArgs(ToolArgs):
    anchor: str = Field(min_length=1, max_length=300, description="the reference event")
    anchor_channels: list[Channel] = ChannelsField
    relation: Literal["before", "after", "during"] = Field(
        "after", description="where the wanted items lie relative to the anchor"
    )
    target: str = Field("", max_length=300, description="what is wanted (optional), in words")
    target_channels: list[Literal["speech", "screen_text"]] = Field(
        default_factory=lambda: list(TEXT_CHANNELS), min_length=1, max_length=2
    )
    window_s: float = Field(30.0, gt=0, le=600, description="how far from the anchor to look")


class FindAround(RelationTool):
    name = "find_around"
    relation = "around"
    description = (
        "What was said or written right before, after or during an anchor event (a sign, an "
        "announcement): finds the anchor's occurrences, then the speech and on-screen text next "
        "to each, nearest first; with a target, the items that mention it come first."
    )
    Args = AroundArgs

    def run(self, args: AroundArgs, ctx: ToolContext) -> ToolResult:
        anchors = group_occurrences(
            matching_hits(ctx, args.anchor, args.anchor_channels), DEFAULT_GAP_S
        )[:3]
        rel = args.relation
        data: dict[str, Any] = {"anchor": args.anchor, "relation": rel, "anchors": []}
        if not anchors:
            where = _where(args.anchor_channels, None)
            return ToolResult(headline=[f"No occurrence of '{args.anchor}' in {where}."], data=data)
        findings: list[Finding] = []
        for k, a in enumerate(anchors, 1):
            findings.append(occurrence_finding(a, f"anchor {k}: '{args.anchor}'"))
            items = self._items(ctx, a, args)
            data["anchors"].append({**occurrence_row(a), "items": [_hit_row(h) for h in items]})
            for h in items:
                why = f"{CHANNEL_LABEL[h.kind]} {rel} anchor {k} '{args.anchor}'"
                findings.append(
                    Finding(
                        h.start_s,
                        h.end_s,
                        h.kind,
                        one_line(h.text, 300),
                        score=round(h.match, 3),
                        saw_pixels=h.kind != "speech",
                        why=why,
                    )
                )
        headline = f"{len(anchors)} occurrence(s) of '{args.anchor}'; what lies {rel} each:"
        return ToolResult(headline=[headline], findings=findings, data=data)

    def _items(self, ctx: ToolContext, a: Occurrence, args: AroundArgs) -> list[Hit]:
        lo = max(0.0, a.start_s - args.window_s)
        hi = min(float(ctx.video.duration_s), a.end_s + args.window_s)
        rows: list[Hit] = []
        for channel in args.target_channels:
            fetch = ctx.index.speech_in if channel == "speech" else ctx.index.screen_text_in
            gap = 0.5 if channel == "speech" else 1.5 / max(ctx.settings.index.ocr_fps, 1e-3)
            for g in merge_timed(sorted(fetch(lo, hi), key=lambda r: r.start_s), gap):
                if coverage(args.anchor, g["text"]) >= MIN_MATCH:
                    continue  # the anchor itself (or another reading of it)
                match = coverage(args.target, g["text"]) if args.target else 0.0
                rows.append(Hit(g["start_s"], g["end_s"], channel, g["text"], match))
        near = around(a, rows, args.relation, args.window_s)
        if args.target:
            wanted = [h for h in near if h.match >= 0.5]
            near = wanted + [h for h in near if h.match < 0.5]
        return near[:3]


def _hit_row(h: Hit) -> dict[str, Any]:
    return {
        "start_s": round(h.start_s, 3),
        "end_s": round(h.end_s, 3),
        "kind": h.kind,
        "text": h.text,
        "match": round(h.match, 3),
    }
