"""The needle-in-a-haystack builder on real registry footage: schema, spans, consistency, seeds."""

from __future__ import annotations

import json
import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.footage import HaystackError, build_haystack, fetch_samples, sample_visuals
from vidseek.media import ffmpeg

SEED = 7


@pytest.fixture(scope="session")
def hs_settings(test_data_dir: Path) -> Settings:
    return Settings(data_dir=test_data_dir)


@pytest.fixture(scope="session")
def haystack(hs_settings: Settings, tmp_path_factory):
    clips = fetch_samples(hs_settings)
    out = tmp_path_factory.mktemp("haystack")
    res = build_haystack(
        list(clips.values()),
        out,
        minutes=2,
        seed=SEED,
        visuals=sample_visuals(hs_settings),
    )
    return res


def _load(res):
    manifest = json.loads(res.manifest_path.read_text())
    lines = res.questions_path.read_text().splitlines()
    assert len(lines) == 1
    return manifest, json.loads(lines[0])


def test_video_format_and_length(haystack):
    streams = ffmpeg.probe_streams(haystack.video)
    kinds = {s["codec_type"]: s for s in streams}
    assert (
        kinds["video"]["codec_name"],
        kinds["video"]["width"],
        kinds["video"]["height"],
        kinds["video"]["r_frame_rate"],
    ) == ("h264", 640, 360, "10/1")
    assert (
        kinds["audio"]["codec_name"],
        kinds["audio"]["sample_rate"],
        kinds["audio"]["channels"],
    ) == ("aac", "16000", 1)
    manifest, _ = _load(haystack)
    assert ffmpeg.frame_count(haystack.video) == 1200 == manifest["frames"]
    segs = manifest["segments"]
    assert segs[0]["start"] == 0 and segs[-1]["end"] == pytest.approx(120.0)
    for a, b in zip(segs, segs[1:], strict=False):
        assert a["end"] == pytest.approx(b["start"])
    assert sum(s["frames"] for s in segs) == 1200


def test_questions_follow_the_lvbench_haystack_schema(haystack):
    manifest, video = _load(haystack)
    assert set(video) >= {"key", "video_info", "video_path", "qa"}
    assert video["video_info"]["duration_minutes"] == pytest.approx(2.0)
    assert (haystack.questions_path.parent / video["video_path"]).is_file()
    uids = set()
    kinds = set()
    for q in video["qa"]:
        assert q["uid"] not in uids
        uids.add(q["uid"])
        kinds.add(q["needle_kind"])
        stem, *opts = re.split(r"\n\([A-D]\) ", q["question"])
        assert stem and opts == q["options"] and len(set(opts)) == 4
        assert q["answer"] in "ABCD"
        assert q["options"]["ABCD".index(q["answer"])] == q["answer_text"]
        assert q["question_type"] and q["modality"] in {"speech", "ocr", "visual", "mixed"}
        for a, b in q["time_reference_s"]:
            assert 0 <= a < b <= manifest["duration_s"]
        if q["time_reference_s"]:
            assert re.fullmatch(r"\d\d:\d\d-\d\d:\d\d", q["time_reference"])
        else:
            assert q["time_reference"] is None and q["needle_kind"] == "absent"
        if q["depth_pct"] is not None:
            assert 0 <= q["depth_pct"] <= 100
    assert {
        "speech",
        "ocr",
        "visual",
        "counting",
        "order",
        "absent",
        "multihop",
        "grounding",
    } <= kinds


def test_the_project_loader_reads_the_questions(haystack):
    from vidseek.scenarios.loaders.vidseek_haystack import load

    records = load(haystack.questions_path)
    _, video = _load(haystack)
    assert len(records) == len(video["qa"])
    assert all(r.video_path == haystack.video for r in records)
    assert all(r.answer in "ABCD" for r in records)


def test_spans_and_answers_match_the_manifest(haystack):
    manifest, video = _load(haystack)
    by_id: dict[str, list[dict]] = {}
    for n in manifest["needles"]:
        by_id.setdefault(n["id"], []).append(n)
    for q in video["qa"]:
        kind = q["needle_kind"]
        needle_spans = sorted((n["start"], n["end"]) for i in q["needles"] for n in by_id[i])
        if kind == "absent":
            assert q["needles"] == [] and q["time_reference_s"] == []
            # the thing asked about appears in no needle or distractor text
            found = re.search(
                r"(?:for the|about the|does an?) ([a-z ]+?)(?: safe|,| appear)", q["question"]
            )
            assert found, q["question"]
            subject = found.group(1)
            texts = " ".join(
                (n["text"] or "") + " " + (n.get("source") or "")
                for n in manifest["needles"] + manifest["distractor_speech"]
            )
            assert subject not in texts.lower()
        elif kind == "counting":
            assert len(by_id[q["needles"][0]]) == int(q["answer_text"]) >= 2
            assert sorted(map(tuple, q["time_reference_s"])) == needle_spans
        elif kind == "order":
            firsts = {i: min(n["start"] for n in by_id[i]) for i in q["needles"]}
            earliest = min(firsts, key=firsts.get)
            assert q["time_reference_s"][0][0] == firsts[earliest]
            assert "first" in q["question"]
        elif kind == "multihop":
            sign, speech = (by_id[i][0] for i in q["needles"])
            assert sign["kind"] == "ocr" and speech["kind"] == "speech"
            assert 0 < speech["start"] - sign["end"] < 3.0
            digits = " ".join(q["answer_text"])
            words = "zero one two three four five six seven eight nine".split()
            assert " ".join(words[int(d)] for d in digits.split()) in speech["text"]
        elif kind in {"speech", "ocr"}:
            (n,) = by_id[q["needles"][0]]
            assert [list(x) for x in needle_spans] == q["time_reference_s"]
            if kind == "ocr":
                assert any(a.upper() in n["text"] for a in q["answer_aliases"])
        elif kind in {"visual", "grounding"}:
            assert by_id[q["needles"][0]][0]["kind"] in {"clip", "still"}
        if q["depth_pct"] is not None:
            assert q["depth_pct"] == pytest.approx(
                100 * q["time_reference_s"][-1 if kind == "multihop" else 0][0] / 120, abs=0.1
            )
    # timed needles never overlap each other; needle depths spread over the video
    timed = sorted(
        (n["start"], n["end"])
        for n in manifest["needles"] + manifest["distractor_speech"]
        if n.get("kind", "speech") in {"speech", "ocr"}
    )
    for (_a0, a1), (b0, _) in zip(timed, timed[1:], strict=False):
        assert a1 <= b0
    depths = [n["depth_pct"] for n in manifest["needles"]]
    assert min(depths) < 30 and max(depths) > 70


def test_speech_and_signs_are_really_there(haystack, tmp_path):
    manifest, _ = _load(haystack)
    wav = ffmpeg.extract_audio(haystack.video, tmp_path / "a.wav")
    with wave.open(str(wav)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32)
    rms = np.sqrt(np.mean(pcm[: len(pcm) // 1600 * 1600].reshape(-1, 1600) ** 2, axis=1))
    spoken = [n for n in manifest["needles"] if n["kind"] == "speech"]
    spoken += manifest["distractor_speech"]
    quiet = np.ones(len(rms), bool)
    for n in spoken:
        quiet[int(n["start"] * 10) - 3 : int(n["end"] * 10) + 3] = False
        assert rms[int(n["start"] * 10) : int(n["end"] * 10)].max() > 500
    assert rms[quiet].max() < 50  # silence outside the announced spans
    for n in (n for n in manifest["needles"] if n["kind"] == "ocr"):
        t = (n["start"] + n["end"]) / 2
        png = ffmpeg.frame_png(haystack.video, t, tmp_path / f"{n['id']}.png")
        text = subprocess.run(
            ["tesseract", str(png), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert n["text"].split()[0] in text.upper(), (n, text)


@pytest.mark.slow
def test_same_seed_same_set_other_seed_other_needles(haystack, hs_settings, tmp_path):
    clips = fetch_samples(hs_settings)
    visuals = sample_visuals(hs_settings)
    again = build_haystack(
        list(clips.values()), tmp_path / "a", minutes=2, seed=SEED, visuals=visuals
    )
    assert again.manifest_path.read_text() == haystack.manifest_path.read_text()
    assert again.questions_path.read_text() == haystack.questions_path.read_text()
    other = build_haystack(
        list(clips.values()),
        tmp_path / "b",
        minutes=2,
        seed=SEED + 1,
        visuals=visuals,
    )
    texts = {n["text"] for n in json.loads(other.manifest_path.read_text())["needles"]}
    assert texts != {n["text"] for n in haystack.manifest["needles"]}


def test_bad_inputs_are_clear_errors(tmp_path, hs_settings):
    with pytest.raises(HaystackError, match="no video clips"):
        build_haystack(tmp_path, tmp_path / "out", minutes=2)
    with pytest.raises(HaystackError, match="no such clip"):
        build_haystack([tmp_path / "nope.mp4"], tmp_path / "out", minutes=2)
    clips = fetch_samples(hs_settings)
    with pytest.raises(HaystackError, match="longer haystack"):
        build_haystack([clips["vtest"]], tmp_path / "out", minutes=0.3)
