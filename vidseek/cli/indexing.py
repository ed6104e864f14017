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
from vidseek.pathnames import printable


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
            f"{printable(report.info.path)} ({report.info.duration_s:.1f} s, id "
            f"{report.info.video_id[:12]}): indexed in {report.seconds:.1f} s",
            highlight=False,
            markup=False,
        )
        for r in report.stages:
            extra = f" ({r.seconds:.1f} s)" if r.status == "done" and r.seconds >= 0.05 else ""
            console.print(f"  {r.stage}: {r.status}, {r.reason}{extra}", highlight=False)

    with progress(show_progress) as sink:
        index_many(videos, settings, progress=sink, on_report=show)


def search_cmd(
    ctx: typer.Context,
    video: str = typer.Argument(
        ..., help="An indexed video (its path or its id); with --all, the query."
    ),
    query: str | None = typer.Argument(None, help="What to look for, in words."),
    all_videos: bool = typer.Option(
        False, "--all", "-a", help="Search every indexed video at once: vidseek search --all QUERY."
    ),
    granularity: Granularity = typer.Option(Granularity.clip, "--granularity", "-g"),
    top_k: int = typer.Option(8, "--top-k", "-k", min=1, max=100),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Hybrid search (captions, CLIP frames, speech, screen text, keywords) fused by reciprocal rank."""
    if all_videos:
        if query is not None:
            raise typer.BadParameter(
                "with --all give only the query: vidseek search --all QUERY", param_hint="QUERY"
            )
        query = video
    if query is None:
        raise typer.BadParameter(
            "say what to look for: vidseek search VIDEO QUERY", param_hint="QUERY"
        )
    if not query.strip():
        raise typer.BadParameter("the query is empty; say what to look for", param_hint="QUERY")
    if all_videos:
        search_all(ctx, query, granularity.value, top_k, as_json)
        return
    search_one(ctx, video, query, granularity.value, top_k, as_json)


def _match_line(text: str, matched: str, at: float | None) -> str:
    text = " ".join((text or "").split())[:160]
    if matched and matched not in text:
        when = f" @{mmss(at, 1)}" if at is not None else ""
        text += f"\n[dim]match{when}: {' '.join(matched.split())[:120]}[/]"
    return text


def search_one(
    ctx: typer.Context, video: str, query: str, level: str, top_k: int, as_json: bool
) -> None:
    from rich.table import Table

    from vidseek.memory.video_index import VideoIndex

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
    table = Table(title=f"{printable(index.info.path.name)}: '{query}'")
    for col in ("#", "span", "granularity", "channels", "text"):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(hits, 1):
        via = " ".join(f"{c}#{r}" for c, r in sorted(h.channels.items(), key=lambda kv: kv[1]))
        table.add_row(
            str(i),
            f"{mmss(h.segment.start_s, 1)}-{mmss(h.segment.end_s, 1)}",
            h.segment.granularity,
            via,
            _match_line(h.segment.text, h.matched_text, h.match_start_s),
        )
    console.print(table if hits else f"no {level} matches '{query}'")


def search_all(ctx: typer.Context, query: str, level: str, top_k: int, as_json: bool) -> None:
    """Every indexed video at once, through the library indexes (``vidseek.memory.library``)."""
    from rich.table import Table

    from vidseek.service.search import search_all

    res = search_all(query, settings_from(ctx), level, top_k)
    if as_json:
        rows = [{"rank": i, **h.model_dump()} for i, h in enumerate(res.hits, 1)]
        out = {"query": query, "videos_searched": res.videos_searched, "hits": rows}
        print(json.dumps({**out, "skipped": res.skipped}, indent=2))
        return
    for why in res.skipped:
        err_console.print(f"not searched: {why}", highlight=False, markup=False)
    table = Table(title=f"{res.videos_searched} videos: '{query}'")
    for col in ("#", "video", "span", "granularity", "channels", "text"):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(res.hits, 1):
        table.add_row(
            str(i),
            h.video_name,
            f"{mmss(h.start_s, 1)}-{mmss(h.end_s, 1)}",
            h.granularity,
            " ".join(h.channels),
            _match_line(h.text, h.matched_text, h.match_start_s),
        )
    if res.hits:
        console.print(table)
    elif not res.videos_searched:
        console.print("no videos are indexed yet; run `vidseek index VIDEO`")
    else:
        console.print(f"no {level} matches '{query}' in {res.videos_searched} videos")


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
        for col in ("video id", "paths", "duration", "complete"):
            table.add_column(col, overflow="fold")
        for r in recs:
            done = "yes" if r.indexed_at else "no"
            paths = "\n".join(printable(p) for p in store.paths(r.video_id))
            table.add_row(r.video_id[:16], paths, mmss(r.info.duration_s, 1), done)
        console.print(table if recs else "no videos are indexed yet; run `vidseek index VIDEO`")
        return
    ov = VideoIndex.open(settings, video, store=store).overview()
    if as_json:
        print(json.dumps(ov, indent=2, default=str))
        return
    console.print(
        f"{ov['path']}  id {ov['video_id']}\n{mmss(ov['duration_s'], 1)} "
        f"{ov['resolution']} audio={'yes' if ov['has_audio'] else 'no'} "
        f"complete={'yes' if ov['indexed_at'] else 'no'}",
        highlight=False,
        markup=False,
    )
    for p in ov["paths"]:  # byte-identical copies share this index
        console.print(f"path: {p}", highlight=False, markup=False, soft_wrap=True)
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
    video: str = typer.Argument(..., help="An indexed video: one of its paths, or its id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    all_paths: bool = typer.Option(
        False, "--all-paths", help="Remove the whole index, even while other copies still use it."
    ),
) -> None:
    """Forget a path of a video; its index (vectors, rows, artefacts) goes with its last path or
    with --all-paths, or when named by id. The video files themselves are kept."""
    from vidseek.memory.removal import apply_removal, plan_removal
    from vidseek.memory.store import SegmentStore

    if not yes and not sys.stdin.isatty():
        raise typer.BadParameter(
            "there is no terminal to confirm on; pass --yes to remove without asking",
            param_hint="--yes",
        )
    store = SegmentStore(settings_from(ctx))
    plan = plan_removal(store, video, all_paths=all_paths)
    if not yes and not typer.confirm(plan.describe() + "?", err=True):
        err_console.print("nothing removed")
        raise typer.Exit(1)
    apply_removal(store, plan)
    console.print(plan.describe(done=True), highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("index")(index_cmd)
    app.command("search")(search_cmd)
    app.command("info")(info_cmd)
    app.command("remove")(remove_cmd)
