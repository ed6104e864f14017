"""The OCR text gate on real footage (the campus clip from the registry samples, people walking)
with signs burned in by ffmpeg drawtext: a frame with new text is read, an unchanged frame is not
read again (it inherits the lines), a sign that changes mid-shot is read again, a sign that goes
away takes its lines with it; and tesseract reads what the gate hands it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.footage import authoring as ffmpeg
from vidseek.footage.authoring import TextOverlay
from vidseek.media.frames import frames_at
from vidseek.media.textgate import TextGate, box_overlaps
from vidseek.models.base import TextLine
from vidseek.models.ocr_gated import GatedTextReader, pack_regions, unpack_lines

STEP_S = 0.5  # sampling step of the tests (2 fps)
TIMES = [round(i * STEP_S, 2) for i in range(16)]  # 0.0 .. 7.5 s
# sign A 1.0-3.95 s, then sign B at the same place 4.0-5.95 s (same shot), then nothing
SIGN_A, SIGN_B = "GATE 12 OPEN", "GATE 12 SHUT"


@pytest.fixture(scope="module")
def signed_frames(tmp_path_factory, test_data_dir: Path) -> list[np.ndarray]:
    """Frames of the campus clip (real pedestrians moving) with two signs in turn."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg missing")
    from vidseek.footage.samples import samples_record

    settings = Settings(data_dir=test_data_dir)
    try:
        record = samples_record(settings, progress=False)
    except VidseekError as exc:
        pytest.skip(f"samples unavailable: {exc}")
    clip = settings.samples_dir / record["clips"]["vtest"]["normalised"]
    out = tmp_path_factory.mktemp("gate") / "signed.mp4"
    ffmpeg.burn_texts(
        clip,
        out,
        [
            TextOverlay(SIGN_A, 1.0, 3.95, "banner", 32),
            TextOverlay(SIGN_B, 4.0, 5.95, "banner", 32),
        ],
    )
    frames = frames_at(out, TIMES, Settings(data_dir=tmp_path_factory.mktemp("gate-data")))
    return [f.image for f in frames]


class SpyReader:
    """Stands in for tesseract where the test is about which pixels the gate sends: records the
    images it is asked to read and reports a line per region it was told holds a sign."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, tuple[int, ...]]] = []

    def __call__(self, image: np.ndarray, time_s: float) -> list[TextLine]:
        self.calls.append((time_s, image.shape))
        return []


def _reads(decisions, sign_box):
    return [d.whole or any(box_overlaps(sign_box, r) for r in d.regions) for d in decisions]


def test_gate_reads_new_and_changed_text_only(signed_frames) -> None:
    gate = TextGate()
    decisions = [gate.decide(img, t) for img, t in zip(signed_frames, TIMES, strict=True)]
    assert decisions[0].whole and decisions[0].reason == "first"
    # the banner style puts the sign across the top: rows ~18..~90 of the 640x360 frame
    sign_box = (0, 18, 640, 92)
    reads = _reads(decisions, sign_box)
    at = {t: i for i, t in enumerate(TIMES)}
    # new text is read once it holds still: sign A appears at 1.0 and is read at 1.5
    assert not reads[at[1.0]] and reads[at[1.5]], decisions[at[1.0] : at[2.0]]
    # while sign A stays up its region is never read again, though people keep walking
    assert not any(reads[at[t]] for t in (2.0, 2.5, 3.0, 3.5)), decisions[at[2.0] : at[4.0]]
    # the text changed mid-shot (4.0): read again as soon as it holds still
    assert reads[at[4.5]], decisions[at[4.0] : at[5.0]]
    assert not any(reads[at[t]] for t in (5.0, 5.5))
    # the sign went away: its lines are cleared (or the region re-read)
    gone = decisions[at[6.0]]
    assert gone.whole or any(box_overlaps(sign_box, b) for b in gone.regions + gone.cleared)
    # far fewer pixels go to OCR than in the frames
    pixels = sum(
        (x2 - x1) * (y2 - y1) if not d.whole else 640 * 360
        for d in decisions
        for x1, y1, x2, y2 in (d.regions or [(0, 0, 640, 360)] if d.read else [])
    )
    assert pixels < 0.5 * len(TIMES) * 640 * 360
    # deterministic: the same frames give the same decisions
    again = TextGate()
    assert [again.decide(img, t) for img, t in zip(signed_frames, TIMES, strict=True)] == decisions


def test_gated_tesseract_reads_each_sign_once(signed_frames) -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract missing")
    from vidseek.models.loader import load_text_recognizer

    settings = Settings(data_dir=Path("/tmp/unused-vidseek-ocr-gate"))
    plain = load_text_recognizer("tesseract:eng", settings)
    gated = load_text_recognizer("tesseract:eng?gate=1", settings)
    assert gated.gated is not None
    lines = gated.read(signed_frames, TIMES)
    text = {t: " | ".join(ln.text for ln in ls) for t, ls in zip(TIMES, lines, strict=True)}
    # the gate reads a new sign once it holds still (1.5), never before it is there
    assert SIGN_A not in text[0.5]
    for t in (1.5, 2.0, 3.5):
        assert SIGN_A in text[t], (t, text[t])
    for t in (4.5, 5.0, 5.5):
        assert SIGN_B in text[t] and SIGN_A not in text[t], (t, text[t])
    assert SIGN_A not in text[4.0]  # the old sign's lines go at once when it changes
    for t in (0.0, 6.0, 7.0):
        assert "GATE" not in text[t], (t, text[t])
    # inherited lines carry their own frame's time
    assert all(ln.time_s == t for t, ls in zip(TIMES, lines, strict=True) for ln in ls)
    stats = gated.gated.stats
    assert stats["frames"] == len(TIMES)
    # people walk all through the clip (small regions are read beside them), but only the
    # first frame is read whole and most pixels are never read
    assert stats["read whole"] == 1, stats
    assert stats["read pixels"] < 0.3 * stats["frame pixels"], stats
    # what the gate reads matches what a full read of that frame finds
    full = plain.read([signed_frames[TIMES.index(4.5)]], [4.5])[0]
    assert any(SIGN_B in ln.text for ln in full)
    # a second video (time starts over) starts a fresh gate
    again = gated.read(signed_frames[:3], TIMES[:3])
    assert again[2] == lines[2]


def test_pack_and_unpack_regions() -> None:
    image = np.zeros((100, 200, 3), np.uint8)
    image[10:30, 20:120] = 255
    image[60:90, 150:190] = 128
    packed, spans = pack_regions(image, [(20, 10, 120, 30), (150, 60, 190, 90)], gap=10)
    assert packed.shape == (100, 100, 3)  # 20 + 10 + 30 + 10 rows, padded to the frame's 100
    assert (packed[5:25, :100] == 255).all()
    assert (packed[35:65, :40] == 128).all()
    lines = [
        TextLine(1.0, "TOP", 0.9, (2.0, 6.0, 50.0, 20.0)),
        TextLine(1.0, "LOW", 0.9, (1.0, 40.0, 30.0, 60.0)),
        TextLine(1.0, "GAP", 0.9, (0.0, 0.0, 10.0, 3.0)),
    ]
    back = unpack_lines(lines, spans)
    assert [ln.text for ln in back] == ["TOP", "LOW"]
    assert back[0].box == (22.0, 11.0, 70.0, 25.0)
    assert back[1].box == (151.0, 65.0, 180.0, 85.0)


def test_gated_reader_inherits_and_restarts(signed_frames) -> None:
    spy = SpyReader()
    reader = GatedTextReader(spy)
    reader.read(signed_frames, TIMES)
    assert spy.calls[0] == (0.0, signed_frames[0].shape)  # the first frame whole
    assert len(spy.calls) < len(TIMES)
    assert reader.stats["frames"] == len(TIMES)
    reader.read(signed_frames[:1], [0.0])  # time went back: a new video, read whole again
    assert spy.calls[-1] == (0.0, signed_frames[0].shape)
    with pytest.raises(ValueError):
        reader.read(signed_frames[:2], [0.0])
