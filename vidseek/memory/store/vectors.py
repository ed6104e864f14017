"""The vector part of the segment database, behind a small interface (``VectorIndex``).

One collection per (embedding space, model) (see ``collection_name``); every vector carries
``video_id``, ``granularity``, ``start_s`` and ``end_s`` metadata, and searches filter on those
through a ``VectorFilter`` rather than a backend's own query language. ``ChromaVectors`` is the
implementation: chromadb, embedded (``PersistentClient`` under the data dir, safe for several
processes through a lock, see ``chroma.py``) or a ``chroma run`` server (``settings.chroma_host``:
``host:port`` or a URL). We always pass our own embeddings: collections are opened with
``embedding_function=None`` (chroma's default embedder would download an ONNX model) and chroma
telemetry is off. Another backend (a library-wide ANN index, say) implements ``VectorIndex`` and is
returned by ``open_vector_index``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from vidseek.config import Settings
from vidseek.memory.store.chroma import ChromaConnection, open_connection
from vidseek.memory.store.records import VectorHit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VectorFilter:
    """Which vectors a query, read or delete sees: all of one video (or of every video when
    ``video_id`` is None), of one granularity, overlapping ``time_range``."""

    video_id: str | None = None
    granularity: str | None = None
    time_range: tuple[float, float] | None = None


class VectorIndex(Protocol):
    """What the segment store needs from a vector database."""

    max_batch: int  # most vectors one call may write or read

    def upsert(
        self,
        collection: str,
        ids: Sequence[str],
        embeddings: np.ndarray,
        metadatas: Sequence[dict[str, Any]],
        documents: Sequence[str] | None = None,
        *,
        space: str,
        model_ref: str,
    ) -> None: ...

    def query(
        self, collection: str, query: np.ndarray, n: int, where: VectorFilter
    ) -> list[VectorHit]: ...

    def get(
        self, collection: str, where: VectorFilter, dim: int
    ) -> tuple[list[str], list[dict[str, Any]], np.ndarray]: ...

    def count(self, collection: str, where: VectorFilter) -> int: ...

    def delete(
        self, collection: str, ids: Sequence[str] = (), where: VectorFilter | None = None
    ) -> None: ...

    def collections(self) -> list[str]: ...


def chroma_where(**conds: Any) -> dict[str, Any] | None:
    """A chroma ``where`` from equality / operator conditions (chroma wants ``$and`` for two or more)."""
    clauses = [{k: v} for k, v in conds.items() if v is not None]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _where(f: VectorFilter) -> dict[str, Any] | None:
    where = chroma_where(video_id=f.video_id, granularity=f.granularity)
    if f.time_range is not None:
        a, b = float(f.time_range[0]), float(f.time_range[1])
        clauses = [where] if where else []
        clauses += [{"start_s": {"$lt": b}}, {"end_s": {"$gte": a}}]
        where = {"$and": clauses}
    return where


class ChromaVectors:
    """``VectorIndex`` over a chromadb connection (embedded or a server); every operation uses
    the connection's client for its duration (see ``ChromaConnection.use``)."""

    def __init__(self, conn: ChromaConnection) -> None:
        self.conn = conn
        with conn.use() as client:
            self.max_batch = int(client.get_max_batch_size())
        self._collections: dict[str, Any] = {}
        self._epoch = conn.epoch

    @classmethod
    def open(cls, settings: Settings) -> ChromaVectors:
        return cls(open_connection(settings))

    @property
    def client(self) -> Any:
        """The current chromadb client (for a look inside; operations go through ``use``)."""
        with self.conn.use() as client:
            return client

    def collection(
        self, name: str, space: str | None = None, model_ref: str = "", dim: int = 0
    ) -> Any:
        """Open (or create) a chroma collection with NO embedding function, cosine space."""
        with self.conn.use() as client:
            return self._collection(client, name, space, model_ref, dim)

    def _collection(
        self, client: Any, name: str, space: str | None = None, model_ref: str = "", dim: int = 0
    ) -> Any:
        if self._epoch != self.conn.epoch:  # the client was reopened: handles are stale
            self._collections.clear()
            self._epoch = self.conn.epoch
        col = self._collections.get(name)
        if col is None:
            metadata = {
                "space": space or name.split("__")[0],
                "model_ref": model_ref or "?",
                "dim": dim,
            }
            col = client.get_or_create_collection(
                name,
                embedding_function=None,  # never let chroma embed: it would download a model
                configuration={"hnsw": {"space": "cosine"}},
                metadata=metadata,
            )
            self._collections[name] = col
        return col

    def upsert(
        self,
        collection: str,
        ids: Sequence[str],
        embeddings: np.ndarray,
        metadatas: Sequence[dict[str, Any]],
        documents: Sequence[str] | None = None,
        *,
        space: str,
        model_ref: str,
    ) -> None:
        emb = np.asarray(embeddings, dtype=np.float32)
        step = self.max_batch
        for i in range(0, len(ids), step):
            with self.conn.use(write=True) as client:
                col = self._collection(client, collection, space, model_ref, int(emb.shape[1]))
                col.upsert(
                    ids=list(ids[i : i + step]),
                    embeddings=emb[i : i + step],
                    metadatas=list(metadatas[i : i + step]),
                    documents=list(documents[i : i + step]) if documents is not None else None,
                )

    def query(
        self, collection: str, query: np.ndarray, n: int, where: VectorFilter
    ) -> list[VectorHit]:
        q = np.asarray(query, dtype=np.float32).reshape(1, -1)
        with self.conn.use() as client:
            res = self._collection(client, collection).query(
                query_embeddings=q,
                n_results=max(1, int(n)),
                where=_where(where),
                include=["metadatas", "distances"],
            )
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [0.0] * len(ids)
        metas = res["metadatas"][0] if res.get("metadatas") else [{}] * len(ids)
        return [
            VectorHit(i, float(d), dict(m or {}))
            for i, d, m in zip(ids, dists, metas, strict=False)
        ]

    def get(
        self, collection: str, where: VectorFilter, dim: int
    ) -> tuple[list[str], list[dict[str, Any]], np.ndarray]:
        """Every vector the filter selects, read in pages: (ids, metadatas, float32 matrix)."""
        ids: list[str] = []
        metas: list[dict[str, Any]] = []
        chunks: list[np.ndarray] = []
        step = self.max_batch
        offset = 0
        while True:
            with self.conn.use() as client:
                got = self._collection(client, collection).get(
                    where=_where(where),
                    include=["embeddings", "metadatas"],
                    limit=step,
                    offset=offset,
                )
            if not got["ids"]:
                break
            ids += got["ids"]
            metas += [dict(m or {}) for m in got["metadatas"]]
            chunks.append(np.asarray(got["embeddings"], dtype=np.float32))
            offset += len(got["ids"])
            if len(got["ids"]) < step:
                break
        matrix = np.concatenate(chunks) if chunks else np.zeros((0, dim), dtype=np.float32)
        return ids, metas, matrix

    def count(self, collection: str, where: VectorFilter) -> int:
        with self.conn.use() as client:
            got = self._collection(client, collection).get(where=_where(where), include=[])
        return len(got["ids"])

    def delete(
        self, collection: str, ids: Sequence[str] = (), where: VectorFilter | None = None
    ) -> None:
        """Delete by ids (in batches), or everything the filter selects."""
        ids = list(ids)
        for i in range(0, len(ids), self.max_batch):
            with self.conn.use(write=True) as client:
                self._collection(client, collection).delete(ids=ids[i : i + self.max_batch])
        if where is not None:
            with self.conn.use(write=True) as client:
                self._collection(client, collection).delete(where=_where(where))

    def collections(self) -> list[str]:
        with self.conn.use() as client:
            return [c if isinstance(c, str) else c.name for c in client.list_collections()]


def open_vector_index(settings: Settings) -> ChromaVectors:
    """The vector database ``settings`` select (the one place a new backend plugs in)."""
    return ChromaVectors.open(settings)
