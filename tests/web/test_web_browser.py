"""The page in a real browser (headless Debian chromium through playwright) on the indexed demo
haystack: ask, click the cited chip, and the player is at the cited moment."""

from __future__ import annotations

import pytest
from conftest import screenshot
from livekit import poll


def open_demo_in_ask(page, url: str, video_name: str) -> None:
    page.goto(url + "/")
    card = page.locator(".card", has_text=video_name)
    card.wait_for(timeout=20_000)
    card.get_by_role("button", name="Ask").click()
    poll(
        page, "document.getElementById('player').readyState >= 1", timeout=30_000
    )  # the browser decoded the video's metadata through the byte-range route


def test_ask_then_click_the_cited_chip_seeks_the_player(page, scripted_server, demo_lib, tmp_path):
    url, _svc = scripted_server
    _settings, video, manifest = demo_lib
    speech = next(n for n in manifest["needles"] if n["kind"] == "speech")
    open_demo_in_ask(page, url, video.name)

    page.fill("#question", "What is the access code for the north laboratory?")
    page.click("#ask-button")
    chip = page.locator(".chip").first
    chip.wait_for(timeout=180_000)
    start = float(chip.get_attribute("data-start"))
    assert start < speech["end_s"] and speech["start_s"] - 1 < start  # the real index's span

    # the steps are there, collapsed; the answer quotes the speech; budgets under it
    steps = page.locator("details.steps")
    assert steps.get_attribute("open") is None
    assert "search_speech" in steps.text_content()  # collapsed, still in the DOM
    assert "3815" in page.locator(".answer").first.inner_text()
    budgets = page.locator(".budgets").first.inner_text()
    assert "tool calls 2" in budgets and "tokens 300/" in budgets and "steps 2/" in budgets
    thumb = page.locator(".thumbs img").first
    poll(page, "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())

    assert page.evaluate("document.getElementById('player').currentTime") < start - 5
    chip.click()
    poll(
        page,
        f"Math.abs(document.getElementById('player').currentTime - {start}) < 1.0",
        timeout=10_000,
    )
    current = page.evaluate("document.getElementById('player').currentTime")
    assert abs(current - start) < 1.0
    page.evaluate("document.getElementById('player').pause()")
    screenshot(page, tmp_path, "web-ask")
    assert not page.errors  # type: ignore[attr-defined]


def test_threads_are_listed_and_resumed(page, scripted_server, demo_lib):
    url, svc = scripted_server
    _settings, video, _manifest = demo_lib
    vid = svc.list_videos()[0].video_id
    first = svc.ask(vid, "Where is the north laboratory access code announced?")
    open_demo_in_ask(page, url, video.name)
    options = page.locator("#thread-select option")
    assert options.count() == 2  # "new thread" and the one above
    page.select_option("#thread-select", first.thread_id)
    page.locator(".turn .chip").first.wait_for(timeout=10_000)
    assert "north laboratory" in page.locator(".turn .q").first.inner_text().lower()
    # a follow-up goes into the same thread
    page.fill("#question", "What is the access code for the north laboratory?")
    page.click("#ask-button")
    page.locator(".turn").nth(1).locator(".chip").first.wait_for(timeout=180_000)
    assert svc.thread(first.thread_id).turns == 2
    # a new thread with another policy
    page.select_option("#thread-select", "")
    page.select_option("#policy-select", "chain_of_shot")
    page.click("#new-thread")
    poll(page, "document.querySelectorAll('#thread-select option').length === 3")
    threads = svc.list_threads(vid)
    assert sorted(t.policy for t in threads) == ["chain_of_shot", "dvd"]


@pytest.mark.parametrize("query", ["access code north laboratory"])
def test_search_the_library_and_open_a_hit(page, scripted_server, demo_lib, query):
    url, _svc = scripted_server
    _settings, _video, manifest = demo_lib
    speech = next(n for n in manifest["needles"] if n["kind"] == "speech")
    page.goto(url + "/")
    page.click("#tab-search")
    page.fill("#search-input", query)
    page.click("#search-form button[type=submit]")
    hit = page.locator(".hit").first
    hit.wait_for(timeout=180_000)
    assert "speech" in hit.inner_text()
    hit.click()
    poll(page, "document.getElementById('player').readyState >= 1", timeout=30_000)
    poll(
        page,
        f"Math.abs(document.getElementById('player').currentTime - {speech['start_s']}) < 6",
        timeout=10_000,
    )
