"""The built-in model backends, registered through the same hook as a plug-in's
(``register_model_backends``). Every loader imports its library when called, so registering costs
nothing. The ``local:`` planner backend (a server vidseek runs itself) is registered by
``vidseek.servers.backend``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vidseek.errors import ConfigError
from vidseek.models.backends import ModelBackend
from vidseek.models.chat_base import ChatCapabilities
from vidseek.models.refs import ModelRef, options_suffix
from vidseek.plugins import hookimpl

if TYPE_CHECKING:
    from vidseek.config import Settings

# what a chat model behind each kind of server can do (its reference may add ?vision=1)
OPENAI_CHAT = ChatCapabilities(tool_calls=True, json_schema=True, sees_images=True, streams=True)
SERVER_CHAT = ChatCapabilities(tool_calls=True, json_schema=True, sees_images=False, streams=True)
CONSTRAINED_CHAT = ChatCapabilities(json_schema=True, streams=True)  # tools emulated with JSON


# --- loaders (lazy imports) -------------------------------------------------------------------------


def _sentence_transformers(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.text_embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(ref, settings)


def _openai_embedder(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.text_embed import OpenAIEmbedder

    return OpenAIEmbedder(ref, settings)


def _open_clip(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.clip import OpenClipEmbedder

    return OpenClipEmbedder(ref, settings)


def _yolo(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.detector import YoloDetector

    return YoloDetector(ref, settings)


def _whisper(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.asr import FasterWhisperRecognizer

    return FasterWhisperRecognizer(ref, settings)


def _tesseract(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.ocr import TesseractRecognizer

    return TesseractRecognizer(ref, settings)


def _metadata(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.metadata import MetadataCaptioner

    return MetadataCaptioner(str(ref))


def _openai_vlm(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.vlm_openai import OpenAIVisionModel

    return OpenAIVisionModel(ref, settings)


def _transformers_vlm(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.vlm_transformers import TransformersVisionModel

    return TransformersVisionModel(ref, settings)


def _chat(ref: ModelRef, settings: Settings) -> Any:
    from vidseek.models.chat import chat_model_from_ref

    return chat_model_from_ref(ref, settings)


# --- reference grammars of their own ------------------------------------------------------------------


def _looks_like_path(text: str) -> bool:
    return text.startswith(("/", "./", "../", "~")) or text.endswith((".pt", ".pth", ".bin"))


def parse_open_clip(raw: str, rest: str, options: dict[str, str]) -> ModelRef:
    """``open_clip:ARCH``, ``open_clip:ARCH/PRETRAINED_TAG``, ``open_clip:/path/ckpt.pt#ARCH``."""
    if "#" in rest:
        path, _, arch = rest.partition("#")
        if not path or not arch:
            raise ConfigError(
                f"model reference {raw!r}: expected 'open_clip:/path/to/checkpoint.pt#ARCH'"
            )
        return ModelRef("open_clip", arch, options={**options, "checkpoint": path}, raw=raw)
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
    return ModelRef("open_clip", arch, options=options, raw=raw)


def format_open_clip(ref: ModelRef) -> str:
    opts = dict(ref.options)
    if "checkpoint" in opts:
        text = f"open_clip:{opts.pop('checkpoint')}#{ref.name}"
    elif "pretrained" in opts:
        text = f"open_clip:{ref.name}/{opts.pop('pretrained')}"
    else:
        text = f"open_clip:{ref.name}"
    return text + options_suffix(opts)


def parse_openai(raw: str, rest: str, options: dict[str, str]) -> ModelRef:
    if "#" in rest:
        raise ConfigError(
            f"model reference {raw!r}: for a server of your own use "
            "'openai-compatible:http://HOST:PORT/v1#MODEL'"
        )
    return ModelRef("openai", rest, options=options, raw=raw)


# --- the table --------------------------------------------------------------------------------------

BUILTIN_BACKENDS: tuple[ModelBackend, ...] = (
    ModelBackend(
        "openai",
        {"planner": _chat, "vlm": _openai_vlm, "text_embedder": _openai_embedder},
        chat=OPENAI_CHAT,
        quirks="openai",
        parse=parse_openai,
        example="openai:gpt-4.1-mini",
        summary="OpenAI's API (OPENAI_API_KEY)",
    ),
    ModelBackend(
        "openai-compatible",
        {"planner": _chat, "vlm": _openai_vlm, "text_embedder": _openai_embedder},
        ref_form="url",
        aliases=("openai_compatible",),
        chat=SERVER_CHAT,
        example="openai-compatible:http://127.0.0.1:8000/v1#Qwen/Qwen3-8B",
        summary="any OpenAI-compatible server (profile: ?profile=NAME, else generic)",
    ),
    *(
        ModelBackend(
            name,
            {"planner": _chat, "vlm": _openai_vlm},
            ref_form="url",
            aliases=aliases,
            chat=caps,
            quirks=name,
            example=f"{name}:http://127.0.0.1:{port}/v1#MODEL",
            summary=summary,
        )
        for name, aliases, caps, port, summary in (
            ("vllm", (), SERVER_CHAT, 8000, "a vLLM server"),
            ("llamacpp", (), CONSTRAINED_CHAT, 8080, "llama-cpp-python's server"),
            ("llama-server", ("llama_server",), CONSTRAINED_CHAT, 8080, "llama.cpp's server"),
            ("ollama", (), SERVER_CHAT, 11434, "an Ollama server"),
            ("generic", (), SERVER_CHAT, 8000, "an OpenAI-compatible server, cautious profile"),
        )
    ),
    ModelBackend(
        "open_clip",
        {"image_text_embedder": _open_clip},
        aliases=("open-clip", "openclip"),
        parse=parse_open_clip,
        format=format_open_clip,
        example="open_clip:ViT-B-32/laion2b_s34b_b79k",
        summary="OpenCLIP image-text embeddings",
    ),
    ModelBackend(
        "random",
        {"image_text_embedder": _open_clip},
        example="random:clip-tiny",
        summary="random-weight CLIP (throughput benchmarks and shape tests only)",
    ),
    ModelBackend(
        "ultralytics",
        {"detector": _yolo},
        aliases=("yolo",),
        example="ultralytics:yolo11n.pt",
        summary="YOLO detectors",
    ),
    ModelBackend(
        "faster-whisper",
        {"speech": _whisper},
        aliases=("whisper", "faster_whisper"),
        example="faster-whisper:tiny.en",
        summary="Whisper speech recognition (CTranslate2)",
    ),
    ModelBackend(
        "sentence-transformers",
        {"text_embedder": _sentence_transformers},
        aliases=("sentence_transformers", "st"),
        example="sentence-transformers:all-MiniLM-L6-v2",
        summary="sentence-transformers text embeddings",
    ),
    ModelBackend(
        "tesseract",
        {"ocr": _tesseract},
        example="tesseract:eng",
        summary="Tesseract OCR",
    ),
    ModelBackend(
        "metadata",
        {"vlm": _metadata},
        ref_form="bare",
        example="metadata",
        summary="captions from the index's own data (cannot see pixels)",
    ),
    ModelBackend(
        "transformers",
        {"vlm": _transformers_vlm},
        example="transformers:HuggingFaceTB/SmolVLM2-2.2B-Instruct",
        summary="a vision-language model run in-process with transformers",
    ),
)


@hookimpl
def register_model_backends(register) -> None:
    for backend in BUILTIN_BACKENDS:
        register(backend)
