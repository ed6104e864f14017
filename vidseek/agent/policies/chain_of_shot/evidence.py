"""What the chain_of_shot prompts show, read from the findings of earlier calls: the overview for
writing queries, the candidate moments the searches found, and the evidence items of the answer
step (closer looks first, then the candidates). Tools are told apart by role, never by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from vidseek.agent.state import ToolOutcome
from vidseek.tools.findings import Finding, as_findings, brief, one_line, span_label

MAX_CANDIDATES = 8
VERBATIM_KINDS = frozenset({"speech", "screen_text"})  # the video's exact words


class Item(TypedDict):
    """A moment as the prompts list it: what the video says or shows there (``text``), the same
    with its time (``label``), and why it is evidence."""

    start_s: float
    end_s: float
    text: str
    why: str
    label: str


def _findings(r: ToolOutcome) -> list[Finding]:
    return as_findings(r.get("findings") or [])


def _ok(results: Sequence[ToolOutcome], role: str) -> list[ToolOutcome]:
    return [r for r in results if r.get("ok") and r.get("role") == role]


def verbatim_first(finds: Sequence[str]) -> int:
    """Sort key for search tools: those that return the video's exact words (speech, on-screen
    text) before those that return descriptions."""
    return 0 if VERBATIM_KINDS & set(finds) else 1


def overview_text(results: Sequence[ToolOutcome], limit: int = 1200) -> str:
    """The first overview: the facts about the video, and the summaries a model wrote from its
    pixels (summaries extracted from the index's own channels only repeat what search finds)."""
    for r in _ok(results, "overview"):
        found = _findings(r)
        head = [brief(f) for f in found if f.kind == "overview"]
        said = [brief(f, 200) for f in found if f.kind == "summary" and f.saw_pixels]
        lines = [*head, "; ".join(dict.fromkeys(said))] if said else head
        return "\n".join(one_line(line, limit) for line in lines)
    return ""


def candidates(results: Sequence[ToolOutcome]) -> list[Item]:
    """Moments the searches found, best ranks first across calls, merged where they overlap."""
    per_call: list[list[Item]] = []
    for r in _ok(results, "search"):
        per_call.append(
            [
                {
                    "start_s": f.start_s,
                    "end_s": f.end_s,
                    "text": brief(f, 300),
                    "why": f.why or r["name"],
                    "label": "",
                }
                for f in _findings(r)
            ]
        )
    merged: list[Item] = []
    for rank in range(max((len(p) for p in per_call), default=0)):
        for rows in per_call:
            if rank >= len(rows):
                continue
            row = rows[rank]
            for m in merged:
                if row["start_s"] < m["end_s"] and m["start_s"] < row["end_s"]:
                    if row["text"] not in m["text"] and len(m["text"]) < 500:
                        m["text"] += " | " + row["text"]
                    break
            else:
                merged.append(Item(**row))
    for m in merged[:MAX_CANDIDATES]:
        m["label"] = f"{m['text']} ({span_label(m['start_s'], m['end_s'])})"
    return merged[:MAX_CANDIDATES]


def evidence_items(results: Sequence[ToolOutcome]) -> list[Item]:
    """What the answer step sees: the closer looks first, then the candidates."""
    items: list[Item] = []
    for r in _ok(results, "look"):
        found = _findings(r)
        if not found:
            continue
        text = one_line("; ".join(dict.fromkeys(brief(f, 500) for f in found)), 500)
        start, end = found[0].start_s, found[0].end_s
        items.append(
            {
                "start_s": start,
                "end_s": end,
                "why": f"{r['name']}: {one_line(text, 200)}",
                "text": text,
                "label": f"{text} ({span_label(start, end)})",
            }
        )
    for c in candidates(results):
        items.append({**c, "why": c["text"]})
    return items[:MAX_CANDIDATES]
