"""On-screen text over time: OCR readings of the same text in consecutive sampled frames joined
into one span per visible text (what the index stores and search finds)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vidseek.models.base import TextLine

_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class TextSpan:
    """One piece of on-screen text and the span it stays visible (merged over sampled frames)."""

    start_s: float
    end_s: float
    text: str
    confidence: float
    frames: int = 1


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _same_text(a: str, b: str, similarity: float) -> float:
    """How surely two OCR readings are the same text: 1.0 when one (spaces dropped) contains the
    other (a sign read in part while it fades or slides in), else their fuzzy similarity."""
    short, long_ = sorted((a.replace(" ", ""), b.replace(" ", "")), key=len)
    if len(short) >= 3 and short in long_:
        return 1.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= similarity else 0.0


def merge_text_lines(
    lines: Sequence[TextLine],
    step_s: float,
    min_chars: int = 3,
    similarity: float = 0.8,
) -> list[TextSpan]:
    """Join the readings of the same text in consecutive sampled frames into one span.

    OCR reads a sign once per sampled frame, each time slightly differently (and in part while it
    appears); the search wants one item per sign with the time it is on screen. Readings match by
    containment or fuzzy similarity of their normalised words; a reading missed for up to two
    samples does not break the span. The span's text is its most frequent full reading.
    """
    gap_s = 2.5 * step_s
    open_spans: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    for line in sorted(lines, key=lambda x: x.time_s):
        key = _norm(line.text)
        if sum(c.isalnum() for c in key) < min_chars:
            continue
        still_open = []
        for span in open_spans:
            (still_open if line.time_s - span["last"] <= gap_s else done).append(span)
        open_spans = still_open
        best, best_score = None, 0.0
        for span in open_spans:
            score = max(_same_text(k, key, similarity) for k in span["keys"])
            if score > best_score or (
                score == best_score
                and best is not None
                and score > 0
                and len(span["keys"]) > len(best["keys"])
            ):
                best, best_score = span, score
        if best is None:
            open_spans.append(
                {"keys": {key}, "first": line.time_s, "last": line.time_s, "readings": [line]}
            )
        else:
            best["keys"].add(key)
            best["last"] = max(best["last"], line.time_s)
            best["readings"].append(line)
    done.extend(open_spans)
    # a partial reading that opened a span of its own joins the span of its full text
    done.sort(key=lambda sp: -max(len(k) for k in sp["keys"]))
    merged: list[dict[str, Any]] = []
    for span in done:
        home = next(
            (
                m
                for m in merged
                if span["first"] <= m["last"] + gap_s
                and m["first"] <= span["last"] + gap_s
                and all(
                    any(_same_text(k, mk, similarity) == 1.0 for mk in m["keys"])
                    for k in span["keys"]
                )
            ),
            None,
        )
        if home is None:
            merged.append(span)
        else:
            home["keys"] |= span["keys"]
            home["first"] = min(home["first"], span["first"])
            home["last"] = max(home["last"], span["last"])
            home["readings"].extend(span["readings"])
    spans = []
    for span in merged:
        readings: list[TextLine] = span["readings"]
        counts: dict[str, int] = {}
        for r in readings:
            counts[_norm(r.text)] = counts.get(_norm(r.text), 0) + 1
        top = max(counts, key=lambda k: (counts[k], len(k)))
        text = max((r for r in readings if _norm(r.text) == top), key=lambda r: r.confidence).text
        spans.append(
            TextSpan(
                start_s=span["first"],
                end_s=span["last"] + step_s,
                text=" ".join(text.split()),
                confidence=float(np.mean([r.confidence for r in readings])),
                frames=len({r.time_s for r in readings}),
            )
        )
    return sorted(spans, key=lambda s: (s.start_s, s.text))
