"""Library-wide search at N video-hours (``benchmarks/search.py --video-hours 1000``).

The data model (synthetic, stated because uniform random vectors have no neighbour structure and
no real library looks like them): a library of 2-hour videos, one CLIP frame vector per second
(512-d) and one caption vector per 10 s clip (384-d). Each video is cut into scenes of
30 s + Exp(90 s) (mean 2 min, one setting: a room, a street) and each scene into shots of
1 + Exp(7) s (mean ~8 s). A scene's centroid mixes a direction shared by all footage, a per-video
direction and its own (0.5 / 0.5 / 0.7); a shot's centroid is its scene's plus 0.6 of its own
direction (cosine ~0.74 between shots of one scene); its frames are near-duplicates of it
(uniform noise, cosine ~0.9 to the centroid). A clip caption is the text-space centroid of its
scene plus half its shot's own text direction plus noise (cosine ~0.6 between captions of one
scene). Queries are noisy copies of stored vectors (cosine ~0.86-0.9), i.e. "find this moment
again". The same figures on uniformly random unit vectors (360 k x 384) are printed too: there
every neighbour is a near-tie and no ANN reaches recall.

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
# (probe_top, nprobe) measured per space; the defaults of LibrarySearch are in its PROBES
SETTINGS = {
    "frames": ((6, 24), (12, 32), (16, 48)),
    "captions": ((12, 32), (12, 128), (12, 192)),
    "uniform": ((12, 32), (12, 192)),
}
MODEL = "scenes-v2"  # the data model below; a change gets a fresh cache folder


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
    t = np.arange(VIDEO_S, dtype=np.float32) + 0.5
    scene_end = np.cumsum(30 + rng.exponential(90.0, size=VIDEO_S // 30))
    shot_end = np.cumsum(1 + rng.exponential(7.0, size=VIDEO_S))
    shot_end = shot_end[: int(np.searchsorted(shot_end, VIDEO_S)) + 1]
    # a shot belongs to the scene holding its start; scenes cut shots that straddle them
    shot_end = np.union1d(shot_end, scene_end[scene_end < shot_end[-1]])
    scene_of_shot = np.searchsorted(scene_end, shot_end - 1e-3)
    n_scenes, n_shots = int(scene_of_shot.max()) + 1, len(shot_end)

    def space(dim: int, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        topic = _unit(rng.standard_normal(dim, dtype=np.float32))
        scenes = _unit(
            0.5 * g
            + 0.5 * topic
            + 0.7 * _unit(rng.standard_normal((n_scenes, dim), dtype=np.float32))
        )
        own = _unit(rng.standard_normal((n_shots, dim), dtype=np.float32))
        return scenes, own

    scenes_i, own_i = space(CLIP_DIM, g_img)
    scenes_t, own_t = space(TEXT_DIM, g_txt)
    shots_i = _unit(scenes_i[scene_of_shot] + 0.6 * own_i)
    shot_of = np.searchsorted(shot_end, t)
    frames = _unit(shots_i[shot_of] + _noise(rng, (VIDEO_S, CLIP_DIM), 0.02))
    mid_shot = np.searchsorted(shot_end, np.arange(0, VIDEO_S, 10, dtype=np.float32) + 5)
    caps = scenes_t[scene_of_shot[mid_shot]] + 0.5 * own_t[mid_shot]
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
    if (folder / "uniform" / "meta.json").exists():  # same for every model: keep it
        return {"generate_s": gen_s, "build_s": time.perf_counter() - t0, "videos": videos}
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
            [rows, index.rows_at(i, sims.shape[1])[None].repeat(len(qs), 0)], 1
        )
        top = np.argpartition(-cand, k - 1, axis=1)[:, :k]
        best = np.take_along_axis(cand, top, 1)
        rows = np.take_along_axis(cand_rows, top, 1)
    return [{index.vector_id(int(r)) for r in rr} for rr in rows]


def measure(index: LibraryIndex, qs: np.ndarray, truth: list[list[str]], space: str) -> dict:
    """ANN latency and recall@10 at each probe setting (this process reads only probed lists)."""
    out: dict = {"vectors": index.count, "kind": index.kind, "settings": {}}
    for q in qs[:5]:  # warm the coarse arrays
        index.search(q, 10)
    anon = rss().get("RssAnon", 0.0)
    for probe_top, nprobe in SETTINGS[space]:
        lat, rec = [], []
        for i, (q, want) in enumerate(zip(qs, truth, strict=True)):
            t0 = time.perf_counter()
            hits = index.search(q, 10, probe_top=probe_top, nprobe=nprobe)
            lat.append((time.perf_counter() - t0) * 1000)
            rec.append(len({h.vector_id for h in hits} & set(want)) / len(want))
            if i % 20 == 0:
                anon = max(anon, rss().get("RssAnon", 0.0))
        out["settings"][f"{probe_top}/{nprobe}"] = {
            "p50_ms": statistics.median(lat),
            "p95_ms": float(np.percentile(lat, 95)),
            "recall10": float(np.mean(rec)),
        }
    out["peak_anon_mib"] = anon  # sampled every 20 queries
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


SPACES = (("frames", 0.02), ("captions", 0.03), ("uniform", 0.03))


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
    folder = db / f"library-{MODEL}-{hours:g}h-seed{seed}"
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
        m = measure(index, qs, exact[name]["truth"], name)
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
