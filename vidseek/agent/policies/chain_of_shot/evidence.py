"""What the chain_of_shot prompts show, read from the findings of earlier calls: the overview for
writing queries, the candidate moments the searches found, and the evidence items of the answer
step (closer looks first, then the candidates). Tools are told apart by role, never by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict

from vidseek.agent.state import ToolOutcome
from vidseek.tools.findings import Finding, as_findings, brief, one_line, span_label

MAX_CANDIDATES = 8
MAX_LOOKS = 2  # closer looks shown before the candidates (they never push a candidate out)
VERBATIM_KINDS = frozenset({"speech", "screen_text"})  # the video's exact words


class Item(TypedDict):
    """A moment as the prompts list it: what the video says or shows there (``text``), the same
    with its time (``label``), why it is evidence, and the words of it the recognizer heard
    unclearly (``unsure``, speech only)."""

    start_s: float
    end_s: float
    text: str
    why: str
    label: str
    unsure: NotRequired[list[str]]


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


RRF_K = 10  # reciprocal-rank fusion: a hit at rank r of a call scores 1 / (RRF_K + r)


def index_text(results: Sequence[ToolOutcome]) -> str:
    """Everything the overview calls wrote (facts, captions, detector counts, OCR fragments):
    text a written query must not merely repeat."""
    return "\n".join(f.text for r in _ok(results, "overview") for f in _findings(r) if f.text)


def candidates(results: Sequence[ToolOutcome], question: str = "") -> list[Item]:
    """Moments the searches found, fused across calls by reciprocal rank (a moment several
    channels or queries found ranks above one found once) and merged where they overlap. The
    best hit of each search for the question itself is always kept, so the candidates are
    never worse than one plain search on the question."""
    per_call: list[tuple[bool, list[Item]]] = []
    for r in _ok(results, "search"):
        query = str((r.get("arguments") or {}).get("query", "")).strip()
        rows: list[Item] = [
            {
                "start_s": f.start_s,
                "end_s": f.end_s,
                "text": brief(f, 300),
                "why": f.why or r["name"],
                "label": "",
            }
            for f in _findings(r)
        ]
        per_call.append((bool(question) and query == question.strip(), rows))
    merged: list[Item] = []
    score: list[float] = []
    pinned: set[int] = set()
    for rank in range(max((len(rows) for _, rows in per_call), default=0)):
        for for_question, rows in per_call:
            if rank >= len(rows):
                continue
            row = rows[rank]
            k = next(
                (
                    j
                    for j, m in enumerate(merged)
                    if row["start_s"] < m["end_s"] and m["start_s"] < row["end_s"]
                ),
                len(merged),
            )
            if k == len(merged):
                merged.append(Item(**row))
                score.append(0.0)
            elif row["text"] not in merged[k]["text"] and len(merged[k]["text"]) < 500:
                merged[k]["text"] += " | " + row["text"]
            score[k] += 1.0 / (RRF_K + rank + 1)
            if rank == 0 and for_question:
                pinned.add(k)
    order = sorted(range(len(merged)), key=lambda k: -score[k])
    top = order[:MAX_CANDIDATES]
    for k in sorted(pinned - set(top), key=lambda k: -score[k]):
        spare = next((j for j in reversed(top) if j not in pinned), None)
        if spare is None:
            break
        top[top.index(spare)] = k
    out = [merged[k] for k in sorted(top, key=lambda k: -score[k])]
    for m in out:
        m["label"] = f"{m['text']} ({span_label(m['start_s'], m['end_s'])})"
    return out


def unclear_speech(results: Sequence[ToolOutcome]) -> list[tuple[float, float, list[str]]]:
    """(start, end, words) of every speech finding with words the recognizer heard unclearly,
    from any call."""
    return [
        (f.start_s, f.end_s, list(f.unsure))
        for r in results
        if r.get("ok")
        for f in _findings(r)
        if f.kind == "speech" and f.unsure
    ]


def inherit_unclear(items: list[Item], heard: Sequence[tuple[float, float, list[str]]]) -> None:
    """Text built from the speech (the metadata captioner's "speech: '...'", a scene summary)
    repeats its words without their doubt: an item takes the unclear words of the speech heard
    during its span, so a caption restating a misheard "8" is no clear witness of it."""
    for it in items:
        have = it.setdefault("unsure", [])
        for start, end, words in heard:
            if start < it["end_s"] and it["start_s"] < end:
                have += [w for w in words if w not in have]


def evidence_items(results: Sequence[ToolOutcome], question: str = "") -> list[Item]:
    """What the answer step sees: the closer looks first, then the fused candidates; each with
    the unclear words of the speech heard during it (``inherit_unclear``)."""
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
    for c in candidates(results, question):
        items.append({**c, "why": c["text"]})
    items = items[: MAX_CANDIDATES + MAX_LOOKS]
    inherit_unclear(items, unclear_speech(results))
    return items
