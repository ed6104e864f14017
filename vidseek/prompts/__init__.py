"""Prompt templates as package data, one file each (loaded with importlib.resources)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from vidseek.errors import ConfigError


@cache
def load_prompt(name: str) -> str:
    """The text of ``vidseek/prompts/<name>.md``."""
    path = files(__package__) / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"prompt template '{name}.md' is missing from vidseek/prompts") from None


def render(name: str, **values: object) -> str:
    """A template with ``{placeholders}`` filled."""
    return load_prompt(name).format(**values)
