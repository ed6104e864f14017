"""llama.cpp's own OpenAI-compatible server, from the prebuilt ``xllamacpp`` wheel, as a process.

``xllamacpp.Server(params)`` loads the model and serves HTTP from C++ threads inside the calling
process; this module gives it the command line that ``vidseek.servers.llm_server`` uses for every
runtime (llama-cpp-python's flags) and keeps the process alive until SIGTERM or SIGINT::

    python -m vidseek.servers.xllamacpp_server --model PATH.gguf --model_alias NAME \\
        --host 127.0.0.1 --port N [--n_threads K] [--n_ctx C] [--n_batch B] [--verbose False]

The server answers ``/v1/models``, ``/health`` and ``/v1/chat/completions`` (streaming, usage in
the last chunk, ``response_format`` ``json_schema`` or ``json_object`` with a ``schema``,
enforced while decoding).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

log = logging.getLogger("vidseek.xllamacpp_server")


def _bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def build_params(args: argparse.Namespace):  # -> xllamacpp.CommonParams
    """xllamacpp's parameters from the parsed command line."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(args.model)
    params.model_alias = {args.model_alias or Path(args.model).name}
    if hasattr(params, "hostnames"):  # xllamacpp >= 2026.10 listens on a list of hosts
        params.hostnames = [args.host]
    else:
        params.hostname = args.host
    params.port = args.port
    params.n_ctx = args.n_ctx
    params.n_batch = args.n_batch
    params.n_parallel = 1  # one request decodes at a time, as with llama-cpp-python's server
    if args.n_threads:
        params.cpuparams.n_threads = args.n_threads
        params.cpuparams_batch.n_threads = args.n_threads
    params.verbosity = 3 if args.verbose else 1  # 1: errors and warnings only
    return params


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m vidseek.servers.xllamacpp_server",
        description="llama.cpp's OpenAI-compatible server (prebuilt xllamacpp wheel)",
    )
    p.add_argument("--model", required=True, help="path to the .gguf file")
    p.add_argument("--model_alias", default=None, help="the model name clients use")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--n_ctx", type=int, default=8192, help="context window in tokens")
    p.add_argument("--n_threads", type=int, default=None, help="CPU threads")
    p.add_argument("--n_batch", type=int, default=512, help="prompt tokens per batch")
    p.add_argument("--verbose", type=_bool, default=False, help="log every request")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    if not Path(args.model).is_file():
        log.error("model file %s does not exist", args.model)
        return 2
    import xllamacpp

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server = xllamacpp.Server(build_params(args))  # returns once the model is loaded
    log.info("serving %s on %s/v1", args.model_alias, server.listening_address)
    while not stop.wait(0.5):
        pass
    del server  # stops the HTTP threads and frees the model
    return 0


if __name__ == "__main__":
    sys.exit(main())
