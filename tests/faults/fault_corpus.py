"""The fault corpus: bad and odd inputs made with ffmpeg at test time (tiny files, seconds).

Each :class:`Case` says how to make one file and what vidseek must do with it: a valid input
probes, yields shots and indexes (with the expected displayed size, duration and damage); an
invalid one is refused with one line naming the file and the ``problem``. The kinds follow
issue 15: truncated, zero-byte, garbage, audio-only, subtitle-only, no audio, VFR, rotated,
10-bit H.264/HEVC, VP9, AV1, MJPEG, interlaced, odd and huge sizes, fragmented MP4, odd names,
FIFOs, symlink loops, damaged middles, joined MPEG-TS, playlists, resource limits.

Run it by hand to get the files: ``python tests/faults/fault_corpus.py OUT_DIR``.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fault_makers as mk
from fault_makers import (  # noqa: F401 - the helpers tests use, through this module
    FPS,
    SIGN,
    X264,
    all_corrupt,
    audio_only,
    audio_with_cover,
    broken_link,
    claims_hours,
    copy_of,
    damaged_middle,
    directory,
    encoders,
    ff,
    ffconcat,
    fifo,
    fragmented,
    good_link,
    h264,
    hls_playlist,
    link_loop,
    mirrored,
    missing,
    multi_stream,
    non_utf8,
    rotated,
    sample_clip,
    simple,
    sparse_long,
    src,
    srt_named_mp4,
    still,
    subtitle_only,
    tone,
    truncated,
    ts_joined,
    ts_offset,
    upright,
    vfr,
    write,
)


@dataclass(frozen=True)
class Case:
    """One corpus input. ``make(dir)`` writes it under ``dir`` and returns its path."""

    name: str
    make: Callable[[Path], Path]
    valid: bool
    problem: str = ""  # invalid: a piece of the one-line refusal
    size: tuple[int, int] | None = None  # valid: displayed width x height
    duration_s: float | None = None  # valid: expected duration (within a frame)
    damaged: bool = False  # valid: the decode pass reports undecodable frames
    upright_of: str | None = None  # valid: its frames equal this case's frames
    env: dict[str, str] = field(default_factory=dict)  # settings overrides for this input
    encoder: str | None = None  # ffmpeg encoder the case needs (skipped without it)
    own_index: str | None = None  # index it alone; the value says why (e.g. a known issue)


CASES: list[Case] = [
    # --- valid: codecs, containers, sizes, rates ---
    Case("h264_aac", copy_of("h264_aac.mp4"), True, size=(320, 240), duration_s=2.0),
    Case("no_audio", simple("no_audio.mp4", *X264, "-an"), True, size=(320, 240), duration_s=3.0),
    Case("vfr", vfr, True, size=(320, 240)),
    Case(
        "h264_10bit",
        simple(
            "h264_10bit.mp4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"
        ),
        True,
        size=(320, 240),
        duration_s=3.0,
        encoder="libx264",
    ),
    Case(
        "hevc",
        simple(
            "hevc.mp4",
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
            "-pix_fmt",
            "yuv420p",
            "-tag:v",
            "hvc1",
        ),
        True,
        size=(320, 240),
        duration_s=3.0,
        encoder="libx265",
    ),
    Case(
        "hevc_10bit",
        simple(
            "hevc_10bit.mkv",
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
            "-pix_fmt",
            "yuv420p10le",
        ),
        True,
        size=(320, 240),
        duration_s=3.0,
        encoder="libx265",
    ),
    Case(
        "vp9",
        simple(
            "vp9.webm",
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "200k",
        ),
        True,
        size=(320, 240),
        duration_s=3.0,
        encoder="libvpx-vp9",
    ),
    Case(
        "av1",
        simple("av1.mp4", "-c:v", "libsvtav1", "-preset", "12", "-pix_fmt", "yuv420p"),
        True,
        size=(320, 240),
        duration_s=3.0,
        encoder="libsvtav1",
    ),
    Case(
        "mjpeg",
        simple("mjpeg.avi", "-c:v", "mjpeg", "-q:v", "5"),
        True,
        size=(320, 240),
        duration_s=3.0,
    ),
    Case(
        "mpeg2_interlaced",
        simple(
            "mpeg2_interlaced.mpg",
            "-c:v",
            "mpeg2video",
            "-flags",
            "+ilme+ildct",
            "-top",
            "1",
            "-b:v",
            "1M",
            size="320x240",
        ),
        True,
        size=(320, 240),
    ),
    Case(
        "h264_interlaced",
        simple("h264_interlaced.mp4", *X264, "-x264-params", "interlaced=1:tff=1"),
        True,
        size=(320, 240),
        duration_s=3.0,
    ),
    Case(
        "mpeg4_avi",
        simple("mpeg4.avi", "-c:v", "mpeg4", "-q:v", "5"),
        True,
        size=(320, 240),
        duration_s=3.0,
    ),
    Case("ffv1_mkv", simple("ffv1.mkv", "-c:v", "ffv1"), True, size=(320, 240), duration_s=3.0),
    Case(
        "prores_mov",
        simple("prores.mov", "-c:v", "prores_ks", "-profile:v", "0", seconds=1),
        True,
        size=(320, 240),
        duration_s=1.0,
    ),
    Case(
        "theora_ogv",
        simple("theora.ogv", "-c:v", "libtheora", "-q:v", "5"),
        True,
        size=(320, 240),
        encoder="libtheora",
    ),
    Case("flv", simple("video.flv", "-c:v", "flv1", "-q:v", "5"), True, size=(320, 240)),
    Case("gif_animation", simple("animation.gif", seconds=1, size="96x64"), True, size=(96, 64)),
    Case(
        "tall_16x8000",
        simple("tall_16x8000.mp4", *X264, seconds=0.5, size="16x8000"),
        True,
        size=(16, 8000),
        duration_s=0.5,
    ),
    Case(
        "odd_17x33",
        simple(
            "odd_17x33.mp4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv444p",
            size="17x33",
            pattern="testsrc",
        ),
        True,
        size=(17, 33),
        duration_s=3.0,
    ),
    Case(
        "tiny_2x2",
        simple("tiny_2x2.mkv", "-c:v", "ffv1", size="2x2"),
        True,
        size=(2, 2),
        duration_s=3.0,
    ),
    Case(
        "uhd_3840x2160",
        simple("uhd.mp4", *X264, seconds=0.3, size="3840x2160"),
        True,
        size=(3840, 2160),
        duration_s=0.3,
    ),
    Case(
        "one_frame",
        simple("one_frame.mp4", *X264, "-frames:v", "1"),
        True,
        size=(320, 240),
        duration_s=0.1,
    ),
    Case("mov_ts_offset", ts_offset, True, size=(320, 240), duration_s=3.0),
    Case("multi_stream_mkv", multi_stream, True, size=(320, 240), duration_s=2.0),
    Case("mpegts", simple("plain.ts", *X264, "-an"), True, size=(320, 240), duration_s=3.0),
    Case(
        "fragmented_mp4", lambda d: fragmented(d, cut=False), True, size=(320, 240), duration_s=7.6
    ),
    Case(
        "wrong_extension",
        lambda d: h264(d / "really_mp4.avi", extra=("-f", "mp4")),
        True,
        size=(320, 240),
        duration_s=3.0,
    ),
    Case("claims_hours", claims_hours, True, size=(320, 240), duration_s=3.0),
    # --- valid: rotation (frames must come out equal to the upright clip) ---
    Case("upright", upright, True, size=(480, 272), duration_s=3.0),
    Case("rotated_90", rotated(90), True, size=(480, 272), upright_of="upright"),
    Case("rotated_180", rotated(180), True, size=(480, 272), upright_of="upright"),
    Case("rotated_270", rotated(270), True, size=(480, 272), upright_of="upright"),
    Case("mirrored_90", mirrored, True, size=(480, 272), upright_of="upright"),
    # --- valid: damaged but playable, joined ---
    Case("damaged_middle", damaged_middle, True, size=(320, 240), duration_s=25.0, damaged=True),
    Case("fragmented_cut", lambda d: fragmented(d, cut=True), True, size=(320, 240), damaged=True),
    Case("ts_joined", ts_joined, True, size=(320, 240), duration_s=10.0),
    Case(
        "ts_jump_3h",
        lambda d: ts_joined(d, 3 * 3600.0, "ts_jump_3h.ts"),
        True,
        size=(320, 240),
        duration_s=10.0,
    ),  # fmt: skip
    # --- valid: odd names (run as ./NAME from their folder) ---
    Case("name_report", copy_of("-report.mp4"), True, size=(320, 240)),
    Case("name_dash_start", copy_of("-dash_start.mp4"), True, size=(320, 240)),
    Case("name_concat_proto", copy_of("concat:a.mp4"), True, size=(320, 240)),
    Case("name_file_proto", copy_of("file:b.mp4"), True, size=(320, 240)),
    Case(
        "name_spaces_quotes", copy_of('it\'s a "clip" $(touch pwned) ;x.mp4'), True, size=(320, 240)
    ),
    Case("name_newline", copy_of("two\nlines.mp4"), True, size=(320, 240)),
    Case("name_unicode", copy_of("vidéo 日本語 🎬.mp4"), True, size=(320, 240)),
    Case("name_percent", copy_of("frame%03d.mp4"), True, size=(320, 240)),
    Case("symlink", good_link, True, size=(320, 240)),
    Case(
        "name_latin1_bytes",
        non_utf8,
        True,
        size=(320, 240),
        own_index="indexed alone, then found by its name by info, search and remove",
    ),
    # --- invalid ---
    Case("zero_byte", write("empty.mp4", b""), False, "empty file (0 bytes)"),
    Case(
        "garbage",
        write("garbage.mp4", random.Random(1).randbytes(50_000)),
        False,
        "not a readable video file",
    ),
    Case(
        "text",
        write("notes.mp4", "a shopping list, not a video\n" * 40),
        False,
        "not a readable video file",
    ),
    Case(
        "html",
        write("page.mkv", "<!doctype html><html><body>404</body></html>\n" * 20),
        False,
        "not a readable video file",
    ),
    Case(
        "truncated_moov",
        truncated("truncated_moov.mp4", faststart=False),
        False,
        "truncated or corrupt video file",
    ),
    Case(
        "truncated_faststart",
        truncated("truncated_faststart.mp4", faststart=True),
        False,
        "truncated file: only",
    ),
    Case("audio_only", audio_only, False, "has no video stream (found: audio)"),
    Case(
        "audio_with_cover",
        audio_with_cover,
        False,
        "has no video stream (found: audio, cover picture)",
    ),
    Case("subtitle_only", subtitle_only, False, "has no video stream (found: subtitle)"),
    Case("srt_as_mp4", srt_named_mp4, False, "has no video stream (found: subtitle)"),
    Case(
        "png_as_mp4",
        still("picture.mp4", ("-c:v", "png", "-f", "image2", "png")),
        False,
        "is a still image (png)",
    ),
    Case("jpeg", still("photo.jpg", ("-c:v", "mjpeg", "jpg")), False, "is a still image"),
    Case("hls_playlist", hls_playlist, False, "is a playlist"),
    Case("ffconcat_script", ffconcat, False, "is a playlist"),
    Case("all_corrupt", all_corrupt, False, "no frame can be decoded"),
    Case("fifo", fifo, False, "is a named pipe (FIFO)"),
    Case("symlink_loop", link_loop, False, "is a symbolic link loop"),
    Case("broken_symlink", broken_link, False, "is a broken symbolic link"),
    Case("directory", directory, False, "is a directory"),
    Case("missing", missing, False, "no such file"),
    Case(
        "huge_8704x4608",
        simple("huge.mkv", "-c:v", "ffv1", seconds=0.1, size="8704x4608"),
        False,
        "resolution 8704x4608 is too large",
    ),
    Case("sparse_25_hours", sparse_long, False, "longer than media.max_duration_s = 86400 s"),
    Case(
        "over_configured_pixels",
        copy_of("over_pixels.mp4"),
        False,
        "is too large (more than media.max_pixels = 50000 pixels)",
        env={"VIDSEEK_MEDIA__MAX_PIXELS": "50000"},
    ),
    Case(
        "over_configured_duration",
        copy_of("over_duration.mp4"),
        False,
        "longer than media.max_duration_s = 1.5 s",
        env={"VIDSEEK_MEDIA__MAX_DURATION_S": "1.5"},
    ),
]


def build(root: Path, cases: list[Case] = CASES, real_clip: Path | None = None) -> dict[str, Path]:
    """Make every case whose encoder exists, each in its own folder under ``root``."""
    mk.REAL_CLIP = real_clip
    have = encoders()
    out: dict[str, Path] = {}
    for case in cases:
        if case.encoder and case.encoder not in have:
            continue
        folder = root / case.name
        folder.mkdir(parents=True, exist_ok=True)
        out[case.name] = case.make(folder)
    return out


if __name__ == "__main__":
    made = build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("fault-corpus"))
    print(json.dumps({k: str(v) for k, v in made.items()}, indent=1, ensure_ascii=False))
