"""Benchmark commands: ``scenarios make-haystack``, ``run``, ``report`` and ``compare``."""

from __future__ import annotations

from pathlib import Path

import typer

from vidseek.cli.common import console, progress, settings_from

scenarios_app = typer.Typer(
    help="Benchmarks: build needle-in-a-haystack sets, run and score them.", no_args_is_help=True
)


@scenarios_app.command("make-haystack")
def make_haystack_cmd(
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
    from vidseek.footage import build_haystack, fetch_samples, sample_visuals

    settings = settings_from(ctx)
    with progress() as sink:
        fillers: Path | list[Path] = (
            clips if clips else list(fetch_samples(settings, progress=sink).values())
        )
        visuals = sample_visuals(settings, sink) if visual else []
        res = build_haystack(
            fillers,
            out_dir,
            minutes=minutes,
            seed=seed,
            visuals=visuals,
            set_name=name,
            progress=sink,
        )
    console.print(f"video      {res.video} ({res.manifest['duration_s']:.0f} s)", highlight=False)
    console.print(f"manifest   {res.manifest_path}", highlight=False)
    console.print(f"questions  {res.questions_path} ({len(res.questions['qa'])})", highlight=False)


def run_cmd(
    ctx: typer.Context,
    scenario: str = typer.Argument(
        ..., help="A scenario YAML file, or a shipped one by name (dev10)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Run file (JSONL); default: the scenario's."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many questions."),
    concurrency: int | None = typer.Option(
        None, "--concurrency", min=1, help="Questions in parallel."
    ),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Ask failed questions again."),
) -> None:
    """Answer a scenario's questions (resumable: finished questions are never asked again)."""
    from vidseek.scenarios.runner import run_scenario
    from vidseek.scenarios.scenario import load_scenario

    sc = load_scenario(scenario)
    updates = {k: v for k, v in {"limit": limit, "concurrency": concurrency}.items() if v}
    if updates:
        sc = sc.model_copy(update=updates)
    with progress() as sink:
        summary = run_scenario(
            sc, settings_from(ctx), output=out, retry_failed=retry_failed, progress=sink
        )
    acc = "-" if summary.accuracy is None else f"{100 * summary.accuracy:.1f}%"
    console.print(
        f"{summary.path}: {summary.total} questions, {summary.skipped} done before, "
        f"{summary.asked} asked now ({summary.failed} failed); accuracy {acc} "
        f"({summary.correct}/{summary.graded} graded)",
        highlight=False,
    )


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


def compare_cmd(
    run_a: Path = typer.Argument(..., help="Run file A (the baseline)."),
    run_b: Path = typer.Argument(..., help="Run file B."),
    n_boot: int = typer.Option(10_000, "--n-boot", min=1, help="Bootstrap resamples."),
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


def register(app: typer.Typer) -> None:
    app.add_typer(scenarios_app, name="scenarios")
    app.command("run")(run_cmd)
    app.command("report")(report_cmd)
    app.command("compare")(compare_cmd)
