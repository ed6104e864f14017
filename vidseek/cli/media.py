"""Media commands: ``probe``, ``shots`` and ``doctor``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vidseek.cli.common import console, progress, settings_from
from vidseek.progress import Progress


def probe_cmd(
    ctx: typer.Context,
    video: Path = typer.Argument(..., help="Video file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Duration, frame rate, size, codec, audio, keyframes and content id of a video."""
    from rich.table import Table

    from vidseek.media.probe import probe

    info = probe(video, settings_from(ctx))
    data = {
        "path": str(info.path),
        "video_id": info.video_id,
        "duration_s": info.duration_s,
        "fps": info.fps,
        "is_vfr": info.is_vfr,
        "width": info.width,
        "height": info.height,
        "codec": info.codec,
        "has_audio": info.has_audio,
        "frame_count": info.frame_count,
        "keyframes": len(info.keyframes_s),
        "keyframes_s": list(info.keyframes_s),
        "rotation": info.rotation,
        "mirrored": info.mirrored,
        "gaps_s": [list(g) for g in info.gaps_s],
        "discontinuities_s": list(info.discontinuities_s),
        "notes": info.notes(),
    }
    if as_json:
        console.print_json(json.dumps(data))
        return
    table = Table(title=str(info.path), show_header=False)
    for key, value in data.items():
        if key == "keyframes_s":
            gaps = [b - a for a, b in zip(info.keyframes_s, info.keyframes_s[1:], strict=False)]
            value = f"every {sum(gaps) / len(gaps):.2f} s on average" if gaps else "-"
            key = "keyframe interval"
        if key == "notes":
            value = "\n".join(info.notes()) or "-"
        table.add_row(key, str(value))
    console.print(table)


def shots_cmd(
    ctx: typer.Context,
    video: Path = typer.Argument(..., help="Video file."),
    fps: float = typer.Option(
        4.0, "--fps", min=0.1, help="Frames per second sampled for detection."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Shot boundaries (cuts and gradual transitions) of a video."""
    from rich.table import Table

    from vidseek.media.probe import probe
    from vidseek.media.shots import detect_shots

    settings = settings_from(ctx)
    info = probe(video, settings)
    task = "detecting shots"
    with progress(enabled=not as_json) as sink:
        bar = Progress(sink, scope=str(info.path))
        bar.start(task, total=info.duration_s, unit="s")
        shots = detect_shots(
            video,
            settings,
            fps=fps,
            info=info,
            on_batch=lambda b: bar.update(task, b[-1].requested_s or 0.0),
        )
        bar.finish(task, detail=f"{len(shots)} shots")
    rows = [
        {
            "index": s.index,
            "start_s": s.start_s,
            "end_s": s.end_s,
            "duration_s": round(s.duration_s, 3),
            "transition": s.transition,
        }
        for s in shots
    ]
    if as_json:
        console.print_json(
            json.dumps({"video": str(info.path), "duration_s": info.duration_s, "shots": rows})
        )
        return
    table = Table(title=f"{len(shots)} shots in {info.path.name} ({info.duration_s:.1f} s)")
    for col in ("#", "start (s)", "end (s)", "length (s)", "begins with"):
        table.add_column(col, justify="right" if col != "begins with" else "left")
    for r in rows:
        table.add_row(
            str(r["index"]),
            f"{r['start_s']:.2f}",
            f"{r['end_s']:.2f}",
            f"{r['duration_s']:.2f}",
            r["transition"],
        )
    console.print(table)


def doctor_cmd(ctx: typer.Context) -> None:
    """Which decode backends, system tools and model packs are installed and usable."""
    from rich.table import Table

    from vidseek.doctor import run_doctor

    checks = run_doctor(settings_from(ctx))
    table = Table(title="vidseek doctor")
    for col in ("", "component", "kind", "detail", "how to fix"):
        table.add_column(col)
    for c in checks:
        mark = "[green]ok[/]" if c.ok else ("[red]MISSING[/]" if c.required else "[yellow]no[/]")
        table.add_row(mark, c.name, c.kind, c.detail, c.how_to_fix)
    console.print(table)
    if any(c.required and not c.ok for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("probe")(probe_cmd)
    app.command("shots")(shots_cmd)
    app.command("doctor")(doctor_cmd)
