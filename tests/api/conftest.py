"""Fixtures of the API tests: the app on a private copy of the indexed demo library, in process
(Starlette's TestClient drives the real ASGI app, lifespan included)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))

from servicekit import SearchThenFinish, copy_library  # noqa: E402


@pytest.fixture
def demo_lib(indexed_demo, tmp_path):
    return copy_library(indexed_demo, tmp_path)


@pytest.fixture
def service(demo_lib):
    from vidseek.service import VidseekService

    settings, _video, _manifest = demo_lib
    planner = SearchThenFinish()
    settings.models.planner = planner.ref
    svc = VidseekService(settings)
    svc.asker.register_planner(planner)
    yield svc
    svc.close()


@pytest.fixture
def client(service):
    from fastapi.testclient import TestClient

    from vidseek.api import create_app

    with TestClient(create_app(service)) as c:
        yield c
