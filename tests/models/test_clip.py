"""open_clip backend: shapes with the tiny random architecture (random weights are for shape
tests only, and say so), and a clear error for a missing checkpoint."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.errors import ConfigError, ModelMissingError
from vidseek.models.base import ImageTextEmbedder
from vidseek.models.clip import TINY_EMBED_DIM
from vidseek.models.loader import load_image_text_embedder


def test_random_tiny_shapes_and_warning(tmp_path, caplog) -> None:
    settings = Settings(data_dir=tmp_path, models={"device": "cpu"})
    model = load_image_text_embedder("random:clip-tiny?batch_size=3", settings)
    assert isinstance(model, ImageTextEmbedder)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for h, w in [(48, 64), (120, 90)] * 4]
    with caplog.at_level(logging.WARNING, logger="vidseek.models.clip"):
        img = model.embed_images(images)
    assert any("RANDOM weights" in r.message for r in caplog.records)
    assert img.shape == (8, TINY_EMBED_DIM) and img.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(img, axis=1), 1.0, atol=1e-4)
    txt = model.embed_texts(["a dog", "a red car on a bridge"])
    assert txt.shape == (2, TINY_EMBED_DIM)
    assert model.dim == TINY_EMBED_DIM
    assert model.embed_images([]).shape == (0, TINY_EMBED_DIM)
    # the same image gives the same vector whatever batch it is in
    again = model.embed_images(images[:1])
    np.testing.assert_allclose(again[0], img[0], atol=1e-5)


def test_bad_refs(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(ConfigError, match="random:clip-tiny"):
        load_image_text_embedder("random:clip-huge", settings)
    with pytest.raises(ModelMissingError, match="does not exist"):
        load_image_text_embedder(f"open_clip:{tmp_path}/missing.pt#ViT-B-32", settings)
    model = load_image_text_embedder("open_clip:ViT-B-32/laion2b_s34b_b79k", settings)
    with pytest.raises(ModelMissingError, match="open_clip:ViT-B-32/laion2b_s34b_b79k"):
        model.embed_texts(["x"])  # offline: the hub is unreachable
