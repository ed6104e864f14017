"""The media layer: probing, timestamp-based frame decoding (decord / PyAV), parallel streamed
decoding, shot boundaries, crops. Nothing here imports from the layers above."""

from vidseek.media.crops import crop, save_jpeg, thumbnail
from vidseek.media.frames import (
    DecordFrameSource,
    FrameSource,
    PyAVFrameSource,
    frames_at,
    open_frame_source,
)
from vidseek.media.parallel import iter_frame_batches, sample_times
from vidseek.media.probe import probe, video_id
from vidseek.media.shots import ShotDetector, detect_shots, refine_shots
from vidseek.media.types import DecodeDamage, Frame, Shot, Span, VideoInfo

__all__ = [
    "DecodeDamage",
    "DecordFrameSource",
    "Frame",
    "FrameSource",
    "PyAVFrameSource",
    "Shot",
    "ShotDetector",
    "Span",
    "VideoInfo",
    "crop",
    "detect_shots",
    "frames_at",
    "iter_frame_batches",
    "open_frame_source",
    "probe",
    "refine_shots",
    "sample_times",
    "save_jpeg",
    "thumbnail",
    "video_id",
]
