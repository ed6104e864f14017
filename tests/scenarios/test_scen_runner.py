"""The runner through its answer-function seam: concurrency, one index per video, failure rows,
missing videos, resume after a crash (a killed subprocess), and scenario validation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from scen_helpers import oracle_answer, write_haystack, write_scenario

from vidseek.errors import ConfigError
from vidseek.scenarios.answering import SharedIndexes
from vidseek.scenarios.runner import run_scenario
from vidseek.scenarios.runs import RunWriter, read_rows
from vidseek.scenarios.scenario import load_scenario, shipped_scenarios

HERE = Path(__file__).parent


def test_run_answers_every_question_concurrently(tmp_path, settings):
    sc = load_scenario(
        write_scenario(tmp_path, write_haystack(tmp_path / "q", n=12), concurrency=4)
    )
    active, peak, lock = [0], [0], threading.Lock()

    def answer(record, s):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return oracle_answer(record, s)

    summary = run_scenario(sc, settings, answer)
    rows = read_rows(tmp_path / "run.jsonl")
    assert sorted(r["qid"] for r in rows) == [f"q{i:02d}" for i in range(12)]
    assert summary.asked == 12 and summary.graded == 12 and summary.correct == 6
    assert peak[0] > 1  # questions really ran in parallel
    r0 = next(r for r in rows if r["qid"] == "q00")
    assert r0["correct"] is True and r0["prediction"]["answer"] == "The answer is (A)."
    assert (
        r0["cost"]["tokens"] == 100 and r0["cost"]["tool_calls"] == 0 and r0["cost"]["frames"] == 8
    )
    assert r0["trace"]["steps"] == 2 and r0["gt_spans_s"] == [[30.0, 34.0]]
    meta = json.loads((tmp_path / "run.meta.json").read_text())
    assert meta["questions"] == 12 and meta["scenario"]["dataset"] == "haystack"


def test_shared_index_is_built_once_per_video(tmp_path, settings):
    sc = load_scenario(
        write_scenario(tmp_path, write_haystack(tmp_path / "q", n=12, videos=3), concurrency=6)
    )
    built: list[str] = []

    def index_fn(video, s):
        built.append(video.name)
        time.sleep(0.1)  # slow enough that other threads wait on the same video
        return f"index of {video.name}"

    indexes = SharedIndexes(index_fn, settings)
    seen = []

    def answer(record, s):
        seen.append(indexes.get(record.video_path))
        return oracle_answer(record, s)

    run_scenario(sc, settings, answer)
    assert sorted(built) == ["video0.mp4", "video1.mp4", "video2.mp4"] and indexes.calls == 3
    assert len(seen) == 12 and set(seen) == {f"index of video{v}.mp4" for v in range(3)}


def test_a_failing_index_fails_its_questions_not_the_run(tmp_path, settings):
    calls = []

    def index_fn(video, s):
        calls.append(video)
        raise ValueError(f"{video.name}: corrupt")

    indexes = SharedIndexes(index_fn, settings)
    with pytest.raises(ValueError, match="corrupt"):
        indexes.get(tmp_path / "v.mp4")
    with pytest.raises(ValueError, match="corrupt"):
        indexes.get(tmp_path / "v.mp4")
    assert len(calls) == 1


def test_failures_and_missing_videos_are_rows(tmp_path, settings, monkeypatch):
    questions = write_haystack(tmp_path / "q", n=9, videos=3, missing=(2,))
    sc = load_scenario(write_scenario(tmp_path, questions))
    monkeypatch.setenv("SCEN_FAIL", "q00,q04")
    summary = run_scenario(sc, settings, oracle_answer)
    rows = {r["qid"]: r for r in read_rows(tmp_path / "run.jsonl")}
    assert len(rows) == 9 and summary.failed == 5
    assert rows["q00"]["error"] == "RuntimeError: planner crashed on q00"
    assert rows["q00"]["error_kind"] == "exception" and "Traceback" in rows["q00"]["traceback"]
    for q in ("q02", "q05", "q08"):  # video2.mp4 was never created
        assert rows[q]["error_kind"] == "video_missing"
        assert rows[q]["error"].startswith("video missing: ") and rows[q]["error"].endswith(
            "video2.mp4"
        )
    assert rows["q01"]["error"] is None and rows["q01"]["correct"] is False
    # a second run without --retry-failed asks nothing; with it, only the failed ones
    monkeypatch.delenv("SCEN_FAIL")
    again = run_scenario(sc, settings, oracle_answer)
    assert again.asked == 0 and again.skipped == 9
    retry = run_scenario(sc, settings, oracle_answer, retry_failed=True)
    assert sorted(retry.asked_qids) == ["q00", "q02", "q04", "q05", "q08"]
    from vidseek.scenarios.runs import load_run

    latest = {r["qid"]: r for r in load_run(tmp_path / "run.jsonl")}
    assert latest["q00"]["error"] is None and latest["q00"]["correct"] is True
    assert latest["q02"]["error_kind"] == "video_missing"  # still missing: still an error row


CRASH_SCRIPT = """
import sys
sys.path.insert(0, {helpers!r})
from scen_helpers import oracle_answer
from vidseek.config import Settings
from vidseek.scenarios.runner import run_scenario
from vidseek.scenarios.scenario import load_scenario
run_scenario(load_scenario(sys.argv[1]), Settings(data_dir=sys.argv[2]), oracle_answer)
"""


def _run_child(script: Path, scenario: Path, data: Path, log: Path, delay: str):
    env = {**os.environ, "SCEN_ASKED_LOG": str(log), "SCEN_DELAY": delay}
    return subprocess.Popen([sys.executable, str(script), str(scenario), str(data)], env=env)


def test_resume_after_a_crash_never_reasks_done_questions(tmp_path):
    n = 16
    scenario = write_scenario(
        tmp_path, write_haystack(tmp_path / "q", n=n, videos=4), concurrency=2
    )
    script = tmp_path / "child.py"
    script.write_text(CRASH_SCRIPT.format(helpers=str(HERE)))
    run_file, log1, log2 = tmp_path / "run.jsonl", tmp_path / "asked1.log", tmp_path / "asked2.log"
    child = _run_child(script, scenario, tmp_path / "data", log1, "0.25")
    deadline = time.time() + 120
    while time.time() < deadline:
        if run_file.exists() and len(run_file.read_text().splitlines()) >= n // 2:
            break
        if child.poll() is not None:
            pytest.fail(f"the runner exited early with {child.returncode}")
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)  # no clean-up: as if the machine died
    child.wait(30)
    done_before = {r["qid"] for r in read_rows(run_file)}
    assert n // 2 <= len(done_before) < n
    child = _run_child(script, scenario, tmp_path / "data", log2, "0")
    assert child.wait(120) == 0
    asked_again = log2.read_text().split()
    assert not set(asked_again) & done_before  # finished questions are not asked again
    assert len(asked_again) == len(set(asked_again)) == n - len(done_before)
    rows = read_rows(run_file)
    assert sorted(r["qid"] for r in rows) == [f"q{i:02d}" for i in range(n)]  # each once


def test_a_line_cut_by_a_crash_is_dropped_and_reasked(tmp_path, settings):
    sc = load_scenario(write_scenario(tmp_path, write_haystack(tmp_path / "q", n=4, videos=1)))
    run_file = tmp_path / "run.jsonl"
    full = {"qid": "q00", "gold": "A", "correct": True, "error": None}
    run_file.write_text(json.dumps(full) + "\n" + '{"qid": "q01", "gold": "B", "corr')
    assert [r["qid"] for r in read_rows(run_file)] == ["q00"]
    summary = run_scenario(sc, settings, oracle_answer)
    assert sorted(summary.asked_qids) == ["q01", "q02", "q03"]
    rows = read_rows(run_file)  # the partial line was cut; every line parses
    assert sorted(r["qid"] for r in rows) == ["q00", "q01", "q02", "q03"]


def test_writer_fsyncs_complete_lines(tmp_path):
    with RunWriter(tmp_path / "r.jsonl") as w:
        w.write({"qid": "x", "trace": {"events": [{"kind": "tool_start"}]}})
        assert (tmp_path / "r.jsonl").read_text().endswith("\n")


def test_sample_limit_and_type_filters(tmp_path, settings):
    q = write_haystack(tmp_path / "q", n=12)
    sc = load_scenario(write_scenario(tmp_path, q, sample=6, seed=3, limit=4, task_types=["ocr"]))
    summary = run_scenario(sc, settings, oracle_answer)
    asked = summary.asked_qids
    assert len(asked) == 4 and all(int(qid[1:]) % 2 == 0 for qid in asked)  # ocr = even numbers
    sc2 = load_scenario(
        write_scenario(
            tmp_path,
            q,
            sample=6,
            seed=3,
            limit=4,
            task_types=["ocr"],
            output=str(tmp_path / "b.jsonl"),
        )
    )
    assert sorted(run_scenario(sc2, settings, oracle_answer).asked_qids) == sorted(asked)


def test_scenario_settings_profile_policy_and_budgets(tmp_path, settings):
    q = write_haystack(tmp_path / "q", n=2)
    sc = load_scenario(
        write_scenario(
            tmp_path, q, profile="openai", policy="dvd", budgets={"max_steps": 3, "max_frames": 12},
            settings={"agent": {"temperature": 0.5}},
        )
    )  # fmt: skip
    s = sc.settings_for(settings)
    assert s.profile == "openai" and s.models.planner == "openai:gpt-4.1-mini"
    assert s.agent.policy == "dvd" and s.agent.max_steps == 3 and s.agent.max_frames == 12
    assert s.agent.temperature == 0.5 and s.data_dir == settings.data_dir


def test_bad_scenarios_give_one_clear_error(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndataset: lvbench\nannotations: a.jsonl\nconcurrency: 0\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: concurrency: Input should be greater"):
        load_scenario(bad)
    bad.write_text("name: x\ndataset: lvbench\nannotations: a.jsonl\nbudgets: {max_step: 3}\n")
    with pytest.raises(ConfigError, match=r"budgets.max_step: Extra inputs"):
        load_scenario(bad)
    bad.write_text("dataset: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_scenario(bad)
    with pytest.raises(ConfigError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")
    monkeypatch.delenv("LVBENCH_ROOT", raising=False)
    with pytest.raises(ConfigError, match="environment variable LVBENCH_ROOT is not set"):
        load_scenario("lvbench")


def test_shipped_scenarios_validate(monkeypatch, tmp_path):
    names = set(shipped_scenarios())
    expected = {"dev10", "lvbench", "videomme", "longvideobench", "mlvu", "egoschema",
                "lvhaystack", "qvhighlights", "charades_sta", "nextqa"}  # fmt: skip
    assert expected <= names
    for var in ("LVBENCH_ROOT", "VIDEOMME_ROOT", "LONGVIDEOBENCH_ROOT", "MLVU_ROOT", "EGOSCHEMA_ROOT",
                "LVHAYSTACK_ROOT", "QVHIGHLIGHTS_ROOT", "CHARADES_ROOT", "NEXTQA_ROOT"):  # fmt: skip
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    from vidseek.scenarios.loaders import ALIASES, LOADERS

    for name in expected:
        sc = load_scenario(name)
        assert sc.name == name and ALIASES.get(sc.dataset, sc.dataset) in LOADERS
        assert sc.output == Path("runs") / f"{name}.jsonl"
    assert load_scenario("lvbench").video_root == tmp_path / "lvbench_root" / "videos"


def test_shipped_dev10_scenario_loads_the_dev_set(shared_dir, monkeypatch):
    monkeypatch.setenv("VIDSEEK_DEV10", str(shared_dir / "eval" / "dev10"))
    from vidseek.scenarios.runner import select_records

    records = select_records(load_scenario("dev10"))
    assert len(records) == 22 and all(r.video_path.is_file() for r in records)


def test_one_at_a_time_builds_never_overlap(settings, tmp_path):
    active, peak, lock = [0], [0], threading.Lock()

    def index_fn(video, s):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return video.name

    indexes = SharedIndexes(index_fn, settings, one_at_a_time=True)
    threads = [
        threading.Thread(target=indexes.get, args=(tmp_path / f"v{i % 4}.mp4",)) for i in range(12)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert indexes.calls == 4 and peak[0] == 1


def test_agent_answers_become_rows():
    answer_mod = pytest.importorskip("vidseek.agent.answer")
    from vidseek.scenarios.agent_answer import answer_to_dict
    from vidseek.scenarios.runner import cost_of

    ans = answer_mod.Answer(
        answer="The code is 4792",
        choice="D",
        evidence=[answer_mod.EvidenceSpan(132.0, 137.5, "speech: delivery code")],
        confidence=0.8,
        trace=answer_mod.Trace(steps=3, prompt_tokens=900, completion_tokens=100, frames_looked=4),
    )
    out = answer_to_dict(ans)
    assert out["choice"] == "D" and out["evidence"][0] == {
        "start_s": 132.0,
        "end_s": 137.5,
        "why": "speech: delivery code",
    }
    cost = cost_of(out["trace"], 2.5)
    assert cost == {"tokens": 1000.0, "tool_calls": 0.0, "frames": 4.0, "steps": 3.0, "wall_s": 2.5}
