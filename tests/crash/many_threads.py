"""Run as ``python -m tests.crash.many_threads DATA_DIR OTHER_VIDEO OUT_JSON``: 8 chat sessions
in threads of one process, through the service layer (as the web app and the API run them), each
asking two questions in its own thread while the same service indexes ``OTHER_VIDEO``; writes what
every session got and what every thread kept to ``OUT_JSON``."""

from __future__ import annotations

import json
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.crash.conftest import QUESTIONS

SESSIONS = 8


def main(data_dir: str, other: str, out: str) -> None:
    from vidseek.config import Settings
    from vidseek.service import VidseekService

    service = VidseekService(Settings(data_dir=Path(data_dir)))
    (video,) = [v.video_id for v in service.list_videos()]
    job = service.add_path(other)  # indexing runs beside the sessions
    qids = list(QUESTIONS)

    def session(i: int) -> dict:
        asked = [qids[i], qids[(i + 1) % len(qids)]]
        try:
            thread = service.new_thread(video).thread_id
            got = [service.ask(video, QUESTIONS[q], thread_id=thread) for q in asked]
            return {
                "thread": thread,
                "asked": asked,
                "answers": [a.model_dump(include={"answer", "evidence"}) for a in got],
            }
        except Exception:
            return {"asked": asked, "error": traceback.format_exc()}

    with ThreadPoolExecutor(SESSIONS) as pool:
        results = list(pool.map(session, range(SESSIONS)))
    while not job.ended:
        time.sleep(0.2)
    histories = {
        r["thread"]: [t.question for t in service.thread(r["thread"]).history]
        for r in results
        if "thread" in r
    }
    report = {"sessions": results, "histories": histories, "job": job.status, "error": job.error}
    Path(out).write_text(json.dumps(report))
    service.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
