"""``vidseek tools``: list, describe and call the tools the planner uses."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vidseek.cli.common import console, settings_from

tools_app = typer.Typer(
    help="The tools the planner uses: list, describe, call one.", no_args_is_help=True
)
PLUGINS_OPT = typer.Option(
    None,
    "--plugins/--no-plugins",
    help="Load entry-point plug-ins (default: settings.tools.load_plugins).",
)


@tools_app.command("list")
def tools_list(ctx: typer.Context, plugins: bool | None = PLUGINS_OPT) -> None:
    """List every registered tool, where it comes from and whether runs offer it."""
    from rich.table import Table

    from vidseek.tools.registry import discover, select

    settings = settings_from(ctx)
    tools, sources = discover(settings, plugins)
    offered = select(tools, settings)
    table = Table("tool", "from", "offered", "description")
    for name, t in tools.items():
        first = t.description.split(". ")[0].rstrip(".") + "."
        table.add_row(name, sources[name].plugin, "yes" if name in offered else "no", first)
    console.print(table)


@tools_app.command("describe")
def tools_describe(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Tool name."),
    plugins: bool | None = PLUGINS_OPT,
) -> None:
    """Print a tool's description and the JSON schema the planner sees."""
    from vidseek.tools.runner import get_tool

    spec = get_tool(settings_from(ctx), name, plugins).openai_spec()
    console.print(f"[bold]{name}[/]: {spec['function']['description']}", highlight=False)
    console.print_json(json.dumps(spec))


@tools_app.command("call")
def tools_call(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Tool name."),
    video: str = typer.Argument(..., help="An indexed video (path or id)."),
    args: str = typer.Option("{}", "--args", help="Arguments as a JSON object."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole result as JSON."),
    artefacts: Path | None = typer.Option(None, "--artefacts", help="Folder for frames it writes."),
    plugins: bool | None = PLUGINS_OPT,
) -> None:
    """Run one tool on an indexed video, outside the agent (for plug-in developers)."""
    from vidseek.errors import ConfigError
    from vidseek.tools.runner import call_tool, result_as_dict

    try:
        raw = json.loads(args)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--args is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError('--args must be a JSON object, e.g. \'{"query": "a red car"}\'')
    result = call_tool(settings_from(ctx), name, video, raw, plugins, artefacts)
    if as_json:
        console.print_json(json.dumps(result_as_dict(result), default=str))
    else:
        console.print(result.text, highlight=False, markup=False, soft_wrap=True)
        for ev in result.evidence[:20]:
            console.print(
                f"  evidence {ev.start_s:.2f}-{ev.end_s:.2f} s {ev.why}",
                highlight=False,
                markup=False,
            )
        for fr in result.frames[:20]:
            console.print(f"  frame {fr.time_s:.2f} s -> {fr.path}", highlight=False, markup=False)
    if result.is_error:  # the message is printed above; exit 1 for scripts
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(tools_app, name="tools")
