"""The haystack's questions in the LVBench JSONL schema plus ground-truth spans in seconds: one per
spoken, on-screen and visual needle, and grounding, counting, ordering, absent and two-step
questions over them. Options are shuffled with the builder's seeded generator."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from vidseek.footage.facts import code_options, distinct_codes, num_options
from vidseek.footage.manifest import Span, depth_pct
from vidseek.footage.needles import NeedlePlan
from vidseek.footage.timeline import FPS, HEIGHT, WIDTH, HaystackError, clock, clock_range
from vidseek.footage.vocab import ABSENT_ANIMALS, ABSENT_FACILITY, ABSENT_SAFE, DIGIT_WORDS

LETTERS = "ABCD"


class QuestionSet:
    """Questions as they are added: options shuffled, the answer's letter recorded."""

    def __init__(self, rng: random.Random, set_name: str, total: float) -> None:
        self.rng = rng
        self.set_name = set_name
        self.total = total
        self.qa: list[dict[str, Any]] = []

    def ask(
        self,
        question: str,
        answer: str,
        others: Sequence[str],
        qtype: list[str],
        kind: str,
        modality: str,
        q_spans: Sequence[Span],
        ids: list[str],
        aliases: Sequence[str],
        ref: Span | None = None,
        depth: float | None = None,
    ) -> None:
        options = [answer, *others]
        if len(set(options)) != len(options):
            raise HaystackError(f"duplicate options generated for {question!r}: {options}")
        self.rng.shuffle(options)
        letter = LETTERS[options.index(answer)]
        ref = ref or (q_spans[0] if q_spans else None)
        self.qa.append(
            {
                "uid": f"{self.set_name}-q{len(self.qa) + 1:02d}",
                "question": question
                + "".join(f"\n({LETTERS[i]}) {o}" for i, o in enumerate(options)),
                "answer": letter,
                "question_type": qtype,
                "time_reference": clock_range(*ref) if ref else None,
                "time_reference_s": [[a, b] for a, b in q_spans],
                "needle_kind": kind,
                "modality": modality,
                "answer_text": answer,
                "answer_aliases": list(dict.fromkeys([*aliases, answer])) if aliases else [answer],
                "options": options,
                "needles": ids,
                "depth_pct": depth,
            }
        )

    def depth(self, t: float) -> float:
        return depth_pct(t, self.total)


def _cap(label: str) -> str:
    return label[0].upper() + label[1:]


def make_questions(
    rng: random.Random, plan: NeedlePlan, spans: dict[str, list[Span]], set_name: str, total: float
) -> list[dict[str, Any]]:
    """Every question of one haystack, in a fixed order (the order is part of the seed)."""
    qs = QuestionSet(rng, set_name, total)
    labels = _single_needles(qs, plan, spans)
    _grounding(qs, plan, spans)
    _counting(qs, plan, spans)
    _ordering(qs, labels, spans)
    _absent(qs)
    _two_step(qs, plan, spans)
    return qs.qa


def _single_needles(
    qs: QuestionSet, plan: NeedlePlan, spans: dict[str, list[Span]]
) -> dict[str, str]:
    """One question per spoken, on-screen and visual needle; returns their labels by id."""
    labels: dict[str, str] = {}
    for prefix, facts, kind in (
        ("sp", plan.speech_facts, "speech"),
        ("ocr", plan.text_facts, "ocr"),
    ):
        for i, f in enumerate(facts):
            nid = f"{prefix}{i}"
            sp = spans[nid]
            labels[nid] = f.label
            qs.ask(
                f.question,
                f.answer,
                f.distractors,
                ["key information retrieval"],
                kind,
                kind,
                sp,
                [nid],
                f.aliases,
                depth=qs.depth(sp[0][0]),
            )
    for v in plan.single_vis:
        nid = f"v_{v.name}"
        sp = spans[nid]
        labels[nid] = v.label
        qs.ask(
            v.question,
            v.options[0],
            list(v.options[1:]),
            ["entity recognition"],
            "visual",
            "visual",
            sp,
            [nid],
            v.aliases,
            depth=qs.depth(sp[0][0]),
        )
    return labels


def _grounding(qs: QuestionSet, plan: NeedlePlan, spans: dict[str, list[Span]]) -> None:
    """When is the first visual needle shown? Wrong options lie far from it and each other."""
    if not plan.single_vis:
        return
    v = plan.single_vis[0]
    a, b = spans[f"v_{v.name}"][0]
    total = qs.total
    picked: list[float] = []
    for _ in range(2000):
        t = float(round(qs.rng.uniform(0, total - 5)))
        if abs(t - a) > 0.1 * total and all(abs(t - o) > 0.08 * total for o in picked):
            picked.append(t)
            if len(picked) == 3:
                break
    if len(picked) < 3:
        raise HaystackError(f"cannot make a grounding question in {total:.0f} s")
    qs.ask(
        f"When is {v.label} shown in the video?",
        f"At about {clock(a)}",
        [f"At about {clock(t)}" for t in picked],
        ["temporal grounding"],
        "grounding",
        "visual",
        [(a, b)],
        [f"v_{v.name}"],
        [clock(a)],
        depth=qs.depth(a),
    )


def _counting(qs: QuestionSet, plan: NeedlePlan, spans: dict[str, list[Span]]) -> None:
    """How often the reminder is announced, and how often the counted still is shown."""
    sp = spans["sp_reminder"]
    qs.ask(
        f"How many times is the reminder to {plan.reminder} announced?",
        str(len(sp)),
        [str(k) for k in num_options(qs.rng, len(sp), 1, 5)],
        ["event understanding"],
        "counting",
        "speech",
        sp,
        ["sp_reminder"],
        [str(len(sp)), DIGIT_WORDS[len(sp)]],
    )
    still = plan.counted_still
    if still is not None:
        sp = spans[f"v_{still.name}"]
        qs.ask(
            f"How many times is {still.label} shown?",
            str(len(sp)),
            [str(k) for k in num_options(qs.rng, len(sp), 1, 5)],
            ["event understanding"],
            "counting",
            "visual",
            sp,
            [f"v_{still.name}"],
            [str(len(sp)), DIGIT_WORDS[len(sp)]],
        )


def _ordering(qs: QuestionSet, labels: dict[str, str], spans: dict[str, list[Span]]) -> None:
    """A pair of needles of different modalities, then (when there are enough) four at once."""
    rng = qs.rng
    singles = sorted(labels, key=lambda k: spans[k][0][0])
    by_kind: dict[str, list[str]] = {}
    for k in singles:
        by_kind.setdefault(k.rstrip("0123456789").split("_")[0], []).append(k)
    kinds = [k for k in by_kind if by_kind[k]]
    if len(kinds) >= 2:
        ka, kb = rng.sample(kinds, 2)
        x, y = rng.choice(by_kind[ka]), rng.choice(by_kind[kb])
        first, second = (x, y) if spans[x][0][0] < spans[y][0][0] else (y, x)
        qs.ask(
            f"Which comes first in the video: {labels[x]}, or {labels[y]}?",
            f"{_cap(labels[first])} comes first",
            [
                f"{_cap(labels[second])} comes first",
                "Both happen at the same moment",
                "Only one of the two happens",
            ],
            ["temporal grounding", "reasoning"],
            "order",
            "mixed",
            sorted([spans[x][0], spans[y][0]]),
            [x, y],
            [labels[first]],
        )
    if len(singles) >= 4:
        four = rng.sample(singles, 4)
        first = min(four, key=lambda k: spans[k][0][0])
        opts = [_cap(labels[k]) for k in four]
        ans = _cap(labels[first])
        qs.ask(
            "Which of these happens first in the video?",
            ans,
            [o for o in opts if o != ans],
            ["temporal grounding", "reasoning"],
            "order",
            "mixed",
            sorted(spans[k][0] for k in four),
            four,
            [ans],
            ref=spans[first][0],
        )


def _absent(qs: QuestionSet) -> None:
    """Questions about things never inserted: a spoken code, a sign, an animal."""
    rng, total = qs.rng, qs.total
    place = rng.choice(ABSENT_SAFE)
    qs.ask(
        f"What code is announced for the {place} safe?",
        f"No code for a {place} safe is announced",
        distinct_codes(rng, 3),
        ["key information retrieval"],
        "absent",
        "speech",
        [],
        [],
        ["not mentioned", "never announced"],
    )
    facility = rng.choice(ABSENT_FACILITY)
    qs.ask(
        f"According to the on-screen sign about the {facility}, when does it open?",
        f"There is no sign about the {facility}",
        ["At 7 AM", "At 10 AM", "At 2 PM"],
        ["key information retrieval"],
        "absent",
        "ocr",
        [],
        [],
        ["no such sign", "not in the video"],
    )
    animal = rng.choice(ABSENT_ANIMALS)
    times = sorted(
        {
            clock(round(total * f))
            for f in (rng.uniform(0.05, 0.3), rng.uniform(0.35, 0.6), rng.uniform(0.65, 0.95))
        }
    )
    qs.ask(
        f"When does a {animal} appear in the video?",
        f"A {animal} never appears",
        [f"At about {t}" for t in times],
        ["temporal grounding"],
        "absent",
        "visual",
        [],
        [],
        ["never", "not in the video"],
    )


def _two_step(qs: QuestionSet, plan: NeedlePlan, spans: dict[str, list[Span]]) -> None:
    """The sign names the closed wing; the speech right after it gives the door code."""
    ocr_span, sp_span = spans["ocr_wing"][0], spans["sp_door"][0]
    qs.ask(
        f"What door code is announced right after an on-screen sign says that the "
        f"{plan.wing.lower()} wing is closed?",
        plan.door,
        code_options(qs.rng, plan.door),
        ["reasoning", "key information retrieval"],
        "multihop",
        "mixed",
        [ocr_span, sp_span],
        ["ocr_wing", "sp_door"],
        [plan.door, " ".join(plan.door)],
        ref=sp_span,
        depth=qs.depth(sp_span[0]),
    )


def questions_file(
    set_name: str, total: float, video_name: str, qa: list[dict[str, Any]]
) -> dict[str, Any]:
    """The questions.jsonl record (one line) of a haystack."""
    return {
        "key": f"vidseek-{set_name}",
        "type": "needle-haystack",
        "video_info": {
            "duration_minutes": round(total / 60, 3),
            "fps": float(FPS),
            "resolution": {"width": WIDTH, "height": HEIGHT},
        },
        "video_path": video_name,
        "qa": qa,
    }
