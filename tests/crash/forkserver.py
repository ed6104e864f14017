"""Run many short ``vidseek`` CLI processes cheaply: a server process imports vidseek's heavy
libraries (torch, chromadb, sentence-transformers, ...) once, then forks a fresh child per run,
which runs ``python -m vidseek`` with its own arguments and environment and exits.

On this 2-core machine importing those libraries costs more than indexing a 6 s clip, and a crash
suite starts dozens of runs; each child is still a separate process with its own memory, stores
and models, and a SIGKILL (``vidseek.killpoints``) ends only that child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_SERVER = r"""
import json, os, runpy, sys
for name in ("torch", "chromadb", "sentence_transformers", "ultralytics", "faster_whisper",
             "langgraph.graph", "langgraph.checkpoint.sqlite", "vidseek.cli.app",
             "vidseek.memory.builder", "vidseek.agent", "vidseek.service", "vidseek.scenarios.runner"):
    __import__(name)
reply = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
reply.write("ready\n")
for line in sys.stdin:
    req = json.loads(line)
    if req["op"] == "wait":
        _, status = os.waitpid(req["pid"], 0)
        reply.write(json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n")
        continue
    pid = os.fork()
    if pid:
        reply.write(json.dumps({"pid": pid}) + "\n")
        continue
    code = 1
    try:
        os.setpgid(0, 0)
        os.chdir(req["cwd"])
        for k, v in req["env"].items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for fd, path in ((1, req["out"]), (2, req["err"])):
            f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(f, fd)
            os.close(f)
        sys.stdin = open(req.get("stdin") or os.devnull)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        module = req.get("module") or "vidseek.cli"
        sys.argv = [module, *req["args"]]
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
"""


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"vidseek {' '.join(self.args)} -> {self.rc}\n{self.stdout[-2000:]}\n{self.stderr[-3000:]}"


def _repo_path() -> str:
    """PYTHONPATH with the repository first, so a child can run ``tests.crash.*`` modules from
    any working directory."""
    repo = str(Path(__file__).resolve().parents[2])
    rest = os.environ.get("PYTHONPATH")
    return f"{repo}{os.pathsep}{rest}" if rest else repo


class ForkServer:
    """One server process; ``start`` forks a CLI run, ``wait`` collects it, ``run`` does both."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._n = 0
        self._started: dict[int, tuple[tuple[str, ...], Path, Path]] = {}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "OMP_NUM_THREADS": "2", "PYTHONPATH": _repo_path(), **(env or {})},
            text=True,
        )
        ready = self.proc.stdout.readline().strip()
        if ready != "ready":
            raise RuntimeError(f"the fork server did not start (rc {self.proc.poll()})")

    def _ask(self, req: dict) -> dict:
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def start(
        self,
        *args: str,
        env: dict[str, str | None] | None = None,
        cwd: Path | None = None,
        stdin: Path | None = None,
        module: str | None = None,
    ) -> int:
        """Fork one ``vidseek ARGS`` run (or ``python -m MODULE ARGS``); returns its pid."""
        self._n += 1
        out, err = self.folder / f"{self._n}.out", self.folder / f"{self._n}.err"
        req = {
            "op": "run",
            "args": list(args),
            "env": dict(env or {}),
            "cwd": str(cwd or self.folder),
            "out": str(out),
            "err": str(err),
            "stdin": str(stdin) if stdin else None,
            "module": module,
        }
        pid = int(self._ask(req)["pid"])
        self._started[pid] = (tuple(args), out, err)
        return pid

    def wait(self, pid: int) -> Result:
        rc = int(self._ask({"op": "wait", "pid": pid})["rc"])
        args, out, err = self._started.pop(pid)
        return Result(args, rc, out.read_text(errors="replace"), err.read_text(errors="replace"))

    def run(self, *args: str, **kwargs) -> Result:
        return self.wait(self.start(*args, **kwargs))

    def close(self) -> None:
        for pid in list(self._started):
            try:
                os.killpg(pid, 9)
            except ProcessLookupError:
                pass
            self.wait(pid)
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
