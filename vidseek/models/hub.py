"""ModelHub: every model of a run, each loaded on first use and then shared, chosen by the
references in ``settings.models``. Loading is thread-safe (the index pipeline uses threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from vidseek.config import Settings
from vidseek.models import loader
from vidseek.models.base import (
    Detector,
    ImageTextEmbedder,
    SpeechRecognizer,
    TextEmbedder,
    TextRecognizer,
    VisionLanguageModel,
)
from vidseek.models.chat_base import ChatModel

T = TypeVar("T")

ROLES = (
    "text_embedder",
    "image_text_embedder",
    "detector",
    "speech",
    "ocr",
    "captioner",
    "inspector",
    "planner",
)


class ModelHub:
    """Lazy, cached access to the models named by ``settings.models`` (None = channel off)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cache: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {role: threading.Lock() for role in ROLES}

    def ref(self, role: str) -> str | None:
        """The reference string configured for a role (for provenance fields)."""
        if role not in ROLES:
            raise KeyError(role)
        return getattr(self.settings.models, role)

    def _load(self, role: str, factory: Callable[[str, Settings], T]) -> T | None:
        if role in self._cache:
            return self._cache[role]
        with self._locks[role]:
            if role not in self._cache:
                ref = self.ref(role)
                self._cache[role] = None if ref is None else factory(ref, self.settings)
        return self._cache[role]

    def set(self, role: str, model: Any) -> None:
        """Put an already built model in a role (tests, notebooks, plug-ins)."""
        if role not in ROLES:
            raise KeyError(role)
        self._cache[role] = model

    def loaded(self) -> dict[str, str]:
        """Roles loaded so far -> their reference."""
        return {
            role: getattr(model, "ref", type(model).__name__)
            for role, model in self._cache.items()
            if model is not None and role in ROLES
        }

    @property
    def text_embedder(self) -> TextEmbedder:
        return self._load("text_embedder", loader.load_text_embedder)  # type: ignore[return-value]

    @property
    def image_text_embedder(self) -> ImageTextEmbedder | None:
        return self._load("image_text_embedder", loader.load_image_text_embedder)

    @property
    def detector(self) -> Detector | None:
        return self._load("detector", loader.load_detector)

    @property
    def speech(self) -> SpeechRecognizer | None:
        return self._load("speech", loader.load_speech_recognizer)

    @property
    def ocr(self) -> TextRecognizer | None:
        return self._load("ocr", loader.load_text_recognizer)

    @property
    def captioner(self) -> VisionLanguageModel:
        return self._load("captioner", loader.load_vision_language_model)  # type: ignore[return-value]

    @property
    def inspector(self) -> VisionLanguageModel | None:
        """The VLM that looks at frames for questions; None when ``models.inspector`` is off."""
        return self._load("inspector", loader.load_vision_language_model)

    @property
    def looker(self) -> VisionLanguageModel:
        """Who answers a look at frames: the inspector; else a captioner that can see; else the
        metadata captioner, which answers honestly that it cannot see (offline profile)."""
        inspector = self.inspector
        if inspector is not None:
            return inspector
        captioner = self.captioner
        if captioner.can_see:
            return captioner
        if "looker_fallback" not in self._cache:
            from vidseek.models.metadata import MetadataCaptioner

            self._cache["looker_fallback"] = (
                captioner if isinstance(captioner, MetadataCaptioner) else MetadataCaptioner()
            )
        return self._cache["looker_fallback"]

    @property
    def planner(self) -> ChatModel:
        return self._load("planner", loader.load_planner)  # type: ignore[return-value]
