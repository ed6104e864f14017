"""The Ray engine: indexes many videos on a Ray cluster with the local engine's stages.

Each video is one Ray task on a CPU worker (decode, speech, OCR, the stage cache and resume of
``LocalEngine.run``); the models that deserve an accelerator live in actors that load them once
(``ray_workers``); every store call goes through one writer actor on this node (or the workers'
own store with ``cluster.store_writer = "direct"``). Back-pressure: at most
``cluster.videos_in_flight`` videos are submitted at a time, and inside a video the decoder's
read-ahead queue is bounded while each model call blocks on its actor. A task whose worker dies
is retried by Ray (``cluster.max_retries``): the retry resumes from the stage records and
checkpoint parts, and the idempotent writes leave nothing duplicated.

Only this module and ``ray_workers`` import ray, and only the ray engine imports them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.errors import ConfigError, VidseekError
from vidseek.memory.pipeline import ray_workers as W
from vidseek.memory.pipeline.report import BuildReport
from vidseek.progress import Progress, ProgressSink

log = logging.getLogger(__name__)

# environment a worker needs to behave like this process (offline model packs, the import path)
_PASS_ENV = (
    "PYTHONPATH",
    "YOLO_OFFLINE",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "OMP_NUM_THREADS",
    "VIDSEEK_ALLOW_MODEL_REQUESTS",
    "VIDSEEK_DISABLE_PLUGINS",
    "ANONYMIZED_TELEMETRY",
)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            "the ray engine needs Ray: pip install 'vidseek[cluster]' (or use --engine local)"
        ) from exc
    return ray


class RayEngine:
    """Indexes videos as Ray tasks against one data dir; ``run_many`` as ``LocalEngine``'s.

    ``worker_sink``: a picklable progress sink called inside the workers with each video's stage
    events (remote logging, fault injection in tests); the driver's own ``progress`` sees one
    ``videos`` task."""

    def __init__(
        self,
        settings: Settings,
        progress: ProgressSink | None = None,
        worker_sink: ProgressSink | None = None,
    ) -> None:
        self.settings = settings
        self.sink = progress
        self.worker_sink = worker_sink
        self.ray = _import_ray()
        self._started = False
        self._actors: dict[str, list[Any]] = {}
        self._writer: Any | None = None

    # -- the cluster -------------------------------------------------------------------------------
    def connect(self) -> None:
        """Join ``cluster.ray_address`` (or start a private local Ray) unless Ray is already up
        in this process, then start the model actors and the store writer."""
        ray, c = self.ray, self.settings.cluster
        if not ray.is_initialized():
            env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
            try:
                ray.init(
                    # "local": a new private Ray, even where `ray start` left one running
                    address=c.ray_address or "local",
                    num_cpus=c.local_cpus if c.ray_address is None else None,
                    include_dashboard=False,
                    runtime_env={"env_vars": env} if env else None,
                    log_to_driver=self.settings.debug,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = c.ray_address or "a local Ray"
                raise ConfigError(f"cannot start or reach {where}: {exc}") from exc
            self._started = True
        self._start_actors()

    def _start_actors(self) -> None:
        ray, c = self.ray, self.settings.cluster
        model_actor = ray.remote(W.ModelActor)
        for role in W.actor_roles(self.settings):
            self._actors[role] = [
                model_actor.options(num_cpus=c.actor_cpus, num_gpus=c.actor_gpus).remote(
                    self.settings, role
                )
                for _ in range(max(1, c.model_actors))
            ]
        if c.store_writer == "actor":
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            here = ray.get_runtime_context().get_node_id()  # the data dir is on this node
            self._writer = (
                ray.remote(W.StoreWriter)
                .options(
                    num_cpus=0,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False),
                )
                .remote(self.settings)
            )

    def close(self) -> None:
        """Close the store writer, stop the actors, and Ray itself when this engine started it."""
        ray = self.ray
        if self._writer is not None:
            from ray.exceptions import RayError

            try:
                ray.get(self._writer.close.remote())
            except RayError as exc:  # a writer that died has nothing left to close
                log.warning("the store writer could not be closed: %s", exc)
            finally:
                ray.kill(self._writer)
                self._writer = None
        for pool in self._actors.values():
            for actor in pool:
                ray.kill(actor)
        self._actors = {}
        if self._started:
            ray.shutdown()
            self._started = False

    def in_flight(self) -> int:
        """Videos submitted at a time: ``cluster.videos_in_flight``, else the CPUs of the
        cluster divided by the CPUs a task holds."""
        c = self.settings.cluster
        if c.videos_in_flight > 0:
            return c.videos_in_flight
        cpus = float(self.ray.cluster_resources().get("CPU", 1))
        return max(1, int(cpus / max(c.task_cpus, 0.01)))

    # -- videos ----------------------------------------------------------------------------------
    def run(self, video: str | Path) -> BuildReport:
        return self.run_many([video])[0]

    def run_many(
        self,
        videos: Sequence[str | Path],
        on_report: Callable[[BuildReport], None] | None = None,
    ) -> list[BuildReport]:
        """Every video as a task, a bounded number at a time; reports come in the order the
        videos finish. Errors as ``LocalEngine.run_many``: a single video's is raised as it is,
        with several each is logged and a summary error is raised at the end."""
        ray, c = self.ray, self.settings.cluster
        try:
            self.connect()
            task = ray.remote(W.index_video).options(
                num_cpus=c.task_cpus, max_retries=c.max_retries, retry_exceptions=False
            )
            progress = Progress(self.sink, scope="cluster")
            progress.start("videos", total=len(videos), unit="videos")
            todo = [str(v) for v in videos]
            running: dict[Any, str] = {}
            reports: list[BuildReport] = []
            errors: list[str] = []
            limit = self.in_flight()
            log.info("ray engine: %d videos, %d at a time", len(todo), limit)
            while todo or running:
                while todo and len(running) < limit:
                    video = todo.pop(0)
                    ref = task.remote(
                        video, self.settings, self._actors, self._writer, self.worker_sink
                    )
                    running[ref] = video
                done, _ = ray.wait(list(running), num_returns=1)
                video = running.pop(done[0])
                result = self._result(done[0], video)
                progress.advance("videos")
                if isinstance(result, str):
                    if len(videos) > 1:
                        log.error("%s", result)
                    errors.append(result)
                    continue
                reports.append(result)
                if on_report is not None:
                    on_report(result)
            progress.finish("videos", f"{len(reports)} indexed, {len(errors)} failed")
        finally:
            self.close()
        if len(videos) == 1 and errors:
            raise VidseekError(errors[0])
        if errors:
            raise VidseekError(
                f"{len(errors)} of {len(videos)} videos could not be indexed (see above)"
            )
        return reports

    def _result(self, ref: Any, video: str) -> BuildReport | str:
        """The task's report, or the message of why the video could not be indexed."""
        from ray.exceptions import RayError, RayTaskError

        try:
            return self.ray.get(ref)
        except RayTaskError as exc:
            return f"{video}: {exc.cause!r}"
        except RayError as exc:  # its worker died more often than it may be retried
            tries = self.settings.cluster.max_retries + 1
            return f"{video}: the worker died {tries} times ({type(exc).__name__})"
