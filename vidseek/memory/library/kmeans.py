"""Spherical k-means for the library index's two-level coarse quantizer.

Vectors are unit length, so the nearest centroid is the one with the largest dot product and a
centroid is the normalised mean of its members. Training runs on a sample; assignment of every
vector runs in chunks so memory stays bounded by the chunk, not by the library.
"""

from __future__ import annotations

import numpy as np

CHUNK = 32_768


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def assign(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid of every row of ``x``, chunk by chunk."""
    out = np.empty(len(x), dtype=np.int32)
    for i in range(0, len(x), CHUNK):
        block = np.asarray(x[i : i + CHUNK], dtype=np.float32)
        out[i : i + len(block)] = np.argmax(block @ centroids.T, axis=1)
    return out


def train(sample: np.ndarray, k: int, iters: int = 8, seed: int = 0) -> np.ndarray:
    """``k`` unit centroids of ``sample`` (fewer when the sample is smaller); empty clusters are
    re-seeded from the rows worst served by their centroid, so no centroid is wasted."""
    sample = normalise(sample)
    n = len(sample)
    k = max(1, min(int(k), n))
    rng = np.random.default_rng(seed)
    cent = sample[rng.choice(n, size=k, replace=False)].copy()
    for _ in range(iters):
        sims = sample @ cent.T
        lab = np.argmax(sims, axis=1)
        best = sims[np.arange(n), lab]
        sums = np.zeros_like(cent)
        np.add.at(sums, lab, sample)
        counts = np.bincount(lab, minlength=k)
        empty = np.flatnonzero(counts == 0)
        if len(empty):
            worst = np.argsort(best)[: len(empty)]
            sums[empty] = sample[worst]
        cent = normalise(sums)
    return cent
