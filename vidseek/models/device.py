"""Which torch device a backend runs on: ``settings.models.device`` or, for "auto", CUDA when
present (then Apple MPS), else CPU."""

from __future__ import annotations

from vidseek.config import Settings


def resolve_device(settings: Settings) -> str:
    wanted = (settings.models.device or "auto").strip().lower()
    if wanted != "auto":
        return wanted
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"
