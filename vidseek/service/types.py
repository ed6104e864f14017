"""What the service layer hands out: plain pydantic models, so the HTTP API documents them in its
OpenAPI schema, MCP returns them as structured content and the page reads the same JSON."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "done", "failed"]


class VideoSummary(BaseModel):
    """One video of the library: what it is, what indexed it and when."""

    video_id: str
    name: str
    path: str
    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool
    complete: bool = Field(description="every index stage finished")
    indexed_at: float | None = Field(None, description="Unix time the index was completed")
    models: dict[str, str] = Field(default_factory=dict, description="role -> model reference")
    segments: dict[str, int] = Field(default_factory=dict, description="granularity -> count")


class TaskProgress(BaseModel):
    """The latest state of one task of an indexing job (a stage such as "speech" or "ocr")."""

    task: str
    done: float = 0.0
    total: float | None = None
    unit: str = ""
    finished: bool = False
    detail: str = ""


class JobInfo(BaseModel):
    """An indexing job: a video being indexed in the background, with per-task progress."""

    job_id: str
    path: str
    status: JobStatus
    video_id: str | None = None
    error: str | None = None
    created_at: float
    finished_at: float | None = None
    tasks: list[TaskProgress] = Field(default_factory=list)
    events: int = Field(0, description="progress events so far (the SSE stream replays them)")


class LibraryHit(BaseModel):
    """One search hit, in one video of the library."""

    video_id: str
    video_name: str
    segment_id: str
    granularity: str
    start_s: float
    end_s: float
    score: float
    channels: list[str] = Field(description="channels that found it, best rank first")
    text: str = ""
    matched_text: str = ""
    match_start_s: float | None = None
    match_end_s: float | None = None


class SearchResult(BaseModel):
    query: str
    videos_searched: int
    hits: list[LibraryHit]
    skipped: list[str] = Field(
        default_factory=list, description="videos that could not be searched, with why"
    )


class Span(BaseModel):
    start_s: float
    end_s: float
    why: str = ""


class Budgets(BaseModel):
    """What one answer cost, next to what it was allowed."""

    steps: int
    max_steps: int
    tool_calls: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    max_tokens: int
    frames: int
    max_frames: int
    wall_s: float
    max_wall_s: float
    cost_usd: float
    stop_reason: str = ""


class ToolCallInfo(BaseModel):
    step: int
    name: str
    arguments: dict[str, Any]
    ok: bool
    wall_s: float
    evidence: list[Span] = Field(default_factory=list)


class AskResult(BaseModel):
    """An answer is a claim: the text, the spans that support it, how sure, and what it cost."""

    video_id: str
    thread_id: str
    question: str
    answer: str
    choice: str | None = None
    evidence: list[Span] = Field(default_factory=list)
    confidence: float
    best_effort: bool = False
    error: str | None = None
    policy: str
    planner: str
    budgets: Budgets
    tool_calls: list[ToolCallInfo] = Field(default_factory=list)


class Turn(BaseModel):
    question: str
    answer: str
    choice: str | None = None
    evidence: list[Span] = Field(default_factory=list)
    confidence: float = 0.0


class ThreadInfo(BaseModel):
    """A chat thread: one video, one policy and planner, its turns stored by the checkpointer."""

    thread_id: str
    video_id: str
    title: str = ""
    policy: str
    planner: str
    created_at: float
    updated_at: float
    turns: int = 0


class ThreadDetail(ThreadInfo):
    history: list[Turn] = Field(default_factory=list)
