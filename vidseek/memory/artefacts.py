"""Per-video artefact files of the index builder, written atomically (tmp file, then rename), so a
process killed at any moment leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


class Artefacts:
    """The folder ``<videos_dir>/<video_id>/`` and its JSON, JSONL and .npy files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.root / name

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def _replace(self, name: str, write) -> Path:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)
        return target

    def write_json(self, name: str, data: Any) -> Path:
        raw = json.dumps(data, default=str).encode()
        return self._replace(name, lambda fh: fh.write(raw))

    def read_json(self, name: str, default: Any = None) -> Any:
        try:
            return json.loads(self.path(name).read_text())
        except FileNotFoundError:
            return default
        except json.JSONDecodeError:
            log.warning("%s: unreadable, recomputing it", self.path(name))
            return default

    def write_npy(self, name: str, array: np.ndarray) -> Path:
        return self._replace(name, lambda fh: np.save(fh, np.asarray(array), allow_pickle=False))

    def read_npy(self, name: str) -> np.ndarray | None:
        try:
            return np.load(self.path(name), allow_pickle=False)
        except (FileNotFoundError, ValueError, OSError):
            return None

    def append_jsonl(self, name: str, row: dict[str, Any]) -> None:
        """Append one checkpoint row (flushed and synced: it survives a SIGKILL right after)."""
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def read_jsonl(self, name: str) -> Iterator[dict[str, Any]]:
        """Rows of a JSONL file; a torn last line (killed mid-write) is skipped."""
        try:
            lines = self.path(name).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                log.info("%s: skipping a torn checkpoint line", self.path(name))

    def remove(self, name: str) -> None:
        target = self.path(name)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
