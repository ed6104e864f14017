"""Fixtures of the service tests: a private copy of the indexed demo library and a service on it
whose default planner is the scripted ``SearchThenFinish``."""

from __future__ import annotations

import pytest
from servicekit import SearchThenFinish, copy_library


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
