"""One loader per role: turn a model reference into a model object, through the backend the
reference names (``vidseek.models.backends``: built-ins and plug-ins alike). Backends import their
heavy libraries lazily, so importing this module costs nothing."""

from __future__ import annotations

from typing import Any

from vidseek.config import Settings
from vidseek.errors import ConfigError
from vidseek.models.backends import ROLES, backends_for, find_backend
from vidseek.models.base import (
    Detector,
    ImageTextEmbedder,
    SpeechRecognizer,
    TextEmbedder,
    TextRecognizer,
    VisionLanguageModel,
)
from vidseek.models.chat_base import ChatModel
from vidseek.models.refs import ModelRef, parse_ref


def load_model(role: str, ref: str | ModelRef, settings: Settings) -> Any:
    """The model for ``role`` (a key of ``ROLES``) that ``ref`` names; a backend that does not
    serve the role is a ConfigError listing the backends that do."""
    if role not in ROLES:
        raise ConfigError(f"unknown model role '{role}' (roles: {', '.join(ROLES)})")
    ref = parse_ref(ref)
    backend = find_backend(ref.backend)
    loader = backend.loaders.get(role) if backend is not None else None
    if loader is None:
        allowed = ", ".join(
            b.name if b.ref_form == "bare" else f"{b.name}:" for b in backends_for(role)
        )
        raise ConfigError(
            f"model reference '{ref}' cannot be used as {ROLES[role]}: expected one of {allowed}"
        )
    return loader(ref, settings)


def load_text_embedder(ref: str | ModelRef, settings: Settings) -> TextEmbedder:
    return load_model("text_embedder", ref, settings)


def load_image_text_embedder(ref: str | ModelRef, settings: Settings) -> ImageTextEmbedder:
    return load_model("image_text_embedder", ref, settings)


def load_detector(ref: str | ModelRef, settings: Settings) -> Detector:
    return load_model("detector", ref, settings)


def load_speech_recognizer(ref: str | ModelRef, settings: Settings) -> SpeechRecognizer:
    return load_model("speech", ref, settings)


def load_text_recognizer(ref: str | ModelRef, settings: Settings) -> TextRecognizer:
    return load_model("ocr", ref, settings)


def load_vision_language_model(ref: str | ModelRef, settings: Settings) -> VisionLanguageModel:
    return load_model("vlm", ref, settings)


def load_planner(ref: str | ModelRef, settings: Settings) -> ChatModel:
    """The planner's ChatModel."""
    return load_model("planner", ref, settings)
