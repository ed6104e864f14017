"""``vidseek compare RUN_A RUN_B``: a paired comparison on the questions both runs graded: McNemar's
test on the discordant pairs, a paired bootstrap confidence interval of the accuracy difference
(B - A), and the cost difference per question."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from vidseek.scenarios.runs import RunFileError, load_run
from vidseek.scenarios.scoring import COST_KEYS, gradeable

EXACT_BELOW = 25  # discordant pairs: exact binomial below this, chi-square with correction above


def mcnemar(b: int, c: int) -> tuple[float, str]:
    """Two-sided p-value for b (A right, B wrong) vs c (A wrong, B right) discordant pairs."""
    n = b + c
    if n == 0:
        return 1.0, "none (no discordant pairs)"
    if n < EXACT_BELOW:
        return float(stats.binomtest(min(b, c), n, 0.5).pvalue), "exact binomial"
    chi2 = (abs(b - c) - 1) ** 2 / n
    return float(stats.chi2.sf(chi2, 1)), "chi-square with continuity correction"


def bootstrap_diff(
    a: np.ndarray, b: np.ndarray, n_boot: int = 10_000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile CI of mean(b) - mean(a), resampling questions (pairs stay together)."""
    if len(a) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    diffs = b[idx].mean(axis=1) - a[idx].mean(axis=1)
    lo, hi = np.quantile(diffs, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


@dataclass
class Comparison:
    name_a: str
    name_b: str
    n_paired: int
    only_a: int
    only_b: int
    acc_a: float | None
    acc_b: float | None
    both_right: int
    both_wrong: int
    a_only_right: int  # b in McNemar's notation
    b_only_right: int  # c
    p_value: float
    test: str
    diff: float | None
    ci: tuple[float, float]
    cost: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def compare_rows(
    rows_a: list[dict[str, Any]],
    rows_b: list[dict[str, Any]],
    name_a: str = "A",
    name_b: str = "B",
    n_boot: int = 10_000,
    seed: int = 0,
) -> Comparison:
    a_by = {str(r["qid"]): r for r in rows_a if gradeable(r)}
    b_by = {str(r["qid"]): r for r in rows_b if gradeable(r)}
    common = [q for q in a_by if q in b_by]
    ca = np.array([a_by[q].get("correct") is True for q in common], dtype=float)
    cb = np.array([b_by[q].get("correct") is True for q in common], dtype=float)
    b = int(((ca == 1) & (cb == 0)).sum())
    c = int(((ca == 0) & (cb == 1)).sum())
    p, test = mcnemar(b, c)
    cost: dict[str, dict[str, float | None]] = {}
    for key in COST_KEYS:
        pairs = [
            (float(a_by[q]["cost"][key]), float(b_by[q]["cost"][key]))
            for q in common
            if not a_by[q].get("error")
            and not b_by[q].get("error")
            and (a_by[q].get("cost") or {}).get(key) is not None
            and (b_by[q].get("cost") or {}).get(key) is not None
        ]
        if pairs:
            ma = statistics.fmean(x for x, _ in pairs)
            mb = statistics.fmean(y for _, y in pairs)
            cost[key] = {
                "n": len(pairs),
                "mean_a": ma,
                "mean_b": mb,
                "diff": mb - ma,
                "ratio": mb / ma if ma else None,
            }
    n = len(common)
    return Comparison(
        name_a=name_a,
        name_b=name_b,
        n_paired=n,
        only_a=len(a_by) - n,
        only_b=len(b_by) - n,
        acc_a=float(ca.mean()) if n else None,
        acc_b=float(cb.mean()) if n else None,
        both_right=int(((ca == 1) & (cb == 1)).sum()),
        both_wrong=int(((ca == 0) & (cb == 0)).sum()),
        a_only_right=b,
        b_only_right=c,
        p_value=p,
        test=test,
        diff=float(cb.mean() - ca.mean()) if n else None,
        ci=bootstrap_diff(ca, cb, n_boot=n_boot, seed=seed),
        cost=cost,
    )


def compare_runs(
    run_a: str | Path, run_b: str | Path, n_boot: int = 10_000, seed: int = 0
) -> Comparison:
    rows_a, rows_b = load_run(run_a), load_run(run_b)
    result = compare_rows(rows_a, rows_b, Path(run_a).stem, Path(run_b).stem, n_boot, seed)
    if result.n_paired == 0:
        raise RunFileError(f"{run_a} vs {run_b}", "the runs share no graded question")
    return result


def render_markdown(c: Comparison) -> str:
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}%"

    lines = [
        f"# Paired comparison: {c.name_a} (A) vs {c.name_b} (B)",
        "",
        f"- paired questions: {c.n_paired} (only in A: {c.only_a}, only in B: {c.only_b})",
        f"- accuracy A: {pct(c.acc_a)}, B: {pct(c.acc_b)}, difference B - A: {pct(c.diff)} "
        f"(95% paired bootstrap CI {pct(c.ci[0])} .. {pct(c.ci[1])})",
        f"- both right {c.both_right}, both wrong {c.both_wrong}, only A right {c.a_only_right}, "
        f"only B right {c.b_only_right}",
        f"- McNemar ({c.test}): p = {c.p_value:.4g}",
        "",
        "| cost per question | A | B | B - A | B / A |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, v in c.cost.items():
        ratio = "-" if v["ratio"] is None else f"{v['ratio']:.2f}x"
        lines.append(
            f"| {key} | {v['mean_a']:,.1f} | {v['mean_b']:,.1f} | {v['diff']:+,.1f} | {ratio} |"
        )
    return "\n".join(lines) + "\n"
