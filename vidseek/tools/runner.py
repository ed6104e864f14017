"""Run one tool outside the agent (``vidseek tools call``, notebooks, plug-in development): open the
video's index, build the injected context with the run's budgets, validate and call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.errors import ConfigError
from vidseek.tools.base import Budget, Tool, ToolContext, ToolResult
from vidseek.tools.registry import load_tools


def get_tool(settings: Settings, name: str, include_plugins: bool | None = None) -> Tool:
    """The tool called ``name`` among those a run would offer; a clear error otherwise."""
    tools = load_tools(settings, include_plugins)
    if name not in tools:
        raise ConfigError(f"unknown tool '{name}' (offered: {', '.join(tools)})")
    return tools[name]


def open_context(
    settings: Settings,
    video: str | Path,
    models: Any | None = None,
    artefact_dir: str | Path | None = None,
) -> ToolContext:
    """A ToolContext over the index of ``video`` (NotIndexedError when it has none), with the
    budgets of ``settings.agent``."""
    from vidseek.memory.video_index import VideoIndex
    from vidseek.models.hub import ModelHub

    hub = models if models is not None else ModelHub(settings)
    index = VideoIndex.open(settings, video, hub)
    return ToolContext(
        settings=settings,
        video=index.info,
        index=index,
        models=hub,
        budget=Budget(frames_left=settings.agent.max_frames, tokens_left=settings.agent.max_tokens),
        artefact_dir=str(artefact_dir) if artefact_dir else None,
    )


def call_tool(
    settings: Settings,
    name: str,
    video: str | Path,
    args: dict[str, Any] | None,
    include_plugins: bool | None = None,
    artefact_dir: str | Path | None = None,
) -> ToolResult:
    """Validate ``args`` and run tool ``name`` on ``video``; tool errors come back in the result."""
    tool = get_tool(settings, name, include_plugins)
    ctx = open_context(settings, video, artefact_dir=artefact_dir)
    return tool.invoke(args, ctx)


def result_as_dict(result: ToolResult) -> dict[str, Any]:
    """A JSON-able view of a result (for ``--json`` output and traces)."""
    return {
        "text": result.text,
        "is_error": result.is_error,
        "is_final": result.is_final,
        "findings": [f.as_dict() for f in result.findings],
        "evidence": [e.as_dict() for e in result.evidence],
        "frames": [
            {
                "time_s": f.time_s,
                "path": f.path,
                "box": list(f.box) if f.box else None,
                "label": f.label,
            }
            for f in result.frames
        ],
        "frames_used": result.frames_used,
        "tokens_used": result.tokens_used,
        "data": result.data,
    }
