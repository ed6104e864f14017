"""The Tool contract.

A tool has a name, a description the planner reads, a ``role`` (what it is for, so a policy can
choose tools without knowing their names) and a pydantic argument model whose JSON schema is exactly
what the planner sees. Handles (the index, the models, frames, budgets) arrive in a ``ToolContext``
that is injected at call time and never appears in the schema. A call returns typed findings
(``vidseek.tools.findings``) plus an artefact for people (frames, boxes, data); the text the planner
reads is rendered from the findings in one place, and the evidence spans are the findings' spans.
Bad arguments come back as a tool error the planner can act on; they never crash a run.

Roles and what a policy may rely on:

- ``overview``: takes no arguments; returns a finding of kind ``overview`` and summaries.
- ``search``: ``search_call(query, top_k)`` gives its arguments (by default ``{"query", "top_k"}``);
  returns findings best first; ``finds`` names their kinds (``speech``, ``screen_text``...).
- ``look``: ``look_calls(spans, question)`` gives the calls that look closer at the spans;
  ``needs_vision`` says whether it is only useful when a vision model can see.
- ``relate``: ``relation`` says which question it answers (``count``: takes ``what``; ``order``:
  takes ``events`` of ``{what, channels}``; ``around``: takes ``anchor``, ``relation``, ``target``);
  its ``data`` carries the computed result (count, order, items next to the anchor).
- ``finish``: takes ``answer``, ``evidence`` (spans), ``confidence`` and ``choice``; ends the run.
- ``other``: anything else (the planner may still call it by name).
"""

from __future__ import annotations

import inspect
import logging
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from vidseek.models.chat_base import ModelRequestBlocked
from vidseek.tools.findings import Finding, Role, fence, render

if TYPE_CHECKING:
    from vidseek.config import Settings
    from vidseek.media.types import VideoInfo
    from vidseek.memory.video_index import VideoIndex
    from vidseek.models.hub import ModelHub

log = logging.getLogger(__name__)


class ToolError(Exception):
    """Raised inside a tool for a problem the planner can fix (bad span, unknown object...)."""


@dataclass
class Evidence:
    start_s: float
    end_s: float
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2), "why": self.why}


@dataclass
class FrameRef:
    """A frame shown to (or by) a tool: a reference, never pixels; ``path`` is a JPEG on disk."""

    time_s: float
    path: str | None = None
    box: tuple[float, float, float, float] | None = None
    label: str = ""


@dataclass
class Budget:
    """What a run may still spend; tools cap their own cost against it. A tool takes its frames
    with ``take_frames`` before decoding; tokens of model calls inside a tool are reported in
    ``ToolResult.tokens_used`` and charged by the caller (the agent), never by the tool."""

    frames_left: int = 96
    tokens_left: int = 60_000
    frames_used: int = 0
    tokens_used: int = 0

    def take_frames(self, wanted: int) -> int:
        granted = max(0, min(wanted, self.frames_left))
        self.frames_left -= granted
        self.frames_used += granted
        return granted

    def spend_tokens(self, n: int) -> None:
        self.tokens_used += n
        self.tokens_left -= n


@dataclass
class ToolContext:
    """Injected into every call; never part of the schema."""

    settings: Settings
    video: VideoInfo
    index: VideoIndex
    models: ModelHub
    budget: Budget = field(default_factory=Budget)
    artefact_dir: str | None = None  # where tools may write evidence JPEGs


@dataclass
class ToolResult:
    """What a call returns. A tool fills ``findings`` (and ``headline``/``notes``: what it did, in
    its own words, never video text); ``Tool.invoke`` renders ``text`` from them and derives
    ``evidence`` from their spans. A plug-in may still return plain ``text`` and ``evidence``."""

    text: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    frames: list[FrameRef] = field(default_factory=list)  # frames the planner should see next
    data: dict[str, Any] = field(default_factory=dict)  # artefact for people (JSON-able)
    is_error: bool = False
    is_final: bool = False  # set by finish
    frames_used: int = 0
    tokens_used: int = 0
    findings: list[Finding] = field(default_factory=list)
    headline: list[str] = field(default_factory=list)  # shown before the findings
    notes: list[str] = field(default_factory=list)  # shown after them

    @classmethod
    def error(cls, message: str) -> ToolResult:
        return cls(text=f"ERROR: {message}", is_error=True)

    def complete(self, source: str, max_tokens: int) -> ToolResult:
        """Fill what follows from the findings: their source tool, the evidence spans and the
        text the planner reads (rendered in ``vidseek.tools.findings``, cut to ``max_tokens``)."""
        self.findings = [f if f.source else replace(f, source=source) for f in self.findings]
        if not self.evidence and self.findings:
            self.evidence = [Evidence(f.start_s, f.end_s, f.why or f.kind) for f in self.findings]
        if not self.text:
            self.text = render(self.headline, self.findings, self.notes, max_tokens)
        elif not self.is_error:  # a plug-in's own text may carry what it read: quoted as data
            self.text = fence(source, self.text, max_tokens)
        return self


class ToolArgs(BaseModel):
    """Base of argument models: unknown arguments are an error the planner sees."""

    model_config = ConfigDict(extra="forbid")


class Tool:
    """Subclass with ``name``, ``description``, ``Args``, ``run`` and (unless ``other``) ``role``."""

    name: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type[BaseModel]] = ToolArgs
    role: ClassVar[Role] = "other"
    finds: ClassVar[tuple[str, ...]] = ()  # the kinds of findings it returns (FindingKind)
    needs_vision: ClassVar[bool] = False  # a look that is only useful when a vision model can see
    max_output_tokens: ClassVar[int] = 1500  # the rendered text is cut to this

    def run(self, args: Any, ctx: ToolContext) -> ToolResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def search_call(self, query: str, top_k: int) -> dict[str, Any]:
        """Arguments that search for ``query`` (role ``search``)."""
        return {"query": query, "top_k": top_k}

    def look_calls(self, spans: list[list[float]], question: str) -> list[dict[str, Any]]:
        """Arguments of the calls that look closer at ``spans`` (role ``look``)."""
        return []

    @classmethod
    def parameters_schema(cls) -> dict[str, Any]:
        schema = cls.Args.model_json_schema()
        schema.pop("title", None)
        _drop_property_titles(schema)
        return schema

    @classmethod
    def openai_spec(cls) -> dict[str, Any]:
        """The function spec exactly as the planner sees it."""
        return {
            "type": "function",
            "function": {
                "name": cls.name,
                "description": cls.description,
                "parameters": cls.parameters_schema(),
            },
        }

    def invoke(self, raw_args: dict[str, Any] | None, ctx: ToolContext) -> ToolResult:
        """Validate and run; every failure becomes a tool error message, never an exception."""
        try:
            args = self.Args.model_validate(raw_args or {})
        except ValidationError as exc:
            return ToolResult.error(f"{self.name}: invalid arguments: {_short_validation(exc)}")
        try:
            result = self.run(args, ctx)
            budget = max(ctx.budget.tokens_left, 0)
            return result.complete(self.name, min(self.max_output_tokens, budget))
        except ToolError as exc:
            return ToolResult.error(f"{self.name}: {exc}")
        except ModelRequestBlocked:  # a test that reached a real model must fail, not carry on
            raise
        except Exception as exc:  # a tool bug must not kill the run; log it for developers
            log.exception("tool %s failed", self.name)
            return ToolResult.error(f"{self.name} failed: {type(exc).__name__}: {exc}")


def _drop_property_titles(node: Any) -> None:
    """Pydantic titles every property ("Time Range"); they only cost the planner tokens."""
    if isinstance(node, dict):
        for prop in (node.get("properties") or {}).values():
            if isinstance(prop, dict):
                prop.pop("title", None)
        for value in node.values():
            _drop_property_titles(value)
    elif isinstance(node, list):
        for value in node:
            _drop_property_titles(value)


def _short_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ())) or "(arguments)"
        parts.append(f"{loc}: {err.get('msg')}")
    return "; ".join(parts)


def check_span(start_s: float, end_s: float, duration_s: float, what: str = "time_range") -> None:
    """Shared validation: a span must be ordered and inside the video."""
    if end_s <= start_s:
        raise ToolError(f"{what} [{start_s}, {end_s}] is empty or reversed; give start_s < end_s")
    if start_s < 0 or start_s >= duration_s:
        raise ToolError(
            f"{what} starts at {start_s} s, outside the video (0 to {duration_s:.1f} s)"
        )


TimeRange = Annotated[
    list[float],
    Field(min_length=2, max_length=2, description="[start_s, end_s] in seconds, start_s < end_s"),
]
"""A span as the planner writes it: two floats. Validate against the video with ``check_span``."""


def tool(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    role: Role = "other",
) -> Any:
    """Declare a tool from a typed function, for plug-in authors (smolagents-style).

    The first parameter must be ``ctx`` (the injected ``ToolContext``); every other parameter becomes
    a field of the argument model, so its type hints and defaults (``Annotated[..., Field(...)]`` for
    descriptions and limits) are exactly the JSON schema the planner sees. The docstring is the
    description; ``role`` says what it is for (a ``search`` tool takes ``query`` and ``top_k``). The
    function returns a ``ToolResult`` (best with ``findings``) or plain text. The result is a
    ``Tool`` subclass, ready for ``register``::

        @tool
        def loudness(ctx: ToolContext, time_range: TimeRange) -> ToolResult:
            \"\"\"Loudness of the audio over a span, in dBFS.\"\"\"
    """

    def wrap(fn: Callable[..., Any]) -> type[Tool]:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        if not params or params[0].name != "ctx":
            raise TypeError(f"@tool {fn.__name__}: the first parameter must be 'ctx: ToolContext'")
        localns = {"ToolContext": ToolContext, "ToolResult": ToolResult, "TimeRange": TimeRange}
        hints = typing.get_type_hints(
            fn, globalns=fn.__globals__, localns=localns, include_extras=True
        )
        fields: dict[str, Any] = {}
        for p in params[1:]:
            if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                raise TypeError(
                    f"@tool {fn.__name__}: *args/**kwargs cannot be described to a model"
                )
            default = ... if p.default is inspect.Parameter.empty else p.default
            fields[p.name] = (hints.get(p.name, Any), default)
        tool_name = name or fn.__name__
        if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", tool_name):
            raise TypeError(f"@tool: name {tool_name!r} must match [a-zA-Z0-9_-]{{1,64}}")
        camel = "".join(part.capitalize() for part in tool_name.split("_")) or "Tool"
        args_model = create_model(f"{camel}Args", __base__=ToolArgs, **fields)
        args_model.__doc__ = None
        desc = description or inspect.getdoc(fn) or ""
        field_names = list(fields)

        def run(self: Tool, args: Any, ctx: ToolContext) -> ToolResult:
            out = fn(ctx, **{k: getattr(args, k) for k in field_names})
            if isinstance(out, ToolResult):
                return out
            if isinstance(out, str):
                return ToolResult(text=out)
            raise TypeError(
                f"tool {tool_name} returned {type(out).__name__}, not ToolResult or str"
            )

        return type(
            camel,
            (Tool,),
            {
                "name": tool_name,
                "description": desc,
                "role": role,
                "Args": args_model,
                "run": run,
                "__doc__": desc,
                "__module__": fn.__module__,
                "function": staticmethod(fn),
            },
        )

    return wrap(func) if func is not None else wrap
