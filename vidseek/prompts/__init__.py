"""The one prompt loader: every prompt vidseek sends to a model, as package YAML files that a user
can override.

Prompts are named ``<file>.<key>``: ``chain_of_shot.key_info`` is the ``key_info`` entry of
``vidseek/prompts/chain_of_shot.yaml``. The files: ``agent`` (rules every policy shares),
``chain_of_shot`` and ``dvd`` (one per policy), ``vision`` (captioning and looking at frames) and
``index`` (summaries written while indexing). A name without a file (``caption_clip``) is looked
up in every file (it must be unique); a trailing ``.md`` (the old file suffix) is ignored.

To change a prompt, write a file of the same name under ``<data_dir>/prompts/`` holding only the
keys to change, e.g. ``~/.vidseek/prompts/chain_of_shot.yaml``::

    key_info: |
      You write search queries for a question about a video of {duration_s:.1f} seconds...

Callers that pass ``settings`` get the user's version; placeholders (``{question}``) are filled by
``render`` with ``str.format`` (double the braces of literal JSON: ``{{"answer": "..."}}``). A
malformed file or a missing prompt is a ``ConfigError`` naming the file.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from vidseek.errors import ConfigError

if TYPE_CHECKING:
    from vidseek.config import Settings

PACKAGE_FILES = ("agent", "chain_of_shot", "dvd", "vision", "index")
USER_DIR = "prompts"  # under the data dir


def _parse(text: str, where: str) -> dict[str, str]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise ConfigError(f"prompt file {where} is not valid YAML: {problem}") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ConfigError(f"prompt file {where} must map prompt names to text")
    return {k: v.strip() for k, v in data.items()}


@functools.cache
def package_prompts(file: str) -> dict[str, str]:
    """The prompts shipped in ``vidseek/prompts/<file>.yaml``."""
    if file not in PACKAGE_FILES:
        raise ConfigError(f"unknown prompt file '{file}' (known: {', '.join(PACKAGE_FILES)})")
    path = files(__package__) / f"{file}.yaml"
    return _parse(path.read_text(encoding="utf-8"), f"vidseek/prompts/{file}.yaml")


@functools.lru_cache(maxsize=32)
def _user_file(path: Path, mtime_ns: int) -> dict[str, str]:
    return _parse(path.read_text(encoding="utf-8"), str(path))


def user_prompts(file: str, settings: Settings | None) -> dict[str, str]:
    """The user's overrides of ``<file>`` (empty without settings or without the file)."""
    if settings is None:
        return {}
    path = Path(settings.data_dir) / USER_DIR / f"{file}.yaml"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _user_file(path, mtime)


def _locate(name: str) -> tuple[str, str]:
    name = name.removesuffix(".md")
    file, dot, key = name.partition(".")
    if dot:
        return file, key
    holders = [f for f in PACKAGE_FILES if name in package_prompts(f)]
    if len(holders) != 1:
        where = "no prompt file" if not holders else f"several files ({', '.join(holders)})"
        raise ConfigError(f"prompt '{name}' is in {where}; name it as <file>.<key>")
    return holders[0], name


def load_prompt(name: str, settings: Settings | None = None) -> str:
    """The text of prompt ``name`` (``<file>.<key>``), the user's version first."""
    file, key = _locate(name)
    text = user_prompts(file, settings).get(key) or package_prompts(file).get(key)
    if text is None:
        raise ConfigError(f"prompt '{key}' is missing from vidseek/prompts/{file}.yaml")
    return text


def render(name: str, settings: Settings | None = None, /, **values: Any) -> str:
    """Prompt ``name`` with its ``{placeholders}`` filled."""
    text = load_prompt(name, settings)
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"prompt '{name}' has a placeholder that cannot be filled ({type(exc).__name__}: "
            f"{exc}); the values are {', '.join(sorted(values)) or 'none'}"
        ) from None
