"""The service layer that the CLI, the web page, the HTTP API and MCP share: the library of indexed
videos, indexing jobs with progress events, search over one video or the library, asking with
streamed agent events, and chat threads.

    from vidseek.service import VidseekService
    service = VidseekService(settings)
    job = service.add_path("/videos/talk.mp4")
    answer = service.ask(video_id, "What code is announced?")
"""

from __future__ import annotations

from vidseek.service.core import VidseekService, event_dict
from vidseek.service.errors import (
    BusyError,
    ForbiddenError,
    InputError,
    NotFoundError,
    ServiceError,
    TooLargeError,
)
from vidseek.service.types import (
    AskResult,
    JobInfo,
    LibraryHit,
    SearchResult,
    ThreadDetail,
    ThreadInfo,
    VideoSummary,
)

__all__ = [
    "AskResult",
    "BusyError",
    "ForbiddenError",
    "InputError",
    "JobInfo",
    "LibraryHit",
    "NotFoundError",
    "SearchResult",
    "ServiceError",
    "ThreadDetail",
    "ThreadInfo",
    "TooLargeError",
    "VideoSummary",
    "VidseekService",
    "event_dict",
]
