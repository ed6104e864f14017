"""`vidseek search / info / remove` on a real store (the real MiniLM behind the ModelHub)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vidseek.cli import main
from vidseek.config import Settings
from vidseek.memory.store import SegmentStore, timed_text_id
from vidseek.memory.types import Segment, TimedText

from .conftest import make_info


@pytest.fixture
def cli_db(tmp_path: Path, minilm) -> Settings:
    pytest.importorskip(
        "vidseek.models.text_embed", reason="the text-embedder backend has not landed"
    )
    from vidseek.models.hub import ModelHub

    settings = Settings(data_dir=tmp_path / "data")
    embedder = ModelHub(settings).text_embedder
    store = SegmentStore(settings)
    for vid, words in (
        ("vidA", ["a dog runs on the beach", "a man reads a newspaper"]),
        ("vidB", ["a cat sleeps"]),
    ):
        store.upsert_video(make_info(vid, tmp_path / f"{vid}.mp4", 20.0))
        segs = [
            Segment(f"{vid}:clip:{i:06d}", vid, "clip", 10.0 * i, 10.0 * i + 10, i, text=t)
            for i, t in enumerate(words)
        ]
        store.upsert_segments(segs)
        store.upsert_segment_vectors(segs, embedder.embed([s.text for s in segs]), embedder.ref)
    speech = [
        TimedText(
            timed_text_id("vidA", "speech", 12.0),
            "vidA",
            12.0,
            14.0,
            "ticket 7731 please",
            "speech",
        )
    ]
    store.upsert_timed_text(speech)
    store.mark_indexed("vidA", {"text_embedder": embedder.ref})
    store.close()
    return settings


def run(args: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_search_info_remove(cli_db: Settings, capsys) -> None:
    d = ["--data-dir", str(cli_db.data_dir)]
    code, out, _ = run([*d, "search", "vidA", "dog on a beach", "--json", "-k", "2"], capsys)
    assert code == 0
    got = json.loads(out)
    assert (
        got["hits"][0]["segment_id"] == "vidA:clip:000000"
        and "captions" in got["hits"][0]["channels"]
    )
    code, out, _ = run([*d, "search", "vidA", "ticket 7731"], capsys)
    assert code == 0 and "00:10.0-00:20.0" in out and "7731" in out
    code, out, _ = run([*d, "info", "vidA"], capsys)
    assert code == 0 and "vectors:segments" in out and "speech" in out
    code, out, _ = run([*d, "remove", "vidA", "--yes"], capsys)
    assert code == 0 and "removed" in out
    code, _, err = run([*d, "search", "vidA", "dog"], capsys)
    assert code == 1 and "vidseek index" in err and "Traceback" not in err
    code, out, _ = run([*d, "info"], capsys)
    assert code == 0 and "vidB" in out and "vidA" not in out
