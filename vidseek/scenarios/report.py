"""``vidseek report RUN``: a markdown report plus PNG plots (accuracy by type, accuracy vs cost, and
a needle-depth x video-length heatmap) written beside the run file."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidseek.scenarios.runs import load_run
from vidseek.scenarios.scoring import (
    DURATION_BUCKETS,
    depth_pct,
    duration_bucket,
    gradeable,
    summarise,
)

log = logging.getLogger(__name__)

DEPTH_BINS = (0, 20, 40, 60, 80, 100)


@dataclass
class ReportFiles:
    markdown: Path
    summary_json: Path
    plots: dict[str, Path]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_accuracy_by_type(summary: dict[str, Any], out: Path, title: str) -> Path:
    plt = _pyplot()
    items = [(t, v) for t, v in summary["by_type"].items() if v["n"]]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.45 * len(items) + 1.2)))
    if items:
        names = [f"{t} (n={v['n']})" for t, v in items]
        values = [100 * v["accuracy"] for _, v in items]
        ax.barh(names, values, color="#3b7dd8")
        for y, v in enumerate(values):
            ax.text(min(v + 1, 95), y, f"{v:.0f}%", va="center", fontsize=8)
        ax.invert_yaxis()
    else:
        ax.text(0.5, 0.5, "no graded questions", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlim(0, 100)
    ax.set_xlabel("accuracy (%)")
    ax.set_title(f"{title}: accuracy by task type")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def _cost_key(rows: list[dict[str, Any]]) -> str:
    for key in ("tokens", "frames", "tool_calls", "wall_s"):
        if any((r.get("cost") or {}).get(key) for r in rows):
            return key
    return "wall_s"


def plot_accuracy_vs_cost(rows: list[dict[str, Any]], out: Path, title: str) -> Path:
    """Accuracy per cost quartile (how much looking harder buys), with the run's overall point."""
    plt = _pyplot()
    key = _cost_key(rows)
    graded = [r for r in rows if gradeable(r) and not r.get("error")]
    pts = sorted(
        (float((r.get("cost") or {}).get(key) or 0.0), r.get("correct") is True) for r in graded
    )
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if pts:
        n_bins = min(4, len(pts))
        xs, ys, ns = [], [], []
        for b in range(n_bins):
            chunk = pts[b * len(pts) // n_bins : (b + 1) * len(pts) // n_bins]
            if chunk:
                xs.append(sum(c for c, _ in chunk) / len(chunk))
                ys.append(100 * sum(ok for _, ok in chunk) / len(chunk))
                ns.append(len(chunk))
        ax.plot(xs, ys, "o-", color="#3b7dd8", label="questions binned by cost (quartiles)")
        for x, y, n in zip(xs, ys, ns, strict=True):
            ax.annotate(f"n={n}", (x, y), textcoords="offset points", xytext=(4, 6), fontsize=8)
        mean_x = sum(c for c, _ in pts) / len(pts)
        mean_y = 100 * sum(ok for _, ok in pts) / len(pts)
        ax.scatter([mean_x], [mean_y], marker="*", s=220, color="#d8553b", zorder=3, label="run")
        ax.legend(loc="best", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no answered questions", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(-2, 102)
    ax.set_xlabel(f"{key.replace('_', ' ')} per question")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{title}: accuracy vs cost")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def depth_length_grid(rows: list[dict[str, Any]]) -> tuple[list[str], list[str], list[list[Any]]]:
    """Rows: depth bins; columns: video length buckets present; cells: (correct, n) or None."""
    cols = [name for name, _ in DURATION_BUCKETS]
    present = sorted(
        {duration_bucket(r.get("duration_s")) for r in rows if r.get("duration_s")},
        key=cols.index,
    )
    labels = [f"{a}-{b}%" for a, b in zip(DEPTH_BINS, DEPTH_BINS[1:], strict=False)]
    grid: list[list[Any]] = [[None] * len(present) for _ in labels]
    for r in rows:
        d = depth_pct(r)
        if d is None or not gradeable(r) or not r.get("duration_s"):
            continue
        i = min(int(max(d, 0.0) // 20), len(labels) - 1)
        j = present.index(duration_bucket(r["duration_s"]))
        ok, n = grid[i][j] or (0, 0)
        grid[i][j] = (ok + (r.get("correct") is True), n + 1)
    return labels, present, grid


def plot_depth_heatmap(rows: list[dict[str, Any]], out: Path, title: str) -> Path:
    plt = _pyplot()
    import numpy as np

    labels, cols, grid = depth_length_grid(rows)
    fig, ax = plt.subplots(figsize=(max(4.5, 1.6 * len(cols) + 2.5), 4.5))
    if cols and any(c for row in grid for c in row):
        data = np.array(
            [[np.nan if c is None else 100 * c[0] / c[1] for c in row] for row in grid], dtype=float
        )
        im = ax.imshow(data, cmap="RdYlGn", vmin=0, vmax=100, aspect="auto")
        for i, row in enumerate(grid):
            for j, c in enumerate(row):
                if c is not None:
                    ax.text(
                        j,
                        i,
                        f"{100 * c[0] / c[1]:.0f}%\nn={c[1]}",
                        ha="center",
                        va="center",
                        fontsize=8,
                    )
        ax.set_xticks(range(len(cols)), cols)
        ax.set_yticks(range(len(labels)), labels)
        fig.colorbar(im, ax=ax, label="accuracy (%)")
    else:
        ax.text(
            0.5,
            0.5,
            "no questions with needle positions",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_xlabel("video length")
    ax.set_ylabel("needle depth (% of the video)")
    ax.set_title(f"{title}: accuracy by needle depth x video length")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def render_markdown(
    name: str, summary: dict[str, Any], plots: dict[str, Path], meta: dict[str, Any]
) -> str:
    o = summary["overall"]
    lines = [
        f"# Run report: {name}",
        "",
    ]
    if meta:
        sc = meta.get("scenario") or {}
        lines += [
            f"- dataset: `{sc.get('dataset')}`, profile: `{meta.get('profile')}`, "
            f"policy: `{(meta.get('agent') or {}).get('policy')}`, planner: `{(meta.get('models') or {}).get('planner')}`",
            f"- budgets: {json.dumps({k: v for k, v in (meta.get('agent') or {}).items() if k.startswith('max_')})}",
        ]
    lines += [
        f"- questions: {summary['questions']} (errors: {summary['errors']}"
        + (f" {summary['errors_by_kind']}" if summary["errors"] else "")
        + f", not gradeable: {summary['ungraded']})",
        f"- **accuracy: {_pct(o['accuracy'])}** ({o['correct']}/{o['n']}; errors count as wrong); "
        f"on answered questions: {_pct(o['accuracy_answered'])}",
        "",
        "## Accuracy by task type",
        "",
        "| task type | n | correct | accuracy |",
        "|---|---:|---:|---:|",
    ]
    for t, v in summary["by_type"].items():
        lines.append(f"| {t} | {v['n']} | {v['correct']} | {_pct(v['accuracy'])} |")
    lines += ["", "## Accuracy by video length", "", "| length | n | accuracy |", "|---|---:|---:|"]
    for b, v in summary["by_duration"].items():
        lines.append(f"| {b} | {v['n']} | {_pct(v['accuracy'])} |")
    g = summary["grounding"]
    lines += ["", "## Grounding (evidence vs ground-truth spans)", ""]
    if g["n"]:
        rec = ", ".join(f"R@{k}: {_pct(v)}" for k, v in g["recall"].items())
        lines += [
            f"- questions with spans: {g['n']}",
            f"- evidence hit rate: {_pct(g['hit_rate'])}",
            f"- mean temporal IoU: {_num(g['mean_tiou'], 3)}",
            f"- recall at IoU: {rec}",
        ]
    else:
        lines.append("- this benchmark has no ground-truth spans")
    lines += [
        "",
        "## Cost per answered question",
        "",
        "| measure | mean | median | p90 | total |",
        "|---|---:|---:|---:|---:|",
    ]
    for k, s in summary["cost"].items():
        if s["n"]:
            d = 2 if k == "wall_s" else 1
            lines.append(
                f"| {k} | {_num(s['mean'], d)} | {_num(s['median'], d)} | {_num(s['p90'], d)} "
                f"| {_num(s['total'], d)} |"
            )
    lines += ["", "## Plots", ""]
    for label, path in plots.items():
        lines.append(f"![{label}]({path.name})")
    return "\n".join(lines) + "\n"


def write_report(run: str | Path, out_dir: str | Path | None = None) -> ReportFiles:
    """Read a run file and write ``<stem>.report.md``, ``<stem>.summary.json`` and three PNGs."""
    run = Path(run)
    rows = load_run(run)
    meta_path = run.with_suffix(".meta.json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    out = Path(out_dir) if out_dir else run.parent
    out.mkdir(parents=True, exist_ok=True)
    stem = run.stem
    summary = summarise(rows)
    title = (meta.get("scenario") or {}).get("name") or stem
    plots = {
        "accuracy by type": plot_accuracy_by_type(
            summary, out / f"{stem}.accuracy_by_type.png", title
        ),
        "accuracy vs cost": plot_accuracy_vs_cost(
            rows, out / f"{stem}.accuracy_vs_cost.png", title
        ),
        "depth x length": plot_depth_heatmap(rows, out / f"{stem}.depth_heatmap.png", title),
    }
    md = out / f"{stem}.report.md"
    md.write_text(render_markdown(title, summary, plots, meta), encoding="utf-8")
    js = out / f"{stem}.summary.json"
    js.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return ReportFiles(markdown=md, summary_json=js, plots=plots)
