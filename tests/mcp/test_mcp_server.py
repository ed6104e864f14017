"""MCP with the official client: in process and over stdio (`python -m vidseek.api mcp`, the
command behind `vidseek mcp`), on the indexed demo. Tools (a plug-in's included), search, ask,
planner tools with their own schemas, frames as images, resources."""

from __future__ import annotations

import base64
import json
import os
import sys

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from servicekit import ScriptedOpenAIServer

SERVICE_TOOLS = {"list_videos", "index_video", "search", "ask", "frame"}
PLANNER_TOOLS = {"video_overview", "search_segments", "search_speech", "inspect_frames", "zoom"}
QUESTION = "What is the access code for the north laboratory?"


def speech_needle(manifest):
    return next(n for n in manifest["needles"] if n["kind"] == "speech")


async def exercise(client, manifest) -> dict:
    """What both transports must do: list, search, ask, a planner tool; returns what it saw."""
    needle = speech_needle(manifest)
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert SERVICE_TOOLS | PLANNER_TOOLS | {"clip_count"} <= set(tools), sorted(tools)
    assert "finish" not in tools
    schema = tools["search_speech"].input_schema
    assert schema["required"][0] == "video_id" and "query" in schema["required"]
    assert schema["properties"]["top_k"]["maximum"] == 20  # the planner's own schema

    listed = await client.call_tool("list_videos", {})
    videos = listed.structured_content["result"]
    vid = videos[0]["video_id"]
    assert videos[0]["complete"]

    found = await client.call_tool("search", {"query": "access code north laboratory"})
    assert not found.is_error
    hit = found.structured_content["hits"][0]
    assert hit["video_id"] == vid and hit["start_s"] < needle["end_s"] < hit["end_s"] + 10

    asked = await client.call_tool("ask", {"video_id": vid, "question": QUESTION})
    assert not asked.is_error, asked.content
    ans = asked.structured_content
    span = ans["evidence"][0]
    assert span["start_s"] < needle["end_s"] and needle["start_s"] < span["end_s"]
    assert "3815" in ans["answer"] and ans["thread_id"]

    speech = await client.call_tool(
        "search_speech", {"video_id": vid, "query": "access code", "top_k": 2}
    )
    assert not speech.is_error
    ev = speech.structured_content["evidence"][0]
    assert ev["start_s"] < needle["end_s"] and needle["start_s"] < ev["end_s"]
    assert "quoted from the video" in speech.content[0].text or "speech" in speech.content[0].text

    plugged = await client.call_tool("clip_count", {"video_id": vid})
    assert not plugged.is_error and plugged.structured_content["data"]["clips"] > 0

    bad = await client.call_tool("search_speech", {"video_id": "../../etc", "query": "x"})
    assert bad.is_error and "not a video id" in bad.content[0].text
    return {"video_id": vid}


def test_mcp_in_process(service, demo_lib):
    from vidseek.mcp import build_mcp

    _settings, _video, manifest = demo_lib
    server = build_mcp(service)

    async def main():
        async with Client(server) as client:
            seen = await exercise(client, manifest)
            vid = seen["video_id"]
            frame = await client.call_tool(
                "frame", {"video_id": vid, "time_s": speech_needle(manifest)["start_s"]}
            )
            images = [c for c in frame.content if c.type == "image"]
            assert images and base64.b64decode(images[0].data)[:3] == b"\xff\xd8\xff"
            zoom = await client.call_tool("zoom", {"video_id": vid, "time_s": 45.0})
            assert not zoom.is_error, zoom.content
            assert any(c.type == "image" for c in zoom.content)  # frames come back as images
            library = await client.read_resource("vidseek://videos")
            assert json.loads(library.contents[0].text)[0]["video_id"] == vid
            overview = await client.read_resource(f"vidseek://videos/{vid}")
            assert json.loads(overview.contents[0].text)["duration_s"] > 100
            clips = await client.read_resource(f"vidseek://videos/{vid}/segments/clip")
            assert len(json.loads(clips.contents[0].text)) > 5
            templates = await client.list_resource_templates()
            assert len(templates.resource_templates) == 3

    anyio.run(main)


def test_mcp_over_stdio(demo_lib, site):
    """The real command in a subprocess; its planner is the scripted one behind a real
    OpenAI-compatible HTTP endpoint; the plug-in is found through its entry point."""
    settings, _video, manifest = demo_lib
    llm = ScriptedOpenAIServer()
    env = {
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).strip(
            os.pathsep
        ),
        "VIDSEEK_MODELS__PLANNER": llm.ref,
        "VIDSEEK_AGENT__POLICY": "dvd",
        "HF_HUB_OFFLINE": "1",
        "YOLO_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "OMP_NUM_THREADS": "2",
    }
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "vidseek.api", "--data-dir", str(settings.data_dir), "mcp"],
        env=env,
    )

    async def main():
        async with Client(params, read_timeout_seconds=600) as client:
            await exercise(client, manifest)

    try:
        anyio.run(main)
    finally:
        llm.close()


def test_mcp_over_streamable_http_in_serve(service, demo_lib):
    """The same server mounted at /mcp of the serve app, through a real uvicorn; off loopback
    the token guards it like every other route."""
    import httpx
    from livekit import live_server

    _settings, _video, manifest = demo_lib

    async def main(url):
        async with Client(url + "/mcp", read_timeout_seconds=600) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert SERVICE_TOOLS | PLANNER_TOOLS | {"clip_count"} <= names
            found = await client.call_tool("search", {"query": "access code north laboratory"})
            hit = found.structured_content["hits"][0]
            assert hit["start_s"] < speech_needle(manifest)["end_s"]

    with live_server(service) as url:
        anyio.run(main, url)
    with live_server(service, host="0.0.0.0", token="t" * 32) as url:
        r = httpx.post(url + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert r.status_code == 401
