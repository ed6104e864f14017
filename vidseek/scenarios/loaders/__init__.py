"""Benchmark loaders: each maps one benchmark's annotation files into ``QARecord``s.

``load_dataset(name, path, video_root)`` picks the loader by name; ``path`` is the annotation file
or its folder, ``video_root`` the folder holding the videos (may be absent: records then carry no
path, and a missing video is reported per question by the runner, never here)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from vidseek.scenarios.loaders.common import DatasetError
from vidseek.scenarios.records import QARecord

LOADERS: dict[str, str] = {
    "lvbench": "lvbench",
    "videomme": "videomme",
    "longvideobench": "longvideobench",
    "mlvu": "mlvu",
    "egoschema": "egoschema",
    "lvhaystack": "lvhaystack",
    "qvhighlights": "qvhighlights",
    "charades_sta": "charades_sta",
    "nextqa": "nextqa",
    "activitynetqa": "activitynetqa",
    "haystack": "vidseek_haystack",
}
ALIASES = {
    "video-mme": "videomme", "video_mme": "videomme", "lv-haystack": "lvhaystack",
    "charades-sta": "charades_sta", "next-qa": "nextqa", "activitynet-qa": "activitynetqa",
    "vidseek": "haystack", "dev10": "haystack",
}  # fmt: skip


def dataset_names() -> list[str]:
    return sorted(LOADERS)


def load_dataset(
    name: str, path: str | Path, video_root: str | Path | None = None, **options: Any
) -> list[QARecord]:
    """Questions of benchmark ``name`` from ``path``; ``options`` go to that loader (e.g.
    ``answers=`` for EgoSchema, ``open_ended=False`` for MLVU)."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in LOADERS:
        raise DatasetError(name, f"unknown dataset; known: {', '.join(dataset_names())}")
    module = importlib.import_module(f"vidseek.scenarios.loaders.{LOADERS[key]}")
    root = Path(video_root).expanduser() if video_root is not None else None
    records: list[QARecord] = module.load(Path(path).expanduser(), root, **options)
    seen: set[str] = set()
    for rec in records:
        if rec.qid in seen:
            raise DatasetError(path, f"question id {rec.qid!r} appears twice")
        seen.add(rec.qid)
    return records


__all__ = ["DatasetError", "LOADERS", "QARecord", "dataset_names", "load_dataset"]
