"""Shared by the service, API, web and MCP tests: a stateless scripted planner that really uses the
tools (so answers cite spans the real index found), and the demo library."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

from vidseek.models.chat_base import ChatCapabilities, ChatResponse, ToolCall, Usage

SPAN = re.compile(r"\[(\d+(?:\.\d+)?) s - (\d+(?:\.\d+)?) s\]\s*(.*)")


def _call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(
        id=f"c{time.monotonic_ns()}",
        name=name,
        arguments=arguments,
        raw_arguments=json.dumps(arguments),
    )


class SearchThenFinish:
    """A planner for the ``dvd`` policy that searches the speech with the question, then finishes
    citing the first span the search returned and quoting what was found there.

    Stateless (the step is read from the messages), so any number of sessions may share it: a
    scripted model in the sense of the agent tests, but its evidence comes from the real index."""

    def __init__(self, ref: str = "scripted:search-then-finish", tool: str = "search_speech"):
        self.ref = ref
        self.tool = tool
        self.capabilities = ChatCapabilities(tool_calls=True, json_schema=True)
        self.calls = 0

    def complete(self, messages, tools=None, tool_choice=None, response_schema=None, **kw):
        self.calls += 1
        results = [m for m in messages if m.get("role") == "tool"]
        usage = Usage(120, 30)
        if not results:
            question = str(
                next(m for m in reversed(messages) if m.get("role") == "user")["content"]
            )
            question = question.split("New question:")[-1].strip()
            return ChatResponse(
                content="Search the speech for the question's words.",
                tool_calls=[_call(self.tool, query=question, top_k=3)],
                usage=usage,
            )
        found = [SPAN.search(line) for line in str(results[-1]["content"]).splitlines()]
        found = [m for m in found if m]
        if not found:
            args = {"answer": "not found in the speech", "evidence": [], "confidence": 0.1}
        else:
            start, end, text = float(found[0][1]), float(found[0][2]), found[0][3]
            quoted = re.search(r'"(.*)"', text)
            args = {
                "answer": quoted.group(1) if quoted else text,
                "evidence": [{"start_s": start, "end_s": end, "why": "the speech that says it"}],
                "confidence": 0.6,
            }
        return ChatResponse(content="", tool_calls=[_call("finish", **args)], usage=usage)


def copy_library(indexed_demo, dest: Path):
    """A private copy of the indexed demo's data dir (tests may add, remove and chat freely)."""
    from vidseek.config import Settings

    settings, video, manifest, _ = indexed_demo
    target = dest / "data"
    shutil.copytree(settings.data_dir, target, ignore=shutil.ignore_patterns("*.lock"))
    s = Settings(data_dir=target)
    s.agent.policy = "dvd"
    return s, Path(video), manifest


SIGN_TEXT = "<script>alert(1)</script>"


def sign_video(test_data_dir: Path) -> Path:
    """An 8 s real clip (the 'box' sample) with a sign reading ``<script>alert(1)</script>``
    burned in from 1 s to 7 s: text in a video that must show as text in the page. Cached."""
    from vidseek.config import Settings
    from vidseek.errors import VidseekError
    from vidseek.media import ffmpeg
    from vidseek.media.samples import fetch_samples

    out = test_data_dir / "web-sign-v1" / "sign.mp4"
    if out.is_file():
        return out
    try:
        clips = fetch_samples(Settings(data_dir=test_data_dir), progress=False)
    except VidseekError as exc:
        import pytest

        pytest.skip(f"sample clips unavailable: {exc}")
    out.parent.mkdir(parents=True, exist_ok=True)
    short = ffmpeg.cut(clips["box"], out.with_name("short.mp4"), 0, 80)
    part = ffmpeg.burn_text(short, out.with_name("sign.part.mp4"), SIGN_TEXT, 1.0, 7.0)
    part.replace(out)
    return out
