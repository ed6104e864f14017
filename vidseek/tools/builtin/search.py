"""Retrieval tools: ``search_segments`` (hybrid, fused by reciprocal rank in the index, then filtered
by time and de-duplicated in time here), ``search_speech`` and ``search_screen_text``."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from vidseek.tools.base import TimeRange, Tool, ToolArgs, ToolContext, ToolResult
from vidseek.tools.builtin._common import described, overlaps, span_arg
from vidseek.tools.findings import Finding, Quote, fmt_span, one_line

DEDUP_GAP_S = 1.0  # hits closer than this to a better hit fold into it


def _span_of(hit: Any) -> tuple[float, float]:
    seg = hit.segment
    return float(seg.start_s), float(seg.end_s)


def dedup_hits(
    hits: list[Any], top_k: int, gap_s: float = DEDUP_GAP_S
) -> list[tuple[Any, list[Any]]]:
    """Keep the best hit of each stretch of time; later hits that overlap or touch a kept hit
    (within ``gap_s``) fold into it. Input order is rank order; output keeps it."""
    kept: list[tuple[Any, list[Any]]] = []
    for hit in hits:
        s, e = _span_of(hit)
        for best, folded in kept:
            bs, be = _span_of(best)
            if s < be + gap_s and bs < e + gap_s:
                folded.append(hit)
                break
        else:
            if len(kept) < top_k:
                kept.append((hit, []))
    return kept


class SearchSegmentsArgs(ToolArgs):
    query: str = Field(min_length=1, max_length=500, description="what to look for, in words")
    granularity: Literal["clip", "shot", "scene", "frame"] = Field(
        "clip", description="size of the returned segments"
    )
    top_k: int = Field(8, ge=1, le=20, description="how many segments to return")
    time_range: TimeRange | None = Field(None, description="only search inside [start_s, end_s]")


class SearchSegments(Tool):
    name = "search_segments"
    role = "search"
    finds = ("caption",)
    max_output_tokens = 2000
    description = (
        "Hybrid search over the indexed segments (captions, frame embeddings, speech, on-screen "
        "text, keywords), fused by reciprocal rank; near-duplicate hits in time are merged. Returns "
        "time spans with their captions. Use it to find where something happens."
    )
    Args = SearchSegmentsArgs

    def run(self, args: SearchSegmentsArgs, ctx: ToolContext) -> ToolResult:
        tr = span_arg(ctx, args.time_range)
        hits = ctx.index.search(
            args.query, granularity=args.granularity, top_k=args.top_k * 3, time_range=tr
        )
        if tr is not None:
            hits = [h for h in hits if overlaps(_span_of(h), tr)]
        groups = dedup_hits(hits, args.top_k)
        if not groups:
            where = f" in {fmt_span(*tr)}" if tr else ""
            return ToolResult(headline=[f"No {args.granularity} matches '{args.query}'{where}."])
        findings, rows = [], []
        for rank, (hit, folded) in enumerate(groups, 1):
            seg = hit.segment
            via = ", ".join(
                f"{ch}#{r}" for ch, r in sorted(hit.channels.items(), key=lambda kv: kv[1])
            )
            text, saw = described(seg.text or "", seg.fields)
            also: tuple[Quote, ...] = ()
            if hit.matched_text and hit.matched_text not in (seg.text or ""):
                also = (
                    Quote(
                        "text", one_line(hit.matched_text, 200), hit.match_start_s, hit.match_end_s
                    )
                    if hit.match_start_s is not None and hit.match_end_s is not None
                    else Quote("text", one_line(hit.matched_text, 200)),
                )
            findings.append(
                Finding(
                    seg.start_s,
                    seg.end_s,
                    "caption",
                    one_line(text, 300),
                    score=float(hit.score),
                    saw_pixels=saw,
                    model=str(seg.models.get("captioner", "")),
                    segment_id=seg.id,
                    channels=dict(hit.channels),
                    why=f"search hit {rank} for '{args.query}'",
                    detail=f"score {hit.score:.4f}"
                    + (f" via {via}" if via else "")
                    + (f" (+{len(folded)} adjacent hits merged)" if folded else ""),
                    also=also,
                )
            )
            rows.append(
                {
                    "id": seg.id,
                    "start_s": seg.start_s,
                    "end_s": seg.end_s,
                    "score": hit.score,
                    "channels": dict(hit.channels),
                    "merged": [h.segment.id for h in folded],
                }
            )
        headline = f"{len(groups)} {args.granularity} segments for '{args.query}' (best first):"
        return ToolResult(headline=[headline], findings=findings, data={"hits": rows})


def _compact(text: str) -> str:
    return "".join(re.findall(r"[a-z0-9]+", text.lower()))


def same_reading(a: str, b: str, min_len: int = 3) -> bool:
    """Two readings of one text: equal, or one a fragment of the other (OCR often reads part of a
    sign in some frames: 'STORE ROO', 'OM 27 CLOSED' of 'STORE ROOM 27 CLOSED')."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= min_len and short in long_


def merge_timed(rows: list[Any], gap_s: float) -> list[dict[str, Any]]:
    """Fold repeated or partial readings of the same text that touch in time (an OCR line seen in
    consecutive frames, a sentence returned twice) into one span with the fullest reading; keep
    the rank order of each group's best row."""
    groups: list[dict[str, Any]] = []
    for rank, row in enumerate(rows):
        key = _compact(row.text)
        for g in groups:
            near = row.start_s <= g["end_s"] + gap_s and g["start_s"] <= row.end_s + gap_s
            if near and same_reading(key, g["key"]):
                g["start_s"] = min(g["start_s"], row.start_s)
                g["end_s"] = max(g["end_s"], row.end_s)
                g["n"] += 1
                g["unsure"] = tuple(dict.fromkeys((*g["unsure"], *row.unsure)))
                if len(key) > len(g["key"]):
                    g["key"], g["text"] = key, row.text
                break
        else:
            groups.append(
                {
                    "key": key,
                    "text": row.text,
                    "start_s": row.start_s,
                    "end_s": row.end_s,
                    "score": row.score,
                    "rank": rank,
                    "n": 1,
                    "unsure": row.unsure,
                }
            )
    return groups


class TextSearchArgs(ToolArgs):
    query: str = Field(min_length=1, max_length=500, description="words to look for")
    top_k: int = Field(5, ge=1, le=20, description="how many matches to return")
    time_range: TimeRange | None = Field(None, description="only search inside [start_s, end_s]")


class _TextSearch(Tool):
    kind: str = ""
    role = "search"
    Args = TextSearchArgs

    def _search(self, ctx: ToolContext, query: str, top_k: int, tr: Any) -> list[Any]:
        raise NotImplementedError

    def _gap_s(self, ctx: ToolContext) -> float:
        return 0.5

    def run(self, args: TextSearchArgs, ctx: ToolContext) -> ToolResult:
        tr = span_arg(ctx, args.time_range)
        rows = self._search(ctx, args.query, args.top_k * 4, tr)
        if tr is not None:
            rows = [r for r in rows if overlaps((r.start_s, max(r.end_s, r.start_s + 1e-3)), tr)]
        groups = merge_timed(rows, self._gap_s(ctx))[: args.top_k]
        label = "speech" if self.kind == "speech" else "on-screen text"
        if not groups:
            where = f" in {fmt_span(*tr)}" if tr else ""
            return ToolResult(headline=[f"No {label} matches '{args.query}'{where}."])
        findings = [
            Finding(
                g["start_s"],
                g["end_s"],
                self.kind,
                one_line(g["text"], 400),
                score=float(g["score"]),
                saw_pixels=self.kind == "screen_text",  # OCR reads pixels; speech is audio
                why=f"{label} matching '{args.query}'",
                detail=f"(read {g['n']} times)" if g["n"] > 1 else "",
                unsure=g["unsure"],
            )
            for g in groups
        ]
        data = {
            "matches": [
                {
                    "start_s": g["start_s"],
                    "end_s": g["end_s"],
                    "text": g["text"],
                    "score": g["score"],
                }
                for g in groups
            ]
        }
        headline = f"{len(groups)} {label} matches for '{args.query}' (best first):"
        return ToolResult(headline=[headline], findings=findings, data=data)


class SearchSpeech(_TextSearch):
    name = "search_speech"
    kind = "speech"
    finds = ("speech",)
    description = (
        "Search the speech transcript (ASR) for words or a sentence; returns the spans where it "
        "was said, with the spoken text quoted."
    )

    def _search(self, ctx: ToolContext, query: str, top_k: int, tr: Any) -> list[Any]:
        return list(ctx.index.search_speech(query, top_k=top_k, time_range=tr))


class SearchScreenText(_TextSearch):
    name = "search_screen_text"
    kind = "screen_text"
    finds = ("screen_text",)
    description = (
        "Search the text read on screen (OCR: signs, captions, slides, labels); returns the spans "
        "where it was visible, with the text quoted."
    )

    def _search(self, ctx: ToolContext, query: str, top_k: int, tr: Any) -> list[Any]:
        return list(ctx.index.search_screen_text(query, top_k=top_k, time_range=tr))

    def _gap_s(self, ctx: ToolContext) -> float:
        return 1.5 / max(ctx.settings.index.ocr_fps, 1e-3)
