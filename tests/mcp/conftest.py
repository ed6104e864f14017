"""Fixtures of the MCP tests: the demo library, a service whose tools include a real entry-point
plug-in (a distribution on sys.path), and the scripted planner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))

from servicekit import SearchThenFinish, copy_library, plugin_site  # noqa: E402


@pytest.fixture
def demo_lib(indexed_demo, tmp_path):
    return copy_library(indexed_demo, tmp_path)


@pytest.fixture
def site(tmp_path):
    import importlib

    path = plugin_site(tmp_path)
    sys.path.insert(0, str(path))
    importlib.invalidate_caches()
    yield path
    sys.path.remove(str(path))
    sys.modules.pop("vidseek_mcp_probe", None)


@pytest.fixture
def service(demo_lib, site):
    from vidseek.service import VidseekService
    from vidseek.tools.registry import load_tools

    settings, _video, _manifest = demo_lib
    planner = SearchThenFinish()
    settings.models.planner = planner.ref
    svc = VidseekService(settings, tools=load_tools(settings, include_plugins=True))
    svc.asker.register_planner(planner)
    yield svc
    svc.close()
