"""Writing footage with ffmpeg and espeak-ng: normalise, cut, still clips, join, burn signs into
the picture, synthesise and mix speech.

All normalised clips share one format (640x360, 10 fps, H.264, yuv420p, GOP 20) so that they can
be joined with the concat demuxer without re-encoding. Each helper runs one command through
``vidseek.media.ffmpeg.run_tool``, so a missing tool or a failed run is a one-line
``MediaToolError`` naming the tool and the file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vidseek.media.ffmpeg import (
    MediaToolError,
    duration_s,
    frame_count,
    has_audio,
    need_file,
    run_tool,
)

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-g", "20", "-pix_fmt", "yuv420p"]


# --- video -------------------------------------------------------------------------------------


def _fit_filter(width: int, height: int, fps: float) -> str:
    return (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,fps={fps:g},format=yuv420p,setsar=1"
    )


def normalise(
    src: str | Path, dst: str | Path, width: int = 640, height: int = 360, fps: float = 10
) -> Path:
    """Re-encode ``src`` to the common concatenable format (letterboxed, constant fps, no audio)."""
    src, dst = need_file(Path(src)), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.stem + ".part" + dst.suffix)
    run_tool(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            src,
            "-an",
            "-vf",
            _fit_filter(width, height, fps),
            *X264,
            tmp,
        ],
        src,
    )
    tmp.replace(dst)
    return dst


def cut(
    src: str | Path,
    dst: str | Path,
    start_s: float,
    frames: int,
    hflip: bool = False,
    width: int = 640,
    height: int = 360,
    fps: float = 10,
) -> Path:
    """Exactly ``frames`` frames of ``src`` from ``start_s`` on, re-encoded to the common format."""
    src, dst = need_file(Path(src)), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    vf = _fit_filter(width, height, fps) + (",hflip" if hflip else "")
    run_tool(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-ss",
            f"{start_s:.3f}",
            "-i",
            src,
            "-an",
            "-vf",
            vf,
            "-frames:v",
            str(frames),
            *X264,
            dst,
        ],
        src,
    )
    got = frame_count(dst)
    if got != frames:
        raise MediaToolError(f"{src}: asked for {frames} frames from {start_s:.1f} s, got {got}")
    return dst


def still_clip(
    image: str | Path,
    dst: str | Path,
    duration_s: float,
    width: int = 640,
    height: int = 360,
    fps: float = 10,
) -> Path:
    """A clip that shows one image for ``duration_s`` (rounded to whole frames)."""
    image, dst = need_file(Path(image)), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    frames = max(1, round(duration_s * fps))
    run_tool(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-loop",
            "1",
            "-framerate",
            f"{fps:g}",
            "-i",
            image,
            "-vf",
            _fit_filter(width, height, fps),
            "-frames:v",
            str(frames),
            *X264,
            dst,
        ],
        image,
    )
    return dst


def concat(clips: Sequence[str | Path], dst: str | Path) -> Path:
    """Join clips of one format with the concat demuxer and ``-c copy`` (no re-encoding)."""
    if not clips:
        raise MediaToolError(f"{dst}: nothing to concatenate")
    paths = [need_file(Path(c)).resolve() for c in clips]
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        for p in paths:
            fh.write("file '" + str(p).replace("'", "'\\''") + "'\n")
        listing = Path(fh.name)
    try:
        run_tool(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                listing,
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                dst,
            ],
            dst,
        )
    finally:
        listing.unlink(missing_ok=True)
    return dst


@dataclass(frozen=True)
class TextOverlay:
    """One sign burned into the picture between ``start_s`` and ``end_s``.

    ``style``: ``sign`` (white box, black text, centre), ``caption`` (bottom strip),
    ``banner`` (top strip, dark box, white text)."""

    text: str
    start_s: float
    end_s: float
    style: str = "sign"
    fontsize: int = 40


def _font() -> str | None:
    return next((f for f in FONT_CANDIDATES if Path(f).is_file()), None)


def _drawtext(ov: TextOverlay, textfile: Path) -> str:
    esc = str(textfile).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")
    font = _font()
    parts = [
        f"textfile='{esc}'",
        f"fontsize={ov.fontsize}",
        "box=1",
        "boxborderw=18",
        f"enable='between(t,{ov.start_s:.3f},{ov.end_s:.3f})'",
        "x=(w-text_w)/2",
    ]
    if font:
        parts.insert(0, f"fontfile='{font}'")
    if ov.style == "caption":
        parts += ["fontcolor=black", "boxcolor=white@0.92", "y=h-text_h-36"]
    elif ov.style == "banner":
        parts += ["fontcolor=white", "boxcolor=black@0.85", "y=36"]
    else:
        parts += ["fontcolor=black", "boxcolor=white", "y=(h-text_h)/2"]
    return "drawtext=" + ":".join(parts)


def burn_texts(src: str | Path, dst: str | Path, overlays: Sequence[TextOverlay]) -> Path:
    """Burn several signs in one re-encode (audio, if any, is copied)."""
    src, dst = need_file(Path(src)), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vidseek-text-") as tmp:
        filters = []
        for i, ov in enumerate(overlays):
            if not ov.text.strip() or ov.end_s <= ov.start_s:
                raise MediaToolError(f"{src}: bad text overlay {ov!r}")
            tf = Path(tmp) / f"t{i}.txt"
            tf.write_text(ov.text, encoding="utf-8")
            filters.append(_drawtext(ov, tf))
        vf = ",".join(filters) if filters else "null"
        run_tool(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                src,
                "-map",
                "0",
                "-vf",
                vf,
                *X264,
                "-c:a",
                "copy",
                "-movflags",
                "+faststart",
                dst,
            ],
            src,
        )
    return dst


def burn_text(
    src: str | Path,
    dst: str | Path,
    text: str,
    start_s: float,
    end_s: float,
    style: str = "sign",
    fontsize: int = 40,
) -> Path:
    """Burn one big readable sign into ``src`` between ``start_s`` and ``end_s``."""
    return burn_texts(src, dst, [TextOverlay(text, start_s, end_s, style, fontsize)])


# --- audio -------------------------------------------------------------------------------------


def speak(text: str, wav_path: str | Path, voice: str = "en-us", speed: int = 150) -> Path:
    """Synthesise ``text`` with espeak-ng into a WAV file."""
    if not text.strip():
        raise MediaToolError(f"{wav_path}: espeak-ng was given empty text")
    wav_path = Path(wav_path)
    wav_path.parent.mkdir(parents=True, exist_ok=True)
    run_tool(["espeak-ng", "-v", voice, "-s", str(speed), "-w", wav_path, "--", text], wav_path)
    return wav_path


def mix_speech(
    video: str | Path,
    dst: str | Path,
    speech: Sequence[tuple[float, str | Path]],
    sample_rate: int = 16000,
) -> Path:
    """Write ``video`` with an AAC mono track holding each WAV at its offset in seconds, mixed
    over the video's own audio when it has some (silence otherwise). The video is copied."""
    video, dst = need_file(Path(video)), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    total = duration_s(video)
    inputs: list[str | Path] = ["-i", video]
    chains: list[str] = []
    labels: list[str] = []
    if has_audio(video):
        chains.append(f"[0:a:0]aresample={sample_rate},aformat=channel_layouts=mono[base]")
    else:
        chains.append(f"anullsrc=r={sample_rate}:cl=mono,atrim=duration={total:.3f}[base]")
    labels.append("[base]")
    for i, (start, wav) in enumerate(speech, start=1):
        wav = need_file(Path(wav))
        if start < 0 or start >= total:
            raise MediaToolError(f"{wav}: speech offset {start:.2f} s is outside {video}")
        inputs += ["-i", wav]
        ms = round(start * 1000)
        chains.append(
            f"[{i}:a]aresample={sample_rate},aformat=channel_layouts=mono,adelay={ms}:all=1[s{i}]"
        )
        labels.append(f"[s{i}]")
    chains.append("".join(labels) + f"amix=inputs={len(labels)}:duration=first:normalize=0[aout]")
    run_tool(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            *inputs,
            "-filter_complex",
            ";".join(chains),
            "-map",
            "0:v:0",
            "-map",
            "[aout]",
            "-c:v",
            "copy",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-ac",
            "1",
            "-ar",
            str(sample_rate),
            "-t",
            f"{total:.3f}",
            "-movflags",
            "+faststart",
            dst,
        ],
        video,
    )
    return dst


def tool_versions() -> dict[str, str]:
    """First version line of ffmpeg and espeak-ng (recorded in manifests for reproducibility)."""
    out: dict[str, str] = {}
    for tool, flag in (("ffmpeg", "-version"), ("espeak-ng", "--version")):
        try:
            out[tool] = run_tool([tool, flag], tool).splitlines()[0].strip()
        except (MediaToolError, IndexError):
            out[tool] = "unavailable"
    return out
