"""Library-wide search at N video-hours (``benchmarks/search.py --video-hours 1000``).

The data model (synthetic, stated because uniform random vectors have no neighbour structure and
no real library looks like them): a library of 2-hour videos, one CLIP frame vector per second
(512-d) and one caption vector per 10 s clip (384-d). Each video is cut into shots of 1 + Exp(7) s
(mean ~8 s). A shot's centroid mixes a direction shared by all footage, a per-video direction and
its own random direction (0.5 / 0.5 / 0.7); its frames are near-duplicates of it (centroid +
uniform noise, cosine ~0.85 to the centroid); a clip caption is its shot's text centroid plus noise.
Queries are noisy copies of stored vectors (cosine ~0.75), i.e. "find this moment again". The same
figures on uniformly random unit vectors (the caption-sized set, 360 k x 384) are printed too.

Measured in one run: p50 / p95 latency of the ANN index (``LibraryIndex.search``), the exact
chunked scan of the same memory-mapped vectors (on a subset of queries: it reads every vector),
recall@10 of the ANN against exact top-10 for every query, build time (cached), disk size, peak RSS
of the query process (anonymous vs file-backed pages of the memory map).
"""

from __future__ import annotations

import json
import logging
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from vidseek.memory.library.index import LibraryIndex, LibraryIndexWriter

log = logging.getLogger("bench.library")
VIDEO_S = 7200
CLIP_DIM, TEXT_DIM = 512, 384
SETTINGS = ((4, 12), (6, 24), (8, 48))  # (probe_top, nprobe) measured; the middle is the default


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _noise(rng: np.random.Generator, shape: tuple[int, ...], std: float) -> np.ndarray:
    return (rng.random(shape, dtype=np.float32) - 0.5) * np.float32(std * 12**0.5)


def synth_video(v: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One video of the model above: (frames 7200x512, captions 720x384, frame times)."""
    rng = np.random.default_rng([seed, v])
    g_rng = np.random.default_rng([seed, 10**9])
    g_img = _unit(g_rng.standard_normal(CLIP_DIM, dtype=np.float32))
    g_txt = _unit(g_rng.standard_normal(TEXT_DIM, dtype=np.float32))
    lengths = 1 + rng.exponential(7.0, size=VIDEO_S)
    bounds = np.cumsum(lengths)
    n_shots = int(np.searchsorted(bounds, VIDEO_S)) + 1
    t = np.arange(VIDEO_S, dtype=np.float32) + 0.5
    shot_of = np.searchsorted(bounds[:n_shots], t)
    topic_i = _unit(rng.standard_normal(CLIP_DIM, dtype=np.float32))
    topic_t = _unit(rng.standard_normal(TEXT_DIM, dtype=np.float32))
    own_i = _unit(rng.standard_normal((n_shots, CLIP_DIM), dtype=np.float32))
    own_t = _unit(rng.standard_normal((n_shots, TEXT_DIM), dtype=np.float32))
    cen_i = _unit(0.5 * g_img + 0.5 * topic_i + 0.7 * own_i)
    cen_t = _unit(0.5 * g_txt + 0.5 * topic_t + 0.7 * own_t)
    frames = _unit(cen_i[shot_of] + _noise(rng, (VIDEO_S, CLIP_DIM), 0.028))
    clip_mid = np.arange(0, VIDEO_S, 10, dtype=np.float32) + 5
    caps = _unit(cen_t[np.searchsorted(bounds[:n_shots], clip_mid)])
    caps = _unit(caps + _noise(rng, caps.shape, 0.03))
    return frames, caps, t


def build(folder: Path, hours: float, seed: int) -> dict:
    """Write the frame and caption indexes of ``hours`` video-hours; returns timings."""
    videos = max(1, round(hours * 3600 / VIDEO_S))
    t0 = time.perf_counter()
    fw = LibraryIndexWriter(folder / "frames", CLIP_DIM, stamp=f"synth-{seed}")
    cw = LibraryIndexWriter(folder / "captions", TEXT_DIM, stamp=f"synth-{seed}")
    for v in range(videos):
        vid = f"synth{v:05d}"
        frames, caps, t = synth_video(v, seed)
        fw.add(vid, [f"{vid}:frame:{int(x * 1000):010d}" for x in t], frames, t, t, "frame")
        cs = np.arange(len(caps), dtype=np.float32) * 10
        cw.add(vid, [f"{vid}:clip:{i:06d}" for i in range(len(caps))], caps, cs, cs + 10, "clip")
        if v % 50 == 0:
            log.warning("generated %d/%d videos (%.0f s)", v, videos, time.perf_counter() - t0)
    gen_s = time.perf_counter() - t0
    fw.finish(seed=seed)
    cw.finish(seed=seed)
    rng = np.random.default_rng(seed + 1)
    uw = LibraryIndexWriter(folder / "uniform", TEXT_DIM, stamp="uniform")
    n_u = videos * 720
    for i in range(0, n_u, 7200):
        m = min(7200, n_u - i)
        vecs = rng.standard_normal((m, TEXT_DIM), dtype=np.float32)
        uw.add(
            f"uniform{i // 7200:05d}",
            [f"u{i + j}" for j in range(m)],
            vecs,
            [0] * m,
            [0] * m,
            "clip",
        )
    uw.finish(seed=seed)
    return {"generate_s": gen_s, "build_s": time.perf_counter() - t0, "videos": videos}


def rss() -> dict[str, float]:
    out = {"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(line.split()[1]) / 1024
    return out


def queries(index: LibraryIndex, n: int, std: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(index.count, size=n, replace=False))
    base = np.asarray(index.vectors[rows])
    return _unit(base + _noise(rng, base.shape, std))


def ground_truth(index: LibraryIndex, qs: np.ndarray, k: int = 10) -> list[set[str]]:
    """Exact top-k ids of every query in one chunked pass over all vectors."""
    best = np.full((len(qs), k), -np.inf, dtype=np.float32)
    rows = np.zeros((len(qs), k), dtype=np.int64)
    for i in range(0, index.count, 65_536):
        sims = qs @ np.asarray(index.vectors[i : i + 65_536]).T
        cand = np.concatenate([best, sims], axis=1)
        cand_rows = np.concatenate(
            [rows, np.arange(i, i + sims.shape[1])[None].repeat(len(qs), 0)], 1
        )
        top = np.argpartition(-cand, k - 1, axis=1)[:, :k]
        best = np.take_along_axis(cand, top, 1)
        rows = np.take_along_axis(cand_rows, top, 1)
    return [{index.vector_id(int(r)) for r in rr} for rr in rows]


def measure(index: LibraryIndex, qs: np.ndarray, truth: list[list[str]]) -> dict:
    """ANN latency and recall@10 at each probe setting (this process reads only probed lists)."""
    out: dict = {"vectors": index.count, "kind": index.kind, "settings": {}}
    for q in qs[:5]:  # warm the coarse arrays
        index.search(q, 10)
    for probe_top, nprobe in SETTINGS:
        lat, rec = [], []
        for q, want in zip(qs, truth, strict=True):
            t0 = time.perf_counter()
            hits = index.search(q, 10, probe_top=probe_top, nprobe=nprobe)
            lat.append((time.perf_counter() - t0) * 1000)
            rec.append(len({h.vector_id for h in hits} & set(want)) / len(want))
        out["settings"][f"{probe_top}/{nprobe}"] = {
            "p50_ms": statistics.median(lat),
            "p95_ms": float(np.percentile(lat, 95)),
            "recall10": float(np.mean(rec)),
        }
    return out


def exact_pass(index: LibraryIndex, qs: np.ndarray, exact_n: int) -> dict:
    """Ground truth for every query (one batched pass) and the latency of the exact scan one
    query at a time (on the first ``exact_n`` queries: each reads every vector)."""
    t0 = time.perf_counter()
    truth = ground_truth(index, qs)
    gt_s = time.perf_counter() - t0
    lat = []
    for q, want in zip(qs[:exact_n], truth[:exact_n], strict=True):
        t0 = time.perf_counter()
        hits = index.exact(q, 10)
        lat.append((time.perf_counter() - t0) * 1000)
        assert {h.vector_id for h in hits} == want, "exact scan disagrees with the batch pass"
    return {
        "truth": [sorted(t) for t in truth],
        "ground_truth_s": gt_s,
        "exact_p50_ms": statistics.median(lat),
        "exact_p95_ms": float(np.percentile(lat, 95)),
        "exact_queries": len(lat),
    }


def du_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


SPACES = (("frames", 0.022), ("captions", 0.03), ("uniform", 0.03))


def exact_all(folder: Path, n_queries: int, exact_n: int, seed: int) -> dict:
    """Queries, ground truth and exact latency of every space (run in a child process)."""
    out = {}
    for name, std in SPACES:
        index = LibraryIndex(folder / name)
        qs = queries(index, n_queries, std, seed + 7)
        np.save(folder / f"queries-{name}-{n_queries}.npy", qs)
        out[name] = exact_pass(index, qs, exact_n)
        del index
    out["exact_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run(db: Path, hours: float, n_queries: int, exact_n: int, seed: int = 0) -> dict:
    """Build and run the exact pass in child processes (both cached), then measure the ANN
    index here, so this process's RSS is that of the queries alone."""
    folder = db / f"library-{hours:g}h-seed{seed}"
    me = [sys.executable, __file__, str(folder)]
    if not (folder / "built.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([*me, "build", str(hours), str(seed)], check=True)
    truth_file = folder / f"exact-{n_queries}-{exact_n}.json"
    if not truth_file.exists():
        subprocess.run([*me, "exact", str(n_queries), str(exact_n), str(seed)], check=True)
    built = json.loads((folder / "built.json").read_text())
    exact = json.loads(truth_file.read_text())
    figures: dict = {"hours": hours, "build": built, "disk_mib": du_mib(folder), "spaces": {}}
    figures["exact_peak_rss_mib"] = exact["exact_peak_rss_mib"]
    for name, _std in SPACES:
        index = LibraryIndex(folder / name)
        qs = np.load(folder / f"queries-{name}-{n_queries}.npy")
        m = measure(index, qs, exact[name]["truth"])
        m.update({k: v for k, v in exact[name].items() if k != "truth"})
        figures["spaces"][name] = m
        del index
    figures["rss"] = rss()
    return figures


if __name__ == "__main__":  # the children of ``run``: the build, the exact pass
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    out, mode, args = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    if mode == "build":
        res = build(out, float(args[0]), int(args[1]))
        res["build_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        (out / "built.json").write_text(json.dumps(res))
    else:
        res = exact_all(out, int(args[0]), int(args[1]), int(args[2]))
        (out / f"exact-{args[0]}-{args[1]}.json").write_text(json.dumps(res))
