"""Helpers every loader shares: reading annotation files with clear errors, finding videos."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vidseek.errors import VidseekError


class DatasetError(VidseekError):
    """An annotation file that is missing or does not have the benchmark's schema."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {problem}")


def find_file(path: Path, names: Iterable[str]) -> Path:
    """``path`` itself when it is a file, else the first of ``names`` inside it."""
    path = Path(path).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        for name in names:
            if (path / name).is_file():
                return path / name
        raise DatasetError(path, f"no annotation file here (looked for {', '.join(names)})")
    raise DatasetError(path, "annotation file not found")


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(path, "annotation file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(path, f"not valid JSON ({exc})") from None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """JSON Lines; a last line without a newline is still read, blank lines are skipped."""
    rows = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(path, "annotation file not found") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DatasetError(path, f"line {n} is not valid JSON ({exc})") from None
    return rows


def read_records(path: Path) -> list[dict[str, Any]]:
    """A list of objects from .json (a list, or a dict of lists under 'data'), .jsonl or .parquet."""
    path = Path(path)
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    if path.suffix == ".parquet":
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise DatasetError(path, "reading parquet needs pandas and pyarrow installed") from None
        return pd.read_parquet(path).to_dict(orient="records")
    data = read_json(path)
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise DatasetError(path, "expected a JSON list of questions")
    return data


def require(row: dict[str, Any], keys: Iterable[str], path: Path, where: str) -> None:
    missing = [k for k in keys if k not in row]
    if missing:
        raise DatasetError(path, f"{where} lacks field(s) {', '.join(missing)}")


def resolve_video(video_root: Path | None, *candidates: str | Path) -> Path | None:
    """The first candidate that exists under ``video_root``; else the first candidate's path (the
    runner reports it missing per question); ``None`` without a root."""
    if video_root is None:
        return None
    root = Path(video_root).expanduser()
    paths = [root / c for c in candidates if c]
    for p in paths:
        if p.exists():
            return p
    return paths[0] if paths else None


_MMSS = re.compile(r"^\s*(\d+):(\d{1,2})(?::(\d{1,2}))?(?:\.(\d+))?\s*$")


def parse_clock(text: str) -> float | None:
    """'MM:SS' (minutes may exceed 99), 'H:MM:SS' or 'None' -> seconds or None."""
    m = _MMSS.match(text)
    if not m:
        return None
    a, b, c, frac = m.groups()
    secs = int(a) * 3600 + int(b) * 60 + int(c) if c is not None else int(a) * 60 + int(b)
    return secs + (float(f"0.{frac}") if frac else 0.0)


def parse_clock_range(text: str | None) -> tuple[float, float] | None:
    """'MM:SS-MM:SS' -> (start, end). A missing end ('08:17-None') gives the point (start, start);
    a missing start or 'None-None' gives None. Reversed spans are put in order by QARecord."""
    if not text or "-" not in str(text):
        return None
    left, _, right = str(text).partition("-")
    start, end = parse_clock(left), parse_clock(right)
    if start is None:
        return None
    return (start, end if end is not None else start)


def frames_to_spans(
    frames: Iterable[int], fps: float, gap_s: float = 1.0
) -> list[tuple[float, float]]:
    """Frame indices -> spans in seconds: each frame covers [i/fps, (i+1)/fps); frames closer than
    ``gap_s`` are merged into one span."""
    times = sorted(int(f) / fps for f in frames)
    spans: list[list[float]] = []
    for t in times:
        if spans and t - spans[-1][1] <= gap_s:
            spans[-1][1] = max(spans[-1][1], t + 1.0 / fps)
        else:
            spans.append([t, t + 1.0 / fps])
    return [(round(a, 3), round(b, 3)) for a, b in spans]
