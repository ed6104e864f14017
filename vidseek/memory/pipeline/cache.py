"""The stage cache and its checkpoints: which stages of a video are done for the current digests,
and the per-chunk parts a frame stage leaves behind when it is killed (the per-video lock is
``vidseek.memory.store.locks.video_lock``).

Records live in the store's ``stages`` table, outputs in ``<videos_dir>/<video_id>/`` (written
atomically by ``Artefacts``). Nothing here knows what a stage computes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from vidseek.memory.artefacts import Artefacts
from vidseek.memory.store.locks import video_lock

__all__ = ["StageCache", "time_key", "video_lock"]

if TYPE_CHECKING:
    from vidseek.memory.store import SegmentStore

log = logging.getLogger(__name__)


def time_key(t: float) -> int:
    """Frame time -> integer milliseconds (sets of sampled times, robust to float noise)."""
    return round(float(t) * 1000)


class StageCache:
    """Stage records and checkpoint parts of one video under one set of digests."""

    def __init__(
        self, store: SegmentStore, art: Artefacts, video_id: str, digests: dict[str, str]
    ) -> None:
        self.store = store
        self.art = art
        self.video_id = video_id
        self.digests = digests

    def fresh(self, stage: str, *files: str) -> bool:
        """Done with the current digest, and its output files are still there."""
        return self.store.stage_done(self.video_id, stage, self.digests[stage]) and all(
            self.art.exists(f) for f in files
        )

    def mark(self, stage: str, status: str, detail: dict[str, Any] | None = None) -> None:
        self.store.set_stage(self.video_id, stage, self.digests[stage], status, detail)

    def done(self, stage: str, detail: dict[str, Any] | None = None) -> None:
        self.mark(stage, "done", detail)

    # --- checkpoint parts of the frame stages -----------------------------------------------

    def parts_folder(self, stage: str) -> str:
        return f"parts/{stage}-{self.digests[stage]}"

    def load_parts(
        self, stage: str, arrays: bool
    ) -> tuple[set[int], list[tuple[list[float], Any]]]:
        """Parts of a frame stage with the current digest: the times they cover (ms keys) and
        (times, payload) pairs; ``arrays``: payloads are .npy matrices, else JSON rows."""
        covered: set[int] = set()
        parts: list[tuple[list[float], Any]] = []
        folder = self.parts_folder(stage)
        root = self.art.path(folder)
        if not root.is_dir():
            return covered, parts
        for meta in sorted(root.glob("*.json")):
            data = self.art.read_json(f"{folder}/{meta.name}")
            if not data:
                continue
            if arrays:
                arr = self.art.read_npy(f"{folder}/{meta.stem}.npy")
                if arr is None or len(arr) != len(data["times"]):
                    continue
                parts.append((data["times"], arr))
            else:
                parts.append((data["times"], data["rows"]))
            covered.update(time_key(t) for t in data["times"])
        return covered, parts

    def save_part(self, stage: str, times: list[float], payload: Any) -> None:
        """One checkpoint part (the .npy before its .json: a part counts once its .json exists)."""
        if not times:
            return
        folder = self.parts_folder(stage)
        name = f"{time_key(times[0]):012d}"
        if isinstance(payload, np.ndarray):
            self.art.write_npy(f"{folder}/{name}.npy", payload)
            self.art.write_json(f"{folder}/{name}.json", {"times": times})
        else:
            self.art.write_json(f"{folder}/{name}.json", {"times": times, "rows": payload})

    def drop_parts(self, stage: str) -> None:
        """Forget a stage's parts (folded into its output); the last one out removes ``parts/``."""
        self.art.remove(self.parts_folder(stage))
        root = self.art.path("parts")
        try:
            root.rmdir()  # only when empty: another stage may still hold parts
        except OSError:
            pass
