"""The library in a real browser: add a real clip by path, watch it index with live per-stage
progress, find the sign it shows; the sign reads <script>alert(1)</script> and stays text."""

from __future__ import annotations

import pytest
from conftest import screenshot
from livekit import live_server, poll
from servicekit import SIGN_TEXT, sign_video


@pytest.fixture
def empty_server(tmp_path):
    from vidseek.config import Settings
    from vidseek.service import VidseekService

    svc = VidseekService(Settings(data_dir=tmp_path / "data"))
    with live_server(svc) as url:
        yield url, svc
    svc.close()


@pytest.mark.slow
def test_add_index_and_search_a_video_whose_sign_reads_script(
    page, empty_server, test_data_dir, tmp_path
):
    url, svc = empty_server
    video = sign_video(test_data_dir)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url + "/")
    assert "No videos yet" in page.locator("#videos").inner_text()

    page.fill("#add-path-input", str(video))
    page.click("#add-path button[type=submit]")
    job = page.locator(".job").first
    job.wait_for(timeout=10_000)
    job.locator(".task").first.wait_for(timeout=120_000)  # progress rows appear while it runs
    poll(page, "document.querySelector('.job-status').textContent === 'done'", timeout=900_000)
    tasks = job.locator(".task").all_inner_texts()
    assert len(tasks) >= 5 and any("screen_text" in t or "ocr" in t for t in tasks), tasks
    card = page.locator(".card", has_text=video.name)
    card.wait_for(timeout=30_000)
    assert svc.list_videos()[0].complete

    page.click("#tab-search")
    page.fill("#search-input", "script alert")
    page.click("#search-form button[type=submit]")
    hit = page.locator(".hit").first
    hit.wait_for(timeout=180_000)
    assert SIGN_TEXT in hit.locator(".hit-text").inner_text()  # shown as text, verbatim
    assert page.evaluate("document.querySelectorAll('script').length") == 1  # only app.js
    assert page.evaluate("document.querySelectorAll('.hit-text *').length") == 0
    assert not dialogs and not page.errors  # type: ignore[attr-defined]
    screenshot(page, tmp_path, "web-search")
