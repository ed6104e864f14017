"""The run file: one JSON line per answered question, appended as results arrive. Reading it
tolerates a line cut short by a crash; the last row of a qid wins (a retried question)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from vidseek.errors import VidseekError

log = logging.getLogger(__name__)


class RunFileError(VidseekError):
    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """All rows of a run file, in file order; a broken last line (a crash mid-write) is skipped."""
    path = Path(path)
    if not path.is_file():
        raise RunFileError(path, "run file not found")
    rows: list[dict[str, Any]] = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if n == len(lines):
                log.warning("%s: ignoring the unfinished last line (the run was cut off)", path)
                continue
            raise RunFileError(path, f"line {n} is not valid JSON") from None
        if not isinstance(row, dict) or "qid" not in row:
            raise RunFileError(path, f"line {n} is not a result row (no qid)")
        rows.append(row)
    return rows


def latest_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per qid: the last one written, in first-seen order."""
    by_qid: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_qid[str(row["qid"])] = row
    return list(by_qid.values())


def load_run(path: str | Path) -> list[dict[str, Any]]:
    return latest_rows(read_rows(path))


class RunWriter:
    """Appends rows durably: each row is flushed and fsync'ed before the next question counts as
    done, so a crash loses at most the questions in flight."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_tail()
        self._fh = self.path.open("a", encoding="utf-8")

    def _repair_tail(self) -> None:
        """Cut a partial last line left by a crash, so the next row starts on a fresh line."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open("rb+") as fh:
            data = fh.read()
            if data.endswith(b"\n"):
                return
            cut = data.rfind(b"\n") + 1
            fh.truncate(cut)
            log.warning("%s: removed an unfinished last line left by a crash", self.path)

    def write(self, row: dict[str, Any]) -> None:
        self._fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
