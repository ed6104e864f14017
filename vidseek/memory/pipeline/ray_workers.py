"""What runs inside a Ray cluster for the ray engine: the task that indexes one video, the actors
that hold a model or the store once, and the proxies a task uses to reach them.

A video's task runs the very stages of the local engine (``LocalEngine.run``: the same frame
pass, stage cache, digests and resume) in a CPU worker; only the models and the store it is
handed differ. Model roles that deserve an accelerator (CLIP, the detector, a VLM captioner) are
``RemoteModel`` proxies whose calls block on a ``ModelActor``: an actor serves one call at a time,
so a video's decoder (a bounded read-ahead queue) never runs far ahead of the models. Store calls
go through ``RemoteStore`` to one ``StoreWriter`` actor (an embedded store has one writer), or,
with ``cluster.store_writer = "direct"``, to a store the worker opens itself (a store that is
safe with many writers). Every store write is an upsert by a stable id, so a video retried after
its worker died writes each item once.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.memory.pipeline.report import BuildReport
from vidseek.progress import ProgressSink

log = logging.getLogger(__name__)

# model roles served by actors when they are on (the metadata captioner is not a model)
ACTOR_ROLES = ("image_text_embedder", "detector", "captioner")
# plain attributes a proxy copies from the model (the rest are methods called on the actor)
_ATTRS = ("ref", "dim", "labels", "can_see", "name")


def actor_roles(settings: Settings) -> list[str]:
    """The roles that get model actors under ``settings``."""
    m = settings.models
    roles = []
    for role in ACTOR_ROLES:
        ref = getattr(m, role)
        if ref and not (role == "captioner" and ref.split(":", 1)[0] == "metadata"):
            roles.append(role)
    return roles


class ModelActor:
    """Holds the model of one role, loaded once (on first use), and runs its methods."""

    def __init__(self, settings: Settings, role: str) -> None:
        from vidseek.models.hub import ModelHub

        self.role = role
        self.hub = ModelHub(settings)

    def _model(self) -> Any:
        return getattr(self.hub, self.role)

    def attrs(self) -> dict[str, Any]:
        model = self._model()
        return {a: getattr(model, a) for a in _ATTRS if hasattr(model, a)}

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._model(), method)(*args, **kwargs)


class RemoteModel:
    """A model whose methods run on a pool of ``ModelActor``s (round robin, blocking)."""

    def __init__(self, actors: list[Any], attrs: dict[str, Any]) -> None:
        self._actors = actors
        self._attrs = attrs
        self._next = itertools.count()
        for name, value in attrs.items():
            setattr(self, name, value)

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            import ray

            actor = self._actors[next(self._next) % len(self._actors)]
            return ray.get(actor.call.remote(method, *args, **kwargs))

        return call


class StoreWriter:
    """Holds the one ``SegmentStore`` of the data dir and runs every store call of the workers,
    one at a time (the writer of an embedded store)."""

    def __init__(self, settings: Settings) -> None:
        from vidseek.memory.store import SegmentStore

        self.store = SegmentStore(settings)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.store, method)(*args, **kwargs)

    def close(self) -> None:
        self.store.close()


class RemoteStore:
    """The ``SegmentStore`` API of a worker, carried out by the ``StoreWriter`` actor."""

    def __init__(self, writer: Any, settings: Settings) -> None:
        self._writer = writer
        self.settings = settings

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            import ray

            return ray.get(self._writer.call.remote(method, *args, **kwargs))

        return call

    def close(self) -> None:  # the writer actor is closed by the engine
        return None


# one ModelHub per worker process and settings: a worker that indexes several videos loads its
# CPU models (speech, OCR, text embedder) once
_HUBS: dict[str, Any] = {}


def _worker_hub(settings: Settings, actors: dict[str, list[Any]]) -> Any:
    """This worker's hub for ``settings``, its actor roles pointed at this run's actors (a later
    run in the same cluster brings new actors)."""
    import ray

    from vidseek.models.hub import ModelHub

    key = hashlib.sha256(settings.model_dump_json().encode()).hexdigest()
    hub = _HUBS.get(key)
    if hub is None:
        hub = ModelHub(settings)
        _HUBS.clear()  # a worker keeps the models of the latest settings only
        _HUBS[key] = hub
    for role, pool in actors.items():
        hub.set(role, RemoteModel(pool, ray.get(pool[0].attrs.remote())))
    return hub


def index_video(
    video: str,
    settings: Settings,
    actors: dict[str, list[Any]],
    writer: Any | None,
    sink: ProgressSink | None = None,
) -> BuildReport | str:
    """Index one video in this worker with the local engine's stages; a vidseek error (bad input)
    comes back as its message, anything else fails the task."""
    from vidseek.memory.pipeline.engine import LocalEngine
    from vidseek.memory.store import SegmentStore

    hub = _worker_hub(settings, actors)
    store: Any = RemoteStore(writer, settings) if writer is not None else SegmentStore(settings)
    try:
        return LocalEngine(settings, hub, store, sink).run(Path(video))
    except VidseekError as exc:
        log.error("%s", exc)
        return str(exc)
    finally:
        store.close()
