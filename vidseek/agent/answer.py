"""The final answer and the trace of a run."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class EvidenceSpan:
    start_s: float
    end_s: float
    why: str = ""


@dataclass
class ToolCallRecord:
    step: int
    name: str
    arguments: dict[str, Any]
    ok: bool
    wall_s: float
    evidence: list[dict[str, Any]] = field(default_factory=list)
    frames: int = 0


@dataclass
class Trace:
    """What a run cost: planner tokens, tool calls, frames looked at, wall time."""

    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    frames_looked: int = 0
    wall_s: float = 0.0
    stop_reason: str = ""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Answer:
    """{answer, choice, evidence, confidence} plus the trace. ``best_effort`` marks an answer the
    planner did not finish on its own (budget, broken planner, server failure); ``error`` says why."""

    answer: str
    choice: str | None = None
    evidence: list[EvidenceSpan] = field(default_factory=list)
    confidence: float = 0.0
    best_effort: bool = False
    error: str | None = None
    question: str = ""
    thread_id: str | None = None
    trace: Trace = field(default_factory=Trace)

    def as_dict(self, with_trace: bool = True) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = [
            {"start_s": round(e.start_s, 2), "end_s": round(e.end_s, 2), "why": e.why}
            for e in self.evidence
        ]
        if with_trace:
            d["trace"]["total_tokens"] = self.trace.total_tokens
        else:
            d.pop("trace")
        return d


LETTERS = "ABCDEFGHIJ"

# the openings of an answer that declines to answer (reports count these as abstentions)
NOT_FOUND = "I could not find this in the video"
CANNOT_SEE = "I cannot see this"


def is_abstention(answer: str) -> bool:
    """Whether an answer declines: nothing in the index supports one, or the question needs
    pixels the profile's models cannot see."""
    return answer.startswith((NOT_FOUND, CANNOT_SEE))


def format_question(question: str, options: list[str] | None) -> str:
    """The question with its options as "(A) ..." lines (unless they are already embedded)."""
    if not options or re.search(r"\n\(A\)", question):
        return question
    lines = [question.strip()] + [f"({LETTERS[i]}) {o}" for i, o in enumerate(options)]
    return "\n".join(lines)


# how an answer that declines begins (the same openings as the answer step's abstentions): no
# option letter is read from its text, which names what was searched for
DECLINING = (NOT_FOUND, CANNOT_SEE)


def normalise_choice(choice: str | None, answer: str, options: list[str] | None) -> str | None:
    """The option letter: the given one if valid, else one read from the answer text (never
    from an abstention, whose text names the queries it searched for)."""
    if not options:
        return None
    if not choice and (answer or "").startswith(DECLINING):
        return None
    letters = LETTERS[: len(options)]
    if choice:
        m = re.match(r"\s*\(?([A-Ja-j])\)?(?:[\s.:)]|$)", choice)
        if m and m.group(1).upper() in letters:
            return m.group(1).upper()
    if is_abstention(answer or ""):
        return None
    m = re.match(r"\s*\(?([A-J])\)?(?:[\s.:)]|$)", answer or "")
    if m and m.group(1) in letters:
        return m.group(1)
    low = (answer or "").lower()
    # the longest option text contained in the answer wins ("Meeting room 12" over "room 1")
    best = max(
        (i for i, o in enumerate(options) if o and o.lower() in low),
        key=lambda i: len(options[i]),
        default=None,
    )
    return letters[best] if best is not None else None


def embedded_options(question: str) -> list[str]:
    """Options written into the question as "\n(A) ..." lines (the LVBench style)."""
    return [m.group(2).strip() for m in re.finditer(r"\n\(([A-J])\)\s*([^\n]+)", question)]


def options_of(question: str, options: list[str] | None) -> list[str] | None:
    return list(options) if options else (embedded_options(question) or None)
