"""The hook markers for tool plug-ins (kept for plug-ins written against this module); the hook
specifications of every kind of plug-in live in ``vidseek.plugins``."""

from __future__ import annotations

from vidseek.plugins import (
    PROJECT,
    TOOLS_ENTRY_POINT_GROUP,
    VidseekSpec,
    hookimpl,
    hookspec,
)

ENTRY_POINT_GROUP = TOOLS_ENTRY_POINT_GROUP

__all__ = ["ENTRY_POINT_GROUP", "PROJECT", "VidseekSpec", "hookimpl", "hookspec"]
