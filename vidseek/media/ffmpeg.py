"""Small ffmpeg / ffprobe helpers: find and run a tool, probe streams, durations and frame counts,
decode the audio track.

Every helper runs one subprocess and turns a missing tool or a failed run into a
``MediaToolError`` whose one-line message names the tool and the file, so callers never see a
raw ``CalledProcessError``. Writing footage (cutting, joining, burning text, mixing speech) lives
in ``vidseek.footage.authoring``, which runs its command lines through ``run_tool``.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from vidseek.errors import VidseekError

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

APT_HINT = {
    "ffmpeg": "apt-get install ffmpeg",
    "ffprobe": "apt-get install ffmpeg",
    "espeak-ng": "apt-get install espeak-ng",
    "tesseract": "apt-get install tesseract-ocr tesseract-ocr-eng",
    "apt-get": "run on a Debian/Ubuntu machine",
    "dpkg-deb": "apt-get install dpkg",
}


class MediaToolError(VidseekError):
    """An external media tool (ffmpeg, ffprobe, espeak-ng) that is missing or failed on a file."""


def require_tool(tool: str) -> str:
    """Absolute path of ``tool``, or a clear error saying how to install it."""
    found = shutil.which(tool)
    if not found:
        hint = APT_HINT.get(tool, f"install {tool}")
        raise MediaToolError(f"{tool} is not installed ({hint})")
    return found


def run_tool(cmd: Sequence[str | Path], target: str | Path, timeout_s: float | None = None) -> str:
    """Run one tool; on failure raise a one-line error naming the tool, the file and the reason.

    ``Path`` arguments are passed absolute, so that a file named ``-report`` or ``concat:x`` is
    never read as an option or a protocol (pass every file name as a ``Path``)."""
    args = [str(c.absolute()) if isinstance(c, Path) else str(c) for c in cmd]
    args[0] = require_tool(args[0])
    tool = Path(args[0]).name
    log.debug("running %s", " ".join(args))
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaToolError(f"{target}: {tool} timed out after {timeout_s:.0f} s") from exc
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit code {proc.returncode}"
        raise MediaToolError(f"{target}: {tool} failed: {reason}")
    return proc.stdout


def need_file(path: str | Path) -> Path:
    """``path`` as a Path when it is a file; a one-line error naming it otherwise."""
    path = Path(path)
    if not path.is_file():
        raise MediaToolError(f"{path}: no such file")
    return path


# --- probing -----------------------------------------------------------------------------------


def probe_streams(path: str | Path) -> list[dict]:
    """The streams ffprobe reports for ``path`` (codec_type, codec_name, width, ...)."""
    path = need_file(Path(path))
    out = run_tool(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=index,codec_type,codec_name,width,height,r_frame_rate,sample_rate,channels",
            "-of",
            "json",
            path,
        ],
        path,
    )
    return list(json.loads(out or "{}").get("streams", []))


def has_audio(path: str | Path) -> bool:
    return any(s.get("codec_type") == "audio" for s in probe_streams(path))


def duration_s(path: str | Path) -> float:
    """Container duration in seconds."""
    path = need_file(Path(path))
    out = run_tool(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path], path
    )
    try:
        return float(out.strip())
    except ValueError as exc:
        raise MediaToolError(f"{path}: ffprobe reports no duration") from exc


def frame_count(path: str | Path) -> int:
    """Exact number of video frames (counts packets, so it is exact and fast)."""
    path = need_file(Path(path))
    out = run_tool(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_packets",
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "csv=p=0",
            path,
        ],
        path,
    )
    try:
        return int(out.strip().split(",")[0])
    except ValueError as exc:
        raise MediaToolError(f"{path}: ffprobe found no video stream") from exc


def wav_duration_s(path: str | Path) -> float:
    path = need_file(Path(path))
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / float(w.getframerate())
    except (wave.Error, EOFError) as exc:
        raise MediaToolError(f"{path}: not a readable WAV file ({exc})") from exc


# --- audio -------------------------------------------------------------------------------------


def extract_audio(
    video: str | Path,
    wav_path: str | Path,
    sample_rate: int = 16000,
    max_duration_s: float | None = None,
) -> Path | None:
    """Decode the first audio stream to 16-bit mono WAV; ``None`` when the video has no audio.
    ``max_duration_s`` (the video's duration) bounds the WAV when the audio runs on for hours."""
    video = need_file(Path(video))
    if not has_audio(video):
        return None
    wav_path = Path(wav_path)
    wav_path.parent.mkdir(parents=True, exist_ok=True)
    run_tool(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            video,
            "-map",
            "0:a:0",
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(sample_rate),
            "-c:a",
            "pcm_s16le",
            *(["-t", f"{max_duration_s:.3f}"] if max_duration_s else []),
            wav_path,
        ],
        video,
    )
    return wav_path


# --- single frames (an independent decoder for checks and tests) -------------------------------


def frame_png(video: str | Path, t: float, png: str | Path) -> Path:
    """Write the frame shown at ``t`` seconds as a PNG file."""
    video, png = need_file(video), Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["ffmpeg", "-v", "error", "-y", "-ss", f"{t:.3f}", "-i", video, "-frames:v", "1", png]
    run_tool(cmd, video)
    return png


def gray_frame(video: str | Path, t: float, width: int = 160, height: int = 90) -> np.ndarray:
    """The frame shown at ``t`` seconds, scaled to ``width`` x ``height``, as float32 gray."""
    import numpy as np

    video = need_file(video)
    cmd = [require_tool("ffmpeg"), "-v", "error", "-ss", f"{t:.3f}", "-i", str(video)]
    cmd += ["-frames:v", "1", "-vf", f"scale={width}:{height}", "-f", "rawvideo"]
    cmd += ["-pix_fmt", "gray", "-"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0 or len(proc.stdout) != width * height:
        raise MediaToolError(f"{video}: ffmpeg could not read a frame at {t:.2f} s")
    return np.frombuffer(proc.stdout, np.uint8).reshape(height, width).astype(np.float32)
