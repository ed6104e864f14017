"""Question sets for benchmarks/agent.py: the demo haystack and any folder written by
``vidseek scenarios make-haystack`` (questions.jsonl in the LVBench schema plus manifest.json);
dev10 is one such folder. Each question becomes one plain dict the benchmark scores, with where
its needle sits (``depth_pct``) so reports can split by length and by depth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidseek.config import Settings
from vidseek.scenarios.loaders.common import DatasetError, read_json
from vidseek.scenarios.loaders.vidseek_haystack import load as load_haystack_records

Question = dict[str, Any]
DEPTH_BUCKETS = (
    (0.0, 100 / 3, "0-33 %"),
    (100 / 3, 200 / 3, "33-67 %"),
    (200 / 3, 100.01, "67-100 %"),
)


@dataclass
class QuestionSet:
    """One video and its questions; ``minutes`` is the video's length for the by-length report."""

    name: str
    video: Path
    minutes: float
    questions: list[Question]


def depth_pct(spans: list[tuple[float, float]], duration_s: float) -> float | None:
    """Where the needle sits: the first ground-truth span's start as a share of the video (None for
    a question with no span, e.g. one about something absent)."""
    if not spans or duration_s <= 0:
        return None
    return round(100.0 * min(max(spans[0][0], 0.0), duration_s) / duration_s, 1)


def depth_bucket(pct: float | None) -> str | None:
    """The third of the video a depth falls in ('0-33 %', '33-67 %', '67-100 %'), None for none."""
    if pct is None:
        return None
    for lo, hi, label in DEPTH_BUCKETS:
        if lo <= pct < hi:
            return label
    return DEPTH_BUCKETS[-1][2]


def load_haystack(folder: Path, kinds: set[str] | None = None) -> QuestionSet:
    """A make-haystack folder: the set name and length from manifest.json, the questions from
    questions.jsonl (kept when their needle kind or modality is in ``kinds``, if given)."""
    folder = Path(folder)
    manifest = read_json(folder / "manifest.json")
    if not isinstance(manifest, dict):
        raise DatasetError(folder / "manifest.json", "not a haystack manifest (expected an object)")
    records = load_haystack_records(folder)
    if not records:
        raise DatasetError(folder / "questions.jsonl", "holds no questions")
    duration = float(manifest.get("duration_s") or records[0].duration_s or 0.0)
    if duration <= 0:
        raise DatasetError(folder / "manifest.json", "no duration_s: cannot place needles by depth")
    name = str(manifest.get("set") or folder.name)
    video = folder / str(manifest.get("video") or "haystack.mp4")
    if records[0].video_path is not None:
        video = Path(records[0].video_path)
    if not video.is_file():
        raise DatasetError(folder, f"the set's video {video.name} is missing")
    questions = []
    for rec in records:
        kind = str(rec.extra.get("needle_kind") or rec.task_type)
        if kinds and kind not in kinds and rec.extra.get("modality") not in kinds:
            continue
        questions.append(
            {
                "qid": rec.qid,
                "question": rec.prompt(),
                "stem": rec.question,
                "options": rec.options or None,
                "answer_text": rec.answer_text,
                "choice": rec.answer,
                "spans": list(rec.gt_spans_s),
                "kind": kind,
                "depth_pct": depth_pct(list(rec.gt_spans_s), duration),
            }
        )
    return QuestionSet(name, video, round(duration / 60.0, 1), questions)


def demo_set(settings: Settings) -> QuestionSet:
    """The demo haystack's needle questions (fetched from the package registries), plus a "when"
    question and two multiple-choice ones about its spoken code and its sign."""
    from vidseek.footage import demo_haystack
    from vidseek.scenarios.demo import demo_questions

    video, manifest = demo_haystack(settings)
    duration = float(manifest.get("duration_s") or 0.0)
    if duration <= 0:
        from vidseek.media import probe

        duration = probe(video).duration_s
    qs = [
        _question(
            f"demo-{i}",
            q["question"],
            None,
            q["answer"],
            None,
            [(q["start_s"], q["end_s"])],
            q["kind"],
        )
        for i, q in enumerate(demo_questions(manifest), 1)
    ]
    speech = next((n for n in manifest["needles"] if n["kind"] == "speech"), None)
    sign = next((n for n in manifest["needles"] if n["kind"] == "screen_text"), None)
    if speech:  # a time question (scored on the evidence) and a multiple-choice one
        span = [(speech["start_s"], speech["end_s"])]
        qs.append(
            _question(
                "demo-when",
                "At what time is the access code for the north laboratory announced?",
                None,
                None,
                None,
                span,
                "speech",
            )
        )
        qs.append(
            _question(
                "demo-mc-speech",
                "What is the access code for the north laboratory?",
                ["3185", "3815", "8315", "1835"],
                "3815",
                "B",
                span,
                "speech",
            )
        )
    if sign:
        qs.append(
            _question(
                "demo-mc-sign",
                "According to the sign on screen, which store room is closed?",
                ["Store room 21", "Store room 72", "Store room 27", "Store room 17"],
                "27",
                "C",
                [(sign["start_s"], sign["end_s"])],
                "screen_text",
            )
        )
    for q in qs:
        q["depth_pct"] = depth_pct(q["spans"], duration)
    return QuestionSet("demo", video, round(duration / 60.0, 1), qs)


def _question(
    qid: str,
    question: str,
    options: list[str] | None,
    answer_text: str | None,
    choice: str | None,
    spans: list[tuple[float, float]],
    kind: str,
) -> Question:
    return {
        "qid": qid,
        "question": question,
        "stem": question,
        "options": options,
        "answer_text": answer_text,
        "choice": choice,
        "spans": spans,
        "kind": kind,
    }
