"""The crash suites' footage: 6 s of two real clips (../shared/media/intel) with a spoken sentence
(espeak-ng) and a sign burned in (ffmpeg drawtext), so every index stage has real work to do."""

from __future__ import annotations

from pathlib import Path

SPOKEN = "the access code for the north door is four two seven"
SIGN = "ROOM 27 CLOSED"


def make_other(intel_media: Path, folder: Path) -> Path:
    """A second, silent 3.6 s video (indexed beside the questions of the concurrency suite)."""
    from vidseek.footage.authoring import normalise

    out = folder / "other.mp4"
    return out if out.is_file() else normalise(intel_media / "asl_book.mp4", out)


def make_clip(intel_media: Path, folder: Path, name: str = "crash.mp4") -> Path:
    """Build the clip once into ``folder`` (normalised, joined, signed, voiced)."""
    from vidseek.footage.authoring import burn_text, concat, mix_speech, normalise, speak

    out = folder / name
    if out.is_file():
        return out
    folder.mkdir(parents=True, exist_ok=True)
    parts = [
        normalise(intel_media / f"{src}.mp4", folder / f"{src}.norm.mp4")
        for src in ("intel_classroom", "intel_bottle-detection")
    ]
    joined = concat(parts, folder / "joined.mp4")
    signed = burn_text(joined, folder / "signed.mp4", SIGN, 3.2, 6.0)
    wav = speak(SPOKEN, folder / "speech.wav")
    mix_speech(signed, out, [(0.3, wav)])
    for tmp in (*parts, joined, signed, wav):
        tmp.unlink(missing_ok=True)
    return out
