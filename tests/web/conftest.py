"""Fixtures of the browser tests: the demo library served by a real uvicorn, chromium on it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))

from livekit import chromium_page, live_server  # noqa: E402
from servicekit import SearchThenFinish, copy_library  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_lib(indexed_demo, tmp_path):
    return copy_library(indexed_demo, tmp_path)


@pytest.fixture
def page():
    with chromium_page() as p:
        yield p


def screenshot(page, tmp_path: Path, name: str) -> Path:
    """Save a screenshot in the test's folder, and into docs/screenshots when
    VIDSEEK_UPDATE_SCREENSHOTS=1 (how the README's picture is made)."""
    out = tmp_path / f"{name}.png"
    page.screenshot(path=str(out), full_page=False)
    assert out.stat().st_size > 10_000  # a real picture, not a blank page
    if os.environ.get("VIDSEEK_UPDATE_SCREENSHOTS") == "1":
        docs = REPO / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        (docs / out.name).write_bytes(out.read_bytes())
    return out


@pytest.fixture
def scripted_server(demo_lib):
    """The app on the demo library with the scripted planner as the default."""
    from vidseek.service import VidseekService

    settings, _video, _manifest = demo_lib
    planner = SearchThenFinish()
    settings.models.planner = planner.ref
    svc = VidseekService(settings)
    svc.asker.register_planner(planner)
    svc.warm_up()  # as `vidseek serve` does at start: the first question does not load models
    with live_server(svc) as url:
        yield url, svc
    svc.close()
