"""End to end with the offline profile: a haystack built from the fetched real footage, `vidseek run`
with the real agent and the real local LLM (llama.cpp server), killed half way and restarted (no
finished question is asked again), then `vidseek report`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from vidseek.config import Settings
from vidseek.scenarios.runs import read_rows

pytestmark = pytest.mark.slow


def _agent_ready() -> bool:
    try:
        import vidseek.agent as agent
    except ImportError:
        return False
    return hasattr(agent, "ask")


@pytest.fixture(scope="session")
def e2e_haystack(test_data_dir: Path, tmp_path_factory):
    if not _agent_ready():
        pytest.skip("vidseek.agent.ask is not available")
    from vidseek.media.samples import fetch_samples
    from vidseek.scenarios.haystack import build_haystack, sample_visuals

    settings = Settings(data_dir=test_data_dir)
    clips = fetch_samples(settings, progress=False)
    out = tmp_path_factory.mktemp("e2e-haystack")
    return build_haystack(
        list(clips.values()),
        out,
        minutes=2,
        seed=11,
        visuals=sample_visuals(settings),
        progress=False,
    )


def _cli(*args: str, data_dir: Path, **kw) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "vidseek.cli", "--data-dir", str(data_dir), *args]
    return subprocess.Popen(cmd, start_new_session=True, **kw)


def test_offline_run_killed_resumed_and_reported(e2e_haystack, test_data_dir, tmp_path):
    from vidseek.models.llm_server import local_llm_server

    video = json.loads(e2e_haystack.questions_path.read_text().splitlines()[0])
    picks = [q["uid"] for q in video["qa"] if q.get("needle_kind") in ("speech", "ocr")][:3]
    assert len(picks) == 3
    run_file = tmp_path / "e2e.jsonl"
    scenario = tmp_path / "e2e.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "name": "e2e",
                "dataset": "haystack",
                "annotations": str(e2e_haystack.questions_path),
                "profile": "offline",
                "budgets": {
                    "max_steps": 4,
                    "max_tokens": 12000,
                    "max_frames": 16,
                    "max_wall_s": 240,
                },
                "concurrency": 1,
                "qids": picks,
                "output": str(run_file),
            }
        )
    )
    settings = Settings(data_dir=test_data_dir)
    # this test owns the LLM server; the CLI processes reuse it, so killing them leaks nothing
    with local_llm_server(settings):
        first = _cli("run", str(scenario), data_dir=test_data_dir)
        deadline = time.time() + 900
        while time.time() < deadline and first.poll() is None:
            if run_file.exists() and run_file.read_text().count("\n") >= 1:
                break
            time.sleep(0.2)
        assert first.poll() is None, f"the run ended before it could be killed ({first.returncode})"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
        before = {r["qid"]: r for r in read_rows(run_file)}
        assert 1 <= len(before) < 3
        second = _cli("run", str(scenario), data_dir=test_data_dir)
        assert second.wait(1200) == 0
    rows = read_rows(run_file)
    qids = [r["qid"] for r in rows]
    assert sorted(qids) == sorted(picks) and len(qids) == len(set(qids))  # nothing asked twice
    for qid, row in before.items():  # the first session's rows are kept as written
        assert next(r for r in rows if r["qid"] == qid) == row
    for r in rows:
        assert r["error"] is None, r["error"]
        assert r["prediction"]["answer"] and r["correct"] in (True, False)
        assert r["cost"]["tokens"] and r["cost"]["tokens"] > 0
        assert r["trace"]  # the full trace is kept with each result
    report = subprocess.run(
        [sys.executable, "-m", "vidseek.cli", "report", str(run_file)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr
    md = (tmp_path / "e2e.report.md").read_text()
    assert "questions: 3" in md and "## Grounding" in md
    for name in ("accuracy_by_type", "accuracy_vs_cost", "depth_heatmap"):
        assert (tmp_path / f"e2e.{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
