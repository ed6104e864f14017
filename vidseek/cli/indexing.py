"""Index commands: ``index``, ``search``, ``info`` and ``remove``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from vidseek.cli.common import console, err_console, progress, settings_from
from vidseek.fmt import mmss


class Engine(StrEnum):
    local = "local"
    ray = "ray"


class Granularity(StrEnum):
    clip = "clip"
    shot = "shot"
    scene = "scene"


def index_cmd(
    ctx: typer.Context,
    videos: list[Path] = typer.Argument(
        ..., help="Video files or folders (every video under them) to index, finish or update."
    ),
    show_progress: bool = typer.Option(
        True, "--progress/--no-progress", help="Show progress (bars, or lines without a terminal)."
    ),
    profile: str | None = typer.Option(None, "--profile", help="offline | openai | local-gpu"),
    engine: Engine | None = typer.Option(
        None, "--engine", help="local (default): in this process; ray: on a Ray cluster."
    ),
    ray_address: str | None = typer.Option(
        None,
        "--ray-address",
        help="With --engine ray: 'auto' joins the running cluster, ray://HOST:PORT a remote one; "
        "unset starts a private local Ray.",
    ),
) -> None:
    """Index videos: a killed run resumes, and changed settings recompute only what they affect."""
    from vidseek.memory.builder import index_many

    cluster = {}
    if engine is not None:
        cluster["engine"] = engine.value
    if ray_address is not None:
        cluster["ray_address"] = ray_address
    settings = settings_from(ctx, profile=profile, **({"cluster": cluster} if cluster else {}))
    if ray_address is not None and settings.cluster.engine != "ray":
        raise typer.BadParameter("--ray-address needs --engine ray", param_hint="--ray-address")

    def show(report: Any) -> None:
        console.print(
            f"[bold]{report.info.path}[/] ({report.info.duration_s:.1f} s, id "
            f"{report.info.video_id[:12]}): indexed in {report.seconds:.1f} s",
            highlight=False,
        )
        for r in report.stages:
            extra = f" ({r.seconds:.1f} s)" if r.status == "done" and r.seconds >= 0.05 else ""
            console.print(f"  {r.stage}: {r.status}, {r.reason}{extra}", highlight=False)

    with progress(show_progress) as sink:
        index_many(videos, settings, progress=sink, on_report=show)


def search_cmd(
    ctx: typer.Context,
    video: str = typer.Argument(..., help="An indexed video: its path or its id."),
    query: str = typer.Argument(..., help="What to look for, in words."),
    granularity: Granularity = typer.Option(Granularity.clip, "--granularity", "-g"),
    top_k: int = typer.Option(8, "--top-k", "-k", min=1, max=100),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Hybrid search (captions, CLIP frames, speech, screen text, keywords) fused by reciprocal rank."""
    from rich.table import Table

    from vidseek.memory.video_index import VideoIndex

    if not query.strip():
        raise typer.BadParameter("the query is empty; say what to look for", param_hint="QUERY")
    level = granularity.value
    index = VideoIndex.open(settings_from(ctx), video)
    hits = index.search(query, granularity=level, top_k=top_k)  # type: ignore[arg-type]
    if as_json:
        rows = [
            {
                "rank": i,
                "segment_id": h.segment.id,
                "granularity": h.segment.granularity,
                "start_s": h.segment.start_s,
                "end_s": h.segment.end_s,
                "score": round(h.score, 6),
                "channels": h.channels,
                "text": h.segment.text,
                "matched_text": h.matched_text,
                "match_start_s": h.match_start_s,
                "match_end_s": h.match_end_s,
            }
            for i, h in enumerate(hits, 1)
        ]
        print(json.dumps({"video_id": index.video_id, "query": query, "hits": rows}, indent=2))
        return
    table = Table(title=f"{index.info.path.name}: '{query}'")
    for col in ("#", "span", "granularity", "channels", "text"):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(hits, 1):
        via = " ".join(f"{c}#{r}" for c, r in sorted(h.channels.items(), key=lambda kv: kv[1]))
        text = " ".join((h.segment.text or "").split())[:160]
        if h.matched_text and h.matched_text not in (h.segment.text or ""):
            at = f" @{mmss(h.match_start_s, 1)}" if h.match_start_s is not None else ""
            text += f"\n[dim]match{at}: {' '.join(h.matched_text.split())[:120]}[/]"
        table.add_row(
            str(i),
            f"{mmss(h.segment.start_s, 1)}-{mmss(h.segment.end_s, 1)}",
            h.segment.granularity,
            via,
            text,
        )
    console.print(table if hits else f"no {level} matches '{query}'")


def info_cmd(
    ctx: typer.Context,
    video: str | None = typer.Argument(
        None, help="An indexed video (path or id); all when omitted."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """What is indexed for a video, and by which models (or the list of indexed videos)."""
    from rich.table import Table

    from vidseek.memory.store import SegmentStore
    from vidseek.memory.video_index import VideoIndex

    settings = settings_from(ctx)
    store = SegmentStore(settings)
    if video is None:
        recs = store.list_videos()
        table = Table(title=f"indexed videos in {settings.db_dir}")
        for col in ("video id", "path", "duration", "complete"):
            table.add_column(col)
        for r in recs:
            done = "yes" if r.indexed_at else "no"
            table.add_row(r.video_id[:16], str(r.info.path), mmss(r.info.duration_s, 1), done)
        console.print(table if recs else "no videos are indexed yet; run `vidseek index VIDEO`")
        return
    ov = VideoIndex.open(settings, video, store=store).overview()
    if as_json:
        print(json.dumps(ov, indent=2, default=str))
        return
    console.print(
        f"[bold]{ov['path']}[/]  id {ov['video_id']}\n{mmss(ov['duration_s'], 1)} "
        f"{ov['resolution']} audio={'yes' if ov['has_audio'] else 'no'} "
        f"complete={'yes' if ov['indexed_at'] else 'no'}",
        highlight=False,
    )
    for note in ov["notes"]:
        console.print(f"note: {note}", highlight=False, markup=False)
    table = Table(title="indexed channels")
    for col in ("channel", "count", "model"):
        table.add_column(col)
    for name, d in ov["channels"].items():
        table.add_row(name, str(d.get("count", "")), str(d.get("model", "")))
    console.print(table)
    if ov["models"]:
        models = ", ".join(f"{k}={v}" for k, v in ov["models"].items())
        console.print(f"models: {models}", highlight=False)
    for s in ov["scenes"][:50]:
        span = f"{mmss(s['start_s'], 1)}-{mmss(s['end_s'], 1)}"
        console.print(f"  {span}  {s['summary']}", highlight=False)


def remove_cmd(
    ctx: typer.Context,
    video: str = typer.Argument(..., help="An indexed video: its path or its id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a video's index (vectors, rows, artefacts); the video file itself is kept."""
    from vidseek.memory.store import SegmentStore
    from vidseek.memory.video_index import resolve_video

    if not yes and not sys.stdin.isatty():
        raise typer.BadParameter(
            "there is no terminal to confirm on; pass --yes to remove without asking",
            param_hint="--yes",
        )
    store = SegmentStore(settings_from(ctx))
    rec = resolve_video(store, video)
    question = f"remove the index of {rec.info.path} ({rec.video_id[:12]})?"
    if not yes and not typer.confirm(question, err=True):
        err_console.print("nothing removed")
        raise typer.Exit(1)
    store.remove(rec.video_id)
    console.print(f"removed the index of {rec.info.path} ({rec.video_id[:12]})", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("index")(index_cmd)
    app.command("search")(search_cmd)
    app.command("info")(info_cmd)
    app.command("remove")(remove_cmd)
