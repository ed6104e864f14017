"""Agent benchmark: accuracy, evidence hit rate, tool calls, tokens and wall time per question, for
both policies with the offline LLM (Qwen2.5-Coder-0.5B behind vidseek's own llama.cpp server).

Question sets: the demo haystack's needle questions (always; fetched from the package registries)
and the dev set in ../shared/eval/dev10/ beside the repository, or $VIDSEEK_SHARED/eval/dev10
(skipped cleanly where it is absent). The baseline,
measured in the same run, is chance (1 / number of options) for multiple-choice accuracy, and for
the evidence hit rate the top hit of one plain `search_segments` call on the question (no planner).

    .venv/bin/python benchmarks/agent.py [--sets demo,dev10] [--policies dvd,chain_of_shot]
                                         [--limit N] [--data-dir DIR] [--kinds speech,ocr]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from vidseek.agent import Agent  # noqa: E402
from vidseek.agent.answer import embedded_options, is_abstention  # noqa: E402
from vidseek.config import Settings  # noqa: E402
from vidseek.scenarios.demo import demo_questions, hit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEV10 = Path(os.environ.get("VIDSEEK_SHARED", REPO.parent / "shared")) / "eval" / "dev10"
console = Console(stderr=True)


def demo_set(settings: Settings) -> tuple[Path, list[dict[str, Any]]]:
    from vidseek.footage import demo_haystack

    video, manifest = demo_haystack(settings)
    qs = []
    for i, q in enumerate(demo_questions(manifest), 1):
        qs.append(
            {
                "qid": f"demo-{i}",
                "question": q["question"],
                "options": None,
                "answer_text": q["answer"],
                "choice": None,
                "spans": [(q["start_s"], q["end_s"])],
                "kind": q["kind"],
            }
        )
    speech = next((n for n in manifest["needles"] if n["kind"] == "speech"), None)
    sign = next((n for n in manifest["needles"] if n["kind"] == "screen_text"), None)
    if speech:  # a time question (scored on the evidence) and a multiple-choice one
        span = [(speech["start_s"], speech["end_s"])]
        qs.append(
            {
                "qid": "demo-when",
                "question": "At what time is the access code for the north laboratory announced?",
                "options": None,
                "answer_text": None,
                "choice": None,
                "spans": span,
                "kind": "speech",
            }
        )
        qs.append(
            {
                "qid": "demo-mc-speech",
                "question": "What is the access code for the north laboratory?",
                "options": ["3185", "3815", "8315", "1835"],
                "answer_text": "3815",
                "choice": "B",
                "spans": span,
                "kind": "speech",
            }
        )
    if sign:
        qs.append(
            {
                "qid": "demo-mc-sign",
                "question": "According to the sign on screen, which store room is closed?",
                "options": ["Store room 21", "Store room 72", "Store room 27", "Store room 17"],
                "answer_text": "27",
                "choice": "C",
                "spans": [(sign["start_s"], sign["end_s"])],
                "kind": "screen_text",
            }
        )
    return video, qs


def dev10_set(kinds: set[str] | None) -> tuple[Path, list[dict[str, Any]]] | None:
    qfile = DEV10 / "questions.jsonl"
    if not qfile.is_file():
        console.print(f"[yellow]dev10 skipped: {qfile} is absent[/]")
        return None
    qs = []
    for line in qfile.read_text().splitlines():
        rec = json.loads(line)
        for qa in rec["qa"]:
            if kinds and qa["needle_kind"] not in kinds and qa["modality"] not in kinds:
                continue
            qs.append(
                {
                    "qid": qa["uid"],
                    "question": qa["question"],
                    "options": embedded_options(qa["question"]) or qa.get("options"),
                    "answer_text": qa["answer_text"],
                    "choice": qa["answer"],
                    "spans": [tuple(s) for s in qa.get("time_reference_s") or []],
                    "kind": qa["needle_kind"],
                }
            )
    return DEV10 / rec.get("video_path", "haystack.mp4"), qs


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
    res = tool.invoke({"query": q["question"].split("\n(A)")[0], "top_k": 1}, ctx)
    return evidence_hit([(e.start_s, e.end_s) for e in res.evidence[:1]], q["spans"])


def run_set(
    name: str, video: Path, qs: list[dict[str, Any]], settings: Settings, policies: list[str]
) -> list[dict]:
    rows = []
    for policy in policies:
        settings.agent.policy = policy  # type: ignore[assignment]
        with Agent(video, settings) as agent:
            for q in qs:
                t0 = time.monotonic()
                ans = agent.ask(q["question"], q["options"])
                wall = time.monotonic() - t0
                row = {
                    "set": name,
                    "policy": policy,
                    "qid": q["qid"],
                    "kind": q["kind"],
                    "correct": correct(ans, q),
                    "evidence_hit": evidence_hit(
                        [(e.start_s, e.end_s) for e in ans.evidence], q["spans"]
                    ),
                    "baseline_hit": search_baseline(agent, q),
                    "chance": 1 / len(q["options"]) if q["options"] else 0.0,
                    "tool_calls": len(ans.trace.tool_calls),
                    "tokens": ans.trace.total_tokens,
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
                    f"{name} {policy} {q['qid']} {mark} {ans.choice or ''} {ans.answer[:60]!r} "
                    f"ev={row['evidence_hit']} calls={row['tool_calls']} tok={row['tokens']} {wall:.1f}s"
                )
    return rows


def summarise(rows: list[dict]) -> None:
    table = Table(title="agent benchmark (offline LLM); medians of per-question figures")
    for col in (
        "set",
        "policy",
        "n",
        "accuracy",
        "chance",
        "acc/chance",
        "evidence hit",
        "search-only hit",
        "tool calls (mean)",
        "tokens (median)",
        "wall s (median)",
        "best effort",
        "abstained",
    ):
        table.add_column(col)
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["set"], r["policy"]), []).append(r)
    for (name, policy), rs in groups.items():
        acc = sum(r["correct"] for r in rs) / len(rs)
        chance = statistics.mean(r["chance"] for r in rs)
        ev = [r["evidence_hit"] for r in rs if r["evidence_hit"] is not None]
        base = [r["baseline_hit"] for r in rs if r["baseline_hit"] is not None]
        table.add_row(
            name,
            policy,
            str(len(rs)),
            f"{acc:.2f}",
            f"{chance:.2f}" if chance else "-",
            f"{acc / chance:.2f}x" if chance else "-",
            f"{sum(ev) / len(ev):.2f}" if ev else "-",
            f"{sum(base) / len(base):.2f}" if base else "-",
            f"{statistics.mean(r['tool_calls'] for r in rs):.1f}",
            f"{statistics.median(r['tokens'] for r in rs):.0f}",
            f"{statistics.median(r['wall_s'] for r in rs):.1f}",
            str(sum(r["best_effort"] for r in rs)),
            str(sum(r.get("abstained", False) for r in rs)),
        )
    Console().print(table)
    by_kind(rows)
    reliability(rows)


def by_kind(rows: list[dict]) -> None:
    """Correct answers per needle kind, for each set and policy."""
    table = Table(title="correct by kind")
    for col in ("set", "policy", "kind", "correct", "evidence hit", "abstained"):
        table.add_column(col)
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["set"], r["policy"], r["kind"]), []).append(r)
    for (name, policy, kind), rs in sorted(groups.items()):
        ev = [r["evidence_hit"] for r in rs if r["evidence_hit"] is not None]
        table.add_row(
            name,
            policy,
            kind,
            f"{sum(r['correct'] for r in rs)}/{len(rs)}",
            f"{sum(ev)}/{len(ev)}" if ev else "-",
            str(sum(r.get("abstained", False) for r in rs)),
        )
    Console().print(table)


CONFIDENCE_BUCKETS = ((0.0, 0.5), (0.5, 0.8), (0.8, 1.01))


def reliability(rows: list[dict]) -> None:
    """Share of right answers per confidence bucket: a confidence that means something is right
    more often the higher it is."""
    table = Table(title="reliability: share right per confidence bucket")
    for col in ("set", "policy", "confidence", "answers", "right", "share right"):
        table.add_column(col)
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["set"], r["policy"]), []).append(r)
    for (name, policy), rs in groups.items():
        for lo, hi in CONFIDENCE_BUCKETS:
            inside = [r for r in rs if lo <= float(r.get("confidence") or 0.0) < hi]
            right = sum(r["correct"] for r in inside)
            table.add_row(
                name,
                policy,
                f"[{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}",
                str(len(inside)),
                str(right),
                f"{right / len(inside):.2f}" if inside else "-",
            )
    Console().print(table)
    for (name, policy), rs in groups.items():
        top = [r for r in rs if float(r.get("confidence") or 0.0) >= CONFIDENCE_BUCKETS[-1][0]]
        right = sum(r["correct"] for r in top)
        share = f"{right / len(top):.0%}" if top else "-"
        abstained = sum(r.get("abstained", False) for r in rs)
        Console().print(
            f"{name} {policy}: top bucket right {right}/{len(top)} ({share}; target >= 90 %); "
            f"abstained {abstained}/{len(rs)} (counted as not correct)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sets", default="demo,dev10")
    ap.add_argument("--policies", default="chain_of_shot,dvd")
    ap.add_argument("--limit", type=int, default=0, help="at most N questions per set")
    ap.add_argument(
        "--kinds", default="", help="dev10 needle kinds/modalities to keep, e.g. speech,ocr"
    )
    ap.add_argument("--data-dir", type=Path, default=Path(".test-data") / "indexed-demo-v1")
    ap.add_argument(
        "--samples-dir",
        type=Path,
        default=Path(".test-data"),
        help="data dir holding the fetched samples and the demo haystack",
    )
    ap.add_argument("--max-steps", type=int, default=10)
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(data_dir=args.data_dir)
    settings.agent.max_steps = args.max_steps
    policies = [p for p in args.policies.split(",") if p]
    rows: list[dict] = []
    for name in args.sets.split(","):
        if name == "demo":
            video, qs = demo_set(Settings(data_dir=args.samples_dir))
        elif name == "dev10":
            got = dev10_set({k for k in args.kinds.split(",") if k} or None)
            if got is None:
                continue
            video, qs = got
        else:
            sys.exit(f"unknown set {name}")
        if args.limit:
            qs = qs[: args.limit]
        rows += run_set(name, video, qs, settings, policies)
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1))
    summarise(rows)


if __name__ == "__main__":
    main()
