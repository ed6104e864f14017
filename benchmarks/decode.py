"""Decode throughput: frames at ``--fps`` from a >= 30-minute haystack of real clips.

Prints video-seconds decoded per wall-second (median of ``--repeats`` runs) for decord
sequential, PyAV sequential and parallel keyframe-aligned decoding, each with its ratio to
decord sequential (the baseline, measured in the same run). Targets: parallel >= 1.7x on 2
cores, >= 8x on 16 cores.

The haystack is ``vidseek.footage.long_haystack`` (the registry sample clips, fetched and
cached on first use); without it (offline machine), the normalised Intel clips of
``--clips`` (default ../shared/media/intel) are joined with ``vidseek.footage.authoring.concat`` (``-c copy``);
``--video`` uses any file (repeated by packet copy until it lasts ``--minutes``).

    .venv/bin/python benchmarks/decode.py [--minutes 30] [--fps 1] [--workers 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from vidseek.config import Settings
from vidseek.footage.authoring import concat
from vidseek.media.frames import open_frame_source
from vidseek.media.parallel import iter_frame_batches, resolve_workers, sample_times
from vidseek.media.probe import probe

log = logging.getLogger("benchmarks.decode")
REPO = Path(__file__).resolve().parents[1]
CHUNK = 64  # sequential readers decode this many times per call (streaming, bounded memory)


def concat_clips(clips_dir: Path, min_s: float, out: Path, settings: Settings) -> Path:
    """Join the normalised clips (640x360, 10 fps) of a folder, repeated, until ``min_s``."""
    clips = sorted(p for p in clips_dir.glob("*.mp4") if p.is_file())
    if not clips:
        raise SystemExit(f"no clips in {clips_dir}")
    durations = {c: probe(c, settings).duration_s for c in clips}
    chosen, total = [], 0.0
    while total < min_s:
        for c in clips:
            chosen.append(c)
            total += durations[c]
    concat(chosen, out)
    return out


def loop_video(src: Path, min_s: float, out: Path) -> Path:
    """Repeat a video's stream (packet copy with shifted timestamps, PyAV only: works on machines
    without the ffmpeg tool) until it lasts ``min_s``."""
    import av

    with av.open(str(src)) as inp, av.open(str(out), "w") as dst:
        ist = inp.streams.video[0]
        ost = dst.add_stream_from_template(ist)
        packets = [p for p in inp.demux(ist) if p.pts is not None and p.size]
        start = min(p.pts for p in packets)
        span = max(p.pts + (p.duration or 0) for p in packets) - start
        reps = max(1, int(-(-min_s // float(span * ist.time_base))))
        for r in range(reps):
            for p in packets:
                q = av.Packet(bytes(p))
                q.pts = p.pts - start + r * span
                q.dts = (p.dts if p.dts is not None else p.pts) - start + r * span
                q.duration, q.is_keyframe, q.time_base = p.duration, p.is_keyframe, p.time_base
                q.stream = ost
                dst.mux(q)
    return out


def haystack(args: argparse.Namespace, settings: Settings) -> Path:
    min_s = args.minutes * 60
    if args.video:
        video = Path(args.video)
        if probe(video, settings).duration_s + 1e-3 >= min_s:
            return video
        out = Path(tempfile.gettempdir()) / f"vidseek-bench-loop-{video.stem}-{int(min_s)}.mp4"
        return out if out.is_file() else loop_video(video, min_s, out)
    try:
        from vidseek.footage import long_haystack

        return long_haystack(settings, min_duration_s=min_s)
    except Exception as exc:  # offline machine or samples module absent: use the Intel clips
        log.warning("long_haystack unavailable (%s); joining %s", exc, args.clips)
    out = Path(tempfile.gettempdir()) / f"vidseek-bench-intel-{int(min_s)}.mp4"
    if not out.is_file():
        concat_clips(Path(args.clips), min_s, out, settings)
    return out


def run_sequential(
    path: Path, times: list[float], settings: Settings, backend: str, max_side: int
) -> int:
    source = open_frame_source(path, settings, backend=backend, fallback=False)
    n = 0
    try:
        for a in range(0, len(times), CHUNK):
            n += len(source.frames_at(times[a : a + CHUNK], max_side=max_side))
    finally:
        source.close()
    return n


def run_parallel(
    path: Path,
    times: list[float],
    settings: Settings,
    backend: str | None,
    workers: int,
    max_side: int,
) -> int:
    n = 0
    for batch in iter_frame_batches(
        path, times, settings, batch_size=32, workers=workers, max_side=max_side, backend=backend
    ):
        n += len(batch)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="video length to decode")
    ap.add_argument("--fps", type=float, default=1.0, help="sampled frames per video-second")
    ap.add_argument("--workers", type=int, default=0, help="parallel workers (0 = all cores)")
    ap.add_argument("--max-side", type=int, default=448, help="frames downscaled to this side")
    ap.add_argument("--repeats", type=int, default=3, help="runs per mode (median is quoted)")
    ap.add_argument("--parallel-backend", default=None, help="pyav | decord (default: auto)")
    ap.add_argument("--video", default=None, help="use this file instead of the haystack")
    ap.add_argument("--clips", default=str(REPO.parent / "shared" / "media" / "intel"))
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(stderr=args.json)
    settings = Settings()
    path = haystack(args, settings)
    info = probe(path, settings)
    span = min(info.duration_s, args.minutes * 60)
    times = sample_times(span, args.fps)
    workers = resolve_workers(settings, args.workers)
    modes = {
        "decord sequential": lambda: run_sequential(path, times, settings, "decord", args.max_side),
        "pyav sequential": lambda: run_sequential(path, times, settings, "pyav", args.max_side),
        f"parallel ({workers} workers)": lambda: run_parallel(
            path, times, settings, args.parallel_backend, workers, args.max_side
        ),
    }
    walls: dict[str, list[float]] = {m: [] for m in modes}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("decoding", total=args.repeats * len(modes))
        for _ in range(args.repeats):
            for name, fn in modes.items():  # interleaved, so that noise hits all modes alike
                t0 = time.perf_counter()
                n = fn()
                walls[name].append(time.perf_counter() - t0)
                if n != len(times):
                    raise SystemExit(f"{name}: decoded {n} frames, expected {len(times)}")
                progress.advance(task)
    base = span / statistics.median(walls["decord sequential"])
    rows = []
    for name, w in walls.items():
        rate = span / statistics.median(w)
        rows.append(
            {
                "mode": name,
                "video_s_per_s": round(rate, 1),
                "ratio": round(rate / base, 2),
                "median_wall_s": round(statistics.median(w), 2),
                "walls_s": [round(x, 2) for x in w],
            }
        )
    result = {
        "video": str(path),
        "video_s": span,
        "fps": args.fps,
        "frames": len(times),
        "max_side": args.max_side,
        "workers": workers,
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "modes": rows,
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(
        title=f"decode {span / 60:.1f} min at {args.fps} fps -> {len(times)} frames "
        f"({args.max_side} px), {os.cpu_count()} cpus, load {result['load_avg_1m']}"
    )
    for col in ("mode", "video-s / wall-s (median)", "x decord sequential", "walls (s)"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["mode"],
            f"{r['video_s_per_s']:.1f}",
            f"{r['ratio']:.2f}x",
            " ".join(f"{x:.1f}" for x in r["walls_s"]),
        )
    console.print(table)


if __name__ == "__main__":
    main()
