"""A refused input is one line on stderr (``error: <file>: <problem>``), never a logger line
first, never a traceback; exit code 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _vidseek(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vidseek", "--data-dir", str(data), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "300"},
    )


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("refusals")
    garbage = d / "garbage.mp4"
    garbage.write_bytes(b"not a video, only bytes " * 100)
    return {"garbage": garbage, "missing": d / "missing.mp4", "data": d / "data"}


COMMANDS = {
    "index": lambda b: ["index", str(b["garbage"])],
    "index-missing": lambda b: ["index", str(b["missing"])],
    "search": lambda b: ["search", str(b["garbage"]), "a red car"],
    "info": lambda b: ["info", str(b["missing"])],
    "remove": lambda b: ["remove", "-y", str(b["garbage"])],
    "ask": lambda b: ["ask", str(b["missing"]), "what happens?"],
    "tools-call": lambda b: ["tools", "call", "search_speech", str(b["garbage"])],
    "shots": lambda b: ["shots", str(b["garbage"])],
}


@pytest.mark.parametrize("case", sorted(COMMANDS))
def test_refusal_is_one_line(bad, case: str) -> None:
    proc = _vidseek(bad["data"], *COMMANDS[case](bad))
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    assert "ERROR" not in proc.stderr
    named = bad["missing"] if "missing" in lines[0] else bad["garbage"]
    assert str(named) in lines[0]


def test_several_bad_videos_each_named_once(bad) -> None:
    proc = _vidseek(bad["data"], "index", str(bad["garbage"]), str(bad["missing"]))
    assert proc.returncode == 1
    text = proc.stderr
    assert text.count(str(bad["garbage"])) == 1 and text.count(str(bad["missing"])) == 1, text
    assert "2 of 2 videos could not be indexed" in text
