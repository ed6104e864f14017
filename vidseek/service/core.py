"""``VidseekService``: the one object the CLI, the web page, the HTTP API and MCP all call.

It owns what every session shares: the settings, the segment database, the models (so the
planner's LLM server and the embedders load once), the open video indexes, the indexing worker
and the chat checkpointer.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from vidseek.agent import Event
from vidseek.config import Settings
from vidseek.errors import NotIndexedError
from vidseek.memory.store import SegmentStore
from vidseek.service.chat import Asker, policy_names
from vidseek.service.errors import NotFoundError
from vidseek.service.jobs import IndexJobs, Job
from vidseek.service.library import Library
from vidseek.service.search import search_library, search_videos
from vidseek.service.threads import ThreadStore
from vidseek.service.types import (
    AskResult,
    SearchResult,
    ThreadDetail,
    ThreadInfo,
    VideoSummary,
)

log = logging.getLogger(__name__)


class VidseekService:
    """Library, indexing jobs, search, ask and threads over one data dir.

    ``models`` defaults to a ``ModelHub`` for ``settings``; ``tools`` to the registered tools
    (plug-ins included); ``loopback`` says whether the server listens on loopback only (adding
    videos by path outside ``serve.media_roots`` is allowed only then)."""

    def __init__(
        self,
        settings: Settings,
        models: Any = None,
        tools: dict[str, Any] | None = None,
        loopback: bool = True,
    ) -> None:
        if models is None:
            from vidseek.models.hub import ModelHub

            models = ModelHub(settings)
        self.settings = settings
        self.models = models
        self.store = SegmentStore(settings)
        self.library = Library(settings, self.store, loopback=loopback)
        self.threads = ThreadStore(settings)
        self._indexes: dict[str, Any] = {}
        self._index_lock = threading.Lock()
        self.jobs = IndexJobs(settings, models, self.store, on_indexed=self._forget_index)
        self.asker = Asker(settings, models, self.open_index, self.threads, tools)

    # --- videos -----------------------------------------------------------------------------

    def list_videos(self) -> list[VideoSummary]:
        return self.library.videos()

    def video(self, video_id: str) -> VideoSummary:
        return self.library.summary(self.library.record(video_id))

    def open_index(self, video_id: str) -> Any:
        """The VideoIndex of a video (opened once, shared by every session)."""
        from vidseek.memory.video_index import VideoIndex

        rec = self.library.record(video_id)
        with self._index_lock:
            index = self._indexes.get(rec.video_id)
            if index is None:
                try:
                    index = VideoIndex.open(self.settings, rec.video_id, self.models, self.store)
                except NotIndexedError as exc:
                    raise NotFoundError(str(exc)) from None
                self._indexes[rec.video_id] = index
        return index

    def _forget_index(self, video_id: str) -> None:
        with self._index_lock:
            self._indexes.pop(video_id, None)

    def add_path(self, path: str) -> Job:
        """Index a file on this machine (see ``Library.check_new_path`` for where from)."""
        p, _info = self.library.check_new_path(path)
        return self.jobs.submit(p)

    def add_upload(self, upload_path: Path) -> Job:
        return self.jobs.submit(upload_path)

    def remove_video(self, video_id: str) -> VideoSummary:
        rec = self.library.record(video_id)
        self._forget_index(rec.video_id)
        self.threads.delete_video(rec.video_id)
        return self.library.remove(rec.video_id)

    # --- search -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        video_id: str | None = None,
        granularity: str = "clip",
        top_k: int = 10,
    ) -> SearchResult:
        """Search one video (``video_id``) or every indexed video of the library at once."""
        if video_id:
            records = [self.library.record(video_id)]
            return search_videos(records, self.open_index, query, granularity, top_k)
        return search_library(self.store, self.models, query, granularity, top_k)

    # --- ask and threads --------------------------------------------------------------------

    def ask(
        self,
        video_id: str,
        question: str,
        thread_id: str | None = None,
        policy: str | None = None,
        planner: str | None = None,
        options: list[str] | None = None,
        on_event: Any = None,
    ) -> AskResult:
        return self.asker.ask(video_id, question, thread_id, policy, planner, options, on_event)

    def new_thread(
        self, video_id: str, policy: str | None = None, planner: str | None = None
    ) -> ThreadInfo:
        rec = self.library.record(video_id)
        return self.asker.new_thread(rec.video_id, policy, planner)

    def list_threads(self, video_id: str | None = None) -> list[ThreadInfo]:
        if video_id:
            video_id = self.library.record(video_id).video_id
        return self.threads.list(video_id)

    def thread(self, thread_id: str) -> ThreadDetail:
        info = self.threads.get(thread_id)
        return ThreadDetail(**info.model_dump(), history=self.asker.history(thread_id))

    def warm_up(self) -> None:
        """Load what the first search or question needs (the text embedder, the default
        planner and its server), so the first person to ask does not wait; failures are only
        logged (the request that needs the model reports them)."""
        try:
            self.models.text_embedder.embed(["warm up"])
        except Exception as exc:
            log.warning("warm-up: the text embedder did not load: %s", exc)
        try:
            self.asker.planner(self.settings.models.planner)
        except Exception as exc:
            log.warning("warm-up: the planner did not load: %s", exc)

    def options(self) -> dict[str, Any]:
        """What a client may choose per thread, and the defaults."""
        return {
            "policies": policy_names(),
            "policy": self.settings.agent.policy,
            "planners": self.asker.planner_names(),
            "planner": self.settings.models.planner,
            "budgets": self.settings.agent.model_dump(),
        }

    def close(self) -> None:
        self.jobs.close()
        self.asker.close()
        self.threads.close()
        self.store.close()


def event_dict(event: Event) -> dict[str, Any]:
    """An agent event as JSON (the SSE stream's ``data``)."""
    return event.as_dict()
