"""Many users at once on one data dir, with an index running beside them: 8 chat sessions as
threads of one process (the service layer) and 8 as separate ``vidseek chat`` processes. No
"database is locked", no lost thread state, and every answer as the same question asked alone."""

from __future__ import annotations

import json

import pytest

from tests.crash.clip import make_other
from tests.crash.conftest import QUESTIONS, agent_env, answer_of, copy_data

pytestmark = pytest.mark.slow

SESSIONS = 8


@pytest.fixture(scope="module")
def other(intel_media, tmp_path_factory):
    return make_other(intel_media, tmp_path_factory.mktemp("other"))


def _indexed(data_dir, video) -> bool:
    from vidseek.config import Settings
    from vidseek.memory.store import SegmentStore

    store = SegmentStore(Settings(data_dir=data_dir))
    try:
        rec = store.find_video(video)
        return bool(rec and rec.indexed_at)
    finally:
        store.close()


def test_eight_sessions_in_threads_of_one_process(baseline, forks, alone, other, tmp_path):
    data = copy_data(baseline, tmp_path / "data")
    out = tmp_path / "report.json"
    res = forks.run(
        str(data), str(other), str(out), module="tests.crash.many_threads", env=agent_env()
    )
    assert res.rc == 0, res
    assert "database is locked" not in res.stderr, res.stderr
    report = json.loads(out.read_text())
    assert report["job"] == "done", report
    sessions = report["sessions"]
    assert len(sessions) == SESSIONS and not [s for s in sessions if "error" in s], sessions
    for s in sessions:
        assert [answer_of(a) for a in s["answers"]] == [alone[q] for q in s["asked"]], s
        assert report["histories"][s["thread"]] == [QUESTIONS[q] for q in s["asked"]]
    assert len(set(report["histories"])) == SESSIONS
    assert _indexed(data, other)


def test_eight_chat_processes_beside_an_index_process(baseline, forks, alone, other, tmp_path):
    from tests.crash.test_chat_kills import _saved

    data = copy_data(baseline, tmp_path / "data")
    qids = list(QUESTIONS)
    indexer = forks.start("--data-dir", str(data), "index", str(other), "--no-progress")
    chats = []
    for i in range(SESSIONS):
        asked = [qids[i], qids[(i + 1) % len(qids)]]
        script = tmp_path / f"chat-{i}.txt"
        script.write_text("".join(f"{QUESTIONS[q]}\n" for q in asked) + "/quit\n")
        thread = f"{baseline.video_id[:16]}-{i:08x}"
        args = ("--data-dir", str(data), "chat", str(baseline.video), "--thread", thread)
        chats.append((forks.start(*args, env=agent_env(), stdin=script), thread, asked))
    done = [(forks.wait(pid), thread, asked) for pid, thread, asked in chats]
    index_run = forks.wait(indexer)
    assert index_run.rc == 0, index_run
    for res, thread, asked in done:
        assert res.rc == 0, res
        assert "locked" not in res.stderr and "Traceback" not in res.stderr, res.stderr
        turns = _saved(data, thread)["history"]
        assert [t["question"] for t in turns] == [QUESTIONS[q] for q in asked], thread
        assert [answer_of(t) for t in turns] == [alone[q] for q in asked], thread
    assert _indexed(data, other)
