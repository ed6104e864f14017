"""The test kit's tools: one fake tool of each role, and a small tool set."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import Field

from vidseek.testing.index import TRANSCRIPT, overlap_rank
from vidseek.tools.base import FrameRef, Tool, ToolArgs, ToolContext, ToolResult
from vidseek.tools.builtin.finish import Finish
from vidseek.tools.findings import Finding


class QueryArgs(ToolArgs):
    query: str = Field(min_length=1)
    top_k: int = 3


class FakeSearch(Tool):
    """Role ``search``: word-overlap search over a transcript, returning findings of ``kind``."""

    name = "search_speech"
    description = "Search the speech transcript."
    role = "search"
    finds = ("speech",)
    Args = QueryArgs

    def __init__(
        self,
        name: str | None = None,
        kind: str = "speech",
        transcript: list[tuple[float, float, str]] | None = None,
    ) -> None:
        if name:
            self.name = name  # type: ignore[misc]
        self.kind = kind
        self.finds = (kind,)  # type: ignore[misc]
        self.transcript = TRANSCRIPT if transcript is None else transcript

    def run(self, args: QueryArgs, ctx: ToolContext) -> ToolResult:
        hits = overlap_rank(args.query, self.transcript, lambda r: r[2])[: args.top_k]
        if not hits:
            return ToolResult(headline=[f"No {self.kind} matches '{args.query}'."])
        return ToolResult(
            headline=[f"{len(hits)} {self.kind} matches for '{args.query}' (best first):"],
            findings=[
                Finding(s, e, self.kind, t, why=f"{self.kind} matching '{args.query}'")
                for s, e, t in hits
            ],
        )


class FakeOverview(Tool):
    """Role ``overview``: the duration and one scene summary a model wrote from pixels."""

    name = "video_overview"
    description = "Overview of the whole video."
    role = "overview"
    finds = ("overview", "summary")
    Args = ToolArgs

    def run(self, args: ToolArgs, ctx: ToolContext) -> ToolResult:
        d = float(ctx.video.duration_s)
        return ToolResult(
            findings=[
                Finding(0.0, d, "overview", f"Duration {d:.1f} s."),
                Finding(0.0, d, "summary", "Scene 1: an office.", saw_pixels=True),
            ]
        )


class LookArgs(ToolArgs):
    time_s: float


class FakeLook(Tool):
    """Role ``look`` (needs vision): writes a real JPEG of one moment and returns it as a frame
    reference."""

    name = "zoom"
    description = "Look at one moment."
    role = "look"
    needs_vision = True
    finds = ("look",)
    Args = LookArgs

    def look_calls(self, spans: list[list[float]], question: str) -> list[dict[str, Any]]:
        return [{"time_s": (s + e) / 2} for s, e in spans]

    def run(self, args: LookArgs, ctx: ToolContext) -> ToolResult:
        from PIL import Image

        path = Path(ctx.artefact_dir or ".") / f"frame_{args.time_s:.2f}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 32), (200, 30, 30)).save(path)
        return ToolResult(
            headline=[f"frame at {args.time_s:.2f} s saved"],
            findings=[Finding(args.time_s, args.time_s + 1.0, "look", why="looked")],
            frames=[FrameRef(args.time_s, str(path))],
            frames_used=1,
        )


class SlowArgs(ToolArgs):
    label: str


class SlowTool(Tool):
    """Role ``other``: takes half a second (for tests of parallel calls)."""

    name = "slow"
    description = "Takes half a second."
    Args = SlowArgs

    def run(self, args: SlowArgs, ctx: ToolContext) -> ToolResult:
        time.sleep(0.5)
        return ToolResult(
            text=f"done {args.label}",
            findings=[Finding(1.0, 2.0, "other", args.label, why=args.label)],
        )


def fake_tools(*extra: Tool) -> dict[str, Tool]:
    """A fake speech search and the real finish tool, plus ``extra`` tools."""
    tools: dict[str, Tool] = {"search_speech": FakeSearch(), "finish": Finish()}
    for t in extra:
        tools[t.name] = t
    return tools
