"""Shared by the service, API, web and MCP tests: a stateless scripted planner that really uses the
tools (so answers cite spans the real index found), and the demo library."""

from __future__ import annotations

import json
import os
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


def link_models(src: str, dst: str) -> str:
    """``copytree``'s copy function: model files (the 470 MB planner GGUF) are read-only, so they
    are hard-linked (a symlink across file systems), everything else copied. A hundred tests each
    copying the GGUF filled a CI machine's disk."""
    if os.path.join("cache", "models") not in src:
        return shutil.copy2(src, dst)
    try:
        os.link(src, dst)
    except OSError:
        os.symlink(os.path.abspath(src), dst)
    return dst


def copy_library(indexed_demo, dest: Path):
    """A private copy of the indexed demo's data dir (tests may add, remove and chat freely; the
    model files are shared, see ``link_models``)."""
    from vidseek.config import Settings

    settings, video, manifest, _ = indexed_demo
    target = dest / "data"
    shutil.copytree(
        settings.data_dir,
        target,
        ignore=shutil.ignore_patterns("*.lock"),
        copy_function=link_models,
    )
    s = Settings(data_dir=target)
    s.agent.policy = "dvd"
    return s, Path(video), manifest


SIGN_TEXT = "<script>alert(1)</script>"


def sign_video(test_data_dir: Path) -> Path:
    """An 8 s real clip (the 'box' sample) with a sign reading ``<script>alert(1)</script>``
    burned in from 1 s to 7 s: text in a video that must show as text in the page. Cached."""
    from vidseek.config import Settings
    from vidseek.errors import VidseekError
    from vidseek.footage import authoring as ffmpeg
    from vidseek.footage.samples import fetch_samples

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


class ScriptedOpenAIServer:
    """``SearchThenFinish`` behind a real OpenAI-compatible HTTP endpoint on 127.0.0.1, for a
    vidseek running in another process (``vidseek mcp`` over stdio): its planner ref is
    ``vllm:{url}#scripted``."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        planner = SearchThenFinish()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                self._send({"object": "list", "data": [{"id": "scripted", "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                resp = planner.complete(body["messages"], tools=body.get("tools"))
                calls = [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.raw_arguments},
                    }
                    for c in resp.tool_calls
                ]
                message = {"role": "assistant", "content": resp.content or None}
                if calls:
                    message["tool_calls"] = calls
                self._send(
                    {
                        "id": "chatcmpl-scripted",
                        "object": "chat.completion",
                        "created": 0,
                        "model": "scripted",
                        "choices": [
                            {
                                "index": 0,
                                "message": message,
                                "finish_reason": "tool_calls" if calls else "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": 120,
                            "completion_tokens": 30,
                            "total_tokens": 150,
                        },
                    }
                )

            def _send(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.ref = f"vllm:{self.url}#scripted"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


PLUGIN_MODULE = '''
from vidseek.tools.base import ToolContext, ToolResult, tool
from vidseek.tools.hookspecs import hookimpl


@tool
def clip_count(ctx: ToolContext) -> ToolResult:
    """How many clips the video's index holds (a plug-in tool for the MCP tests)."""
    n = len(ctx.index.segments("clip"))
    return ToolResult(text=f"{n} clips", data={"clips": n})


@hookimpl
def register_tools(register):
    register(clip_count)
'''


def plugin_site(root: Path) -> Path:
    """A folder to put on ``sys.path`` / PYTHONPATH holding a real installed-style distribution
    whose entry point (group ``vidseek.tools``) registers the plug-in tool ``clip_count``."""
    site = root / "plugin-site"
    info = site / "vidseek_mcp_probe-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (site / "vidseek_mcp_probe.py").write_text(PLUGIN_MODULE)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vidseek-mcp-probe\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[vidseek.tools]\nmcp_probe = vidseek_mcp_probe\n")
    return site
