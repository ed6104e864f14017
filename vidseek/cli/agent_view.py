"""Terminal front end of the agent (rich): a live view of each planner and tool step, the answer
with its evidence times, the interactive chat loop and the demo. The commands in
``vidseek.cli.agent`` are thin wrappers around it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vidseek.agent.answer import Answer
from vidseek.agent.events import Event
from vidseek.fmt import mmss
from vidseek.scenarios.demo import demo_questions, hit

if TYPE_CHECKING:
    from vidseek.agent.agent import Agent
    from vidseek.config import Settings


def _args(arguments: dict[str, Any], limit: int = 90) -> str:
    text = ", ".join(f"{k}={json.dumps(v)}" for k, v in arguments.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LiveView:
    """An event sink that prints each step as it happens, with a spinner while the model thinks."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self._status: Any = None

    def _spin(self, text: str) -> None:
        if not self.console.is_terminal:
            return
        if self._status is None:
            self._status = self.console.status(text, spinner="dots")
            self._status.start()
        else:
            self._status.update(text)

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __call__(self, event: Event) -> None:
        d = event.data
        c = self.console
        if event.kind == "start":
            c.print(f"[dim]policy {d.get('policy')} · planner {escape(str(d.get('planner')))}[/]")
            self._spin("planning…")
        elif event.kind == "thought":
            c.print(f"[dim]step {event.step}[/] [italic]{escape(str(d.get('text', '')))[:300]}[/]")
            self._spin("planning…")
        elif event.kind == "tool_start":
            c.print(
                f"[dim]step {event.step}[/] [cyan]→ {d['name']}[/]({escape(_args(d.get('arguments') or {}))})"
            )
            self._spin(f"running {d['name']}…")
        elif event.kind == "tool_end":
            mark = "[green]✓[/]" if d.get("ok") else "[red]✗[/]"
            first = (str(d.get("text") or "").strip().splitlines() or [""])[0]
            spans = ", ".join(
                f"{mmss(e['start_s'])}-{mmss(e['end_s'])}" for e in (d.get("evidence") or [])[:4]
            )
            c.print(
                f"    {mark} {d['name']} [dim]({d.get('wall_s', 0):.1f} s)[/] {escape(first[:140])}"
                + (f" [magenta]@ {spans}[/]" if spans else "")
            )
            if self.verbose:
                c.print(f"[dim]{escape(str(d.get('text', '')))[:2000]}[/]")
            self._spin("planning…")
        elif event.kind in ("notice", "error"):
            color = "yellow" if event.kind == "notice" else "red"
            c.print(f"    [{color}]{escape(str(d.get('text') or d.get('message') or ''))}[/]")
        elif event.kind == "answer":
            self._stop()


def print_answer(console: Console, ans: Answer, truth: tuple[float, float] | None = None) -> None:
    """The answer, its option letter, the evidence times and what the run cost."""
    label = "[yellow]best effort[/] " if ans.best_effort else ""
    choice = f"({ans.choice}) " if ans.choice else ""
    console.print(
        f"[bold]Answer:[/] {label}{choice}{escape(ans.answer)}  [dim]confidence {ans.confidence:.2f}[/]"
    )
    for e in ans.evidence:
        console.print(
            f"  [magenta]{mmss(e.start_s)} - {mmss(e.end_s)}[/] ({e.start_s:.2f}-{e.end_s:.2f} s) "
            f"[dim]{escape(e.why[:120])}[/]"
        )
    if not ans.evidence:
        console.print("  [dim]no evidence spans[/]")
    if ans.error:
        console.print(f"  [yellow]note: {escape(ans.error)}[/]")
    t = ans.trace
    console.print(
        f"[dim]{t.steps} steps · {len(t.tool_calls)} tool calls · {t.total_tokens} tokens"
        + (f" · ${t.cost_usd:.4f}" if t.cost_usd else "")
        + f" · {t.frames_looked} frames · {t.wall_s:.1f} s[/]"
    )


def print_history(console: Console, agent: Agent) -> None:
    turns = agent.history()
    if not turns:
        console.print("[dim]no questions in this thread yet[/]")
        return
    table = Table("#", "question", "answer", "evidence", show_lines=False)
    for i, t in enumerate(turns, 1):
        spans = ", ".join(
            f"{mmss(e['start_s'])}-{mmss(e['end_s'])}" for e in t.get("evidence", [])[:3]
        )
        table.add_row(str(i), t["question"], t["answer"], spans)
    console.print(table)


CHAT_HELP = (
    "Ask a question about the video. Commands: /evidence (spans of the last answer), "
    "/history (this thread), /new (start a new thread), /quit."
)


def chat_loop(agent: Agent, console: Console, read: Callable[[str], str] | None = None) -> None:
    """An interactive session: follow-up questions stay in the same thread."""
    read = read or (lambda prompt: console.input(prompt))
    console.print(
        f"[bold]vidseek chat[/] · {escape(str(agent.video_info.path))} · thread {agent.thread_id or '(new)'}"
    )
    console.print(f"[dim]{CHAT_HELP}[/]")
    while True:
        try:
            line = read("[bold green]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if not line:
            continue
        if line in ("/quit", "/exit", "/q"):
            break
        if line == "/help":
            console.print(CHAT_HELP)
        elif line == "/evidence":
            if agent.last_answer is None:
                console.print("[dim]no answer yet[/]")
            else:
                print_answer(console, agent.last_answer)
        elif line == "/history":
            print_history(console, agent)
        elif line == "/new":
            console.print(f"new thread {agent.new_thread()}")
        elif line.startswith("/"):
            console.print(f"[red]unknown command {escape(line)}[/]. {CHAT_HELP}")
        else:
            ans = agent.ask(line)
            print_answer(console, ans)
    # soft_wrap: the id must stay on one line so it can be copied (or matched by a script)
    console.print(
        f"[dim]thread {agent.thread_id} saved; resume with --thread {agent.thread_id}[/]",
        soft_wrap=True,
    )


# --- the demo ----------------------------------------------------------------------------------------


def run_demo(
    settings: Settings, console: Console, live: bool = True
) -> list[tuple[dict[str, Any], Answer]]:
    """Fetch the samples, build the demo haystack (a spoken and a written needle), index it and
    answer a question about each needle, printing answers with their evidence times."""
    from vidseek.agent.agent import Agent
    from vidseek.cli.common import progress
    from vidseek.footage import demo_haystack

    console.print("[bold]1/3[/] fetching sample footage and building the demo haystack…")
    with progress() as sink:
        video, manifest = demo_haystack(settings, progress=sink)
    console.print(f"    {video} ({manifest['duration_s']:.1f} s)")
    console.print("[bold]2/3[/] indexing (cached after the first run)…")
    on_event = LiveView(console) if live else None
    results = []
    with progress() as sink:
        agent = Agent(video, settings, on_event=on_event, progress=sink)  # type: ignore[arg-type]
    with agent:
        console.print("[bold]3/3[/] asking questions whose answers are only in the needles")
        for q in demo_questions(manifest):
            console.rule(escape(q["question"]))
            ans = agent.ask(q["question"])
            print_answer(console, ans)
            correct, overlap = hit(ans, q)
            console.print(
                f"  truth: '{q['answer']}' {q['kind']} at {mmss(q['start_s'])}-{mmss(q['end_s'])} → "
                + ("[green]correct[/]" if correct else "[red]wrong[/]")
                + (", evidence overlaps" if overlap else ", evidence misses")
            )
            results.append((q, ans))
    return results


def answer_json(ans: Answer) -> str:
    return json.dumps(ans.as_dict(), indent=2, default=str)


def parse_options(values: list[str] | None) -> list[str] | None:
    """``--options A --options B`` or ``--options 'A|B'``."""
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split("|") if p.strip())
    return out or None


def resolve_video_arg(video: Path) -> Path:
    from vidseek.errors import VideoError

    if not video.exists():
        raise VideoError(video, "no such file")
    if video.is_dir():
        raise VideoError(video, "is a folder, not a video file")
    return video
