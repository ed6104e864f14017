"""vidseek: agentic search over long videos.

Public API (imported lazily so that ``import vidseek`` stays cheap)::

    vidseek.index(video, settings=None) -> VideoIndex
    vidseek.ask(video, question, settings=None) -> Answer
    vidseek.search_all(query, settings=None, granularity="clip", top_k=10) -> SearchResult
    vidseek.Agent, vidseek.VideoIndex, vidseek.Settings
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Agent", "Settings", "VideoIndex", "ask", "index", "search_all", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Settings":
        from vidseek.config import Settings

        return Settings
    if name == "VideoIndex":
        from vidseek.memory.video_index import VideoIndex

        return VideoIndex
    if name == "index":
        from vidseek.memory.builder import index

        return index
    if name == "search_all":
        from vidseek.service.search import search_all

        return search_all
    if name in ("Agent", "ask"):
        from vidseek import agent as _agent

        return getattr(_agent, name)
    raise AttributeError(name)
