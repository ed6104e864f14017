"""One loader per role: turn a model reference into a backend object. Backends import their heavy
libraries lazily, so importing this module costs nothing."""

from __future__ import annotations

from vidseek.config import Settings
from vidseek.errors import ConfigError
from vidseek.models.base import (
    Detector,
    ImageTextEmbedder,
    SpeechRecognizer,
    TextEmbedder,
    TextRecognizer,
    VisionLanguageModel,
)
from vidseek.models.refs import ModelRef, parse_ref


def _unsupported(role: str, ref: ModelRef, allowed: str) -> ConfigError:
    return ConfigError(
        f"model reference '{ref}' cannot be used as {role}: expected one of {allowed}"
    )


def load_text_embedder(ref: str | ModelRef, settings: Settings) -> TextEmbedder:
    ref = parse_ref(ref)
    if ref.backend == "sentence-transformers":
        from vidseek.models.text_embed import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(ref, settings)
    if ref.backend in ("openai", "openai-compatible"):
        from vidseek.models.text_embed import OpenAIEmbedder

        return OpenAIEmbedder(ref, settings)
    raise _unsupported("text embedder", ref, "sentence-transformers:, openai:, openai-compatible:")


def load_image_text_embedder(ref: str | ModelRef, settings: Settings) -> ImageTextEmbedder:
    ref = parse_ref(ref)
    if ref.backend in ("open_clip", "random"):
        from vidseek.models.clip import OpenClipEmbedder

        return OpenClipEmbedder(ref, settings)
    raise _unsupported("image-text embedder", ref, "open_clip:, random:clip-tiny")


def load_detector(ref: str | ModelRef, settings: Settings) -> Detector:
    ref = parse_ref(ref)
    if ref.backend == "ultralytics":
        from vidseek.models.detector import YoloDetector

        return YoloDetector(ref, settings)
    raise _unsupported("detector", ref, "ultralytics:")


def load_speech_recognizer(ref: str | ModelRef, settings: Settings) -> SpeechRecognizer:
    ref = parse_ref(ref)
    if ref.backend == "faster-whisper":
        from vidseek.models.asr import FasterWhisperRecognizer

        return FasterWhisperRecognizer(ref, settings)
    raise _unsupported("speech recognizer", ref, "faster-whisper:")


def load_text_recognizer(ref: str | ModelRef, settings: Settings) -> TextRecognizer:
    ref = parse_ref(ref)
    if ref.backend == "tesseract":
        from vidseek.models.ocr import TesseractRecognizer

        return TesseractRecognizer(ref, settings)
    raise _unsupported("text recognizer (OCR)", ref, "tesseract:")


def load_vision_language_model(ref: str | ModelRef, settings: Settings) -> VisionLanguageModel:
    ref = parse_ref(ref)
    if ref.backend == "metadata":
        from vidseek.models.metadata import MetadataCaptioner

        return MetadataCaptioner(str(ref))
    if ref.backend in ("openai", "openai-compatible", "vllm", "llamacpp", "ollama", "generic"):
        from vidseek.models.vlm_openai import OpenAIVisionModel

        return OpenAIVisionModel(ref, settings)
    if ref.backend == "transformers":
        from vidseek.models.vlm_transformers import TransformersVisionModel

        return TransformersVisionModel(ref, settings)
    raise _unsupported(
        "vision-language model", ref, "metadata, openai:, openai-compatible:, transformers:"
    )


def load_planner(ref: str | ModelRef, settings: Settings):  # -> ChatModel
    """The planner's ChatModel (``vidseek.models.chat``, written beside this module)."""
    from vidseek.models.chat import load_chat_model

    text = ref if isinstance(ref, str) else str(ref)
    parse_ref(text)  # a clear ConfigError for a malformed reference
    return load_chat_model(text, settings)
