"""Eight chat sessions asking at once through the API (a real uvicorn server, eight HTTP clients
on threads), twice each: every answer arrives, no lock or database error, threads stay apart."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
from livekit import live_server

TOPICS = ["the access code", "the north laboratory", "the laboratory access code",
          "the code for the north laboratory", "access to the laboratory", "the north lab code",
          "the code announced for the laboratory", "the access code announcement"]  # fmt: skip


def ask(url: str, body: dict) -> list[tuple[str, dict]]:
    with httpx.stream("POST", url + "/api/ask", json=body, timeout=600) as r:
        assert r.status_code == 200, r.read()
        text = "".join(r.iter_text())
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_eight_sessions_ask_at_once(service, demo_lib):
    service.warm_up()
    vid = service.list_videos()[0].video_id
    with live_server(service) as url:

        def session(i: int) -> tuple[str, list[str]]:
            first = ask(
                url, {"video_id": vid, "question": f"Q{i}: what is said about {TOPICS[i]}?"}
            )
            assert first[-1][0] == "result", first[-1]
            tid = first[-1][1]["thread_id"]
            second = ask(
                url, {"video_id": vid, "thread_id": tid, "question": f"Q{i} again: {TOPICS[i]}?"}
            )
            assert second[-1][0] == "result", second[-1]
            errors = [d for k, d in first + second if k == "error" or d.get("kind") == "error"]
            assert not errors, errors
            return tid, [first[-1][1]["answer"], second[-1][1]["answer"]]

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(session, range(8)))

    threads = [tid for tid, _ in results]
    assert len(set(threads)) == 8
    for i, tid in enumerate(threads):
        detail = service.thread(tid)
        assert detail.turns == 2
        assert [t.question for t in detail.history] == [
            f"Q{i}: what is said about {TOPICS[i]}?",
            f"Q{i} again: {TOPICS[i]}?",
        ]
        assert all(t.evidence for t in detail.history)
    assert len(service.list_threads(vid)) == 8
