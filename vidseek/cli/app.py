"""The ``vidseek`` command (typer + rich): the root options and the command groups.

Each command module registers its commands with ``register(app)``; plug-in commands are added
after the built-in ones in ``add_plugin_commands``, the one place they enter the CLI."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import typer

from vidseek.cli import agent, indexing, media, samples, scenarios, tools


def root(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
    profile: str | None = typer.Option(None, "--profile", help="offline | openai | local-gpu"),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Where indexes and caches live."),
) -> None:
    overrides: dict[str, Any] = {}
    if profile:
        overrides["profile"] = profile
    if data_dir:
        overrides["data_dir"] = data_dir
    if debug:
        overrides["debug"] = True
    ctx.obj = {"overrides": overrides}
    if not sys.stderr.isatty():  # third-party bars (model loading) would be noise in a log file
        os.environ.setdefault("TQDM_DISABLE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def add_plugin_commands(app: typer.Typer) -> None:
    """Commands of plug-ins: the ``register_commands`` hook of ``vidseek.plugins`` is called here
    with ``app``. A plug-in that fails to load is a warning, so a broken package cannot take the
    whole command away."""
    from vidseek.errors import ConfigError
    from vidseek.plugins import add_plugin_commands as call_hook

    try:
        call_hook(app)
    except ConfigError as exc:
        logging.getLogger("vidseek").warning("plug-in commands not added: %s", exc)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="vidseek",
        help="Agentic search over long videos: index once, ask questions, get answers with cited "
        "time spans.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(root)
    for module in (media, samples, indexing, tools, agent, scenarios):
        module.register(app)
    add_plugin_commands(app)
    return app


app = build_app()
