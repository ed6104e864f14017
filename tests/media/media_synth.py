"""Synthetic test videos with a frame counter burned in as black/white blocks (readable exactly)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

BITS = 16  # blocks of 20 px across a 320 px band
BAND = 40  # rows of the counter band


def _counter_filter() -> str:
    bits = f"if(lt(Y\\,{BAND})\\,if(mod(floor(N/pow(2\\,floor(X/20)))\\,2)\\,235\\,16)\\,64)"
    return (
        f"format=gray,geq=lum='{bits}',"
        "drawtext=text='%{frame_num}':x=100:y=120:fontsize=48:fontcolor=white,format=yuv420p"
    )


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def make_counter_video(
    path: Path,
    seconds: float = 20.0,
    fps: int = 10,
    gop: int = 25,
    size: str = "320x240",
    audio: bool = False,
    faststart: bool = False,
) -> Path:
    """CFR H.264 mp4 whose frame n shows n in binary in its top band (B-frames on)."""
    cmd = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"color=c=gray:s={size}:r={fps}:d={seconds}",
    ]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    cmd += ["-vf", _counter_filter(), "-c:v", "libx264", "-preset", "veryfast", "-g", str(gop)]
    cmd += ["-bf", "2", "-sc_threshold", "0"]
    cmd += ["-c:a", "aac", "-shortest"] if audio else ["-an"]
    if faststart:
        cmd += ["-movflags", "+faststart"]
    run([*cmd, str(path)])
    return path


def vfr_pts(n_frames: int) -> list[float]:
    """Presentation times of the VFR file: gaps cycle through 40, 100, 200 ms (exact in ms)."""
    gaps = (0.04, 0.1, 0.2)
    times, t = [], 0.0
    for i in range(n_frames):
        times.append(round(t, 3))
        t += gaps[i % 3]
    return times


def make_vfr_video(path: Path, n_frames: int = 150, gop: int = 30) -> Path:
    """VFR H.264 mkv (ms time base) with the counter; frame n is shown at ``vfr_pts(...)[n]``."""
    expr = "(floor(N/3)*0.34+gte(mod(N\\,3)\\,1)*0.04+gte(mod(N\\,3)\\,2)*0.1)/TB"
    vf = f"{_counter_filter()},settb=1/1000,setpts='{expr}'"
    run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=gray:s=320x240:r=25",
            "-frames:v",
            str(n_frames),
            "-vf",
            vf,
            "-fps_mode",
            "passthrough",
            "-enc_time_base:v",
            "1/1000",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-g",
            str(gop),
            "-bf",
            "2",
            str(path),
        ]
    )
    return path


def read_counter(image: np.ndarray) -> int:
    """Read the frame number back from a frame at any scale (blocks are 1/16 of the width)."""
    h, w = image.shape[:2]
    band = image[: max(1, int(h * BAND / 240 * 0.8)), :, :].mean(axis=2)
    value = 0
    for bit in range(BITS):
        x0, x1 = int(w * bit / BITS), int(w * (bit + 1) / BITS)
        pad = max(1, (x1 - x0) // 4)
        if band[:, x0 + pad : x1 - pad].mean() > 128:
            value |= 1 << bit
    return value


def cached(folder: Path, name: str, make) -> Path:
    """Build a synthetic file once (atomic rename), reuse it across test runs."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / name
    if not out.is_file():
        tmp = folder / f".part-{os.getpid()}-{name}"
        make(tmp)
        tmp.replace(out)
    return out


SYNTH_VERSION = 2


@pytest.fixture(scope="session")
def synth_dir(test_data_dir: Path) -> Path:
    return test_data_dir / f"media-synth-v{SYNTH_VERSION}"


@pytest.fixture(scope="session")
def counter_mp4(synth_dir: Path) -> Path:
    """20 s, 10 fps, 320x240, GOP 25, B-frames, AAC audio."""
    return cached(synth_dir, "counter.mp4", lambda p: make_counter_video(p, audio=True))


@pytest.fixture(scope="session")
def silent_mp4(synth_dir: Path) -> Path:
    """12 s, 25 fps, no audio, moov atom in front (faststart)."""
    return cached(
        synth_dir,
        "silent.mp4",
        lambda p: make_counter_video(p, seconds=12, fps=25, gop=50, faststart=True),
    )


@pytest.fixture(scope="session")
def vfr_mkv(synth_dir: Path) -> Path:
    return cached(synth_dir, "vfr.mkv", lambda p: make_vfr_video(p))
