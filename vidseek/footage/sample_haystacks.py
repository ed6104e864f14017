"""Haystacks made of the fetched sample clips, cached under ``samples_dir/haystacks``: the "mini"
haystack (all clips joined, with exact boundaries), the "demo" haystack (plus one spoken and one
on-screen needle at known spans, the video of ``vidseek demo`` and the end-to-end tests) and a
long haystack for decode benchmarks."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.footage import authoring
from vidseek.footage.files import folder_lock, read_json, write_json
from vidseek.footage.samples import SamplesError, samples_record, samples_root
from vidseek.footage.sources import DEFAULT_MINI, FPS, SAMPLE_CLIPS
from vidseek.media import ffmpeg
from vidseek.progress import Progress, ProgressSink

DEMO_VERSION = 1
DEMO_SPEECH = "Attention please. The access code for the north laboratory is three eight one five."
DEMO_SIGN = "STORE ROOM 27 CLOSED"


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:10]


def build_mini_haystack(
    settings: Settings, names: Sequence[str] | None = None, progress: ProgressSink | None = None
) -> tuple[Path, dict[str, Any]]:
    """The named sample clips (default: all six) joined with ``-c copy``; the manifest gives each
    clip's exact [start_s, end_s) from its frame count."""
    names = list(names or DEFAULT_MINI)
    unknown = [n for n in names if n not in SAMPLE_CLIPS]
    if unknown:
        raise SamplesError(f"unknown sample clip(s) {unknown}; known: {sorted(SAMPLE_CLIPS)}")
    record = samples_record(settings, progress)
    root = samples_root(settings)
    out_dir = root / "haystacks"
    stem = "mini" if names == list(DEFAULT_MINI) else f"mini-{_key(names)}"
    video, manifest_path = out_dir / f"{stem}.mp4", out_dir / f"{stem}.json"
    manifest = read_json(manifest_path)
    if manifest and video.is_file():
        return video, manifest
    with folder_lock(out_dir):
        manifest = read_json(manifest_path)
        if manifest and video.is_file():
            return video, manifest
        clips, frames = [], 0
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
        authoring.concat(clips, tmp)
        tmp.replace(video)
        manifest = {
            "video": str(video),
            "duration_s": round(frames / FPS, 3),
            "frames": frames,
            "fps": FPS,
            "clips": entries,
        }
        write_json(manifest_path, manifest)
    return video, manifest


def demo_haystack(
    settings: Settings, progress: ProgressSink | None = None
) -> tuple[Path, dict[str, Any]]:
    """The mini haystack with one spoken announcement (espeak-ng) and one on-screen sign at known
    spans; deterministic and cached. The video every end-to-end test and ``vidseek demo`` use."""
    mini, mini_manifest = build_mini_haystack(settings, progress=progress)
    out_dir = samples_root(settings) / "haystacks"
    video, manifest_path = (
        out_dir / f"demo-v{DEMO_VERSION}.mp4",
        out_dir / f"demo-v{DEMO_VERSION}.json",
    )
    manifest = read_json(manifest_path)
    if manifest and video.is_file():
        return video, manifest
    with folder_lock(out_dir):
        manifest = read_json(manifest_path)
        if manifest and video.is_file():
            return video, manifest
        bar = Progress(progress, scope=str(video))
        bar.start("demo haystack", total=3, unit="steps")
        total = mini_manifest["duration_s"]
        speech_start = round(total * 0.30, 1)  # inside vtest (first clip, 79.5 s)
        sign_start = round(total * 0.62, 1)
        sign_end = round(sign_start + 5.0, 1)
        with tempfile.TemporaryDirectory(prefix="vidseek-demo-") as tmp_s:
            tmp = Path(tmp_s)
            wav = authoring.speak(DEMO_SPEECH, tmp / "speech.wav")
            speech_end = round(speech_start + ffmpeg.wav_duration_s(wav), 2)
            bar.advance("demo haystack")
            signed = authoring.burn_text(mini, tmp / "signed.mp4", DEMO_SIGN, sign_start, sign_end)
            bar.advance("demo haystack")
            part = video.with_name(video.stem + ".part.mp4")
            authoring.mix_speech(signed, part, [(speech_start, wav)])
            part.replace(video)
        bar.finish("demo haystack")
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
        write_json(manifest_path, manifest)
    return video, manifest


def long_haystack(
    settings: Settings, min_duration_s: float = 1800, progress: ProgressSink | None = None
) -> Path:
    """The normalised clips repeated (``-c copy``) until the video lasts ``min_duration_s``; for
    decode benchmarks. Cached by length."""
    record = samples_record(settings, progress)
    root = samples_root(settings)
    out_dir = root / "haystacks"
    video = out_dir / f"long-{int(min_duration_s)}.mp4"
    if video.is_file():
        return video
    with folder_lock(out_dir):
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
        authoring.concat(clips, tmp)
        tmp.replace(video)
    return video
