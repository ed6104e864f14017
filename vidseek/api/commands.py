"""The ``vidseek serve`` and ``vidseek mcp`` commands, added to a typer app by ``add_commands``
(the CLI adds them as built-in plug-in commands; ``python -m vidseek.api`` runs them alone)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import typer

from vidseek.config import Settings, command_settings
from vidseek.plugins import hookimpl


def add_commands(app: typer.Typer, settings_of: Callable[[typer.Context], Settings]) -> None:
    """Add ``serve`` and ``mcp`` to ``app``; ``settings_of(ctx)`` gives a command its Settings."""

    @app.command("serve")
    def serve_cmd(
        ctx: typer.Context,
        host: str | None = typer.Option(
            None, "--host", help="Address to listen on (default 127.0.0.1; others need a token)."
        ),
        port: int | None = typer.Option(None, "--port", help="Port (default 7860)."),
        token: str | None = typer.Option(
            None,
            "--token",
            envvar="VIDSEEK_SERVE__TOKEN",
            help="Access token (default: generated off loopback).",
        ),
        media_root: list[str] | None = typer.Option(
            None, "--media-root", help="A folder videos may be added from by path (repeat)."
        ),
    ) -> None:
        """Serve the web app, the HTTP API (/docs) and MCP (/mcp) in one process."""
        from vidseek.api.server import serve

        settings = settings_of(ctx)
        if token:
            settings.serve.token = token
        if media_root:
            settings.serve.media_roots = [*settings.serve.media_roots, *media_root]

        def ready(url: str) -> None:
            typer.echo(f"vidseek is serving {settings.data_dir} at {url}")
            typer.echo("API docs at /docs, MCP (streamable HTTP) at /mcp; Ctrl-C stops")

        serve(settings, host=host, port=port, on_ready=ready)

    @app.command("mcp")
    def mcp_cmd(ctx: typer.Context) -> None:
        """MCP over stdio, for agents (Claude Desktop, IDEs): the same tools as /mcp of serve."""
        from vidseek.mcp.server import run_stdio
        from vidseek.service import VidseekService

        # stdout carries the protocol: every log line goes to stderr
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING, force=True)
        service = VidseekService(settings_of(ctx))
        try:
            run_stdio(service)
        finally:
            service.close()


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """``vidseek serve`` and ``vidseek mcp`` join the CLI through the same hook as any plug-in."""
    add_commands(cli, command_settings)
