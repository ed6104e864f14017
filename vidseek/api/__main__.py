"""``python -m vidseek.api [--data-dir DIR] serve|mcp``: the two commands without the rest of the
CLI (the ``vidseek`` command offers them as ``vidseek serve`` and ``vidseek mcp``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from vidseek.api.commands import add_commands
from vidseek.config import Settings, load_settings

app = typer.Typer(name="vidseek-api", no_args_is_help=True, add_completion=False)


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Where indexes and caches live."),
    profile: str | None = typer.Option(None, "--profile", help="offline | openai | local-gpu"),
) -> None:
    overrides: dict[str, Any] = {}
    if data_dir:
        overrides["data_dir"] = data_dir
    if profile:
        overrides["profile"] = profile
    ctx.obj = overrides


def _settings(ctx: typer.Context) -> Settings:
    return load_settings(**(ctx.find_root().obj or {}))


add_commands(app, _settings)

if __name__ == "__main__":
    app()
