"""The HTTP API in process (the real ASGI app, lifespan included) on the indexed demo: the library,
indexing jobs with progress over SSE, asking over SSE, search, threads, OpenAPI."""

from __future__ import annotations

import json


def sse_events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def speech_needle(manifest):
    return next(n for n in manifest["needles"] if n["kind"] == "speech")


def test_index_job_streams_progress_events(client, demo_lib):
    _settings, video, _manifest = demo_lib
    r = client.post("/api/videos", json={"path": str(video)})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running") and job["path"] == str(video)
    with client.stream("GET", f"/api/jobs/{job['job_id']}/events") as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = sse_events("".join(resp.iter_text()))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "end" and events[-1][1]["status"] == "done"
    progress = [d for k, d in events if k == "progress"]
    started = {d["task"] for d in progress if d["kind"] == "start"}
    finished = {d["task"] for d in progress if d["kind"] == "finish"}
    assert len(finished) >= 3 and finished <= started  # per-stage, each begun then ended
    assert all(d["scope"] for d in progress)  # each event says which video it is about
    statuses = [d["status"] for k, d in events if k == "status"]
    assert statuses[0] == "running" and statuses[-1] == "done"
    info = client.get(f"/api/jobs/{job['job_id']}").json()
    assert info["status"] == "done" and info["video_id"] and info["tasks"]
    # a client that reconnects after the end gets the rest, then the end
    with client.stream("GET", f"/api/jobs/{job['job_id']}/events?after={len(events) - 2}") as r2:
        replay = sse_events("".join(r2.iter_text()))
    assert [k for k, _ in replay][-1] == "end"


def test_ask_streams_the_agent_then_the_answer(client, demo_lib):
    _settings, _video, manifest = demo_lib
    needle = speech_needle(manifest)
    vid = client.get("/api/videos").json()[0]["video_id"]
    body = {"video_id": vid, "question": "What is the access code for the north laboratory?"}
    with client.stream("POST", "/api/ask", json=body) as resp:
        assert resp.status_code == 200
        events = sse_events("".join(resp.iter_text()))
    kinds = [k for k, _ in events]
    assert kinds[0] == "thread" and kinds[-1] == "result"
    agent = [d["kind"] for k, d in events if k == "event"]
    assert agent[0] == "start" and agent[-1] == "answer"
    assert agent.index("tool_start") < agent.index("tool_end")
    result = events[-1][1]
    span = result["evidence"][0]
    assert span["start_s"] < needle["end_s"] and needle["start_s"] < span["end_s"]
    assert "3815" in result["answer"] and result["confidence"] > 0
    assert result["budgets"]["tool_calls"] == 2 and result["budgets"]["max_steps"] == 10
    # the same question as one JSON answer, in the same thread
    body["thread_id"] = result["thread_id"]
    r = client.post("/api/ask?stream=false", json=body)
    assert r.status_code == 200 and r.json()["thread_id"] == result["thread_id"]
    thread = client.get(f"/api/threads/{result['thread_id']}").json()
    assert thread["turns"] == 2 and len(thread["history"]) == 2


def test_search_the_library_and_one_video(client, demo_lib):
    _settings, video, manifest = demo_lib
    needle = speech_needle(manifest)
    r = client.get("/api/search", params={"q": "access code north laboratory", "top_k": 5})
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["videos_searched"] == 1 and len(res["hits"]) <= 5
    top = res["hits"][0]
    assert top["video_name"] == video.name
    assert top["start_s"] < needle["end_s"] and needle["start_s"] < top["end_s"]
    one = client.get("/api/search", params={"q": "laboratory", "video_id": top["video_id"][:12]})
    assert one.status_code == 200 and one.json()["hits"]


def test_threads_keep_their_policy_and_planner(client, service):
    vid = client.get("/api/videos").json()[0]["video_id"]
    opts = client.get("/api/options").json()
    assert {"dvd", "chain_of_shot"} <= set(opts["policies"])
    assert "scripted:search-then-finish" in opts["planners"]
    t = client.post("/api/threads", json={"video_id": vid, "policy": "chain_of_shot"})
    assert t.status_code == 201
    tid = t.json()["thread_id"]
    listed = client.get("/api/threads", params={"video_id": vid}).json()
    assert [x["thread_id"] for x in listed] == [tid] and listed[0]["policy"] == "chain_of_shot"
    r = client.post(
        "/api/ask",
        json={"video_id": vid, "question": "Who speaks?", "thread_id": tid, "policy": "dvd"},
    )
    assert r.status_code == 400 and "start a new thread" in r.json()["error"]
    bad = client.post("/api/threads", json={"video_id": vid, "policy": "telepathy"})
    assert bad.status_code == 400 and "unknown policy" in bad.json()["error"]


def test_media_serves_byte_ranges_and_thumbnails_are_jpeg(client, demo_lib):
    _settings, video, _manifest = demo_lib
    vid = client.get("/api/videos").json()[0]["video_id"]
    size = video.stat().st_size
    r = client.get(f"/api/videos/{vid}/media", headers={"Range": "bytes=1000-1999"})
    assert r.status_code == 206 and r.headers["content-range"] == f"bytes 1000-1999/{size}"
    assert r.content == video.read_bytes()[1000:2000]
    assert r.headers["content-type"] == "video/mp4"
    t = client.get(f"/api/videos/{vid}/thumbnail", params={"t": 45.0, "size": 160})
    assert t.status_code == 200 and t.content[:3] == b"\xff\xd8\xff"


def test_openapi_documents_every_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/videos", "/api/uploads", "/api/jobs/{job_id}/events", "/api/ask",
              "/api/search", "/api/threads", "/api/threads/{thread_id}",
              "/api/videos/{video_id}/media"):  # fmt: skip
        assert p in paths, p
    assert client.get("/docs").status_code == 200
