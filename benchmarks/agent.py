"""Agent benchmark: accuracy, evidence hit rate, tool calls, tokens and wall time per question,
for each policy with one planner (default: the settings' offline planner, Qwen2.5-Coder-0.5B behind
vidseek's own llama.cpp server), reported overall, by kind, by confidence, by video length and by
the needle's depth.

Question sets: ``demo`` (the demo haystack's needle questions, fetched from the package
registries), ``dev10`` (../shared/eval/dev10 beside the repository, or $VIDSEEK_SHARED/eval/dev10;
skipped cleanly where it is absent) and any ``vidseek scenarios make-haystack`` folder given with
``--haystack DIR`` (named by its manifest's ``set``). One ``--data-dir`` holds every index; a video
not indexed yet is indexed first. The baseline, measured in the same run, is chance (1 / number of
options) for multiple-choice accuracy, and for the evidence hit rate the top hit of one plain
`search_segments` call on the question (no planner).

    .venv/bin/python benchmarks/agent.py [--sets demo,dev10] [--haystack DIR ...]
        [--planner local:qwen2.5-coder-1.5b-instruct] [--policies dvd,chain_of_shot]
        [--limit N] [--data-dir DIR] [--kinds speech,ocr] [--json-out rows.json]
    .venv/bin/python benchmarks/agent.py --report rows-a.json rows-b.json   # tables only
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from agent_reports import summarise  # noqa: E402
from agent_sets import QuestionSet, demo_set, load_haystack  # noqa: E402
from rich.console import Console  # noqa: E402

from vidseek.agent import Agent  # noqa: E402
from vidseek.agent.answer import is_abstention  # noqa: E402
from vidseek.config import Settings  # noqa: E402
from vidseek.errors import NotIndexedError, VidseekError  # noqa: E402
from vidseek.scenarios.demo import hit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEV10 = Path(os.environ.get("VIDSEEK_SHARED", REPO.parent / "shared")) / "eval" / "dev10"
console = Console(stderr=True)


def correct(ans: Any, q: dict[str, Any]) -> bool:
    if q["answer_text"] is None:  # a "when" question: right when the evidence overlaps the truth
        return bool(evidence_hit([(e.start_s, e.end_s) for e in ans.evidence], q["spans"]))
    if q["choice"]:
        return ans.choice == q["choice"]
    ok, _ = hit(ans, {"answer": q["answer_text"], "start_s": 0, "end_s": 0})
    return ok


def evidence_hit(spans: list[tuple[float, float]], truth: list[tuple[float, float]]) -> bool | None:
    if not truth:
        return None
    return any(s < te and ts < e for s, e in spans for ts, te in truth)


def search_baseline(agent: Agent, q: dict[str, Any]) -> bool | None:
    """Evidence hit of the top result of one plain search on the question (no planner)."""
    tool = agent.tools.get("search_segments")
    if tool is None or not q["spans"]:
        return None
    from vidseek.agent.budgets import RunBudget
    from vidseek.tools.base import ToolContext

    ctx = ToolContext(
        settings=agent.settings,
        video=agent.video_info,
        index=agent.index,
        models=agent.models,
        budget=RunBudget.from_settings(agent.settings.agent).tool_budget,
    )
    res = tool.invoke({"query": q["stem"], "top_k": 1}, ctx)
    return evidence_hit([(e.start_s, e.end_s) for e in res.evidence[:1]], q["spans"])


def is_indexed(video: Path, settings: Settings) -> bool:
    """Whether ``video`` has an index under the data dir (opening it loads no model)."""
    from vidseek.memory.store import SegmentStore
    from vidseek.memory.video_index import VideoIndex

    store = SegmentStore(settings)
    try:
        VideoIndex.open(settings, video, store=store)
    except NotIndexedError:
        return False
    finally:
        store.close()
    return True


def run_set(qset: QuestionSet, settings: Settings, policies: list[str]) -> list[dict]:
    rows = []
    if not is_indexed(qset.video, settings):
        console.print(
            f"[bold]indexing {qset.name} ({qset.minutes:g} min, {qset.video}) first[/] "
            f"into {settings.data_dir}"
        )
    planner = settings.models.planner
    for policy in policies:
        settings.agent.policy = policy  # type: ignore[assignment]
        with Agent(qset.video, settings) as agent:
            for q in qset.questions:
                t0 = time.monotonic()
                ans = agent.ask(q["question"], q["options"])
                wall = time.monotonic() - t0
                row = {
                    "set": qset.name,
                    "minutes": qset.minutes,
                    "planner": planner,
                    "policy": policy,
                    "qid": q["qid"],
                    "kind": q["kind"],
                    "depth_pct": q.get("depth_pct"),
                    "correct": correct(ans, q),
                    "evidence_hit": evidence_hit(
                        [(e.start_s, e.end_s) for e in ans.evidence], q["spans"]
                    ),
                    "baseline_hit": search_baseline(agent, q),
                    "chance": 1 / len(q["options"]) if q["options"] else 0.0,
                    "tool_calls": len(ans.trace.tool_calls),
                    "tokens": ans.trace.total_tokens,
                    "prompt_tokens": ans.trace.prompt_tokens,
                    "completion_tokens": ans.trace.completion_tokens,
                    "wall_s": wall,
                    "best_effort": ans.best_effort,
                    "abstained": is_abstention(ans.answer),
                    "confidence": ans.confidence,
                    "answer": ans.answer,
                    "choice": ans.choice,
                }
                rows.append(row)
                mark = "✓" if row["correct"] else "✗"
                console.print(
                    f"{qset.name} {policy} {q['qid']} {mark} {ans.choice or ''} {ans.answer[:60]!r} "
                    f"ev={row['evidence_hit']} calls={row['tool_calls']} tok={row['tokens']} {wall:.1f}s"
                )
    return rows


def load_sets(args: argparse.Namespace) -> list[QuestionSet]:
    """The named sets, then every --haystack folder; a set that cannot be read stops the run."""
    kinds = {k for k in args.kinds.split(",") if k} or None
    folders = []
    sets = []
    for name in [n for n in args.sets.split(",") if n]:
        if name == "demo":
            sets.append(demo_set(Settings(data_dir=args.samples_dir)))
        elif name == "dev10":
            if not (DEV10 / "questions.jsonl").is_file():
                console.print(f"[yellow]dev10 skipped: {DEV10 / 'questions.jsonl'} is absent[/]")
                continue
            folders.append(DEV10)
        else:
            sys.exit(f"unknown set {name!r} (known: demo, dev10; other sets: --haystack DIR)")
    folders += args.haystack
    for folder in folders:
        try:
            sets.append(load_haystack(folder, kinds))
        except VidseekError as exc:
            sys.exit(f"cannot read the haystack set: {exc}")
    names = [s.name for s in sets]
    if len(set(names)) != len(names):
        sys.exit(f"two sets share a name ({', '.join(names)}); each set's rows must tell apart")
    for qset in sets:
        if args.limit:
            qset.questions = qset.questions[: args.limit]
    return sets


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sets", default=None, help="demo, dev10 (default: both, or none with --haystack)"
    )
    ap.add_argument(
        "--haystack",
        type=Path,
        action="append",
        default=[],
        help="a `vidseek scenarios make-haystack` folder (repeatable)",
    )
    ap.add_argument("--planner", default=None, help="planner model ref (default: the settings')")
    ap.add_argument("--policies", default="chain_of_shot,dvd")
    ap.add_argument("--limit", type=int, default=0, help="at most N questions per set")
    ap.add_argument(
        "--kinds",
        default="",
        help="needle kinds/modalities to keep (haystack sets), e.g. speech,ocr",
    )
    ap.add_argument("--data-dir", type=Path, default=Path(".test-data") / "indexed-demo-v1")
    ap.add_argument(
        "--samples-dir",
        type=Path,
        default=Path(".test-data"),
        help="data dir holding the fetched samples and the demo haystack",
    )
    ap.add_argument("--max-steps", type=int, default=10)
    ap.add_argument("--json-out", type=Path, default=None, help="rows, rewritten after each set")
    ap.add_argument(
        "--report", type=Path, nargs="+", default=None, help="only print the tables of saved rows"
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    wide = Console(width=None if sys.stdout.isatty() else 220)  # a log file gets whole columns
    if args.report:
        summarise([r for f in args.report for r in json.loads(f.read_text())], wide)
        return
    if args.sets is None:
        args.sets = "" if args.haystack else "demo,dev10"
    settings = Settings(data_dir=args.data_dir)
    settings.agent.max_steps = args.max_steps
    if args.planner:
        settings.models.planner = args.planner
    policies = [p for p in args.policies.split(",") if p]
    rows: list[dict] = []
    for qset in load_sets(args):
        rows += run_set(qset, settings, policies)
        if args.json_out:
            args.json_out.write_text(json.dumps(rows, indent=1))
    summarise(rows, wide)


if __name__ == "__main__":
    main()
