"""Paired comparison on synthetic runs with known discordant pairs -> exact McNemar p-values."""

from __future__ import annotations

import json
from math import comb

import numpy as np
import pytest

from vidseek.scenarios.compare import bootstrap_diff, compare_rows, compare_runs, mcnemar


def rows(pattern: str, tokens: float) -> list[dict]:
    return [
        {"qid": f"q{i}", "gold": "A", "options": ["x", "y"], "correct": c == "1", "error": None,
         "cost": {"tokens": tokens, "tool_calls": 2.0, "frames": 10.0, "steps": 3.0, "wall_s": 1.0}}
        for i, c in enumerate(pattern)
    ]  # fmt: skip


def test_mcnemar_exact_small_sample():
    # b = 1 (only A right), c = 6 (only B right): two-sided exact binomial
    expected = 2 * sum(comb(7, k) for k in range(0, 2)) / 2**7  # = 0.125
    p, test = mcnemar(1, 6)
    assert test == "exact binomial" and p == pytest.approx(expected) and p == pytest.approx(0.125)
    assert mcnemar(0, 0) == (1.0, "none (no discordant pairs)")
    assert mcnemar(3, 3)[0] == pytest.approx(1.0)


def test_mcnemar_chi_square_for_many_discordant_pairs():
    from scipy.stats import chi2

    p, test = mcnemar(10, 30)
    assert test.startswith("chi-square")
    assert p == pytest.approx(chi2.sf((20 - 1) ** 2 / 40, 1))


def test_compare_rows_known_pairs_and_costs():
    # 20 questions: 8 both right, 5 both wrong, 1 only A right, 6 only B right
    a = "1" * 8 + "0" * 5 + "1" + "0" * 6
    b = "1" * 8 + "0" * 5 + "0" + "1" * 6
    c = compare_rows(rows(a, 1000.0), rows(b, 1500.0), n_boot=4000, seed=1)
    assert (c.n_paired, c.both_right, c.both_wrong, c.a_only_right, c.b_only_right) == (
        20,
        8,
        5,
        1,
        6,
    )
    assert c.acc_a == pytest.approx(9 / 20) and c.acc_b == pytest.approx(14 / 20)
    assert c.diff == pytest.approx(0.25)
    assert c.p_value == pytest.approx(0.125) and c.test == "exact binomial"
    assert c.ci[0] < 0.25 < c.ci[1] and c.ci[0] > -0.2 and c.ci[1] < 0.6
    assert c.cost["tokens"] == {
        "n": 20,
        "mean_a": 1000.0,
        "mean_b": 1500.0,
        "diff": 500.0,
        "ratio": 1.5,
    }
    # a question that failed in either run has no cost to compare
    ra, rb = rows(a, 1000.0), rows(b, 1500.0)
    rb[0].update(error="video missing: x.mp4", correct=None, cost={"tokens": 0.0})
    c = compare_rows(ra, rb, n_boot=100)
    assert c.cost["tokens"]["n"] == 19 and c.cost["tokens"]["diff"] == 500.0
    assert c.n_paired == 20 and c.a_only_right == 2  # the failed question counts as wrong


def test_bootstrap_of_identical_runs_is_zero():
    x = np.array([1, 0, 1, 1, 0], dtype=float)
    assert bootstrap_diff(x, x) == (0.0, 0.0)


def test_compare_runs_pairs_by_qid_and_ignores_unshared(tmp_path):
    ra, rb = (
        rows("1100", 10.0),
        rows("1010", 20.0)[1:]
        + [{"qid": "extra", "gold": "A", "correct": True, "error": None, "cost": {}}],
    )
    pa, pb = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    pa.write_text("".join(json.dumps(r) + "\n" for r in ra))
    pb.write_text("".join(json.dumps(r) + "\n" for r in reversed(rb)))
    c = compare_runs(pa, pb)
    assert c.n_paired == 3 and c.only_a == 1 and c.only_b == 1
    assert (c.a_only_right, c.b_only_right) == (1, 1)
