"""The HTTP API of ``vidseek serve`` (JSON, OpenAPI at ``/docs``, server-sent events), with the web
page and MCP mounted in the same app: ``create_app(service, host, token)``.

Imported lazily: the CLI loads ``vidseek.api.commands`` to list ``serve`` and ``mcp``, and must not
pay for FastAPI, the service and the agent on every command."""

from __future__ import annotations

from typing import Any

__all__ = ["add_commands", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from vidseek.api.app import create_app

        return create_app
    if name == "add_commands":
        from vidseek.api.commands import add_commands

        return add_commands
    raise AttributeError(name)
