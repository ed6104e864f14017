"""One question record for every benchmark, so the runner, scorer and reports never care where a
question came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

Span = tuple[float, float]


class QARecord(BaseModel):
    """A benchmark question about one video.

    ``answer`` is the option letter for multiple choice (``options`` non-empty) and ``None`` for
    open-ended or grounding-only questions, whose reference text sits in ``answer_text``.
    ``gt_spans_s`` are ground-truth spans in seconds (empty when the benchmark has none);
    ``gt_frames`` are frame indices where the benchmark gives frames rather than seconds.
    ``task_types`` keeps every category a benchmark assigns (LVBench gives several).
    """

    qid: str
    dataset: str
    video_id: str
    video_path: Path | None = None
    question: str
    options: list[str] = Field(default_factory=list)
    answer: str | None = None
    answer_text: str | None = None
    answer_aliases: list[str] = Field(default_factory=list)
    duration_s: float | None = None
    gt_spans_s: list[Span] = Field(default_factory=list)
    gt_frames: list[int] = Field(default_factory=list)
    task_types: list[str] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("gt_spans_s")
    @classmethod
    def _ordered_spans(cls, spans: list[Span]) -> list[Span]:
        """Spans are stored start <= end (some annotation files write them reversed)."""
        return [(min(float(a), float(b)), max(float(a), float(b))) for a, b in spans]

    @property
    def task_type(self) -> str:
        """The primary category (the first one the benchmark lists)."""
        return self.task_types[0] if self.task_types else "unknown"

    @property
    def is_multiple_choice(self) -> bool:
        return bool(self.options)

    def prompt(self) -> str:
        """The question as shown to the agent: the stem plus lettered options."""
        from vidseek.scenarios.answers import format_options

        if not self.options:
            return self.question
        return f"{self.question}\n{format_options(self.options)}"
