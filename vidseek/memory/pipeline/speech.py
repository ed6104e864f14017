"""The speech stage: the audio track -> timed speech segments (``speech.json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vidseek.memory import stages as S
from vidseek.memory.pipeline.context import StageOutcome, VideoJob
from vidseek.memory.pipeline.rows import speech_to_row
from vidseek.models.base import SpeechSegment, describe

FILES = ("speech.json",)


def transcribe_video(
    video: Path, wav_path: Path, recognizer: Any, max_duration_s: float | None = None
) -> list[SpeechSegment]:
    """Speech of a video: its audio track extracted to ``wav_path`` (removed after), transcribed.
    ``max_duration_s`` (the video's duration) bounds an audio track that runs on for hours."""
    from vidseek.media.ffmpeg import extract_audio

    wav = extract_audio(video, wav_path, max_duration_s=max_duration_s)
    try:
        return S.transcribe(str(wav), recognizer) if wav is not None else []
    finally:
        wav_path.unlink(missing_ok=True)


def off_reason(job: VideoJob) -> str:
    if not job.info.has_audio:
        return "the video has no audio track"
    if job.settings.models.speech is None:
        return "models.speech is off"
    return ""


def write_off(job: VideoJob, reason: str) -> None:
    job.art.write_json("speech.json", {"segments": [], "skipped": reason})


def run(job: VideoJob) -> StageOutcome:
    duration = job.info.duration_s
    job.progress.start("speech", total=duration, unit="s")
    recognizer = job.models.speech
    segments: list[SpeechSegment] = []
    if recognizer is not None:
        segments = transcribe_video(
            job.video, job.art.path("audio.wav"), recognizer, max_duration_s=duration
        )
    job.art.write_json(
        "speech.json",
        {"segments": [speech_to_row(s) for s in segments], "model": describe(recognizer)},
    )
    job.progress.update("speech", duration)
    n = len(segments)
    return StageOutcome(f"{n} segments", n, duration, {"items": n})
