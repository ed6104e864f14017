"""tesseract OCR: a sign rendered with PIL, and one burned into real video with ffmpeg drawtext."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from vidseek.config import Settings
from vidseek.errors import ModelMissingError
from vidseek.models.base import TextRecognizer
from vidseek.models.loader import load_text_recognizer
from vidseek.models.ocr import is_garbage, otsu_threshold

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract missing")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@pytest.fixture(scope="module")
def ocr(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("ocr"))
    return load_text_recognizer("tesseract:eng", settings)


def _font(size: int):
    return ImageFont.truetype(FONT, size) if Path(FONT).exists() else ImageFont.load_default(size)


def test_reads_pil_sign(ocr) -> None:
    assert isinstance(ocr, TextRecognizer)
    img = Image.new("RGB", (480, 270), (40, 90, 40))  # a small, dark frame: upscaled, inverted
    draw = ImageDraw.Draw(img)
    draw.rectangle((60, 90, 420, 170), fill=(20, 60, 160))
    draw.text((80, 105), "PLATFORM 9", font=_font(40), fill=(255, 255, 255))
    lines = ocr.read([np.asarray(img)], [12.5])[0]
    texts = [line.text for line in lines]
    assert any("PLATFORM 9" in t for t in texts), texts
    hit = next(line for line in lines if "PLATFORM" in line.text)
    assert hit.time_s == 12.5
    assert 0.6 <= hit.confidence <= 1.0
    x1, y1, x2, y2 = hit.box
    # box in the frame's own pixels, around the text drawn at (80, 105)
    assert 60 <= x1 <= 100 and 90 <= y1 <= 125 and 300 <= x2 <= 440 and 120 <= y2 <= 170


def test_blank_and_noise_frames_give_nothing(ocr) -> None:
    rng = np.random.default_rng(1)
    blank = np.full((240, 320, 3), 128, np.uint8)
    noise = np.repeat(rng.integers(0, 255, (120, 160, 1), dtype=np.uint8), 3, axis=2)
    assert ocr.read([blank, noise], [0.0, 1.0]) == [[], []]


def test_reads_text_burned_into_video(ocr, tmp_path: Path, intel_media: Path) -> None:
    source = intel_media / "intel_store-aisle-detection.mp4"
    if not source.exists():
        pytest.skip("clip missing")
    out = tmp_path / "sign.mp4"
    font = f":fontfile={FONT}" if Path(FONT).exists() else ""
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-ss",
            "1",
            "-t",
            "2",
            "-i",
            str(source),
            "-vf",
            f"scale=640:-2,drawtext=text='EMERGENCY EXIT 7'{font}:fontsize=36:fontcolor=yellow"
            ":box=1:boxcolor=black@0.6:x=(w-tw)/2:y=h-80",
            "-an",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(out),
        ],
        check=True,
    )
    frame = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-ss",
            "1",
            "-i",
            str(out),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    probe = (
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=width,height",
                "-of",
                "csv=p=0",
                str(out),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .split(",")
    )
    w, h = int(probe[0]), int(probe[1])
    image = np.frombuffer(frame, np.uint8).reshape(h, w, 3)
    lines = ocr.read([image], [1.0])[0]
    texts = " | ".join(line.text for line in lines)
    assert "EMERGENCY EXIT 7" in texts, texts
    sign = next(line for line in lines if "EMERGENCY" in line.text)
    assert sign.box[1] > h / 2  # found where it was burned in: the lower part of the frame


def test_garbage_filter_and_otsu() -> None:
    assert is_garbage("~ | ,", 0.9, 0.6)
    assert is_garbage("l i | . ,", 0.9, 0.6)
    assert is_garbage("EXIT", 0.3, 0.6)
    assert not is_garbage("EXIT 7", 0.9, 0.6)
    gray = np.concatenate([np.full(100, 30), np.full(100, 200)]).astype(np.uint8)
    assert 30 <= otsu_threshold(gray) < 200


def test_missing_language_names_package(tmp_path) -> None:
    with pytest.raises(ModelMissingError, match="tesseract-ocr-klingon"):
        load_text_recognizer("tesseract:klingon", Settings(data_dir=tmp_path))


def test_in_process_engine_reads_what_the_binary_reads(tmp_path) -> None:
    """tesserocr (tesseract loaded once, in this process) and the binary (a process per call)
    give the same word table on a sign; threads each get their own loaded tesseract."""
    import importlib.util
    import threading

    from vidseek.models.tesseract_engine import CliEngine, make_engine, parse_tsv

    assert parse_tsv("level\tx\n5\t1\t1\t1\t1\t1\t10\t20\t30\t40\t96.5\tGATE\n")["text"] == ["GATE"]
    with pytest.raises(ValueError, match="auto, api or cli"):
        make_engine("eng", "fast")
    cli = make_engine("eng", "cli")
    assert isinstance(cli, CliEngine)
    if importlib.util.find_spec("tesserocr") is None:
        pytest.skip("tesserocr is not installed (not Linux x86-64): OCR runs the binary")
    api = make_engine("eng")
    assert api.name == "api"
    img = Image.new("L", (640, 200), 235)
    ImageDraw.Draw(img).text((40, 60), "GATE 17 CLOSED", font=_font(56), fill=20)
    want = [w for w in cli.data(img, 6)["text"] if w.strip()]
    assert want == ["GATE", "17", "CLOSED"], want
    got: dict[str, list[str]] = {}

    def read(name: str) -> None:
        got[name] = [w for w in api.data(img, 6)["text"] if w.strip()]

    workers = [threading.Thread(target=read, args=(f"t{i}",)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert got == {"t0": want, "t1": want}
    settings = Settings(data_dir=tmp_path)
    slow = load_text_recognizer("tesseract:eng?engine=cli", settings)
    fast = load_text_recognizer("tesseract:eng", settings)
    frame = np.asarray(img.convert("RGB"))
    assert [x.text for x in slow.read([frame], [1.0])[0]] == [
        x.text for x in fast.read([frame], [1.0])[0]
    ]
