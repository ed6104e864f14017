"""Crash safety of ``vidseek run``: a scenario run SIGKILLed in the middle of a question, then
right after a result was written, then run to the end, never asks a finished question again,
writes every question exactly once, and answers each as the uninterrupted run did."""

from __future__ import annotations

import json
import random
import signal

import pytest

from tests.crash.conftest import QUESTIONS, agent_env, answer_of, copy_data, write_scenario
from tests.crash.kills import seeds

pytestmark = pytest.mark.slow


def _asked(log) -> set[str]:
    """The questions a run's planner was asked."""
    if not log.exists():
        return set()
    return {json.loads(line)["question"] for line in log.read_text().splitlines()}


def _rows(path) -> list[dict]:
    from vidseek.scenarios.runs import read_rows

    return read_rows(path) if path.exists() else []


@pytest.mark.parametrize("seed", seeds())
def test_a_killed_run_resumes_without_asking_a_finished_question_again(
    baseline, forks, alone, tmp_path, seed
):
    data = copy_data(baseline, tmp_path / "data")
    qids = list(QUESTIONS)[:6]
    scenario = write_scenario(tmp_path, baseline.video, qids)
    run_file = tmp_path / "run.jsonl"
    # three tool calls a question (two searches, finish): die inside one of the first five
    points = [f"agent.tool_end:{random.Random(seed).randint(2, 14)}", "crashrun.advance:1"]
    by_question = {QUESTIONS[q]: q for q in qids}
    for i, point in enumerate([*points, None]):
        before = {r["qid"] for r in _rows(run_file)}
        log = tmp_path / f"asked-{i}.jsonl"
        env = agent_env(log) | ({"VIDSEEK_TEST_KILL_AT": point} if point else {})
        res = forks.run("--data-dir", str(data), "run", str(scenario), env=env)
        want = -signal.SIGKILL if point else 0
        assert res.rc == want, f"round {i} ({point}): {res}"
        again = {by_question[q] for q in _asked(log)} & before
        assert not again, f"round {i} asked finished questions again: {again}"
        if point is None:
            assert f"{len(before)} done before" in res.stdout, res.stdout
    rows = _rows(run_file)
    assert sorted(r["qid"] for r in rows) == sorted(qids)  # each once: none written twice
    assert not any(r["error"] for r in rows), rows
    for row in rows:
        assert answer_of(row["prediction"]) == alone[row["qid"]], row["qid"]
