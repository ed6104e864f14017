"""Model backends: the ``backend:`` prefixes of model references, each registered through the
``register_model_backends`` hook (``vidseek.plugins``), built-ins included.

A ``ModelBackend`` says which roles it serves (one loader each), how the rest of its reference is
parsed (a model name, ``URL#MODEL`` for an HTTP server, or nothing), and what its chat models can do.
``vidseek.models.refs`` parses references against this table and ``vidseek.models.loader`` loads a
role through it, so a plug-in backend needs no edit anywhere in vidseek.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from vidseek import plugins
from vidseek.errors import ConfigError
from vidseek.models.chat_base import ChatCapabilities

if TYPE_CHECKING:
    from vidseek.config import Settings
    from vidseek.models.refs import ModelRef

# role -> what it is called in messages
ROLES: dict[str, str] = {
    "planner": "chat planner",
    "vlm": "vision-language model (captioner, inspector)",
    "text_embedder": "text embedder",
    "image_text_embedder": "image-text embedder",
    "detector": "detector",
    "speech": "speech recognizer",
    "ocr": "text recognizer (OCR)",
}
RefForm = Literal["name", "url", "bare"]
Loader = Callable[["ModelRef", "Settings"], Any]


@dataclass(frozen=True)
class ModelBackend:
    """One model backend.

    ``loaders``: role (a key of ``ROLES``) -> ``load(ref, settings)`` returning the model (import
    heavy libraries inside it, so registering costs nothing). ``ref_form``: ``"name"``
    (``backend:NAME?opts``), ``"url"`` (``backend:http://HOST:PORT/v1#MODEL?opts``) or ``"bare"``
    (the backend name alone, e.g. ``metadata``). ``parse(raw, rest, options)`` / ``format(ref)``
    replace the default parsing of a ``"name"`` reference when the backend has its own grammar.
    ``chat``: what its chat models can do (the planner role), declared, never guessed; a reference
    may add ``?vision=1`` (or turn it off with ``?vision=0``). ``quirks``: the server profile
    (``vidseek.models.quirks``) its chat models use over HTTP.
    """

    name: str
    loaders: Mapping[str, Loader]
    ref_form: RefForm = "name"
    aliases: tuple[str, ...] = ()
    chat: ChatCapabilities | None = None
    quirks: str | None = None
    parse: Callable[[str, str, dict[str, str]], ModelRef] | None = None
    format: Callable[[ModelRef], str] | None = None
    example: str = ""
    summary: str = ""
    plugin: str = field(default="", compare=False)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.loaders)


def _check(obj: Any, plugin: str) -> ModelBackend:
    if not isinstance(obj, ModelBackend):
        raise ConfigError(f"plug-in '{plugin}' registered {obj!r}, which is not a ModelBackend")
    if not obj.name or obj.name != obj.name.strip().lower() or ":" in obj.name:
        raise ConfigError(f"plug-in '{plugin}': model backend name {obj.name!r} is not valid")
    unknown = set(obj.loaders) - set(ROLES)
    if unknown or not obj.loaders:
        raise ConfigError(
            f"plug-in '{plugin}': model backend '{obj.name}' serves unknown role(s) "
            f"{', '.join(sorted(unknown)) or '(none)'} (roles: {', '.join(ROLES)})"
        )
    if obj.ref_form not in ("name", "url", "bare"):
        raise ConfigError(f"plug-in '{plugin}': ref_form must be name, url or bare")
    return obj


def model_backends(include_plugins: bool | None = None) -> dict[str, ModelBackend]:
    """Every registered backend by name (built-ins first); a name or alias registered twice is a
    ConfigError naming both plug-ins."""
    pm = plugins.get_plugin_manager(include_plugins)
    backends: dict[str, ModelBackend] = {}
    owner: dict[str, str] = {}
    for reg in plugins.registrations("register_model_backends", pm):
        if len(reg.args) != 1 or reg.kwargs:
            raise ConfigError(
                f"plug-in '{reg.plugin}': register_model_backends takes register(ModelBackend)"
            )
        backend = _check(reg.args[0], reg.plugin)
        for key in (backend.name, *backend.aliases):
            if key in owner:
                raise ConfigError(
                    f"model backend name '{key}' is registered twice: by '{owner[key]}' and by "
                    f"'{reg.plugin}'"
                )
            owner[key] = reg.plugin
        backends[backend.name] = _with_plugin(backend, reg.plugin)
    return backends


def _with_plugin(backend: ModelBackend, plugin: str) -> ModelBackend:
    from dataclasses import replace

    return replace(backend, plugin=plugin)


def backend_aliases() -> dict[str, str]:
    """Alias -> backend name, over every registered backend."""
    return {alias: b.name for b in model_backends().values() for alias in b.aliases}


def find_backend(name: str) -> ModelBackend | None:
    """The backend a reference prefix names (by name or alias, any case), or None."""
    key = name.strip().lower()
    backends = model_backends()
    if key in backends:
        return backends[key]
    return next((b for b in backends.values() if key in b.aliases), None)


def backends_for(role: str) -> list[ModelBackend]:
    """The backends that serve ``role``."""
    return [b for b in model_backends().values() if role in b.loaders]


def chat_capabilities(backend: ModelBackend, options: Mapping[str, str]) -> ChatCapabilities:
    """What a chat model of ``backend`` can do, with a reference's ``vision`` option applied."""
    from dataclasses import replace

    caps = backend.chat or ChatCapabilities()
    vision = options.get("vision")
    if vision is not None:
        value = vision.strip().lower()
        if value not in ("1", "0", "true", "false", "yes", "no"):
            raise ConfigError(f"model option vision={vision!r}: use vision=1 or vision=0")
        caps = replace(caps, sees_images=value in ("1", "true", "yes"))
    return caps


__all__ = [
    "ROLES",
    "Loader",
    "ModelBackend",
    "RefForm",
    "backend_aliases",
    "backends_for",
    "chat_capabilities",
    "find_backend",
    "model_backends",
]
