"""Agent commands: ``ask``, ``chat`` and ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from vidseek.cli.common import console, err_console, progress, settings_from
from vidseek.config import Settings

POLICY_OPT = typer.Option(None, "--policy", help="dvd | chain_of_shot (default from settings)")
PLANNER_OPT = typer.Option(
    None, "--planner", help="planner model ref, e.g. openai:gpt-4.1-mini or vllm:URL#MODEL"
)
STEPS_OPT = typer.Option(None, "--max-steps", min=1, help="planner step budget")


def agent_settings(
    ctx: typer.Context, policy: str | None, planner: str | None, max_steps: int | None
) -> Settings:
    """Settings with the agent options of the command applied (an unknown policy fails here,
    before any indexing starts)."""
    from vidseek.agent.policies import get_policy

    settings = settings_from(ctx)
    if policy:
        get_policy(policy)
        settings.agent.policy = policy  # type: ignore[assignment]
    if planner:
        settings.models.planner = planner
    if max_steps:
        settings.agent.max_steps = max_steps
    return settings


def ask_cmd(
    ctx: typer.Context,
    video: Path = typer.Argument(..., help="video file (indexed first if needed)"),
    question: str = typer.Argument(..., help="the question"),
    options: list[str] | None = typer.Option(
        None, "--options", "-o", help="a multiple-choice option (repeat, or 'A|B|C')"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the answer and trace as JSON"),
    policy: str | None = POLICY_OPT,
    planner: str | None = PLANNER_OPT,
    max_steps: int | None = STEPS_OPT,
) -> None:
    """Answer one question about a video, with the time spans that support it."""
    from vidseek.agent import Agent
    from vidseek.cli.agent_view import (
        LiveView,
        answer_json,
        parse_options,
        print_answer,
        resolve_video_arg,
    )
    from vidseek.errors import VidseekError

    if not question.strip():
        raise typer.BadParameter("the question is empty; ask something about the video",
                                 param_hint="QUESTION")  # fmt: skip
    settings = agent_settings(ctx, policy, planner, max_steps)
    video = resolve_video_arg(video)
    view = LiveView(err_console if as_json else console)
    with progress(enabled=not as_json) as sink:  # indexing first, when the video is new
        agent = Agent(video, settings, on_event=view, progress=sink)
    with agent:
        ans = agent.ask(question, parse_options(options))
    if ans.best_effort and ans.error and not ans.trace.tool_calls:
        raise VidseekError(ans.error)  # nothing was found before the planner failed: one clear line
    if as_json:
        sys.stdout.write(answer_json(ans) + "\n")
    else:
        print_answer(console, ans)


def chat_cmd(
    ctx: typer.Context,
    video: Path = typer.Argument(..., help="video file (indexed first if needed)"),
    thread: str | None = typer.Option(None, "--thread", help="resume a saved chat thread"),
    policy: str | None = POLICY_OPT,
    planner: str | None = PLANNER_OPT,
    max_steps: int | None = STEPS_OPT,
) -> None:
    """Interactive questions about a video; follow-ups stay in one saved thread."""
    from vidseek.agent import Agent
    from vidseek.cli.agent_view import LiveView, chat_loop, print_answer, resolve_video_arg

    settings = agent_settings(ctx, policy, planner, max_steps)
    video = resolve_video_arg(video)
    with progress() as sink:
        agent = Agent(video, settings, on_event=LiveView(console), sessions=True, progress=sink)
    with agent:
        agent.thread_id = thread or agent.new_thread()
        cut_off = agent.interrupted()
        if cut_off:  # the last run of this thread was killed: finish it before anything new
            console.print(f"[dim]resuming the interrupted question:[/] {escape(cut_off)}")
            print_answer(console, agent.resume())
        chat_loop(agent, console)


def demo_cmd(
    ctx: typer.Context,
    policy: str | None = POLICY_OPT,
    planner: str | None = PLANNER_OPT,
) -> None:
    """Fetch real sample footage, hide a spoken and a written needle in it, index it, and answer
    questions about them with the offline models."""
    from vidseek.cli.agent_view import run_demo

    run_demo(agent_settings(ctx, policy, planner, None), console)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask_cmd)
    app.command("chat")(chat_cmd)
    app.command("demo")(demo_cmd)
