"""``finish``: ends the run with an answer, the time spans that support it and a confidence."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from vidseek.tools.base import Evidence, Tool, ToolArgs, ToolContext, ToolResult
from vidseek.tools.builtin._common import span_arg
from vidseek.tools.findings import Finding, one_line


class EvidenceSpan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_s: float = Field(description="start of the supporting span, seconds")
    end_s: float = Field(description="end of the supporting span, seconds")
    why: str = Field("", max_length=300, description="what this span shows")


class FinishArgs(ToolArgs):
    answer: str = Field(min_length=1, max_length=4000, description="the final answer")
    evidence: list[EvidenceSpan] = Field(
        default_factory=list,
        max_length=20,
        description="time spans in the video that support the answer",
    )
    confidence: float = Field(ge=0.0, le=1.0, description="0 (a guess) to 1 (confirmed on pixels)")
    choice: str | None = Field(
        None, max_length=20, description="for multiple-choice questions: the option letter"
    )


class Finish(Tool):
    name = "finish"
    role = "finish"
    finds = ("answer",)
    description = (
        "End the run with the final answer, the time spans (seconds) that support it, and your "
        "confidence from 0 to 1. For multiple-choice questions also give the option letter as choice."
    )
    Args = FinishArgs

    def run(self, args: FinishArgs, ctx: ToolContext) -> ToolResult:
        evidence: list[Evidence] = []
        for i, ev in enumerate(args.evidence):
            span = span_arg(ctx, (ev.start_s, ev.end_s), what=f"evidence[{i}]")
            assert span is not None
            evidence.append(Evidence(span[0], span[1], ev.why))
        choice = args.choice.strip().upper() if args.choice else None
        cited = "" if evidence else "; no evidence cited"
        return ToolResult(
            headline=[f"Final answer recorded (confidence {args.confidence:.2f}{cited})."],
            findings=[
                Finding(e.start_s, e.end_s, "answer", one_line(e.why, 300), why=e.why)
                for e in evidence
            ],
            evidence=evidence,
            is_final=True,
            data={
                "answer": args.answer.strip(),
                "choice": choice,
                "confidence": args.confidence,
                "evidence": [e.as_dict() for e in evidence],
            },
        )
