"""What a haystack hides: the needle content drawn for a seed (spoken and on-screen facts, a
repeated reminder, a two-step sign-then-speech pair, visual inserts) and the spoken audio of each
timed needle."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vidseek.footage import authoring
from vidseek.footage.facts import Fact, draw_code, spell
from vidseek.footage.templates import SPEECH_TEMPLATES, TEXT_TEMPLATES
from vidseek.footage.timeline import FPS, Insert, TimedNeedle
from vidseek.footage.visuals import VisualSpec
from vidseek.footage.vocab import CHATTER, REMINDERS, SIGN_STYLES, VOICES, WINGS
from vidseek.media import ffmpeg
from vidseek.progress import Progress

VOICE_TASK = "speaking needles"


@dataclass
class NeedlePlan:
    """The needle content of one haystack, before it is placed on the timeline."""

    speech_facts: list[Fact]
    text_facts: list[Fact]
    reminder: str
    reminder_n: int
    wing: str  # the wing an on-screen sign closes (two-step needle)
    alt: str  # the entrance the speech after it names
    door: str  # the door code the speech gives
    single_vis: list[VisualSpec]  # visual needles shown once
    counted_still: VisualSpec | None  # a still shown ``counted_n`` times (counting question)
    counted_n: int
    n_chatter: int


def plan_needles(rng: random.Random, minutes: float, visuals: Sequence[VisualSpec]) -> NeedlePlan:
    """Draw the needle content; how many of each kind grows with the length of the haystack."""
    m = minutes
    n_speech = max(2, min(6, round(0.6 * m)))
    n_text = max(2, min(6, round(0.6 * m)))
    n_chatter = max(1, min(6, round(0.4 * m)))
    speech_facts = [t.draw(rng) for t in rng.sample(SPEECH_TEMPLATES, n_speech)]
    text_facts = [t.draw(rng) for t in rng.sample(TEXT_TEMPLATES, n_text)]
    reminder = rng.choice(REMINDERS)
    reminder_n = rng.randint(2, 4 if m >= 5 else 3)
    wing = rng.choice(WINGS)
    alt = rng.choice([w for w in WINGS if w != wing]).lower()
    door = draw_code(rng)
    still_pool = [v for v in visuals if v.is_still]
    clip_pool = [v for v in visuals if not v.is_still]
    rng.shuffle(still_pool)
    rng.shuffle(clip_pool)
    counted_still = still_pool.pop() if still_pool else None
    counted_n = rng.randint(2, 3) if counted_still else 0
    n_vis = max(1, min(len(still_pool) + len(clip_pool), round(0.5 * m))) if visuals else 0
    single_vis = (clip_pool[:1] + still_pool + clip_pool[1:])[:n_vis]
    return NeedlePlan(
        speech_facts,
        text_facts,
        reminder,
        reminder_n,
        wing,
        alt,
        door,
        single_vis,
        counted_still,
        counted_n,
        n_chatter,
    )


def visual_inserts(rng: random.Random, plan: NeedlePlan) -> list[Insert]:
    """The visual needles as inserts: a still for 2.5-4 s, a clip whole (at most 15 s), the
    counted still 2.5 s each time."""
    inserts: list[Insert] = []
    for v in plan.single_vis:
        seconds = rng.uniform(2.5, 4.0) if v.is_still else min(ffmpeg.duration_s(v.path), 15.0)
        inserts.append(Insert(v, f"v_{v.name}", 0, round(seconds * FPS)))
    if plan.counted_still is not None:
        for i in range(plan.counted_n):
            inserts.append(Insert(plan.counted_still, f"v_{plan.counted_still.name}", i, 25))
    return inserts


def timed_needles(rng: random.Random, plan: NeedlePlan) -> list[TimedNeedle]:
    """The needles laid over the filler: announcements, signs, the repeated reminder, the
    two-step sign-then-speech pair and the distractor chatter (lengths of speech come later)."""
    timed: list[TimedNeedle] = []
    for i, f in enumerate(plan.speech_facts):
        timed.append(TimedNeedle(f"sp{i}", "speech", 0, 0, speech=f.text))
    for i, f in enumerate(plan.text_facts):
        length = round(rng.uniform(4.0, 5.0), 1)
        style = rng.choice(SIGN_STYLES)
        timed.append(TimedNeedle(f"ocr{i}", "ocr", 0, length, sign=f.text, style=style))
    for i in range(plan.reminder_n):
        text = f"Reminder: please {plan.reminder}."
        timed.append(TimedNeedle("sp_reminder", "speech", i, 0, speech=text))
    mh_speech = (
        f"Visitors, please use the {plan.alt} entrance. The door code is {spell(plan.door)}."
    )
    timed.append(
        TimedNeedle(
            "mh",
            "multihop",
            0,
            0,
            speech=mh_speech,
            sign=f"{plan.wing} WING CLOSED",
            sign_len=4.0,
            gap=round(rng.uniform(1, 2.5), 1),
            style="sign",
        )
    )
    for i, text in enumerate(rng.sample(CHATTER, plan.n_chatter)):
        timed.append(TimedNeedle(f"_distractor{i}", "distractor", 0, 0, speech=text))
    return timed


def voice_needles(
    rng: random.Random, timed: Sequence[TimedNeedle], work: Path, progress: Progress
) -> None:
    """Speak each sentence with a seeded voice and pace (espeak-ng) and set each needle's
    length from its audio."""
    progress.start(VOICE_TASK, total=len(timed), unit="needles")
    for i, t in enumerate(timed):
        if t.speech:
            t.voice, t.speed = rng.choice(VOICES), rng.randint(140, 160)
            t.wav = authoring.speak(t.speech, work / f"speech{i:02d}.wav", t.voice, t.speed)
            dur = round(ffmpeg.wav_duration_s(t.wav), 2)
        else:
            dur = 0.0
        if t.kind == "multihop":
            t.length = round(t.sign_len + t.gap + dur, 2)
        elif t.speech:
            t.length = dur
        progress.advance(VOICE_TASK)
    progress.finish(VOICE_TASK)
