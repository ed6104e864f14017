"""How the ``vidseek`` command ends: a usage error prints the usage line and exits 2, an error
vidseek raises on purpose is one line naming the file and the problem (exit 1), an unexpected
failure is one line too (its traceback only under ``--debug``), Ctrl-C exits 130."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.text import Text

from vidseek.cli.common import err_console
from vidseek.errors import VidseekError


def error_line(message: str) -> None:
    """``error: message`` on stderr, on one line, never read as rich markup."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)


def _click_error(exc: BaseException) -> Any:
    """``exc`` when it is a click usage or parameter error (typer's bundled click raises its own
    copies, subclasses of ``typer.TyperException``; older typer raises standalone click's)."""
    if isinstance(exc, typer.TyperException) and hasattr(exc, "show"):
        return exc
    try:
        import click
    except ImportError:  # pragma: no cover - typer without click
        return None
    return exc if isinstance(exc, click.ClickException) else None


def _is_abort(exc: BaseException) -> bool:
    if isinstance(exc, typer.Abort):
        return True
    try:
        import click
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, click.exceptions.Abort)


def _root_context(app: typer.Typer) -> Any:
    command = typer.main.get_command(app)
    return command.make_context("vidseek", [], resilient_parsing=True)


def run_app(app: typer.Typer, argv: list[str] | None = None) -> None:
    """Run ``app`` on ``argv`` (default: the process arguments); return normally on success."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args
    try:
        code = app(args=args, standalone_mode=False, prog_name="vidseek")
    except VidseekError as exc:
        if debug:
            raise
        error_line(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        usage = _click_error(exc)
        if usage is not None:
            if getattr(usage, "ctx", None) is None:  # an error before any command: the root usage
                usage.ctx = _root_context(app)
            usage.show()
            sys.exit(usage.exit_code)
        if _is_abort(exc):
            err_console.print("aborted")
            sys.exit(1)
        if debug:
            raise
        error_line(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)")
        sys.exit(1)
    if isinstance(code, int) and code != 0:  # a command ended with typer.Exit(code)
        sys.exit(code)
