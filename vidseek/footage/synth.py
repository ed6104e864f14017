"""Small synthetic clips for tests and benchmarks, made with ffmpeg's test sources: a frame
counter burned in as black/white blocks (read back exactly with ``read_counter``), variable frame
rate, cuts and a dissolve between test patterns, tones.

Files are cheap to make but tests share them: ``cached_clip`` builds one once (atomic rename) and
reuses it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from vidseek.media.ffmpeg import run_tool

COUNTER_BITS = 16  # blocks of 20 px across a 320 px band
COUNTER_BAND = 40  # rows of the counter band
H264_FAST = ["-c:v", "libx264", "-preset", "veryfast"]


def cached_clip(folder: Path, name: str, make: Callable[[Path], object]) -> Path:
    """``folder/name``, built by ``make(tmp_path)`` the first time (atomic rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / name
    if not out.is_file():
        tmp = folder / f".part-{os.getpid()}-{name}"
        make(tmp)
        tmp.replace(out)
    return out


def _counter_filter() -> str:
    bits = (
        f"if(lt(Y\\,{COUNTER_BAND})\\,if(mod(floor(N/pow(2\\,floor(X/20)))\\,2)\\,235\\,16)\\,64)"
    )
    return (
        f"format=gray,geq=lum='{bits}',"
        "drawtext=text='%{frame_num}':x=100:y=120:fontsize=48:fontcolor=white,format=yuv420p"
    )


def counter_video(
    path: Path,
    seconds: float = 20.0,
    fps: int = 10,
    gop: int = 25,
    size: str = "320x240",
    audio: bool = False,
    faststart: bool = False,
) -> Path:
    """CFR H.264 mp4 whose frame n shows n in binary in its top band (B-frames on)."""
    cmd: list[str | Path] = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi"]
    cmd += ["-i", f"color=c=gray:s={size}:r={fps}:d={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    cmd += ["-vf", _counter_filter(), *H264_FAST, "-g", str(gop), "-bf", "2", "-sc_threshold", "0"]
    cmd += ["-c:a", "aac", "-shortest"] if audio else ["-an"]
    if faststart:
        cmd += ["-movflags", "+faststart"]
    run_tool([*cmd, path], path)
    return path


def vfr_pts(n_frames: int) -> list[float]:
    """Presentation times of ``vfr_counter_video``: gaps cycle through 40, 100, 200 ms."""
    gaps = (0.04, 0.1, 0.2)
    times, t = [], 0.0
    for i in range(n_frames):
        times.append(round(t, 3))
        t += gaps[i % 3]
    return times


def vfr_counter_video(path: Path, n_frames: int = 150, gop: int = 30) -> Path:
    """VFR H.264 mkv (ms time base) with the counter; frame n is shown at ``vfr_pts(...)[n]``."""
    expr = "(floor(N/3)*0.34+gte(mod(N\\,3)\\,1)*0.04+gte(mod(N\\,3)\\,2)*0.1)/TB"
    vf = f"{_counter_filter()},settb=1/1000,setpts='{expr}'"
    run_tool(
        [
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=320x240:r=25",
            "-frames:v", str(n_frames), "-vf", vf, "-fps_mode", "passthrough",
            "-enc_time_base:v", "1/1000", *H264_FAST, "-g", str(gop), "-bf", "2", path,
        ],
        path,
    )  # fmt: skip
    return path


def read_counter(image: np.ndarray) -> int:
    """Read the frame number back from a counter frame at any scale (blocks are 1/16 of the
    width)."""
    h, w = image.shape[:2]
    band = image[: max(1, int(h * COUNTER_BAND / 240 * 0.8)), :, :].mean(axis=2)
    value = 0
    for bit in range(COUNTER_BITS):
        x0, x1 = int(w * bit / COUNTER_BITS), int(w * (bit + 1) / COUNTER_BITS)
        pad = max(1, (x1 - x0) // 4)
        if band[:, x0 + pad : x1 - pad].mean() > 128:
            value |= 1 << bit
    return value


def pattern_clip(
    path: Path,
    source: str = "testsrc2=s=320x240:r=10:d=5",
    gop: int | None = None,
    preset: str = "veryfast",
) -> Path:
    """One lavfi video source (``testsrc2``, ``color``, ``smptebars`` ...) as H.264 yuv420p mp4."""
    cmd: list[str | Path] = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source]
    cmd += ["-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p"]
    if gop:
        cmd += ["-g", str(gop)]
    run_tool([*cmd, path], path)
    return path


def joined_patterns(path: Path, sources: Sequence[str], filter_complex: str) -> Path:
    """Several lavfi sources combined by ``filter_complex`` (cuts, dissolves) into one mp4."""
    cmd: list[str | Path] = ["ffmpeg", "-v", "error", "-y"]
    for src in sources:
        cmd += ["-f", "lavfi", "-i", src]
    run_tool([*cmd, "-filter_complex", filter_complex, *H264_FAST, path], path)
    return path


def cut_patterns(path: Path, seconds: Sequence[float], fps: int = 10) -> Path:
    """Hard cuts between distinct test patterns (testsrc2, smptebars, rgbtestsrc, ...) lasting
    ``seconds`` each: shot boundaries at their running sums."""
    kinds = ("testsrc2", "smptebars", "rgbtestsrc", "mandelbrot")
    if len(seconds) > len(kinds):
        raise ValueError(f"at most {len(kinds)} patterns")
    sources = [f"{k}=s=320x240:r={fps}:d={d:g}" for k, d in zip(kinds, seconds, strict=False)]
    labels = "".join(f"[{i}]" for i in range(len(sources)))
    total = sum(seconds)
    graph = f"{labels}concat=n={len(sources)}:v=1,format=yuv420p,trim=duration={total:g}"
    return joined_patterns(path, sources, graph)


def tone(path: Path, seconds: float = 2.0, frequency: int = 300) -> Path:
    """An audio-only file (AAC in the container ``path``'s suffix names) holding a sine tone."""
    src = f"sine=frequency={frequency}:duration={seconds:g}"
    run_tool(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", src, "-c:a", "aac", path], path)
    return path
