"""Reports of benchmarks/agent.py from its per-question rows: the summary, by kind, reliability
(confidence bucket -> share right), by length (set duration) and by depth (where the needle
sits). The aggregations are plain functions over rows so they can be tested without a model."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Hashable
from typing import Any

from agent_sets import DEPTH_BUCKETS, depth_bucket
from rich.console import Console
from rich.table import Table

Row = dict[str, Any]
CONFIDENCE_BUCKETS = ((0.0, 0.5), (0.5, 0.8), (0.8, 1.01))


def _groups(rows: list[Row], key: Callable[[Row], Hashable]) -> dict[Any, list[Row]]:
    out: dict[Any, list[Row]] = {}
    for r in rows:
        out.setdefault(key(r), []).append(r)
    return out


def _run_key(r: Row) -> tuple[str, str, str]:
    return (r["set"], r.get("planner", "-"), r["policy"])


def _share(values: list[bool | None]) -> tuple[int, int]:
    """(hits, counted) over the values that apply (None: the question has no ground-truth span)."""
    known = [v for v in values if v is not None]
    return sum(bool(v) for v in known), len(known)


def _ratio(hits: int, n: int) -> str:
    return f"{hits}/{n} ({hits / n:.2f})" if n else "-"


def _group_fields(key: tuple[str, str, str], rs: list[Row]) -> Row:
    """The fields every report line has: its run, size, correct answers and evidence hits."""
    name, planner, policy = key
    ev, ev_n = _share([r["evidence_hit"] for r in rs])
    return {
        "minutes": float(rs[0].get("minutes") or 0.0),
        "set": name,
        "planner": planner,
        "policy": policy,
        "n": len(rs),
        "correct": sum(bool(r["correct"]) for r in rs),
        "evidence_hit": ev,
        "evidence_n": ev_n,
    }


def length_rows(rows: list[Row]) -> list[Row]:
    """One line per (set, planner, policy), ordered by the set's length in minutes."""
    out = []
    for key, rs in _groups(rows, _run_key).items():
        base, base_n = _share([r["baseline_hit"] for r in rs])
        out.append(
            {
                **_group_fields(key, rs),
                "baseline_hit": base,
                "baseline_n": base_n,
                "abstained": sum(bool(r.get("abstained")) for r in rs),
                "median_wall_s": statistics.median(r["wall_s"] for r in rs),
                "median_tokens": statistics.median(r["tokens"] for r in rs),
            }
        )
    return sorted(out, key=lambda x: (x["minutes"], x["set"], x["planner"], x["policy"]))


def depth_rows(rows: list[Row]) -> list[Row]:
    """One line per (set, planner, policy, third of the video), questions with no needle left out."""
    order = {label: i for i, (_, _, label) in enumerate(DEPTH_BUCKETS)}
    placed = [r for r in rows if r.get("depth_pct") is not None]
    out = []
    for (*run, bucket), rs in _groups(
        placed, lambda r: (*_run_key(r), depth_bucket(r["depth_pct"]))
    ).items():
        out.append({**_group_fields(tuple(run), rs), "depth": bucket})
    return sorted(
        out, key=lambda x: (x["minutes"], x["set"], x["planner"], x["policy"], order[x["depth"]])
    )


def summarise(rows: list[Row], console: Console | None = None) -> None:
    """Every report, one table after another."""
    console = console or Console()
    table = Table(title="agent benchmark (offline LLM); medians of per-question figures")
    cols = ("set", "planner", "policy", "n", "accuracy", "chance", "acc/chance", "evidence hit")
    cols += ("search-only hit", "tool calls (mean)", "tokens (median)", "wall s (median)")
    for col in (*cols, "best effort", "abstained"):
        table.add_column(col)
    for (name, planner, policy), rs in _groups(rows, _run_key).items():
        acc = sum(r["correct"] for r in rs) / len(rs)
        chance = statistics.mean(r["chance"] for r in rs)
        ev, ev_n = _share([r["evidence_hit"] for r in rs])
        base, base_n = _share([r["baseline_hit"] for r in rs])
        table.add_row(
            name,
            planner,
            policy,
            str(len(rs)),
            f"{acc:.2f}",
            f"{chance:.2f}" if chance else "-",
            f"{acc / chance:.2f}x" if chance else "-",
            f"{ev / ev_n:.2f}" if ev_n else "-",
            f"{base / base_n:.2f}" if base_n else "-",
            f"{statistics.mean(r['tool_calls'] for r in rs):.1f}",
            f"{statistics.median(r['tokens'] for r in rs):.0f}",
            f"{statistics.median(r['wall_s'] for r in rs):.1f}",
            str(sum(r["best_effort"] for r in rs)),
            str(sum(r.get("abstained", False) for r in rs)),
        )
    console.print(table)
    by_kind(rows, console)
    reliability(rows, console)
    by_length(rows, console)
    by_depth(rows, console)


def by_kind(rows: list[Row], console: Console) -> None:
    """Correct answers per needle kind, for each set, planner and policy."""
    table = Table(title="correct by kind")
    for col in ("set", "planner", "policy", "kind", "correct", "evidence hit", "abstained"):
        table.add_column(col)
    for (name, planner, policy, kind), rs in sorted(
        _groups(rows, lambda r: (*_run_key(r), r["kind"])).items()
    ):
        ev, ev_n = _share([r["evidence_hit"] for r in rs])
        table.add_row(
            name,
            planner,
            policy,
            kind,
            f"{sum(r['correct'] for r in rs)}/{len(rs)}",
            f"{ev}/{ev_n}" if ev_n else "-",
            str(sum(r.get("abstained", False) for r in rs)),
        )
    console.print(table)


def reliability(rows: list[Row], console: Console) -> None:
    """Share of right answers per confidence bucket: a confidence that means something is right
    more often the higher it is."""
    table = Table(title="reliability: share right per confidence bucket")
    for col in ("set", "planner", "policy", "confidence", "answers", "right", "share right"):
        table.add_column(col)
    groups = _groups(rows, _run_key)
    for (name, planner, policy), rs in groups.items():
        for lo, hi in CONFIDENCE_BUCKETS:
            inside = [r for r in rs if lo <= float(r.get("confidence") or 0.0) < hi]
            right = sum(r["correct"] for r in inside)
            table.add_row(
                name,
                planner,
                policy,
                f"[{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}",
                str(len(inside)),
                str(right),
                f"{right / len(inside):.2f}" if inside else "-",
            )
    console.print(table)
    for (name, planner, policy), rs in groups.items():
        top = [r for r in rs if float(r.get("confidence") or 0.0) >= CONFIDENCE_BUCKETS[-1][0]]
        right = sum(r["correct"] for r in top)
        share = f"{right / len(top):.0%}" if top else "-"
        abstained = sum(r.get("abstained", False) for r in rs)
        console.print(
            f"{name} {planner} {policy}: top bucket right {right}/{len(top)} ({share}; target "
            f">= 90 %); abstained {abstained}/{len(rs)} (counted as not correct)"
        )


def by_length(rows: list[Row], console: Console) -> None:
    """Accuracy and evidence hit against the video's length: they must not fall as videos grow."""
    table = Table(title="by length (set duration); evidence hit vs one plain search")
    cols = ("minutes", "set", "planner", "policy", "n", "accuracy", "evidence hit")
    for col in (*cols, "search-only hit", "abstained", "wall s (median)", "tokens (median)"):
        table.add_column(col)
    for x in length_rows(rows):
        table.add_row(
            f"{x['minutes']:g}",
            x["set"],
            x["planner"],
            x["policy"],
            str(x["n"]),
            _ratio(x["correct"], x["n"]),
            _ratio(x["evidence_hit"], x["evidence_n"]),
            _ratio(x["baseline_hit"], x["baseline_n"]),
            str(x["abstained"]),
            f"{x['median_wall_s']:.1f}",
            f"{x['median_tokens']:.0f}",
        )
    console.print(table)


def by_depth(rows: list[Row], console: Console) -> None:
    """Accuracy and evidence hit by where the needle sits (thirds of the video, by the first
    ground-truth span's start); questions about something absent are left out."""
    table = Table(title="by depth (needle start / duration); absent questions left out")
    for col in ("minutes", "set", "planner", "policy", "depth", "n", "accuracy", "evidence hit"):
        table.add_column(col)
    for x in depth_rows(rows):
        table.add_row(
            f"{x['minutes']:g}",
            x["set"],
            x["planner"],
            x["policy"],
            x["depth"],
            str(x["n"]),
            _ratio(x["correct"], x["n"]),
            _ratio(x["evidence_hit"], x["evidence_n"]),
        )
    console.print(table)
