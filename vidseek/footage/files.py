"""Small file helpers shared by the footage builders: a folder lock for builders that share a
cache folder, and JSON records written atomically (a reader never sees half a record)."""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Serialise builders that share one folder (parallel test sessions, CLI runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` beside ``path`` and rename it into place."""
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    tmp.replace(path)
