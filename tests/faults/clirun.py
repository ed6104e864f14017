"""Run ``python -m vidseek.cli`` as a real child process and measure it (exit code, output,
peak resident memory of the child, wall time).

The peak comes from the child's own ``VmHWM`` written at exit, not from ``wait4``: Linux keeps
the high-water mark of the pre-``exec`` address space, so a child forked from a pytest process
that has loaded torch would report the parent's 2 GB. ``wait4`` is the fallback for a child
that dies before its exit handlers run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# Runs the CLI as ``-m vidseek.cli`` would, and on exit writes this process's own peak RSS.
_LAUNCHER = """
import atexit, os, runpy, sys
def _peak():
    with open('/proc/self/status') as f:
        kb = next(line.split()[1] for line in f if line.startswith('VmHWM:'))
    with open(os.environ['VIDSEEK_TEST_PEAK_FILE'], 'w') as out:
        out.write(kb)
atexit.register(_peak)
runpy.run_module('vidseek.cli', run_name='__main__', alter_sys=True)
"""


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
    peak_file = Path(tempfile.mkstemp(prefix="vidseek-peak-")[1])
    full_env = {
        **os.environ,
        "COLUMNS": "200",
        "PYTHONUNBUFFERED": "1",
        "VIDSEEK_TEST_PEAK_FILE": str(peak_file),
        **(env or {}),
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, *args],
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
    reported = peak_file.read_text().strip()
    peak_file.unlink(missing_ok=True)
    peak_kb = int(reported) if reported else usage.ru_maxrss
    return Run(tuple(args), proc.returncode, stdout, stderr, peak_kb / 1024, seconds)


def listing(folder: Path) -> set[str]:
    """Every name under ``folder`` (to prove a run left no stray file behind)."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.is_dir() else set()
