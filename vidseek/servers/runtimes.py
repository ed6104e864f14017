"""The programs that can serve the offline GGUF over the OpenAI API, best first.

All take the same command-line flags (llama-cpp-python's), so ``LocalLLMServer`` starts any of them
the same way. ``xllamacpp`` is the default: a prebuilt wheel of llama.cpp's own C++ server (no
compiler at install time), with grammar-constrained JSON-schema output; ``llama_cpp`` is
llama-cpp-python's server (compiled at install time, ~10 minutes); ``transformers`` is vidseek's
slower fallback (``vidseek.servers.tf_server``: JSON by prompt only, not constrained). See
``benchmarks/llm_server.py`` for how they compare.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from vidseek.errors import ModelMissingError


@dataclass(frozen=True)
class Runtime:
    """One server program for the local LLM.

    ``module``: what ``python -m`` runs; ``requires``: import names it needs; ``install``: the
    command that installs them; ``quirks``: the server profile the chat adapter uses with it
    (vidseek.models.quirks); ``constrained_json``: whether JSON-schema output is enforced while
    decoding (else only asked for in the prompt)."""

    name: str
    module: str
    requires: tuple[str, ...]
    install: str
    quirks: str
    constrained_json: bool
    start_timeout_s: float
    summary: str


RUNTIMES: dict[str, Runtime] = {
    r.name: r
    for r in (
        Runtime(
            "xllamacpp",
            "vidseek.servers.xllamacpp_server",
            ("xllamacpp",),
            "pip install xllamacpp",
            "llama-server",
            True,
            180.0,
            "llama.cpp's C++ server from the prebuilt xllamacpp wheel (JSON-schema constrained)",
        ),
        Runtime(
            "llama_cpp",
            "llama_cpp.server",
            ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context"),
            "CMAKE_ARGS=-DGGML_NATIVE=OFF pip install 'llama-cpp-python[server]' "
            "(compiles llama.cpp, ~10 minutes)",
            "llamacpp",
            True,
            180.0,
            "llama-cpp-python's server (grammar-constrained JSON)",
        ),
        Runtime(
            "transformers",
            "vidseek.servers.tf_server",
            ("transformers", "torch", "gguf", "accelerate"),
            "pip install transformers gguf accelerate",
            "llamacpp",
            False,
            600.0,
            "vidseek's transformers fallback: slower, JSON asked for in the prompt only",
        ),
    )
}
DEFAULT_ORDER = ("xllamacpp", "llama_cpp", "transformers")


def missing_modules(runtime: Runtime) -> list[str]:
    """The import names of ``runtime`` that are not installed."""
    return [m for m in runtime.requires if importlib.util.find_spec(m) is None]


def choose_runtime(prefer: str | None = None) -> Runtime:
    """The runtime to start: ``prefer`` when given (an error when it is not installed), else the
    first installed one in ``DEFAULT_ORDER``."""
    if prefer is not None:
        runtime = get_runtime(prefer)
        missing = missing_modules(runtime)
        if missing:
            raise ModelMissingError(
                runtime.name, f"module(s) {', '.join(missing)} missing: {runtime.install}"
            )
        return runtime
    for name in DEFAULT_ORDER:
        if not missing_modules(RUNTIMES[name]):
            return RUNTIMES[name]
    how = "; or ".join(
        f"{RUNTIMES[n].install} (missing: {', '.join(missing_modules(RUNTIMES[n]))})"
        for n in DEFAULT_ORDER
    )
    raise ModelMissingError("xllamacpp", f"the local LLM needs a server runtime: {how}")


def get_runtime(name: str) -> Runtime:
    from vidseek.errors import ConfigError

    try:
        return RUNTIMES[name]
    except KeyError:
        raise ConfigError(
            f"local LLM runtime '{name}' is unknown (known: {', '.join(DEFAULT_ORDER)})"
        ) from None
