"""What the batch runner asks of an answer function, and how questions about one video share its
index. Both the runner and the default (agent) answer function use this module."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.scenarios.records import QARecord

AnswerFn = Callable[[QARecord, Settings], dict[str, Any]]
IndexFn = Callable[[Path, Settings], Any]


class SharedIndexes:
    """Each video is indexed once, however many questions (and threads) ask about it; a video
    whose indexing failed fails its other questions at once with the same error."""

    def __init__(self, index_fn: IndexFn, settings: Settings, one_at_a_time: bool = False) -> None:
        self._fn = index_fn
        self._settings = settings
        self._guard = threading.Lock()
        # indexing is heavy (decoding, models): ``one_at_a_time`` builds one video at a time while
        # questions about videos already indexed go on in parallel
        self._build_lock: threading.Lock | None = threading.Lock() if one_at_a_time else None
        self._locks: dict[str, threading.Lock] = {}
        self._done: dict[str, tuple[bool, Any]] = {}
        self.calls = 0

    def get(self, video: Path) -> Any:
        key = str(Path(video).resolve())
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._done:
                self.calls += 1
                try:
                    if self._build_lock is not None:
                        with self._build_lock:
                            value = self._fn(Path(video), self._settings)
                    else:
                        value = self._fn(Path(video), self._settings)
                    self._done[key] = (True, value)
                except Exception as exc:  # noqa: BLE001 - remembered, re-raised per question
                    self._done[key] = (False, exc)
            ok, value = self._done[key]
        if not ok:
            raise value
        return value


def plain(obj: Any) -> Any:
    """Pydantic models, dataclasses and objects with __dict__ -> JSON-able dicts."""
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if hasattr(obj, "__dict__"):
        return {k: plain(v) for k, v in vars(obj).items() if not k.startswith("_")}
    return str(obj)
