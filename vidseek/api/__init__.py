"""The HTTP API of ``vidseek serve`` (JSON, OpenAPI at ``/docs``, server-sent events), with the web
page and MCP mounted in the same app: ``create_app(service, host, token)``."""

from __future__ import annotations

from vidseek.api.app import create_app
from vidseek.api.commands import add_commands

__all__ = ["add_commands", "create_app"]
