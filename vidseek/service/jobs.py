"""Indexing jobs: a video indexed in the background, one at a time, with every progress event kept
so a late subscriber (a page opened after the job began, a reconnecting SSE stream) replays them.

The builder reports through ``vidseek.progress`` (a ``ProgressSink``); ``build_with_progress`` is
the one place that calls it.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.memory.store import SegmentStore
from vidseek.progress import Progress, ProgressEvent, ProgressSink
from vidseek.service.errors import NotFoundError
from vidseek.service.types import JobInfo, JobStatus, TaskProgress

log = logging.getLogger(__name__)


def build_with_progress(
    video: Path, settings: Settings, models: Any, store: SegmentStore, sink: ProgressSink
) -> Any:
    """Index ``video`` into ``store``, reporting progress to ``sink``.

    The builder takes a ``ProgressSink``; a builder that still takes a bool (``progress=True``
    draws rich bars) is run quietly while its finished stages are read from the store."""
    from vidseek.memory import builder

    param = inspect.signature(builder.build).parameters.get("progress")
    if param is not None and "bool" not in str(param.annotation):
        return builder.build(video, settings, models, progress=sink, store=store)
    return _build_watching_stages(video, settings, models, store, sink)


def _build_watching_stages(
    video: Path, settings: Settings, models: Any, store: SegmentStore, sink: ProgressSink
) -> Any:
    from vidseek.media.probe import probe
    from vidseek.memory import builder

    info = probe(video, settings)
    progress = Progress(sink, scope=str(video))
    stages = list(getattr(builder, "STAGE_ORDER", ()))
    progress.start("index", total=len(stages) or None, unit="stages")
    started = time.time()
    seen: set[str] = set()
    stop = threading.Event()

    def poll() -> None:
        while True:
            for rec in store.stages(info.video_id):
                if rec.status == "done" and rec.stage not in seen:
                    seen.add(rec.stage)
                    cached = (rec.finished_at or 0) < started
                    progress.start(rec.stage)
                    progress.finish(rec.stage, "cached" if cached else "done")
                    progress.update("index", len(seen))
            if stop.wait(0.5):
                return

    watcher = threading.Thread(target=poll, name="vidseek-stage-watch", daemon=True)
    watcher.start()
    try:
        report = builder.build(video, settings, models, progress=False, store=store)
    finally:
        stop.set()
        watcher.join(timeout=5)
    for r in report.stages:
        if r.stage not in seen:
            seen.add(r.stage)
            progress.start(r.stage)
            progress.finish(r.stage, f"{r.status}: {r.reason}".strip(": "))
    progress.finish("index", f"{report.seconds:.1f} s")
    return report


class Job:
    """One indexing job; its events are kept in order and waited on with a condition."""

    def __init__(self, path: Path) -> None:
        self.job_id = uuid.uuid4().hex[:12]
        self.path = path
        self.status: JobStatus = "queued"
        self.video_id: str | None = None
        self.error: str | None = None
        self.created_at = time.time()
        self.finished_at: float | None = None
        self.events: list[dict[str, Any]] = []
        self._tasks: dict[str, TaskProgress] = {}
        self._cond = threading.Condition()

    @property
    def ended(self) -> bool:
        return self.status in ("done", "failed")

    def progress(self, event: ProgressEvent) -> None:
        """The job's ProgressSink (called from the builder's threads)."""
        with self._cond:
            if event.kind != "message":
                tp = self._tasks.setdefault(event.task, TaskProgress(task=event.task))
                tp.done, tp.total, tp.unit = event.done, event.total, event.unit
                tp.finished = event.kind == "finish"
                tp.detail = event.detail or tp.detail
            self._append({"type": "progress", **asdict(event)})

    def set_status(self, status: JobStatus, **data: Any) -> None:
        with self._cond:
            self.status = status
            for key, value in data.items():
                setattr(self, key, value)
            if status in ("done", "failed"):
                self.finished_at = time.time()
            self._append({"type": "status", "status": status, "time_s": time.time(), **data})

    def _append(self, item: dict[str, Any]) -> None:
        self.events.append(item)
        self._cond.notify_all()

    def wait(self, start: int, timeout: float = 15.0) -> tuple[list[dict[str, Any]], bool]:
        """Events from index ``start`` on (waiting up to ``timeout`` for new ones) and whether
        the job has ended."""
        with self._cond:
            if len(self.events) <= start and not self.ended:
                self._cond.wait(timeout)
            return list(self.events[start:]), self.ended

    def info(self) -> JobInfo:
        with self._cond:
            return JobInfo(
                job_id=self.job_id,
                path=str(self.path),
                status=self.status,
                video_id=self.video_id,
                error=self.error,
                created_at=self.created_at,
                finished_at=self.finished_at,
                tasks=[t.model_copy() for t in self._tasks.values()],
                events=len(self.events),
            )


class IndexJobs:
    """Runs indexing jobs one after the other on a worker thread, with the shared models."""

    def __init__(
        self,
        settings: Settings,
        models: Any,
        store: SegmentStore,
        on_indexed: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.models = models
        self.store = store
        self.on_indexed = on_indexed
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidseek-index")
        self._futures: list[Future] = []

    def submit(self, path: Path) -> Job:
        """Queue ``path`` for indexing (a job already queued or running for it is returned)."""
        with self._lock:
            for job in self._jobs.values():
                if job.path == path and not job.ended:
                    return job
            job = Job(path)
            self._jobs[job.job_id] = job
        self._futures.append(self._pool.submit(self._run, job))
        return job

    def _run(self, job: Job) -> None:
        job.set_status("running")
        try:
            report = build_with_progress(
                job.path, self.settings, self.models, self.store, job.progress
            )
        except VidseekError as exc:
            log.warning("indexing %s failed: %s", job.path, exc)
            job.set_status("failed", error=str(exc))
            return
        except Exception as exc:  # a bug: keep the server up, say what happened
            log.exception("indexing %s failed", job.path)
            job.set_status("failed", error=f"{type(exc).__name__}: {exc}")
            return
        video_id = report.info.video_id
        if self.on_indexed is not None:
            self.on_indexed(video_id)
        job.set_status("done", video_id=video_id)

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(str(job_id))
        if job is None:
            raise NotFoundError(f"{job_id}: no such indexing job")
        return job

    def list(self) -> list[JobInfo]:
        with self._lock:
            jobs = list(self._jobs.values())
        return [j.info() for j in sorted(jobs, key=lambda j: j.created_at)]

    def close(self, timeout_s: float = 30.0) -> None:
        """Drop queued jobs and give the running one ``timeout_s`` to end (an index resumes
        where it stopped the next time, so a cut-off job loses nothing)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        futures_wait(self._futures, timeout=timeout_s)
