"""On-screen text with Debian's tesseract (in this process through tesserocr, else the binary:
``tesseract_engine``): words grouped into lines with
confidences and boxes; frames are preprocessed (grayscale, upscaled, a binarised second pass) so
burned-in signs read reliably, and garbage lines (low confidence, few letters) are dropped.

With the ``gate`` option the recognizer reads a video's frames through a text gate
(``vidseek.media.textgate``): a frame whose text-like regions did not change inherits the lines of
the last read, and a frame with new text is read only in those regions (packed into one image,
one tesseract call)."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from vidseek.config import Settings
from vidseek.errors import ModelMissingError
from vidseek.media.textgate import TextGate, TextGateConfig
from vidseek.models.base import TextLine
from vidseek.models.ocr_gated import GatedTextReader
from vidseek.models.refs import ModelRef
from vidseek.models.tesseract_engine import make_engine, tessdata_dir

log = logging.getLogger(__name__)

APT_HINT = "apt-get install tesseract-ocr tesseract-ocr-{lang}"
_ALNUM = re.compile(r"[A-Za-z0-9]")


@dataclass
class _Line:
    words: list[str]
    confs: list[float]
    box: list[float]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def confidence(self) -> float:
        """The mean word confidence; the median from three words on, because tesseract scores
        a word by its least sure letter and 5.5 gives a rightly read word 0 now and then
        ("LOT" 0, "B" 82, "FULL" 96 on a clear sign): one such word must not sink the line."""
        if not self.confs:
            return 0.0
        middle = np.median(self.confs) if len(self.confs) >= 3 else np.mean(self.confs)
        return float(middle) / 100.0


def merge_lines(lines: list[_Line]) -> list[_Line]:
    """Sparse-text mode puts each word of a sign in its own line: join pieces that sit on the same
    baseline (vertical overlap over half the height) with a gap under 1.5 heights, left to right."""
    pieces = sorted(lines, key=lambda ln: (ln.box[0], ln.box[1]))
    merged: list[_Line] = []
    for piece in pieces:
        x1, y1, x2, y2 = piece.box
        for line in merged:
            lx1, ly1, lx2, ly2 = line.box
            height = min(y2 - y1, ly2 - ly1)
            overlap = min(y2, ly2) - max(y1, ly1)
            gap = x1 - lx2
            if height > 0 and overlap > 0.5 * height and -0.5 * height <= gap < 1.5 * height:
                line.words.extend(piece.words)
                line.confs.extend(piece.confs)
                line.box = [min(lx1, x1), min(ly1, y1), max(lx2, x2), max(ly2, y2)]
                break
        else:
            merged.append(_Line(list(piece.words), list(piece.confs), list(piece.box)))
    return merged


def otsu_threshold(gray: np.ndarray) -> int:
    """Otsu's threshold of a uint8 image (no OpenCV needed)."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    omega = np.cumsum(hist) / total
    mu = np.cumsum(hist * np.arange(256)) / total
    mu_t = mu[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma_b = (mu_t * omega - mu) ** 2 / (omega * (1.0 - omega))
    sigma_b = np.nan_to_num(sigma_b)
    return int(np.argmax(sigma_b))


def is_garbage(text: str, confidence: float, min_conf: float, min_alnum: int = 2) -> bool:
    """Lines that are noise: low confidence, too few letters/digits, or mostly symbols."""
    stripped = text.strip()
    alnum = len(_ALNUM.findall(stripped))
    if confidence < min_conf or alnum < min_alnum:
        return True
    if alnum / max(len(stripped.replace(" ", "")), 1) < 0.6:
        return True
    words = stripped.split()
    # mostly one-character fragments ("l i | . ,") is texture, not text
    return len(words) >= 3 and sum(len(w) == 1 for w in words) / len(words) > 0.6


def trim_symbols(line: _Line) -> _Line:
    """The line without its leading and trailing words that hold no letter or digit (tesseract
    reads the edge of a sign's box as '~', '|' or ';'); the box is kept."""
    keep = [i for i, w in enumerate(line.words) if _ALNUM.search(w)]
    if not keep:
        return _Line([], [], line.box)
    a, b = keep[0], keep[-1] + 1
    return _Line(line.words[a:b], line.confs[a:b], line.box)


def tesseract_words(cache_dir: Path, lang: str = "eng") -> frozenset[str] | None:
    """Tesseract's own word list for ``lang`` (its dictionary, unpacked once with the
    tesseract-ocr tools into ``cache_dir``), lower-cased; None when it cannot be unpacked."""
    import subprocess
    import tempfile

    target = cache_dir / f"{lang}.words"
    if not target.is_file():
        try:
            folder = tessdata_dir()
            if folder is None:
                return None
            data = Path(folder) / f"{lang}.traineddata"
            with tempfile.TemporaryDirectory(prefix="vidseek-tessdict-") as tmp:
                prefix = str(Path(tmp) / f"{lang}.")
                subprocess.run(
                    ["combine_tessdata", "-u", str(data), prefix],
                    capture_output=True,
                    timeout=60,
                    check=True,
                )
                words = Path(tmp) / "words.txt"
                subprocess.run(
                    [
                        "dawg2wordlist",
                        f"{prefix}lstm-unicharset",
                        f"{prefix}lstm-word-dawg",
                        str(words),
                    ],
                    capture_output=True,
                    timeout=120,
                    check=True,
                )
                cache_dir.mkdir(parents=True, exist_ok=True)
                part = target.with_name(f".{target.name}.part")
                part.write_text(words.read_text(encoding="utf-8").lower(), encoding="utf-8")
                part.replace(target)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("no tesseract word list for %s (%s): the dictionary test is off", lang, exc)
            return None
    return frozenset(target.read_text(encoding="utf-8").split())


def is_wordlike(text: str, confidence: float, words: frozenset[str], sure: float = 0.9) -> bool:
    """Whether a line reads as language: it holds a dictionary word of 3+ letters or a number,
    or tesseract is very sure of it. Junk read from foliage and brickwork ('lle', 'willl',
    'aa') fails; signs ('LOT B FULL', 'CAM 04', 'SPEED LIMIT 15') pass."""
    if confidence >= sure:
        return True
    for token in re.findall(r"[A-Za-z]+|\d+", text):
        if token.isdigit() or (len(token) >= 3 and token.lower() in words):
            return True
    return False


class TesseractRecognizer:
    """TextRecognizer over tesseract (see ``tesseract_engine``). Options: ``psm`` (page
    segmentation modes for a whole frame, '+'-separated, their lines joined; default '11+3' =
    sparse and automatic), ``region_psm`` (modes for the gate's packed text regions, tried in
    turn until one reads a line; default '6+11' = one block, then sparse), ``min_conf`` (0-1,
    default 0.6), ``min_height`` (upscale frames shorter than this, default 720), ``variants``
    (passes besides grayscale: 'sat' colour saturation, 'bin' Otsu binarisation; default
    'gray,sat'), ``gate`` (1 = read a video's frames through a text gate, see
    ``GatedTextReader``; frames must then come in time order, one video at a time; default 0;
    ``settle=0`` reads new text at once instead of when it holds still), ``words`` (1 = drop
    lines that hold no dictionary word or number unless tesseract is very sure, see
    ``is_wordlike``; default 0), ``engine`` ('api' = tesseract loaded in this process, 'cli' = a
    process per call, default 'auto' = api when tesserocr loads)."""

    def __init__(self, ref: ModelRef, settings: Settings) -> None:
        import pytesseract

        self.ref = str(ref)
        self.lang = ref.name or "eng"
        # measured on planted signs (benchmarks/ocr.py): sparse mode (11) alone missed every sign
        # on speckled tarmac or bright foliage, automatic mode (3) alone a banner over a busy
        # street; whole frames are read with both, the gate's packed regions in one-block mode
        self.psms = tuple(int(p) for p in str(ref.options.get("psm", "11+3")).split("+") if p)
        # one-block mode reads a tight sign best but nothing of a region that is mostly picture
        # (a sign over a test pattern); sparse mode then reads it
        self.region_psms = tuple(
            int(p) for p in str(ref.options.get("region_psm", "6+11")).split("+") if p
        )
        self.min_conf = float(ref.options.get("min_conf", 0.6))
        self.min_height = int(ref.options.get("min_height", 720))
        self.variants = set(ref.options.get("variants", "gray,sat").split(","))
        self.words: frozenset[str] | None = None
        if ref.options.get("words", "0") in ("1", "true", "yes"):
            self.words = tesseract_words(settings.cache_dir / "ocr", self.lang.split("+")[0])
        self.gated: GatedTextReader | None = None
        if ref.options.get("gate", "0") in ("1", "true", "yes"):
            self.gated = GatedTextReader(
                self.read_one,
                TextGate(TextGateConfig(settle=ref.options.get("settle", "1") != "0")),
                read_packed=self.read_packed,
            )
        if shutil.which("tesseract") is None:
            raise ModelMissingError(
                self.ref, "the tesseract binary is not installed: " + APT_HINT.format(lang="eng")
            )
        try:
            available = set(pytesseract.get_languages(config=""))
        except Exception as exc:  # pytesseract wraps many failures
            raise ModelMissingError(self.ref, f"tesseract does not run ({exc})") from exc
        missing = [lang for lang in self.lang.split("+") if lang not in available]
        if missing:
            raise ModelMissingError(
                self.ref,
                f"tesseract language data {', '.join(missing)} not installed: "
                + " ".join(APT_HINT.format(lang=lang) for lang in missing),
            )
        self.engine = make_engine(self.lang, str(ref.options.get("engine", "auto")))

    def _variants(self, image: np.ndarray) -> tuple[list[Image.Image], float]:
        """Grayscale, plus a saturation channel when the frame has strong colour (measured:
        yellow text over white shelves is invisible in grayscale, 3 of 3 words in saturation),
        plus an optional Otsu-binarised pass; small frames are upscaled first."""
        rgb = Image.fromarray(np.ascontiguousarray(image)).convert("RGB")
        scale = 1.0
        if rgb.height < self.min_height:
            scale = min(self.min_height / rgb.height, 3.0)
            size = (round(rgb.width * scale), round(rgb.height * scale))
            rgb = rgb.resize(size, Image.LANCZOS)
        gray = ImageOps.grayscale(rgb)
        variants = [gray]
        if "sat" in self.variants:
            arr = np.asarray(rgb)
            sat = (arr.max(axis=2).astype(np.int16) - arr.min(axis=2)).astype(np.uint8)
            if np.percentile(sat, 99.5) > 100:
                variants.append(Image.fromarray(sat))
        if "bin" in self.variants:
            arr = np.asarray(gray)
            binary = (arr > otsu_threshold(arr)).astype(np.uint8) * 255
            if binary.mean() < 127:  # tesseract prefers dark text on a light page
                binary = 255 - binary
            variants.append(Image.fromarray(binary))
        return variants, scale

    def _ocr(self, image: Image.Image, scale: float, psm: int) -> list[_Line]:
        data = self.engine.data(image, psm)
        lines: dict[tuple[int, int, int], _Line] = {}
        for i, word in enumerate(data["text"]):
            conf = float(data["conf"][i])
            word = (word or "").strip()
            if conf < 0 or not word:
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            x, y = data["left"][i] / scale, data["top"][i] / scale
            w, h = data["width"][i] / scale, data["height"][i] / scale
            line = lines.setdefault(key, _Line([], [], [x, y, x + w, y + h]))
            line.words.append(word)
            line.confs.append(conf)
            line.box = [
                min(line.box[0], x),
                min(line.box[1], y),
                max(line.box[2], x + w),
                max(line.box[3], y + h),
            ]
        return merge_lines(list(lines.values()))

    def read_one(self, image: np.ndarray, time_s: float) -> list[TextLine]:
        """The lines of one whole frame."""
        return self._read(image, time_s, self.psms)

    def read_packed(self, image: np.ndarray, time_s: float) -> list[TextLine]:
        """The lines of a ``pack_regions`` stack of text regions."""
        for psm in self.region_psms:
            lines = self._read(image, time_s, (psm,))
            if lines:
                return lines
        return []

    def _read(self, image: np.ndarray, time_s: float, psms: tuple[int, ...]) -> list[TextLine]:
        variants, scale = self._variants(image)
        best: dict[str, TextLine] = {}
        pieces = (ln for v in variants for psm in psms for ln in self._ocr(v, scale, psm))
        for line in pieces:
            line = trim_symbols(line)
            text, conf = line.text, line.confidence
            if is_garbage(text, conf, self.min_conf):
                continue
            if self.words is not None and not is_wordlike(text, conf, self.words):
                continue
            height = line.box[3] - line.box[1]
            letters = len(_ALNUM.findall(text))
            # specks: text under 6 px tall, or a short fragment read without confidence
            if height < 6 or (letters < 3 and conf < 0.85):
                continue
            key = " ".join(_ALNUM.findall(text.lower()))
            found = TextLine(time_s, text, round(conf, 4), tuple(round(v, 1) for v in line.box))
            if key not in best or conf > best[key].confidence:
                best[key] = found
        return sorted(best.values(), key=lambda t: (t.box[1], t.box[0]) if t.box else (0, 0))

    def reset(self) -> None:
        """Forget the gate's last frame: a new video starts."""
        if self.gated is not None:
            self.gated.reset()

    def read(self, images: Sequence[np.ndarray], times_s: Sequence[float]) -> list[list[TextLine]]:
        if self.gated is not None:
            return self.gated.read(images, times_s)
        if len(images) != len(times_s):
            raise ValueError(f"{len(images)} images but {len(times_s)} times")
        return [self.read_one(img, float(t)) for img, t in zip(images, times_s, strict=True)]
