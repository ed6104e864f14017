"""VideoIndex over a real store with real MiniLM text embeddings (meaning matters here)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from vidseek.config import Settings
from vidseek.errors import ConfigError, NotIndexedError
from vidseek.memory.store import SegmentStore, timed_text_id
from vidseek.memory.types import Segment, TimedText
from vidseek.memory.video_index import VideoIndex

from .conftest import make_info

CAPTIONS = [
    "A woman unlocks the front door of a house and walks inside.",
    "A brown dog plays fetch with a ball in the snow.",
    "Two men talk at a kitchen table while drinking coffee.",
    "A red car drives along a coastal road at sunset.",
    "A child rides a bicycle through a park.",
    "A man types on a laptop in an office.",
    "People wait on a train platform as a train arrives.",
    "A chef chops vegetables in a restaurant kitchen.",
    "A security guard checks a keypad next to a metal door.",
    "Fireworks explode over a city skyline at night.",
]
SPEECH = {  # clip index -> what is said in it
    0: "honey I'm home, the door was open",
    2: "would you like more coffee",
    5: "the access code for the back door is 4417",
    6: "the train to Boston leaves from platform nine",
    8: "remember to type your door code and PIN number on the keypad",
    9: "security codes keep all of the doors locked",
}
OCR = {3: "ROUTE 66", 6: "PLATFORM 9 BOSTON", 8: "ENTER PIN"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("vidx") / "data")


@pytest.fixture(scope="module")
def indexed(settings: Settings, tmp_path_factory, minilm):
    """A 100 s video: 10 clips, 2 scenes and a video summary, speech and OCR, all embedded."""
    tmp_path = tmp_path_factory.mktemp("videos")
    store = SegmentStore(settings)
    vid = "vidA"
    store.upsert_video(
        make_info(vid, tmp_path / "a.mp4", 100.0), models={"speech": "faster-whisper:tiny.en"}
    )
    clips = [
        Segment(
            f"{vid}:clip:{i:06d}",
            vid,
            "clip",
            10.0 * i,
            10.0 * i + 10,
            i,
            parent_id=f"{vid}:scene:{i // 5:06d}",
            text=c,
        )
        for i, c in enumerate(CAPTIONS)
    ]
    scenes = [
        Segment(
            f"{vid}:scene:{j:06d}",
            vid,
            "scene",
            50.0 * j,
            50.0 * j + 50,
            j,
            text=" ".join(CAPTIONS[5 * j : 5 * j + 5]),
        )
        for j in range(2)
    ]
    whole = [
        Segment(
            f"{vid}:video:000000", vid, "video", 0.0, 100.0, 0, text="Everyday scenes in a town."
        )
    ]
    segs = clips + scenes + whole
    store.upsert_segments(segs)
    store.upsert_segment_vectors(segs, minilm.embed([s.text for s in segs]), minilm.ref)
    texts = [
        TimedText(
            timed_text_id(vid, "speech", 10.0 * i + 2), vid, 10.0 * i + 2, 10.0 * i + 6, t, "speech"
        )
        for i, t in SPEECH.items()
    ] + [
        TimedText(
            timed_text_id(vid, "screen_text", 10.0 * i + 4),
            vid,
            10.0 * i + 4,
            10.0 * i + 4,
            t,
            "screen_text",
        )
        for i, t in OCR.items()
    ]
    store.upsert_timed_text(texts)
    store.upsert_timed_text_vectors(texts, minilm.embed([t.text for t in texts]), minilm.ref)
    store.upsert_subjects(vid, [{"name": "security guard"}])
    store.mark_indexed(vid, {"text_embedder": minilm.ref})
    hub = SimpleNamespace(text_embedder=minilm, image_text_embedder=None)
    return VideoIndex.open(settings, vid, hub, store=store)


def test_caption_meaning(indexed: VideoIndex) -> None:
    hits = indexed.search("a puppy running in the snow", top_k=3, dedupe_gap_s=None)
    assert hits[0].segment.index == 1
    assert hits[0].channels.get("captions") == 1
    hits = indexed.search("fireworks over the city", granularity="scene", top_k=2)
    assert hits[0].segment.id == "vidA:scene:000001"


def test_code_in_speech_beats_semantic_neighbours(indexed: VideoIndex) -> None:
    hits = indexed.search("door code 4417", top_k=5, dedupe_gap_s=None)
    top = hits[0]
    assert top.segment.index == 5
    assert "4417" in top.matched_text
    assert (top.match_start_s, top.match_end_s) == (52.0, 56.0)  # the exact spoken moment
    assert top.channels["speech_bm25"] == 1
    rows = indexed.search_speech("4417")
    assert rows[0].text == SPEECH[5] and rows[0].start_s == 52.0
    # the semantic neighbours about door codes do rank, just below the exact code
    assert {h.segment.index for h in hits[1:]} & {8, 9}


def test_screen_text_and_time_filter(indexed: VideoIndex) -> None:
    rows = indexed.search_screen_text("platform 9", top_k=2)
    assert rows[0].text == "PLATFORM 9 BOSTON" and rows[0].start_s == 64.0
    hits = indexed.search("dog", time_range=(40.0, 80.0), top_k=8, dedupe_gap_s=None)
    assert hits and all(h.segment.end_s > 40.0 and h.segment.start_s < 80.0 for h in hits)
    assert 1 not in {h.segment.index for h in hits}
    assert indexed.search_speech("coffee", time_range=(50.0, 100.0)) == [] or all(
        r.start_s >= 50.0 for r in indexed.search_speech("coffee", time_range=(50.0, 100.0))
    )
    assert [t.text for t in indexed.speech_in(50.0, 70.0)] == [SPEECH[5], SPEECH[6]]
    assert [t.text for t in indexed.screen_text_in(60.0, 90.0)] == [
        "PLATFORM 9 BOSTON",
        "ENTER PIN",
    ]


def test_channel_selection_and_dedupe(indexed: VideoIndex) -> None:
    hits = indexed.search("keypad door", channels=["bm25"], dedupe_gap_s=None)
    assert hits and all(set(h.channels) == {"bm25"} for h in hits)
    with pytest.raises(ValueError, match="unknown search channels"):
        indexed.search("x", channels=["smell"])
    # with de-duplication no two hits touch each other
    hits = indexed.search("door", top_k=8)
    spans = sorted((h.segment.start_s, h.segment.end_s) for h in hits)
    assert all(b[0] - a[1] >= 0.5 for a, b in zip(spans, spans[1:], strict=False))


def test_overview_and_lookup(indexed: VideoIndex, settings: Settings) -> None:
    ov = indexed.overview()
    assert ov["duration_s"] == 100.0 and ov["summary"] == "Everyday scenes in a town."
    assert [s["id"] for s in ov["scenes"]] == ["vidA:scene:000000", "vidA:scene:000001"]
    assert ov["channels"]["speech"] == {"count": 6, "model": "faster-whisper:tiny.en"}
    assert ov["channels"]["vectors:segments"]["count"] == 13
    assert ov["subjects"][0]["name"] == "security guard"
    assert indexed.get_segment("vidA:clip:000003").text == CAPTIONS[3]
    with pytest.raises(KeyError):
        indexed.get_segment("vidA:clip:000099")
    assert [s.index for s in indexed.segments("clip", (25.0, 45.0))] == [2, 3, 4]
    # the same video by its path
    assert VideoIndex.open(settings, indexed.info.path, indexed.models).video_id == "vidA"


def test_not_indexed_and_model_mismatch(
    settings: Settings, indexed: VideoIndex, tmp_path: Path
) -> None:
    with pytest.raises(NotIndexedError, match="vidseek index"):
        VideoIndex.open(settings, "no-such-video")
    other = tmp_path / "other.mp4"
    other.write_bytes(b"\x00" * 4096)
    with pytest.raises(NotIndexedError, match="other.mp4"):
        VideoIndex.open(settings, other)

    class OtherEmbedder:
        ref = "sentence-transformers:some-other-model"
        dim = 384

        def embed(self, texts):  # pragma: no cover - must not be reached
            raise AssertionError

    idx = VideoIndex.open(
        settings, "vidA", SimpleNamespace(text_embedder=OtherEmbedder(), image_text_embedder=None)
    )
    with pytest.raises(ConfigError, match="some-other-model"):
        idx.search("door")


def test_chroma_path_agrees_with_exact_path(indexed: VideoIndex, settings: Settings) -> None:
    exact = indexed.search("a chef cooking", top_k=3, dedupe_gap_s=None)
    fresh = VideoIndex.open(settings, "vidA", indexed.models, store=indexed.store)
    fresh._search().exact_max_vectors = 0  # force chroma's HNSW queries
    via_chroma = fresh.search("a chef cooking", top_k=3, dedupe_gap_s=None)
    assert [h.segment.id for h in via_chroma] == [h.segment.id for h in exact]
    assert exact[0].segment.index == 7
