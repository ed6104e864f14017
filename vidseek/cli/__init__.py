"""The ``vidseek`` command line: one module per command group (``media``, ``samples``,
``indexing``, ``tools``, ``agent``, ``scenarios``), the terminal UI (``progress``,
``agent_view``) and how the command ends on errors (``errors``)."""

from __future__ import annotations

from vidseek.cli.app import app
from vidseek.cli.errors import run_app


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line on stderr and exit code 1, usage errors
    the usage line and exit code 2."""
    run_app(app, argv)


__all__ = ["app", "main"]
