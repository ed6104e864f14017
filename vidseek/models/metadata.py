"""The offline "metadata captioner": writes captions from detections, OCR and speech when no
vision-language model is installed, and always says that it is one (it never claims to see)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from vidseek.models.base import ClipCaption, LookResult, VisualContext

MARKER = "[metadata caption: no vision model]"
SUMMARY_MARKER = "[metadata summary: extractive, no language model]"
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was were "
    "with what when where which who why how does did do there their".split()
)


def plural(label: str, count: int) -> str:
    """'1 person', '2 persons', '3 buses' - enough English for detector labels."""
    if count == 1:
        return f"1 {label}"
    if label.endswith(("s", "x", "z", "ch", "sh")):
        word = label + "es"
    elif label.endswith("y") and len(label) > 1 and label[-2] not in "aeiou":
        word = label[:-1] + "ies"
    else:
        word = label + "s"
    return f"{count} {word}"


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _fmt_time(t: float) -> str:
    minutes, seconds = divmod(max(t, 0.0), 60.0)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:04.1f}"
    return f"{minutes}:{seconds:04.1f}"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class MetadataCaptioner:
    """VisionLanguageModel without vision: honest captions from the cheap channels."""

    can_see = False

    def __init__(self, ref: str = "metadata", max_speech_chars: int = 600, max_lines: int = 8):
        self.ref = ref
        self.max_speech_chars = max_speech_chars
        self.max_lines = max_lines

    # -- pieces ------------------------------------------------------------------------------
    @staticmethod
    def object_counts(context: VisualContext) -> dict[str, tuple[int, int]]:
        """label -> (most seen at once in one frame, number of frames it was seen in)."""
        per_frame: dict[float, Counter[str]] = defaultdict(Counter)
        for det in context.detections:
            per_frame[round(det.time_s, 3)][det.label] += 1
        result: dict[str, tuple[int, int]] = {}
        for counts in per_frame.values():
            for label, n in counts.items():
                best, frames = result.get(label, (0, 0))
                result[label] = (max(best, n), frames + 1)
        return dict(sorted(result.items(), key=lambda kv: (-kv[1][0], kv[0])))

    def screen_lines(self, context: VisualContext) -> list[str]:
        """OCR lines, de-duplicated across frames, most confident reading first."""
        best: dict[str, tuple[float, str]] = {}
        for line in context.screen_text:
            key = _norm(line.text)
            if not key:
                continue
            if key not in best or line.confidence > best[key][0]:
                best[key] = (line.confidence, " ".join(line.text.split()))
        ranked = sorted(best.values(), key=lambda item: -item[0])
        return [text for _, text in ranked[: self.max_lines]]

    def speech_text(self, context: VisualContext) -> str:
        parts = [
            seg.text.strip()
            for seg in sorted(context.speech, key=lambda s: s.start_s)
            if seg.end_s >= context.start_s and seg.start_s <= context.end_s and seg.text.strip()
        ]
        return _clip(" ".join(parts), self.max_speech_chars)

    def metadata_text(self, context: VisualContext) -> str:
        """One paragraph of what the cheap channels recorded in the span (quoted as data)."""
        frames = len({round(d.time_s, 3) for d in context.detections} | set(context.frame_times_s))
        bits: list[str] = []
        counts = self.object_counts(context)
        if counts:
            seen = ", ".join(
                f"up to {plural(label, n)} (in {k} of {frames} frames)"
                if frames > 1
                else plural(label, n)
                for label, (n, k) in counts.items()
            )
            bits.append(f"detector found {seen}")
        elif context.detections == [] and context.frame_times_s:
            bits.append("detector found no known objects")
        lines = self.screen_lines(context)
        if lines:
            bits.append("on-screen text: " + "; ".join(f'"{t}"' for t in lines))
        speech = self.speech_text(context)
        if speech:
            bits.append(f'speech: "{speech}"')
        if context.subjects:
            bits.append("known subjects: " + ", ".join(context.subjects))
        span = f"{_fmt_time(context.start_s)}-{_fmt_time(context.end_s)}"
        if not bits:
            return f"{span}: no detections, on-screen text or speech recorded"
        return f"{span}: " + "; ".join(bits)

    # -- the protocol -----------------------------------------------------------------------
    def caption_clip(
        self, frames: Sequence[np.ndarray], context: VisualContext, focus: str | None = None
    ) -> ClipCaption:
        counts = self.object_counts(context)
        return ClipCaption(
            description=f"{MARKER} {self.metadata_text(context)}.",
            subjects=list(context.subjects),
            objects=[plural(label, n) for label, (n, _) in counts.items()],
            actions=[],
            screen_text=self.screen_lines(context),
            speech=self.speech_text(context),
            model=self.ref,
        )

    def inspect(
        self, frames: Sequence[np.ndarray], question: str, context: VisualContext
    ) -> LookResult:
        return LookResult(
            answer=(
                "cannot see: no vision model is configured; metadata in this span: "
                + self.metadata_text(context)
            ),
            found=False,
            model=self.ref,
            evidence_times_s=[],
            tokens=0,
            can_see=False,
        )

    def summarize(self, texts: Sequence[str], instruction: str, max_chars: int = 1500) -> str:
        """Extractive merge: split into lines, drop markers and repeats, keep the lines that share
        the most words with the instruction (then the most informative), in their original order."""
        lines: list[str] = []
        seen: set[str] = set()
        for text in texts:
            for raw in re.split(r"\n+|(?<=[.!?])\s+(?=[A-Z0-9\[\"])", text or ""):
                line = raw.replace(MARKER, "").replace(SUMMARY_MARKER, "").strip(" .;")
                key = _norm(line)
                if not key or key in seen:
                    continue
                seen.add(key)
                lines.append(line)
        if not lines:
            return f"{SUMMARY_MARKER} nothing recorded."
        wanted = {w for w in _WORD.findall(instruction.lower()) if w not in _STOP}
        df = Counter(w for line in lines for w in set(_WORD.findall(line.lower())))

        def score(item: tuple[int, str]) -> tuple[float, int]:
            words = set(_WORD.findall(item[1].lower())) - _STOP
            overlap = len(words & wanted)
            rarity = sum(1.0 / df[w] for w in words) if words else 0.0
            return (overlap * 10.0 + min(rarity, 8.0), -item[0])

        budget = max_chars - len(SUMMARY_MARKER) - 1
        chosen: list[tuple[int, str]] = []
        used = 0
        for index, line in sorted(enumerate(lines), key=score, reverse=True):
            cost = len(line) + 2
            if used + cost > budget:
                continue
            chosen.append((index, line))
            used += cost
        if not chosen:  # a single huge line: cut it
            chosen = [(0, _clip(lines[0], budget))]
        body = ". ".join(line for _, line in sorted(chosen))
        return f"{SUMMARY_MARKER} {body}."
