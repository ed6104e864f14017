"""What every command module shares: the two consoles, the Settings of this invocation and the
progress display."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from vidseek.cli.progress import progress_display
from vidseek.config import Settings, command_settings
from vidseek.progress import ProgressSink

console = Console()  # results (stdout)
err_console = Console(stderr=True)  # progress, errors, prompts (stderr)
PROGRESS_EVERY_S = 5.0  # plain progress lines (no terminal): the least time between two


def settings_from(ctx: typer.Context, **more: Any) -> Settings:
    """The Settings of this invocation (see ``vidseek.config.command_settings``)."""
    return command_settings(ctx, **more)


@contextmanager
def progress(enabled: bool = True) -> Iterator[ProgressSink | None]:
    """The progress sink of a long command: bars on a terminal, plain lines on stderr otherwise,
    None when ``enabled`` is false."""
    with progress_display(err_console, enabled, every_s=PROGRESS_EVERY_S) as sink:
        yield sink
