"""Shot boundaries (cuts and gradual transitions) from cheap frame features.

Each frame becomes a small feature: HSV colour histograms plus an 8x8 grey thumbnail of the
downscaled frame. Two distances drive the detector: between consecutive samples (cuts) and
between samples about a second apart (gradual transitions: dissolves and fades change little
per frame but a lot per second). A distance is a boundary when it is a local peak and stands
``media.shot_threshold`` median absolute deviations above the median of its neighbourhood (an
adaptive threshold: busy footage needs a bigger jump than a static camera), and above a floor.

:class:`ShotDetector` consumes streamed batches (it keeps only the features, never frames);
``refine_shots`` revisits the result with CLIP embeddings once a model has produced them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from vidseek.config import Settings
from vidseek.media.types import DecodeDamage, Frame, Shot, VideoInfo

log = logging.getLogger(__name__)

SHOT_FPS = 4.0  # sampling rate of detect_shots: boundaries are placed within 1/8 s
SHOT_MAX_SIDE = 128
_CUT_FLOOR = 0.2  # a cut needs at least this distance (0..1), whatever the neighbourhood
_GRADUAL_FLOOR = 0.25
_WINDOW_S = 6.0  # neighbourhood on each side for the adaptive threshold
_GRADUAL_SPAN_S = 1.0
_MAD_FLOOR = 0.01
_SPREAD = 0.5  # neighbouring steps this close to a peak make it one gradual transition  # static footage has MAD ~ 0: keep the threshold above noise


def frame_feature(image: np.ndarray) -> np.ndarray:
    """Concatenated, normalised HSV histograms (16 H, 8 S, 8 V bins) and an 8x8 grey layout."""
    h, w = image.shape[:2]
    step = max(1, max(h, w) // 64)
    small = image[::step, ::step].astype(np.float32) / 255.0
    r, g, b = small[..., 0], small[..., 1], small[..., 2]
    mx, mn = small.max(axis=2), small.min(axis=2)
    delta = mx - mn
    safe = np.where(delta > 1e-6, delta, 1.0)
    hue = np.where(
        mx == r, ((g - b) / safe) % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4)
    )
    hue = np.where(delta > 1e-6, hue / 6.0, 0.0)
    sat = np.where(mx > 1e-6, delta / np.where(mx > 1e-6, mx, 1.0), 0.0)
    parts = []
    for values, bins in ((hue, 16), (sat, 8), (mx, 8)):
        hist, _ = np.histogram(values, bins=bins, range=(0.0, 1.0))
        parts.append(hist / max(1, values.size))
    grey = small.mean(axis=2)
    gy = np.linspace(0, grey.shape[0], 9).astype(int)
    gx = np.linspace(0, grey.shape[1], 9).astype(int)
    layout = np.array(
        [
            grey[gy[i] : max(gy[i + 1], gy[i] + 1), gx[j] : max(gx[j + 1], gx[j] + 1)].mean()
            for i in range(8)
            for j in range(8)
        ],
        dtype=np.float64,
    )
    return np.concatenate([*parts, layout])


def feature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """0 (same) .. 1 (nothing alike): half colour-histogram L1, half mean layout difference."""
    hist = 0.5 * float(np.abs(a[:32] - b[:32]).sum()) / 3.0
    layout = float(np.abs(a[32:] - b[32:]).mean())
    return 0.5 * hist + 0.5 * min(1.0, 4.0 * layout)


def _peaks(
    dist: np.ndarray, window: int, k: float, floor: float, radius: int
) -> list[tuple[int, float]]:
    """Indices whose distance is a local max (within ``radius``) and an outlier of its window."""
    found = []
    n = len(dist)
    for i in range(n):
        d = dist[i]
        if not np.isfinite(d) or d < floor:
            continue
        lo, hi = max(0, i - radius), min(n, i + radius + 1)
        if d < np.nanmax(dist[lo:hi]):
            continue
        neigh = np.concatenate(
            [dist[max(0, i - window) : max(0, i - radius)], dist[i + radius + 1 : i + window + 1]]
        )
        neigh = neigh[np.isfinite(neigh)]
        if neigh.size < 2:
            med, mad = 0.0, _MAD_FLOOR
        else:
            med = float(np.median(neigh))
            mad = max(float(np.median(np.abs(neigh - med))), _MAD_FLOOR)
        score = (d - med) / mad
        if score >= k:
            found.append((i, float(score)))
    return found


class ShotDetector:
    """Incremental shot detection: ``update(frames)`` per streamed batch, then ``finish``.

    Frames must arrive in time order; only their features are kept (about 100 floats each).
    """

    def __init__(self, settings: Settings) -> None:
        self.threshold = settings.media.shot_threshold
        self.min_len_s = settings.media.shot_min_len_s
        self._times: list[float] = []
        self._features: list[np.ndarray] = []

    def update(self, frames: Iterable[Frame]) -> None:
        for f in frames:
            t = float(f.requested_s if f.requested_s is not None else f.time_s)
            if self._times and t < self._times[-1]:
                raise ValueError("ShotDetector needs frames in time order")
            self._times.append(t)
            self._features.append(frame_feature(f.image))

    @property
    def times_s(self) -> list[float]:
        return list(self._times)

    def boundaries(self) -> list[tuple[float, str, float]]:
        """(time_s, "cut" | "gradual", score) of every boundary found in the frames seen so far."""
        n = len(self._times)
        if n < 2:
            return []
        times = np.asarray(self._times)
        feats = self._features
        step = float(np.median(np.diff(times))) or 1.0
        window = max(4, int(round(_WINDOW_S / step)))
        span = max(2, int(round(_GRADUAL_SPAN_S / step)))
        cut_d = np.full(n, np.nan)
        long_d = np.full(n, np.nan)
        for i in range(1, n):
            cut_d[i] = feature_distance(feats[i - 1], feats[i])
            if i >= span:
                long_d[i] = feature_distance(feats[i - span], feats[i])
        cuts = _peaks(cut_d, window, self.threshold, _CUT_FLOOR, radius=1)
        found = [self._classify(times, cut_d, i, s) for i, s in cuts]
        cut_idx = [i for i, _ in cuts]
        for i, s in _peaks(long_d, window, self.threshold, _GRADUAL_FLOOR, radius=span):
            if any(abs(i - c) <= span for c in cut_idx):
                continue  # the long distance of a cut, not a transition of its own
            mid = i - span / 2
            lo, hi = int(np.floor(mid)), int(np.ceil(mid))
            found.append(((times[lo] + times[hi]) / 2, "gradual", s))
        found.sort()
        kept: list[tuple[float, str, float]] = []
        for b in found:  # two boundaries closer than min_len_s: keep the stronger one
            if kept and b[0] - kept[-1][0] < self.min_len_s:
                if b[2] > kept[-1][2]:
                    kept[-1] = b
                continue
            kept.append(b)
        return [(round(float(t), 6), kind, score) for t, kind, score in kept]

    @staticmethod
    def _classify(
        times: np.ndarray, dist: np.ndarray, i: int, score: float
    ) -> tuple[float, str, float]:
        """A jump in one step is a cut; a change spread over neighbouring steps (a dissolve or
        fade sampled mid-way) is gradual, placed at the middle of the run of large steps."""
        peak = dist[i]
        lo = hi = i
        while lo - 1 >= 1 and dist[lo - 1] >= _SPREAD * peak:
            lo -= 1
        while hi + 1 < len(dist) and dist[hi + 1] >= _SPREAD * peak:
            hi += 1
        if lo == hi:
            return (times[i - 1] + times[i]) / 2, "cut", score
        return (times[lo - 1] + times[hi]) / 2, "gradual", score

    def finish(self, duration_s: float) -> list[Shot]:
        """Shots that tile [0, duration_s]."""
        cuts = [(t, kind) for t, kind, _ in self.boundaries() if 0 < t < duration_s]
        return shots_from_boundaries(cuts, duration_s)


def shots_from_boundaries(boundaries: Sequence[tuple[float, str]], duration_s: float) -> list[Shot]:
    """Shots tiling [0, duration_s] from (time_s, transition) boundaries."""
    starts = [(0.0, "start"), *sorted((float(t), k) for t, k in boundaries if 0 < t < duration_s)]
    shots = []
    for j, (start, kind) in enumerate(starts):
        end = starts[j + 1][0] if j + 1 < len(starts) else float(duration_s)
        shots.append(Shot(start_s=round(start, 6), end_s=round(end, 6), index=j, transition=kind))
    return shots


def detect_shots(
    path: str | Path,
    settings: Settings,
    fps: float = SHOT_FPS,
    info: VideoInfo | None = None,
    on_batch: Callable[[list[Frame]], None] | None = None,
    damage: DecodeDamage | None = None,
) -> list[Shot]:
    """Shots of a whole video, decoding small frames at ``fps`` in parallel, streamed
    (``damage`` collects undecodable frames of a damaged file, see ``iter_frame_batches``)."""
    from vidseek.media.parallel import iter_frame_batches, sample_times
    from vidseek.media.probe import probe

    info = info or probe(path, settings)
    detector = ShotDetector(settings)
    times = sample_times(info.duration_s, fps)
    for batch in iter_frame_batches(
        path, times, settings, batch_size=64, max_side=SHOT_MAX_SIDE, info=info, damage=damage
    ):
        detector.update(batch)
        if on_batch is not None:
            on_batch(batch)
    return detector.finish(info.duration_s)


def refine_shots(
    shots: Sequence[Shot],
    times_s: Sequence[float],
    embeddings: np.ndarray,
    merge_above: float = 0.92,
    split_below: float = 0.55,
    min_len_s: float = 0.6,
) -> list[Shot]:
    """Second opinion from image embeddings (e.g. CLIP) of frames at ``times_s``.

    Adjacent shots whose edge frames embed alike (cosine > ``merge_above``: a flash or a camera
    shake, not a new shot) are merged; a shot is split where consecutive frames embed unlike
    (cosine < ``split_below``: a cut with similar colours). The result still tiles the video.
    """
    if not shots:
        return []
    emb = np.asarray(embeddings, dtype=np.float64)
    times = np.asarray(times_s, dtype=np.float64)
    if emb.ndim != 2 or len(emb) != len(times):
        raise ValueError("embeddings must be (len(times_s), dim)")
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    duration = shots[-1].end_s

    def members(start: float, end: float) -> np.ndarray:
        return np.nonzero((times >= start) & (times < end))[0]

    bounds: list[tuple[float, str]] = [(s.start_s, s.transition) for s in shots[1:]]
    # split inside shots
    extra: list[tuple[float, str]] = []
    for s in shots:
        idx = members(s.start_s, s.end_s)
        last = s.start_s
        for a, b in zip(idx, idx[1:], strict=False):
            cut_t = (times[a] + times[b]) / 2
            if (
                float(emb[a] @ emb[b]) < split_below
                and cut_t - last >= min_len_s
                and (s.end_s - cut_t >= min_len_s)
            ):
                extra.append((round(float(cut_t), 6), "cut"))
                last = cut_t
    bounds = sorted(bounds + extra)
    # merge across boundaries
    kept: list[tuple[float, str]] = []
    edges = [0.0] + [t for t, _ in bounds] + [duration]
    for j, (t, kind) in enumerate(bounds):
        before = members(edges[j], t)[-3:]
        after = members(t, edges[j + 2])[:3]
        if len(before) and len(after):
            a = emb[before].mean(axis=0)
            b = emb[after].mean(axis=0)
            cos = float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)
            if cos > merge_above:
                continue
        kept.append((t, kind))
    return shots_from_boundaries(kept, duration)
