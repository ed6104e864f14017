"""Run ``python -m vidseek.cli`` as a real child process and measure it (exit code, output,
peak resident memory of the child from ``wait4``, wall time)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str
    max_rss_mb: float
    seconds: float

    @property
    def lines(self) -> list[str]:
        """Non-empty stderr lines."""
        return [ln for ln in self.stderr.splitlines() if ln.strip()]

    def __str__(self) -> str:
        return f"vidseek {' '.join(self.args)} -> {self.rc}\n{self.stdout[-2000:]}\n{self.stderr[-3000:]}"


def vidseek(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout_s: float = 600
) -> Run:
    """One CLI run; output goes through files (no pipe can fill up), the peak RSS comes from
    the kernel's accounting of this very child."""
    full_env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1", **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "vidseek.cli", *args],
            cwd=cwd,
            env=full_env,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "surrogateescape")
        stderr = err.read().decode("utf-8", "surrogateescape")
    return Run(tuple(args), proc.returncode, stdout, stderr, usage.ru_maxrss / 1024, seconds)


def listing(folder: Path) -> set[str]:
    """Every name under ``folder`` (to prove a run left no stray file behind)."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.is_dir() else set()
