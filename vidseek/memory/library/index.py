"""An on-disk vector index over every video of the library, for one embedding space.

Why not chroma's HNSW (or hnswlib): an HNSW graph keeps every vector and its links in RAM; at
1,000 video-hours of frames (3.6 M x 512-d float32) that is over 7 GiB per process. This index is
an inverted file (IVF) with a two-level coarse quantizer instead:

* a spherical k-means tree (``top`` centroids, each with its own ``leaf`` centroids) sorts every
  vector into one leaf list; the vectors (unit length, float32) are stored list by list in one
  file read through ``np.memmap``, so a probed list is one contiguous slice and a query touches
  only the lists it probes; ``offsets`` says where each list starts and ``order`` which row
  (in the order vectors were added, the order of the metadata) each stored vector is;
* a query scores the top centroids, takes the leaves of the ``probe_top`` best, scores those,
  and searches the rows of the ``nprobe`` best leaves exactly.

Small libraries skip the tree (``kind == "exact"``): every row is scanned, in chunks. Both kinds
answer :meth:`LibraryIndex.exact` too, the ground truth the benchmark measures recall against.
Per-row metadata (video number, start, end, granularity code, id) is memory-mapped as well.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.errors import ConfigError
from vidseek.memory.library import kmeans

log = logging.getLogger(__name__)

FORMAT = 1
SCAN_CHUNK = 65_536
# below this many vectors an exact scan is cheaper than a tree (and has perfect recall)
EXACT_BELOW = 50_000
LEAF_SIZE = 256  # vectors per leaf list the tree aims for
TOP_SIZE = 28_000  # vectors per top cluster the tree aims for (at most 256 top clusters)
GRANULARITIES = ("frame", "clip", "shot", "scene", "video", "speech", "screen_text")


@dataclass(frozen=True)
class LibraryHit:
    """One row of the index that matched: which video, which vector, where, how similar."""

    video_id: str
    vector_id: str
    granularity: str
    start_s: float
    end_s: float
    similarity: float


class LibraryIndexWriter:
    """Appends vectors video by video to a new index folder, then builds the coarse tree.

    Memory is bounded by one video's vectors and one assignment chunk; the folder is written
    under a temporary name and renamed when complete, so a killed build leaves no half index."""

    def __init__(self, path: Path, dim: int, stamp: str = "") -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + ".building")
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir(parents=True)
        self.dim, self.stamp, self.count = int(dim), stamp, 0
        self.videos: list[str] = []
        self._files = {
            name: open(self.tmp / name, "wb")  # noqa: SIM115 - closed in finish()
            for name in ("vectors.f32", "video.i32", "start.f32", "end.f32", "gran.i8", "ids.bin")
        }
        self._id_off = [0]

    def add(
        self,
        video_id: str,
        ids: Sequence[str],
        vectors: np.ndarray,
        start_s: Sequence[float],
        end_s: Sequence[float],
        granularity: Sequence[str] | str,
    ) -> None:
        """Append one video's vectors of this space (unit-normalised here)."""
        vec = np.asarray(vectors, dtype=np.float32)
        n = len(ids)
        if vec.ndim != 2 or vec.shape != (n, self.dim):
            raise ConfigError(
                f"library index: {n} ids but vectors of shape {vec.shape} (want {self.dim}-d)"
            )
        if not n:
            return
        if not np.isfinite(vec).all():
            raise ConfigError(f"library index: vectors of video {video_id} contain NaN or inf")
        gran = [granularity] * n if isinstance(granularity, str) else list(granularity)
        unknown = set(gran) - set(GRANULARITIES)
        if unknown:
            raise ConfigError(f"library index: unknown granularity {sorted(unknown)}")
        if not self.videos or self.videos[-1] != video_id:
            self.videos.append(video_id)
        f = self._files
        f["vectors.f32"].write(kmeans.normalise(vec).tobytes())
        f["video.i32"].write(np.full(n, len(self.videos) - 1, dtype=np.int32).tobytes())
        f["start.f32"].write(np.asarray(start_s, dtype=np.float32).tobytes())
        f["end.f32"].write(np.asarray(end_s, dtype=np.float32).tobytes())
        f["gran.i8"].write(np.array([GRANULARITIES.index(g) for g in gran], np.int8).tobytes())
        raw = [i.encode() for i in ids]
        f["ids.bin"].write(b"".join(raw))
        ends = np.cumsum([len(r) for r in raw], dtype=np.int64) + self._id_off[-1]
        self._id_off.extend(ends.tolist())
        self.count += n

    def finish(self, exact_below: int = EXACT_BELOW, seed: int = 0) -> LibraryIndex:
        """Close the files, build the tree (unless the index is small) and publish the folder."""
        for fh in self._files.values():
            fh.close()
        np.save(self.tmp / "ids_off.npy", np.asarray(self._id_off, dtype=np.int64))
        kind = "exact" if self.count < exact_below else "ivf"
        meta: dict[str, Any] = {
            "format": FORMAT,
            "kind": kind,
            "dim": self.dim,
            "count": self.count,
            "stamp": self.stamp,
            "videos": self.videos,
        }
        if kind == "ivf":
            meta.update(_build_tree(self.tmp, self.count, self.dim, seed))
        (self.tmp / "meta.json").write_text(json.dumps(meta))
        if self.path.exists():
            shutil.rmtree(self.path)
        self.tmp.rename(self.path)
        return LibraryIndex(self.path)


def _build_tree(folder: Path, n: int, dim: int, seed: int) -> dict[str, Any]:
    """Train the two-level tree on samples, sort every row into a leaf; write the arrays."""
    x = np.memmap(folder / "vectors.f32", dtype=np.float32, mode="r", shape=(n, dim))
    rng = np.random.default_rng(seed)
    n_top = int(np.clip(n // TOP_SIZE, 1, 256))
    sample = x[np.sort(rng.choice(n, size=min(n, n_top * 256), replace=False))]
    top = kmeans.train(sample, n_top, seed=seed)
    top_of = kmeans.assign(x, top)
    leaves: list[np.ndarray] = []
    leaf_of = np.empty(n, dtype=np.int32)
    top_first = [0]
    for c in range(len(top)):
        rows = np.flatnonzero(top_of == c)
        k = max(1, int(round(len(rows) / LEAF_SIZE)))
        if len(rows):
            pick = np.sort(rng.choice(rows, size=min(len(rows), k * 48), replace=False))
            cent = kmeans.train(x[pick], k, iters=6, seed=seed + c)
            for i in range(0, len(rows), kmeans.CHUNK):
                part = rows[i : i + kmeans.CHUNK]
                leaf_of[part] = kmeans.assign(x[part], cent) + top_first[-1]
        else:
            cent = top[c : c + 1]
        leaves.append(cent)
        top_first.append(top_first[-1] + len(cent))
    leaf = np.concatenate(leaves).astype(np.float32)
    order = np.argsort(leaf_of, kind="stable").astype(np.int32)
    del x
    _store_in_list_order(folder, order, n, dim)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(leaf_of, minlength=len(leaf)))])
    np.save(folder / "top.npy", top)
    np.save(folder / "top_first.npy", np.asarray(top_first, dtype=np.int64))
    np.save(folder / "leaf.npy", leaf)
    np.save(folder / "order.npy", order)
    np.save(folder / "offsets.npy", offsets.astype(np.int64))
    return {"top": len(top), "leaves": len(leaf)}


def _store_in_list_order(folder: Path, order: np.ndarray, n: int, dim: int) -> None:
    """Rewrite ``vectors.f32`` list by list (chunk by chunk: bounded memory)."""
    src = np.memmap(folder / "vectors.f32", dtype=np.float32, mode="r", shape=(n, dim))
    with open(folder / "vectors.sorted", "wb") as out:
        for i in range(0, n, kmeans.CHUNK):
            out.write(
                np.ascontiguousarray(
                    src[np.sort(order[i : i + kmeans.CHUNK])][
                        np.argsort(np.argsort(order[i : i + kmeans.CHUNK]))
                    ]
                ).tobytes()
            )
    del src
    (folder / "vectors.sorted").replace(folder / "vectors.f32")


class LibraryIndex:
    """A built library index, opened read-only; every large array is memory-mapped."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.meta = json.loads((self.path / "meta.json").read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"library index {self.path}: unreadable ({exc}); rebuild it"
            ) from None
        if self.meta.get("format") != FORMAT:
            raise ConfigError(f"library index {self.path}: old format; rebuild it")
        n, dim = int(self.meta["count"]), int(self.meta["dim"])
        self.count, self.dim, self.kind = n, dim, str(self.meta["kind"])
        self.videos: list[str] = list(self.meta["videos"])
        self.stamp: str = str(self.meta.get("stamp", ""))

        def mm(name: str, dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
            if n == 0:
                return np.zeros(shape, dtype=dtype)
            return np.memmap(self.path / name, dtype=dtype, mode="r", shape=shape)

        self.vectors = mm("vectors.f32", np.float32, (n, dim))
        self.video = mm("video.i32", np.int32, (n,))
        self.start = mm("start.f32", np.float32, (n,))
        self.end = mm("end.f32", np.float32, (n,))
        self.gran = mm("gran.i8", np.int8, (n,))
        self.ids = np.memmap(self.path / "ids.bin", dtype=np.uint8, mode="r") if n else None
        self.ids_off = np.load(self.path / "ids_off.npy", mmap_mode="r")
        if self.kind == "ivf":
            self.top = np.load(self.path / "top.npy")
            self.top_first = np.load(self.path / "top_first.npy")
            self.leaf = np.load(self.path / "leaf.npy")
            self.order = np.load(self.path / "order.npy", mmap_mode="r")
            self.offsets = np.load(self.path / "offsets.npy")

    def vector_id(self, row: int) -> str:
        a, b = int(self.ids_off[row]), int(self.ids_off[row + 1])
        return bytes(self.ids[a:b]).decode() if self.ids is not None else ""

    def search(
        self,
        query: np.ndarray,
        n: int = 10,
        granularity: str | None = None,
        probe_top: int = 12,
        nprobe: int = 32,
    ) -> list[LibraryHit]:
        """The ``n`` most similar rows (approximate on an IVF index, exact on a small one)."""
        q = self._query(query)
        if self.kind != "ivf" or not self.count:
            return self.exact(q, n, granularity)
        tops = np.argsort(-(self.top @ q))[: max(1, probe_top)]
        spans = [(int(self.top_first[t]), int(self.top_first[t + 1])) for t in tops]
        cand_leaves = np.concatenate([np.arange(a, b) for a, b in spans])
        leaf_sims = np.concatenate([self.leaf[a:b] @ q for a, b in spans])  # slices: no copy
        best = cand_leaves[np.argsort(-leaf_sims)[: max(1, nprobe)]]
        best.sort()  # read the file front to back
        spans = [(int(self.offsets[b]), int(self.offsets[b + 1])) for b in best]
        sims = np.concatenate([self.vectors[a:b] @ q for a, b in spans])  # slices: no copy
        rows = np.concatenate([self.order[a:b] for a, b in spans])
        return self._top_rows(rows, sims, n, granularity)

    def exact(
        self, query: np.ndarray, n: int = 10, granularity: str | None = None
    ) -> list[LibraryHit]:
        """The ``n`` most similar rows by scanning every row (chunked: bounded memory)."""
        q = self._query(query)
        best_rows = np.zeros(0, dtype=np.int64)
        best_sims = np.zeros(0, dtype=np.float32)
        for i in range(0, self.count, SCAN_CHUNK):
            sims = self.vectors[i : i + SCAN_CHUNK] @ q
            rows = self.rows_at(i, len(sims))
            if granularity is not None:
                keep = self.gran[i : i + len(sims)] == GRANULARITIES.index(granularity)
                rows, sims = rows[keep], sims[keep]
            best_rows = np.concatenate([best_rows, rows])
            best_sims = np.concatenate([best_sims, sims])
            if len(best_rows) > n:
                top = np.argpartition(-best_sims, n - 1)[:n]
                best_rows, best_sims = best_rows[top], best_sims[top]
        return self._top_rows(best_rows, best_sims, n, None)

    def rows_at(self, start: int, count: int) -> np.ndarray:
        """Metadata rows of the stored vectors ``start:start+count``."""
        if self.kind == "ivf":
            return np.asarray(self.order[start : start + count], dtype=np.int64)
        return np.arange(start, start + count)

    def _query(self, query: np.ndarray) -> np.ndarray:
        q = np.asarray(query, dtype=np.float32).ravel()
        if q.shape[0] != self.dim:
            raise ConfigError(
                f"query vector has {q.shape[0]} dimensions, the library index {self.dim}"
            )
        return kmeans.normalise(q)

    def _top_rows(
        self, rows: np.ndarray, sims: np.ndarray, n: int, granularity: str | None
    ) -> list[LibraryHit]:
        if granularity is not None and len(rows):
            keep = self.gran[rows] == GRANULARITIES.index(granularity)
            rows, sims = rows[keep], sims[keep]
        if not len(rows):
            return []
        k = min(int(n), len(rows))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.lexsort((rows[top], -sims[top]))]
        return [
            LibraryHit(
                self.videos[int(self.video[r])],
                self.vector_id(int(r)),
                GRANULARITIES[int(self.gran[r])],
                float(self.start[r]),
                float(self.end[r]),
                float(s),
            )
            for r, s in zip(rows[top], sims[top], strict=True)
        ]
