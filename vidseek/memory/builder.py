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
