"""The ``local:`` model backend: an offline chat model served by a process vidseek starts itself
(``vidseek.servers.llm_server``), registered through the same hook as any plug-in backend.

Reference: ``local:NAME`` with options ``runtime=xllamacpp|llama_cpp|transformers`` (default: the
first installed, in that order) and ``threads=N`` (CPU threads of a server this process starts).
The chat model's capabilities come from the runtime actually serving it: JSON-schema output is
constrained on the llama.cpp runtimes and only asked for in the prompt on the transformers one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from vidseek.errors import ConfigError
from vidseek.models.backends import ModelBackend
from vidseek.models.chat_base import ChatCapabilities
from vidseek.plugins import hookimpl

if TYPE_CHECKING:
    from vidseek.config import Settings
    from vidseek.models.refs import ModelRef

LOCAL_CHAT = ChatCapabilities(tool_calls=False, json_schema=True, sees_images=False, streams=True)


def load_local_chat(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.chat import LOCAL_TIMEOUT_S, OpenAIChatModel
    from vidseek.servers.llm_server import ensure_local_server

    unknown = set(ref.options) - {"runtime", "threads"}
    if unknown:
        raise ConfigError(
            f"model reference '{ref}': unknown option(s) {', '.join(sorted(unknown))} "
            "(local: takes runtime= and threads=)"
        )
    threads = ref.options.get("threads")
    if threads is not None and not (threads.isdigit() and int(threads) > 0):
        raise ConfigError(f"model reference '{ref}': threads must be a positive integer")
    server = ensure_local_server(
        settings, ref.name, ref.options.get("runtime"), int(threads) if threads else None
    )
    runtime = server.runtime_info
    # a CPU model on a busy machine is slow, and retrying a timed-out request only adds load
    timeout = max(settings.models.request_timeout_s, LOCAL_TIMEOUT_S)
    return OpenAIChatModel(
        server.base_url,
        server.model_alias,
        settings,
        runtime.quirks,
        ref=str(ref),
        timeout_s=timeout,
        capabilities=replace(LOCAL_CHAT, json_schema=runtime.constrained_json),
    )


LOCAL_BACKEND = ModelBackend(
    "local",
    {"planner": load_local_chat},
    aliases=("llama.cpp",),
    chat=LOCAL_CHAT,
    example="local:qwen2.5-coder-0.5b-instruct?runtime=xllamacpp&threads=2",
    summary="an offline GGUF served by a local process vidseek starts (xllamacpp by default)",
)


@hookimpl
def register_model_backends(register) -> None:
    register(LOCAL_BACKEND)
