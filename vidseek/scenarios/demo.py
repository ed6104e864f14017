"""The demo's questions: one per needle of the demo haystack (``vidseek.footage.demo_haystack``),
answerable only from that needle, and how an answer to one is scored. Used by ``vidseek demo``
and the agent benchmark."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vidseek.agent.answer import Answer


DEMO_QUESTIONS = {
    "speech": [("access code", "What is the access code for the north laboratory?")],
    "screen_text": [("STORE ROOM", "According to the sign on screen, which store room is closed?")],
}


def demo_questions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Questions whose answers are only in the demo haystack's needles, with their truth."""
    out = []
    for needle in manifest.get("needles", []):
        for key, question in DEMO_QUESTIONS.get(needle["kind"], []):
            if key.lower() in needle["text"].lower():
                out.append({**needle, "question": question})
    return out


def hit(ans: Answer, truth: dict[str, Any]) -> tuple[bool, bool]:
    """(answer correct, an evidence span overlaps the needle)."""
    correct = str(truth.get("answer", "")).lower() in ans.answer.lower().replace(" ", "")
    overlap = any(e.start_s < truth["end_s"] and truth["start_s"] < e.end_s for e in ans.evidence)
    return correct, overlap
