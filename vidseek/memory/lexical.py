"""Lexical matching (BM25) for the hybrid search: embeddings blur codes, numbers and names
("gate 4417" is near "gate 4471"), exact tokens do not."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
STOPWORDS = frozenset(
    "a an and are as at be but by did do does for from had has have he her his how i in is it its "
    "of on or she so than that the their them then there these they this to was were what when "
    "where which who whom why will with you your we our us me my not no".split()
)


def tokenize(text: str, drop_stopwords: bool = False) -> list[str]:
    """Lower-case word and number tokens; ``3.5`` and ``o'neil`` stay one token."""
    tokens = _TOKEN.findall(text.lower())
    if drop_stopwords:
        tokens = [t for t in tokens if t not in STOPWORDS]
    return tokens


class BM25:
    """Okapi BM25 with the always-positive idf ``log(1 + (N - n + 0.5) / (n + 0.5))``.

    Built once per (video, corpus) and kept by the VideoIndex; scoring is a sparse sum."""

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n_docs = len(docs)
        tfs = [Counter(tokenize(d)) for d in docs]
        lengths = np.array([sum(tf.values()) for tf in tfs], dtype=np.float32)
        self.avg_len = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
        norm = k1 * (1 - b + b * lengths / self.avg_len)
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        acc: dict[str, tuple[list[int], list[float]]] = {}
        for i, tf in enumerate(tfs):
            for term, f in tf.items():
                ids, ws = acc.setdefault(term, ([], []))
                ids.append(i)
                ws.append(f * (k1 + 1) / (f + norm[i]))
        for term, (ids, ws) in acc.items():
            idf = math.log(1 + (self.n_docs - len(ids) + 0.5) / (len(ids) + 0.5))
            self.postings[term] = (
                np.array(ids, dtype=np.int64),
                np.array(ws, dtype=np.float32) * idf,
            )

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=np.float32)
        for term in set(tokenize(query, drop_stopwords=True)):
            hit = self.postings.get(term)
            if hit is not None:
                out[hit[0]] += hit[1]
        return out

    def top(self, query: str, n: int) -> list[tuple[int, float]]:
        """(doc index, score) of the best ``n`` documents sharing at least one query term."""
        s = self.scores(query)
        nz = np.flatnonzero(s > 0)
        if not len(nz):
            return []
        order = nz[np.argsort(-s[nz], kind="stable")][:n]
        return [(int(i), float(s[i])) for i in order]
