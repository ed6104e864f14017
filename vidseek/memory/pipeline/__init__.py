"""The index pipeline: the staged, resumable build of one video's segments.

probe -> one streamed decode pass feeding the frame stages (frame embeddings, shots, detections,
screen text) -> speech -> clips and scenes -> captions (per clip, checkpointed, subject registry
merged as they come) -> summaries (map-reduce) -> write (text embeddings, database).

Every stage is cached by (video_id, stage, digest): the digest covers the settings the stage reads,
the code of its backend and the digests of its inputs, so changing one setting recomputes only the
stages downstream of it (``plan``). A killed run resumes: finished stages are skipped, frame
stages keep their per-chunk parts and captions their per-clip rows (``cache``). The stage bodies
are units with explicit inputs and outputs (``frame_stages``, ``speech``, ``captions``,
``summaries``, ``segments``, ``write``); an engine runs them (``engine.LocalEngine``: one video at
a time in this process; ``ray_engine.RayEngine``: many videos on a Ray cluster, selected by
``settings.cluster.engine``). Progress goes to a ``vidseek.progress`` sink.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from vidseek.config import Settings
from vidseek.memory.pipeline.engine import LocalEngine
from vidseek.memory.pipeline.events import LogSink, resolve_sink
from vidseek.memory.pipeline.plan import FRAME_STAGES, STAGE_ORDER, plan_digests
from vidseek.memory.pipeline.report import BuildReport, StageResult, StageTiming
from vidseek.progress import ProgressSink

if TYPE_CHECKING:
    from vidseek.memory.store import SegmentStore
    from vidseek.memory.video_index import VideoIndex
    from vidseek.models.hub import ModelHub

__all__ = [
    "FRAME_STAGES",
    "STAGE_ORDER",
    "BuildReport",
    "LocalEngine",
    "LogSink",
    "StageResult",
    "StageTiming",
    "build",
    "index",
    "index_many",
    "plan_digests",
]


def build(
    video: str | Path,
    settings: Settings,
    models: ModelHub | None = None,
    progress: ProgressSink | bool | None = None,
    store: SegmentStore | None = None,
) -> BuildReport:
    """Index one video (or finish / update its index) and report what each stage did.

    ``progress``: a sink for progress events (``True``: log lines, ``False``/None: silent)."""
    from vidseek.memory.store import SegmentStore
    from vidseek.models.hub import ModelHub

    hub = models or ModelHub(settings)
    own = store is None
    db = store or SegmentStore(settings)
    try:
        return LocalEngine(settings, hub, db, resolve_sink(progress)).run(video)
    finally:
        if own:
            db.close()


def index(
    video: str | Path,
    settings: Settings | None = None,
    models: ModelHub | None = None,
    progress: ProgressSink | bool | None = None,
) -> VideoIndex:
    """Index a video (resuming any earlier run) and open it for search."""
    from vidseek.config import load_settings
    from vidseek.memory.video_index import VideoIndex
    from vidseek.models.hub import ModelHub

    settings = settings or load_settings()
    hub = models or ModelHub(settings)
    build(video, settings, hub, progress)
    return VideoIndex.open(settings, video, hub)


def index_many(
    videos: Sequence[str | Path],
    settings: Settings | None = None,
    models: ModelHub | None = None,
    progress: ProgressSink | bool | None = None,
    on_report: Callable[[BuildReport], None] | None = None,
) -> list[BuildReport]:
    """Index several videos (a folder stands for every video under it) with the engine that
    ``settings.cluster.engine`` names: ``local`` one after the other with shared models, ``ray``
    on a Ray cluster (``ray_engine``; ``models`` are then loaded by the cluster). A video that
    fails with a vidseek error is reported and the others still run (an error is raised at the
    end)."""
    from vidseek.config import load_settings
    from vidseek.media.listing import expand_video_paths

    settings = settings or load_settings()
    paths = expand_video_paths(videos)
    sink = resolve_sink(progress)
    if settings.cluster.engine == "ray":
        from vidseek.memory.pipeline.ray_engine import RayEngine

        return RayEngine(settings, sink).run_many(paths, on_report)
    from vidseek.memory.store import SegmentStore
    from vidseek.models.hub import ModelHub

    hub = models or ModelHub(settings)
    store = SegmentStore(settings)
    try:
        return LocalEngine(settings, hub, store, sink).run_many(paths, on_report)
    finally:
        store.close()
