"""Compatibility names: the index builder now lives in ``vidseek.memory.pipeline``."""

from __future__ import annotations

from vidseek.memory.pipeline import (
    FRAME_STAGES,
    STAGE_ORDER,
    BuildReport,
    LocalEngine,
    StageResult,
    build,
    index,
    index_many,
)
from vidseek.memory.pipeline.decode import prefetch, resize_frames

# older spellings (benchmarks/index.py and tests/tools import these two)
_prefetch = prefetch
_resize = resize_frames

__all__ = [
    "FRAME_STAGES",
    "STAGE_ORDER",
    "BuildReport",
    "LocalEngine",
    "StageResult",
    "build",
    "index",
    "index_many",
]
