"""Progress in the terminal: rich bars on a TTY; without one, plain lines per task (done/total,
rate, ETA) every few seconds and a timing summary at the end, from real subprocess runs."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from vidseek.cli.progress import PlainProgress, RichProgress, duration, progress_display
from vidseek.config import Settings
from vidseek.progress import ProgressEvent


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _event(clock: Clock, kind: str, task: str, done: float = 0, total=None, **kw) -> ProgressEvent:
    return ProgressEvent(kind, task, done, total, time_s=clock.t, **kw)  # type: ignore[arg-type]


def test_plain_lines_are_throttled_and_carry_rate_and_eta() -> None:
    clock, out = Clock(), io.StringIO()
    sink = PlainProgress(out, every_s=5.0, clock=clock)
    sink(_event(clock, "start", "ocr", 0, 100, unit="frames", scope="/v/a.mp4"))
    for _ in range(20):  # 20 advances, one per second: the first at once, then every 5 s
        clock.t += 1
        done = (clock.t - 1000) * 2
        sink(_event(clock, "advance", "ocr", done, 100, unit="frames", scope="/v/a.mp4"))
    sink(_event(clock, "message", "ocr", detail="reading signs", scope="/v/a.mp4"))
    clock.t += 5
    sink(_event(clock, "advance", "ocr", 50, 100, unit="frames", scope="/v/a.mp4"))
    clock.t += 1
    sink(_event(clock, "finish", "ocr", 100, 100, unit="frames", scope="/v/a.mp4", detail="ok"))
    sink.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "a.mp4: ocr: started of 100 frames"
    progress = [ln for ln in lines if "ETA" in ln]
    assert progress[0] == "a.mp4: ocr: 2/100 frames (2%), 2 frames/s, ETA 49 s"
    assert len(progress) == 5  # at 1 s, 6 s, 11 s, 16 s, then 25 s (with the status)
    assert progress[-1].endswith("reading signs")
    assert "a.mp4: ocr: done in 26 s (ok)" in lines
    summary = lines[lines.index("timing summary:") :]
    assert summary[1] == "  a.mp4"
    assert re.match(r"    ocr\s+26 s  3\.85 frames/s$", summary[2]), summary
    assert summary[-1].startswith("  total")


def test_plain_messages_without_a_task_are_lines_and_unknown_totals_work() -> None:
    clock, out = Clock(), io.StringIO()
    sink = PlainProgress(out, every_s=5.0, clock=clock)
    sink(_event(clock, "message", "", detail="downloading opencv-doc"))
    sink(_event(clock, "start", "questions"))
    clock.t += 2
    sink(_event(clock, "advance", "questions", 3))
    text = out.getvalue()
    assert "downloading opencv-doc\n" in text
    assert "questions: 3, 1.5 steps/s" in text and "ETA" not in text


def test_durations() -> None:
    assert [duration(s) for s in (0.04, 12.4, 185, 3725)] == ["0.0 s", "12 s", "3m05s", "1h02m"]


def test_rich_bars_on_a_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120)
    with RichProgress(console) as sink:
        sink(ProgressEvent("start", "speech", 0, 10, "s", "/v/a.mp4"))
        sink(ProgressEvent("advance", "speech", 4, 10, "s", "/v/a.mp4"))
        sink(ProgressEvent("message", "speech", scope="/v/a.mp4", detail="acc 50%"))
        sink(ProgressEvent("message", "", detail="a line of its own"))
        sink(ProgressEvent("finish", "speech", 10, 10, "s", "/v/a.mp4"))
    text = buf.getvalue()
    assert "speech" in text and "10/10" in text and "a line of its own" in text


def test_display_picks_plain_lines_without_a_terminal() -> None:
    plain = Console(file=io.StringIO(), force_terminal=False)
    with progress_display(plain) as sink:
        assert isinstance(sink, PlainProgress)
    tty = Console(file=io.StringIO(), force_terminal=True)
    with progress_display(tty) as sink:
        assert isinstance(sink, RichProgress)
    with progress_display(tty, enabled=False) as sink:
        assert sink is None


def _vidseek(data: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vidseek", "--data-dir", str(data), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,  # stderr is not a terminal: plain lines
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", "OMP_NUM_THREADS": "2"},
    )


@pytest.fixture(scope="module")
def clips(test_data_dir: Path) -> dict[str, Path]:
    from vidseek.errors import VidseekError
    from vidseek.footage import fetch_samples

    try:
        return fetch_samples(Settings(data_dir=test_data_dir))
    except VidseekError as exc:
        pytest.skip(f"sample clips unavailable: {exc}")


def test_shots_without_a_terminal_prints_plain_progress(clips, tmp_path) -> None:
    video = clips["bikes"]
    proc = _vidseek(tmp_path, "shots", str(video))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert f"{video.name}: detecting shots: started of 10 s" in lines
    assert any(
        re.match(rf"{video.name}: detecting shots: [\d.]+/10 s \(\d+%\), ", ln) for ln in lines
    )
    assert any(
        re.match(rf"{video.name}: detecting shots: done in .* \(\d+ shots\)", ln) for ln in lines
    )
    assert "timing summary:" in lines and lines[-1].startswith("  total")
    assert "\x1b[" not in proc.stderr  # no terminal control codes in a log file
    assert "shots in bikes.mp4" in proc.stdout


@pytest.mark.slow
def test_index_without_a_terminal_prints_stage_lines_and_a_summary(clips, tmp_path) -> None:
    video = clips["carphone"]
    proc = _vidseek(tmp_path, "index", str(video), "--profile", "offline", timeout=1500)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    started = [ln for ln in lines if ln.startswith(f"{video.name}: ") and ": started" in ln]
    done = [ln for ln in lines if ": done in " in ln]
    assert len(started) >= 4 and len(done) >= 3, proc.stderr
    assert any("ETA" in ln and "/s" in ln for ln in lines), proc.stderr
    summary = lines[lines.index("timing summary:") :]
    stages = {ln.split()[0] for ln in summary[2:-1]}
    assert {"detections", "screen_text", "write"} <= stages, summary
    assert "it/s]" not in proc.stderr  # model-loading bars are off without a terminal
    assert "\x1b[" not in proc.stderr
