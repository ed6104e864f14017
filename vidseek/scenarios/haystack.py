"""Needle-in-a-haystack benchmark builder (``vidseek scenarios make-haystack``).

Filler footage from any folder of clips is cut into pieces; needles go in at known times:
spoken announcements (espeak-ng, mixed into an AAC mono 16 kHz track among distractor chatter),
on-screen signs (ffmpeg drawtext), visual inserts (a clip or a still photograph spliced in),
repeated needles (counting), pairs (ordering), things never inserted (absent) and sign-then-speech
pairs (two-step). Needle content comes from templates filled with seeded random values, so every
seed gives a different, reproducible set: the same seed writes identical manifest and questions.
Questions use the LVBench JSONL schema plus ground-truth spans in seconds (like shared dev10).
"""

from __future__ import annotations

import json
import logging
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from vidseek.config import Settings
from vidseek.errors import VidseekError
from vidseek.media import ffmpeg

log = logging.getLogger(__name__)

FPS = 10
WIDTH, HEIGHT = 640, 360
VIDEO_EXT = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}
IMAGE_EXT = {".jpg", ".jpeg", ".png"}
MARGIN_S = 1.2  # quiet time kept between two timed needles
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb+m3")


class HaystackError(VidseekError):
    """A haystack that cannot be built from the given clips and settings."""


@dataclass(frozen=True)
class VisualSpec:
    """A visual needle: a clip or still image with what a question may ask about it."""

    name: str
    path: Path
    label: str  # short noun phrase used in ordering / counting / grounding questions
    question: str
    options: tuple[str, ...]  # the first option is the correct one
    aliases: tuple[str, ...] = ()

    @property
    def is_still(self) -> bool:
        return self.path.suffix.lower() in IMAGE_EXT


@dataclass
class HaystackResult:
    video: Path
    manifest_path: Path
    questions_path: Path
    manifest: dict[str, Any] = field(repr=False, default_factory=dict)
    questions: dict[str, Any] = field(repr=False, default_factory=dict)


# --- visual catalogue of the registry samples (vidseek.media.samples) ---------------------------

_VISUAL_CATALOGUE: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "butterfly": (
        "a photograph of a butterfly",
        "A still picture shows an insect with black and white wings. What insect is it?",
        ("A butterfly", "A beetle", "A grasshopper", "A wasp"),
        ("butterfly",),
    ),
    "dog": (
        "a photograph of a small dog",
        "A still picture of a pet with its mouth open appears. What animal is it?",
        ("A dog", "A rabbit", "A parrot", "A hamster"),
        ("dog",),
    ),
    "sweets": (
        "a picture of colourful round sweets",
        "A still picture shows small round objects on a white background. What are they?",
        ("Colourful sweets", "Glass marbles", "Coins", "Buttons"),
        ("sweets", "candy"),
    ),
    "mandrill": (
        "a close-up of a mandrill's face",
        "A close-up of an animal's face with a red nose and blue cheeks appears. "
        "Which animal is it?",
        ("A mandrill", "A parrot", "A tiger", "A lizard"),
        ("mandrill", "baboon"),
    ),
    "painting": (
        "a painting of a starry night sky",
        "A painting appears on screen. What does it depict?",
        (
            "A swirling night sky over a village",
            "A bowl of fruit",
            "A ship at sea",
            "A portrait of a woman",
        ),
        ("night sky", "starry night"),
    ),
    "fish": (
        "a cartoon drawing of a fish",
        "A cartoon drawing of an animal appears. Which animal is it?",
        ("A fish", "A bird", "A cat", "A frog"),
        ("fish",),
    ),
    "fruits": (
        "a close-up photograph of cut fruit",
        "A close-up photograph of food appears. What food is it?",
        ("Cut citrus fruits", "Sliced bread", "Grilled vegetables", "A chocolate cake"),
        ("citrus", "fruit", "oranges"),
    ),
    "box": (
        "a hand holding a printed cardboard box",
        "Someone holds up a cardboard box with printed pictures on it. What colour is most "
        "of the box?",
        ("Yellow", "Green", "Brown", "Purple"),
        ("yellow",),
    ),
    "cup": (
        "a hand holding a black travel mug",
        "A hand holds up a drinking container against a white wall. What is it?",
        ("A black travel mug", "A glass of water", "A red drinks can", "A white coffee cup"),
        ("travel mug", "mug", "thermos"),
    ),
}


def sample_visuals(settings: Settings, progress: bool = False) -> list[VisualSpec]:
    """Visual needles from the registry samples: the photographs and the box / cup clips."""
    from vidseek.media.samples import fetch_samples, sample_images

    paths = {**sample_images(settings, progress), **fetch_samples(settings, progress)}
    return [
        VisualSpec(name, paths[name], label, q, opts, aliases)
        for name, (label, q, opts, aliases) in _VISUAL_CATALOGUE.items()
        if name in paths
    ]


# --- seeded needle content ------------------------------------------------------------------------

_WORDS = "zero one two three four five six seven eight nine".split()
PLACES = ["airport", "train station", "city centre", "harbour", "university", "stadium"]
TITLES = ["Doctor", "Professor", "Ms", "Mr", "Captain"]
SURNAMES = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Alvarez", "Kowalski", "Brennan", "Haddad"]
COLOURS = ["red", "blue", "green", "white", "silver", "orange", "black", "yellow"]
ROOMS = ["equipment room", "server room", "workshop", "archive", "kitchen"]
ITEMS = [
    "black umbrella",
    "set of keys",
    "brown wallet",
    "blue backpack",
    "pair of glasses",
    "grey scarf",
]
CITIES = ["Lisbon", "Oslo", "Dublin", "Vienna", "Prague", "Athens", "Krakow", "Seville"]
TEAMS = ["design", "finance", "safety", "marketing", "research"]
FLOORS = ["second", "third", "fourth", "fifth", "sixth", "seventh"]
WIFI = ["ORCHID", "COMET", "MAPLE", "HARBOR", "QUARTZ", "FALCON"]
WINGS = ["EAST", "WEST", "NORTH", "SOUTH"]
REMINDERS = [
    "switch off the lights in empty meeting rooms",
    "wear your visitor badge at all times",
    "keep the fire exits clear",
    "return the trolleys to the loading bay",
]
CHATTER = [
    "Good afternoon, and welcome to the building.",
    "Thank you for waiting, we will be with you shortly.",
    "The cafeteria is now serving hot drinks.",
    "Please mind the step when leaving the lift.",
    "We hope you enjoy your visit today.",
    "Light showers are expected later this evening.",
]
ABSENT_SAFE = ["basement", "pharmacy", "gift shop", "garage"]
ABSENT_FACILITY = ["sauna", "rooftop garden", "library", "climbing wall"]
ABSENT_ANIMALS = ["giraffe", "penguin", "elephant", "zebra", "kangaroo"]


def _spell(digits: str) -> str:
    return " ".join(_WORDS[int(d)] for d in digits)


def _code(rng: random.Random, n: int = 4) -> str:
    while True:
        code = "".join(rng.choice("0123456789") for _ in range(n))
        if code[0] != "0" and len(set(code)) >= 3:
            return code


def _code_options(rng: random.Random, code: str) -> list[str]:
    """Three look-alike codes: digit swaps and one fresh code."""
    out: list[str] = []
    tries = 0
    while len(out) < 2 and tries < 50:
        tries += 1
        d = list(code)
        i, j = rng.sample(range(len(d)), 2)
        d[i], d[j] = d[j], d[i]
        cand = "".join(d)
        if cand != code and cand not in out and cand[0] != "0":
            out.append(cand)
    while len(out) < 3:
        cand = _code(rng, len(code))
        if cand != code and cand not in out:
            out.append(cand)
    return out


def _num_options(rng: random.Random, n: int, lo: int, hi: int) -> list[int]:
    pool = [k for k in range(lo, hi + 1) if k != n]
    near = sorted(pool, key=lambda k: (abs(k - n), k))[:6]
    return rng.sample(near, 3)


def _pick_others(rng: random.Random, pool: Sequence[str], answer: str, k: int = 3) -> list[str]:
    return rng.sample([p for p in pool if p != answer], k)


@dataclass
class Fact:
    """One piece of needle content with its question."""

    text: str
    question: str
    answer: str
    distractors: list[str]
    aliases: list[str]
    label: str


def _speech_templates() -> list[Callable[[random.Random], Fact]]:
    def shuttle(r: random.Random) -> Fact:
        place, n = r.choice(PLACES), r.randint(2, 19)
        return Fact(
            f"Attention please. The shuttle to the {place} now leaves from bay {n}.",
            f"According to an announcement, from which bay does the shuttle to the {place} leave?",
            f"Bay {n}",
            [f"Bay {k}" for k in _num_options(r, n, 1, 24)],
            [str(n)],
            f"the announcement about the shuttle to the {place}",
        )

    def desk(r: random.Random) -> Fact:
        who, n = f"{r.choice(TITLES)} {r.choice(SURNAMES)}", r.randint(2, 16)
        return Fact(
            f"Would {who} please come to reception desk {n}. {who}, to desk {n}.",
            f"To which reception desk is {who} asked to come?",
            f"Desk {n}",
            [f"Desk {k}" for k in _num_options(r, n, 1, 20)],
            [str(n)],
            f"the call for {who}",
        )

    def locker(r: random.Random) -> Fact:
        room, code = r.choice(ROOMS), _code(r)
        return Fact(
            f"Please note, the new locker code for the {room} is {_spell(code)}.",
            f"What is the new locker code for the {room}?",
            code,
            _code_options(r, code),
            [code, " ".join(code)],
            f"the announcement of the {room} locker code",
        )

    def van(r: random.Random) -> Fact:
        colour, place = r.choice(COLOURS), r.choice(["main entrance", "loading bay", "side gate"])
        return Fact(
            f"Would the owner of the {colour} van parked by the {place} please move it.",
            f"According to an announcement, what colour is the van parked by the {place}?",
            colour.capitalize(),
            [c.capitalize() for c in _pick_others(r, COLOURS, colour)],
            [colour],
            f"the announcement about a van by the {place}",
        )

    def drill(r: random.Random) -> Fact:
        h = r.randint(1, 11)
        return Fact(
            f"Please be aware that today's fire drill starts at {h} o'clock.",
            "At what time does today's fire drill start?",
            f"{h} o'clock",
            [f"{k} o'clock" for k in _num_options(r, h, 1, 12)],
            [str(h)],
            "the fire drill announcement",
        )

    def lost(r: random.Random) -> Fact:
        item, place = r.choice(ITEMS), r.choice(["lifts", "main stairs", "cafeteria"])
        return Fact(
            f"The front desk has found a {item} near the {place}.",
            f"According to an announcement, what has been found near the {place}?",
            f"A {item}",
            [f"A {i}" for i in _pick_others(r, ITEMS, item)],
            [item],
            "the lost property announcement",
        )

    def flight(r: random.Random) -> Fact:
        letters = "".join(r.choice("ABCDEFGHKLMNPRSTUVWXZ") for _ in range(2))
        num, city = str(r.randint(120, 989)), r.choice(CITIES)
        return Fact(
            f"Flight {' '.join(letters)} {_spell(num)} to {city} is now boarding.",
            f"Flight {letters}{num} is announced as boarding. Where is it going?",
            city,
            _pick_others(r, CITIES, city),
            [city],
            f"the boarding call for flight {letters}{num}",
        )

    def meeting(r: random.Random) -> Fact:
        team, floor = r.choice(TEAMS), r.choice(FLOORS)
        return Fact(
            f"The {team} team meeting has moved to the {floor} floor.",
            f"To which floor has the {team} team meeting moved?",
            f"The {floor} floor",
            [f"The {f} floor" for f in _pick_others(r, FLOORS, floor)],
            [floor],
            f"the announcement about the {team} team meeting",
        )

    return [shuttle, desk, locker, van, drill, lost, flight, meeting]


def _text_templates() -> list[Callable[[random.Random], Fact]]:
    def platform(r: random.Random) -> Fact:
        n = r.randint(2, 14)
        return Fact(
            f"PLATFORM {n} CLOSED",
            "An on-screen sign says that a platform is closed. Which platform?",
            f"Platform {n}",
            [f"Platform {k}" for k in _num_options(r, n, 1, 18)],
            [str(n)],
            f"the on-screen sign PLATFORM {n} CLOSED",
        )

    def lab(r: random.Random) -> Fact:
        n = r.randint(101, 489)
        others = [
            str(k)
            for k in {n + 10, n - 10, int(str(n)[::-1]) if str(n)[::-1][0] != "0" else n + 1, n + 1}
            if k != n
        ][:3]
        return Fact(
            f"LAB {n} RESTRICTED",
            "Which lab does an on-screen sign mark as restricted?",
            f"Lab {n}",
            [f"Lab {k}" for k in others],
            [str(n)],
            f"the on-screen sign LAB {n} RESTRICTED",
        )

    def wifi(r: random.Random) -> Fact:
        word, n = r.choice(WIFI), r.randint(10, 99)
        return Fact(
            f"WIFI: {word}-{n}",
            "What wifi network name is shown on screen?",
            f"{word}-{n}",
            [f"{w}-{n}" for w in _pick_others(r, WIFI, word, 2)]
            + [f"{word}-{_num_options(r, n, 10, 99)[0]}"],
            [f"{word}-{n}", word],
            f"the on-screen wifi name {word}-{n}",
        )

    def zone(r: random.Random) -> Fact:
        colour = r.choice(COLOURS)
        return Fact(
            f"{colour.upper()} ZONE - STAFF ONLY",
            "According to an on-screen sign, which zone is for staff only?",
            f"The {colour} zone",
            [f"The {c} zone" for c in _pick_others(r, COLOURS, colour)],
            [colour],
            f"the on-screen sign about the {colour} zone",
        )

    def load(r: random.Random) -> Fact:
        n = r.choice([150, 200, 250, 300, 400, 500, 750])
        return Fact(
            f"MAX LOAD {n} KG",
            "What maximum load is written on screen?",
            f"{n} kg",
            [
                f"{k} kg"
                for k in r.sample(
                    [k for k in (100, 150, 200, 250, 300, 400, 500, 750, 1000) if k != n], 3
                )
            ],
            [str(n)],
            "the on-screen maximum load sign",
        )

    def train(r: random.Random) -> Fact:
        hh, mm = r.randint(6, 22), r.choice([5, 10, 20, 25, 35, 40, 50, 55])
        t = f"{hh:02d}:{mm:02d}"
        others = [
            f"{hh:02d}:{(mm + 30) % 60:02d}",
            f"{(hh + 1) % 24:02d}:{mm:02d}",
            f"{mm % 24:02d}:{hh:02d}" if f"{mm % 24:02d}:{hh:02d}" != t else "12:00",
        ]
        return Fact(
            f"NEXT TRAIN {t}",
            "When is the next train, according to the on-screen display?",
            t,
            others,
            [t],
            "the on-screen next-train display",
        )

    def checkout(r: random.Random) -> Fact:
        n = r.randint(2, 12)
        return Fact(
            f"CHECKOUT {n} OPEN",
            "Which checkout does an on-screen sign say is open?",
            f"Checkout {n}",
            [f"Checkout {k}" for k in _num_options(r, n, 1, 15)],
            [str(n)],
            f"the on-screen sign CHECKOUT {n} OPEN",
        )

    return [platform, lab, wifi, zone, load, train, checkout]


# --- timeline -----------------------------------------------------------------------------------


@dataclass
class _Timed:
    """A needle instance laid over the filler: a sign and/or a spoken sentence."""

    id: str
    kind: str  # speech | ocr | multihop | distractor
    instance: int
    length: float
    speech: str | None = None
    sign: str | None = None
    sign_len: float = 0.0
    gap: float = 0.0
    wav: Path | None = None
    voice: str = "en-us"
    speed: int = 150
    style: str = "sign"
    start: float = 0.0


def _clock(t: float) -> str:
    t = max(0, int(t))
    return f"{t // 60:02d}:{t % 60:02d}"


def _clock_range(a: float, b: float) -> str:
    import math

    return f"{_clock(math.floor(a))}-{_clock(math.ceil(b))}"


def _list_clips(clips: Path | Sequence[Path | str]) -> list[Path]:
    if isinstance(clips, (str, Path)) and Path(clips).is_dir():
        found = sorted(p for p in Path(clips).iterdir() if p.suffix.lower() in VIDEO_EXT)
    elif isinstance(clips, (str, Path)):
        raise HaystackError(f"{clips}: not a folder of clips")
    else:
        found = [Path(c) for c in clips]
    for p in found:
        if not p.is_file():
            raise HaystackError(f"{p}: no such clip")
    if not found:
        raise HaystackError(f"{clips}: no video clips found ({', '.join(sorted(VIDEO_EXT))})")
    return found


def _place(
    rng: random.Random,
    total: float,
    length: float,
    taken: list[tuple[float, float]],
    slot: tuple[float, float],
    allowed: Callable[[float, float], bool],
) -> float:
    """A start time for an item of ``length`` inside ``slot`` (fractions of ``total``), clear of
    every taken span by MARGIN_S; falls back to anywhere when the slot is full."""

    def free(a: float, b: float) -> bool:
        return allowed(a, b) and all(b + MARGIN_S <= s or a >= e + MARGIN_S for s, e in taken)

    lo, hi = 2.0, total - length - 2.0
    for frac_lo, frac_hi, tries in ((slot[0], slot[1], 300), (0.0, 1.0, 3000)):
        a0, a1 = max(lo, frac_lo * total), min(hi, frac_hi * total - length)
        if a1 < a0:
            continue
        for _ in range(tries):
            start = round(rng.uniform(a0, a1), 1)
            if free(start, start + length):
                return start
    raise HaystackError(
        f"cannot place all needles in {total / 60:.1f} minutes; build a longer haystack"
    )


def build_haystack(
    clips: Path | Sequence[Path | str],
    out_dir: Path | str,
    minutes: float = 10.0,
    seed: int = 0,
    visuals: Sequence[VisualSpec] | None = None,
    set_name: str | None = None,
    progress: bool = True,
) -> HaystackResult:
    """Build ``haystack.mp4``, ``manifest.json`` and ``questions.jsonl`` in ``out_dir``.

    ``clips``: a folder of video clips or a list of them (fillers); ``visuals``: clips or stills
    spliced in whole as visual needles (e.g. ``sample_visuals(settings)``); a filler whose file
    stem names a visual needle is not used as filler."""
    if minutes <= 0 or minutes > 600:
        raise HaystackError(f"minutes must be in (0, 600], got {minutes}")
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    set_name = set_name or f"haystack-{minutes:g}m-s{seed}"
    total = round(minutes * 60 * FPS) / FPS
    visuals = list(visuals or [])
    vis_names = {v.name for v in visuals} | {v.path.stem for v in visuals}
    fillers = [p for p in _list_clips(clips) if p.stem not in vis_names]
    if not fillers:
        raise HaystackError(f"{clips}: every clip is a visual needle; no filler footage is left")
    for v in visuals:
        if not v.path.is_file():
            raise HaystackError(f"{v.path}: visual needle file is missing")
    m = minutes
    n_speech = max(2, min(6, round(0.6 * m)))
    n_text = max(2, min(6, round(0.6 * m)))
    n_chatter = max(1, min(6, round(0.4 * m)))

    # 1. needle content ------------------------------------------------------------------------
    speech_facts = [t(rng) for t in rng.sample(_speech_templates(), n_speech)]
    text_facts = [t(rng) for t in rng.sample(_text_templates(), n_text)]
    reminder = rng.choice(REMINDERS)
    reminder_n = rng.randint(2, 4 if m >= 5 else 3)
    wing = rng.choice(WINGS)
    alt = rng.choice([w for w in WINGS if w != wing]).lower()
    door = _code(rng)
    still_pool = [v for v in visuals if v.is_still]
    clip_pool = [v for v in visuals if not v.is_still]
    rng.shuffle(still_pool)
    rng.shuffle(clip_pool)
    counted_still = still_pool.pop() if still_pool else None
    counted_n = rng.randint(2, 3) if counted_still else 0
    n_vis = max(1, min(len(still_pool) + len(clip_pool), round(0.5 * m))) if visuals else 0
    single_vis = (clip_pool[:1] + still_pool + clip_pool[1:])[:n_vis]

    # 2. visual inserts on the timeline -----------------------------------------------------------
    inserts: list[tuple[VisualSpec, str, int, int]] = []  # spec, needle id, instance, frames
    for v in single_vis:
        frames = round(
            (rng.uniform(2.5, 4.0) if v.is_still else min(ffmpeg.duration_s(v.path), 15.0)) * FPS
        )
        inserts.append((v, f"v_{v.name}", 0, frames))
    for i in range(counted_n):
        inserts.append((counted_still, f"v_{counted_still.name}", i, 25))  # type: ignore[arg-type]
    order = list(range(len(inserts)))
    rng.shuffle(order)
    vis_spans: list[tuple[float, float]] = []
    vis_place: dict[int, float] = {}
    for k, idx in enumerate(order):
        length = inserts[idx][3] / FPS
        slot = (0.03 + 0.94 * k / len(order), 0.03 + 0.94 * (k + 1) / len(order))
        start = _place(rng, total, length, vis_spans, slot, lambda a, b: True)
        vis_spans.append((start, start + length))
        vis_place[idx] = start

    # 3. timed needles (speech and signs) over filler ---------------------------------------------
    timed: list[_Timed] = []
    for i, f in enumerate(speech_facts):
        timed.append(_Timed(f"sp{i}", "speech", 0, 0, speech=f.text))
    for i, f in enumerate(text_facts):
        timed.append(
            _Timed(
                f"ocr{i}",
                "ocr",
                0,
                round(rng.uniform(4.0, 5.0), 1),
                sign=f.text,
                style=rng.choice(["sign", "caption", "banner"]),
            )
        )
    for i in range(reminder_n):
        timed.append(_Timed("sp_reminder", "speech", i, 0, speech=f"Reminder: please {reminder}."))
    mh_speech = f"Visitors, please use the {alt} entrance. The door code is {_spell(door)}."
    timed.append(
        _Timed(
            "mh",
            "multihop",
            0,
            0,
            speech=mh_speech,
            sign=f"{wing} WING CLOSED",
            sign_len=4.0,
            gap=round(rng.uniform(1, 2.5), 1),
            style="sign",
        )
    )
    for i, text in enumerate(rng.sample(CHATTER, n_chatter)):
        timed.append(_Timed(f"_distractor{i}", "distractor", 0, 0, speech=text))

    work = out_dir / ".work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        disable=not progress,
        transient=True,
    )
    with bar:
        voice_task = bar.add_task("speaking needles", total=len(timed))
        for i, t in enumerate(timed):
            if t.speech:
                t.voice, t.speed = rng.choice(VOICES), rng.randint(140, 160)
                t.wav = ffmpeg.speak(t.speech, work / f"speech{i:02d}.wav", t.voice, t.speed)
                dur = round(ffmpeg.wav_duration_s(t.wav), 2)
            else:
                dur = 0.0
            if t.kind == "multihop":
                t.length = round(t.sign_len + t.gap + dur, 2)
            elif t.speech:
                t.length = dur
            bar.advance(voice_task)

        def outside_visuals(a: float, b: float) -> bool:
            return all(b <= s or a >= e for s, e in vis_spans)

        taken = list(vis_spans)
        tidx = list(range(len(timed)))
        rng.shuffle(tidx)
        for k, idx in enumerate(tidx):
            t = timed[idx]
            slot = (0.02 + 0.96 * k / len(tidx), 0.02 + 0.96 * (k + 1) / len(tidx))
            # keep timed needles off the visual inserts so each needle is cleanly one modality
            t.start = _place(
                rng,
                total,
                t.length,
                [s for s in taken if s not in vis_spans],
                slot,
                outside_visuals,
            )
            taken.append((t.start, t.start + t.length))

        # 4. the segments: fillers between the visual inserts ----------------------------------
        segments: list[dict[str, Any]] = []
        events = sorted((vis_place[i], i) for i in range(len(inserts)))
        cursor = 0
        durations = {p: ffmpeg.duration_s(p) for p in fillers}
        last_src: Path | None = None

        def fill(until: int) -> None:
            nonlocal cursor, last_src
            while cursor < until:
                choices = [p for p in fillers if p != last_src] or fillers
                src = rng.choice(choices)
                avail = int((durations[src] - 0.3) * FPS)
                if avail < 10:
                    avail = max(1, int(durations[src] * FPS) - 1)
                want = min(until - cursor, rng.randint(80, 350), avail)
                if until - cursor - want < 15 and until - cursor <= avail:
                    want = until - cursor
                s0 = round(rng.uniform(0, max(0.0, (avail - want) / FPS)), 1)
                segments.append(
                    {
                        "kind": "filler",
                        "source": src.stem,
                        "source_file": src.name,
                        "path": src,
                        "start": cursor / FPS,
                        "frames": want,
                        "source_start": s0,
                        "hflip": rng.random() < 0.3,
                        "needle": None,
                        "instance": None,
                    }
                )
                cursor += want
                last_src = src

        for start, i in events:
            v, nid, inst, frames = inserts[i]
            fill(round(start * FPS))
            segments.append(
                {
                    "kind": "still" if v.is_still else "clip",
                    "source": v.name,
                    "source_file": v.path.name,
                    "path": v.path,
                    "start": cursor / FPS,
                    "frames": frames,
                    "source_start": 0.0,
                    "hflip": False,
                    "needle": nid,
                    "instance": inst,
                }
            )
            cursor += frames
        fill(round(total * FPS))

        seg_task = bar.add_task("rendering segments", total=len(segments) + 3)
        files = []
        for i, seg in enumerate(segments):
            dst = work / f"seg{i:03d}.mp4"
            if seg["kind"] == "still":
                ffmpeg.still_clip(seg["path"], dst, seg["frames"] / FPS, WIDTH, HEIGHT, FPS)
            else:
                ffmpeg.cut(
                    seg["path"],
                    dst,
                    seg["source_start"],
                    seg["frames"],
                    seg["hflip"],
                    WIDTH,
                    HEIGHT,
                    FPS,
                )
            files.append(dst)
            bar.advance(seg_task)
        ffmpeg.concat(files, work / "joined.mp4")
        bar.advance(seg_task)
        overlays = []
        for t in timed:
            if t.sign:
                end = t.start + (t.sign_len or t.length)
                overlays.append(ffmpeg.TextOverlay(t.sign, t.start, end, t.style))
        ffmpeg.burn_texts(work / "joined.mp4", work / "signed.mp4", overlays)
        bar.advance(seg_task)
        speech = [
            (t.start + (t.sign_len + t.gap if t.kind == "multihop" else 0.0), t.wav)
            for t in timed
            if t.wav is not None
        ]
        video = out_dir / "haystack.mp4"
        ffmpeg.mix_speech(work / "signed.mp4", video, speech)  # type: ignore[arg-type]
        bar.advance(seg_task)
    frames = ffmpeg.frame_count(video)
    if frames != round(total * FPS):
        raise HaystackError(f"{video}: expected {round(total * FPS)} frames, got {frames}")
    shutil.rmtree(work, ignore_errors=True)

    # 5. manifest -------------------------------------------------------------------------------
    def depth(a: float) -> float:
        return round(100 * a / total, 1)

    needles: list[dict[str, Any]] = []
    distractors: list[dict[str, Any]] = []
    spans: dict[str, list[tuple[float, float]]] = {}
    for seg in segments:
        if seg["needle"]:
            a, b = round(seg["start"], 2), round(seg["start"] + seg["frames"] / FPS, 2)
            needles.append(
                {
                    "id": seg["needle"],
                    "kind": seg["kind"],
                    "instance": seg["instance"],
                    "start": a,
                    "end": b,
                    "depth_pct": depth(a),
                    "text": None,
                    "source": seg["source"],
                }
            )
    for t in timed:
        if t.kind == "distractor":
            distractors.append(
                {
                    "id": t.id,
                    "start": t.start,
                    "end": round(t.start + t.length, 2),
                    "text": t.speech,
                }
            )
            continue
        if t.kind == "multihop":
            sa, sb = t.start, round(t.start + t.sign_len, 2)
            pa, pb = round(sb + t.gap, 2), round(t.start + t.length, 2)
            needles.append(
                {
                    "id": "ocr_wing",
                    "kind": "ocr",
                    "instance": 0,
                    "start": sa,
                    "end": sb,
                    "depth_pct": depth(sa),
                    "text": t.sign,
                    "source": None,
                }
            )
            needles.append(
                {
                    "id": "sp_door",
                    "kind": "speech",
                    "instance": 0,
                    "start": pa,
                    "end": pb,
                    "depth_pct": depth(pa),
                    "text": t.speech,
                    "source": None,
                }
            )
            continue
        b = round(t.start + t.length, 2)
        needles.append(
            {
                "id": t.id,
                "kind": t.kind,
                "instance": t.instance,
                "start": t.start,
                "end": b,
                "depth_pct": depth(t.start),
                "text": t.speech or t.sign,
                "source": None,
                **({"voice": t.voice} if t.speech else {}),
            }
        )
    needles.sort(key=lambda n: (n["start"], n["id"]))
    distractors.sort(key=lambda d: d["start"])
    for n in needles:  # instances numbered in time order
        n["instance"] = len(spans.get(n["id"], []))
        spans.setdefault(n["id"], []).append((n["start"], n["end"]))
    manifest_segments = []
    for i, seg in enumerate(segments):
        a = round(seg["start"], 2)
        b = round(seg["start"] + seg["frames"] / FPS, 2)
        overlays_in = [
            {
                "needle": n["id"],
                "instance": n["instance"],
                "text": n["text"],
                "start": n["start"],
                "end": n["end"],
            }
            for n in needles
            if n["kind"] == "ocr" and a <= n["start"] < b
        ]
        manifest_segments.append(
            {
                "index": i,
                "kind": seg["kind"],
                "source": seg["source"],
                "source_file": seg["source_file"],
                "start": a,
                "end": b,
                "source_start": seg["source_start"],
                "frames": seg["frames"],
                "hflip": seg["hflip"],
                "needle": seg["needle"],
                "instance": next(
                    (
                        n["instance"]
                        for n in needles
                        if n["id"] == seg["needle"] and n["start"] == a
                    ),
                    None,
                ),
                "overlays": overlays_in,
            }
        )
    manifest = {
        "set": set_name,
        "seed": seed,
        "minutes": minutes,
        "video": video.name,
        "duration_s": total,
        "frames": frames,
        "fps": FPS,
        "resolution": [WIDTH, HEIGHT],
        "audio": {"sample_rate": 16000, "channels": 1, "codec": "aac"},
        "tools": ffmpeg.tool_versions(),
        "segments": manifest_segments,
        "needles": needles,
        "distractor_speech": distractors,
    }

    # 6. questions ------------------------------------------------------------------------------
    qa: list[dict[str, Any]] = []

    def ask(
        question: str,
        answer: str,
        others: Sequence[str],
        qtype: list[str],
        kind: str,
        modality: str,
        q_spans: list[tuple[float, float]],
        ids: list[str],
        aliases: Sequence[str],
        ref: tuple[float, float] | None = None,
        depth_pct: float | None = None,
    ) -> None:
        options = [answer, *others]
        if len(set(options)) != len(options):
            raise HaystackError(f"duplicate options generated for {question!r}: {options}")
        rng.shuffle(options)
        letter = "ABCD"[options.index(answer)]
        ref = ref or (q_spans[0] if q_spans else None)
        qa.append(
            {
                "uid": f"{set_name}-q{len(qa) + 1:02d}",
                "question": question
                + "".join(f"\n({'ABCD'[i]}) {o}" for i, o in enumerate(options)),
                "answer": letter,
                "question_type": qtype,
                "time_reference": _clock_range(*ref) if ref else None,
                "time_reference_s": [[a, b] for a, b in q_spans],
                "needle_kind": kind,
                "modality": modality,
                "answer_text": answer,
                "answer_aliases": list(dict.fromkeys([*aliases, answer])) if aliases else [answer],
                "options": options,
                "needles": ids,
                "depth_pct": depth_pct,
            }
        )

    labels: dict[str, str] = {}
    for i, f in enumerate(speech_facts):
        sp = spans[f"sp{i}"]
        labels[f"sp{i}"] = f.label
        ask(
            f.question,
            f.answer,
            f.distractors,
            ["key information retrieval"],
            "speech",
            "speech",
            sp,
            [f"sp{i}"],
            f.aliases,
            depth_pct=depth(sp[0][0]),
        )
    for i, f in enumerate(text_facts):
        sp = spans[f"ocr{i}"]
        labels[f"ocr{i}"] = f.label
        ask(
            f.question,
            f.answer,
            f.distractors,
            ["key information retrieval"],
            "ocr",
            "ocr",
            sp,
            [f"ocr{i}"],
            f.aliases,
            depth_pct=depth(sp[0][0]),
        )
    for v in single_vis:
        sp = spans[f"v_{v.name}"]
        labels[f"v_{v.name}"] = v.label
        ask(
            v.question,
            v.options[0],
            list(v.options[1:]),
            ["entity recognition"],
            "visual",
            "visual",
            sp,
            [f"v_{v.name}"],
            v.aliases,
            depth_pct=depth(sp[0][0]),
        )
    if single_vis:  # grounding: when is the first visual needle shown?
        v = single_vis[0]
        a, b = spans[f"v_{v.name}"][0]
        picked: list[float] = []
        for _ in range(2000):
            t = float(round(rng.uniform(0, total - 5)))
            if abs(t - a) > 0.1 * total and all(abs(t - o) > 0.08 * total for o in picked):
                picked.append(t)
                if len(picked) == 3:
                    break
        if len(picked) < 3:
            raise HaystackError(f"cannot make a grounding question in {total:.0f} s")
        others = [f"At about {_clock(t)}" for t in picked]
        ask(
            f"When is {v.label} shown in the video?",
            f"At about {_clock(a)}",
            others,
            ["temporal grounding"],
            "grounding",
            "visual",
            [(a, b)],
            [f"v_{v.name}"],
            [_clock(a)],
            depth_pct=depth(a),
        )
    # counting
    sp = spans["sp_reminder"]
    ask(
        f"How many times is the reminder to {reminder} announced?",
        str(len(sp)),
        [str(k) for k in _num_options(rng, len(sp), 1, 5)],
        ["event understanding"],
        "counting",
        "speech",
        sp,
        ["sp_reminder"],
        [str(len(sp)), _WORDS[len(sp)]],
    )
    if counted_still:
        sp = spans[f"v_{counted_still.name}"]
        ask(
            f"How many times is {counted_still.label} shown?",
            str(len(sp)),
            [str(k) for k in _num_options(rng, len(sp), 1, 5)],
            ["event understanding"],
            "counting",
            "visual",
            sp,
            [f"v_{counted_still.name}"],
            [str(len(sp)), _WORDS[len(sp)]],
        )
    # ordering: a pair of different modalities, then (when there are enough) four at once
    singles = sorted(labels, key=lambda k: spans[k][0][0])
    by_kind: dict[str, list[str]] = {}
    for k in singles:
        by_kind.setdefault(k.rstrip("0123456789").split("_")[0], []).append(k)
    kinds = [k for k in by_kind if by_kind[k]]
    if len(kinds) >= 2:
        ka, kb = rng.sample(kinds, 2)
        x, y = rng.choice(by_kind[ka]), rng.choice(by_kind[kb])
        first, second = (x, y) if spans[x][0][0] < spans[y][0][0] else (y, x)
        lx, ly = labels[x], labels[y]
        ans = f"{labels[first][0].upper()}{labels[first][1:]} comes first"
        wrong = f"{labels[second][0].upper()}{labels[second][1:]} comes first"
        ask(
            f"Which comes first in the video: {lx}, or {ly}?",
            ans,
            [wrong, "Both happen at the same moment", "Only one of the two happens"],
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
        opts = [labels[k][0].upper() + labels[k][1:] for k in four]
        ans = labels[first][0].upper() + labels[first][1:]
        ask(
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
    # absent: nothing of this kind was inserted
    place = rng.choice(ABSENT_SAFE)
    ans = f"No code for a {place} safe is announced"
    ask(
        f"What code is announced for the {place} safe?",
        ans,
        [_code(rng) for _ in range(3)],
        ["key information retrieval"],
        "absent",
        "speech",
        [],
        [],
        ["not mentioned", "never announced"],
    )
    facility = rng.choice(ABSENT_FACILITY)
    ans = f"There is no sign about the {facility}"
    ask(
        f"According to the on-screen sign about the {facility}, when does it open?",
        ans,
        ["At 7 AM", "At 10 AM", "At 2 PM"],
        ["key information retrieval"],
        "absent",
        "ocr",
        [],
        [],
        ["no such sign", "not in the video"],
    )
    animal = rng.choice(ABSENT_ANIMALS)
    ans = f"A {animal} never appears"
    times = sorted(
        {
            _clock(round(total * f))
            for f in (rng.uniform(0.05, 0.3), rng.uniform(0.35, 0.6), rng.uniform(0.65, 0.95))
        }
    )
    ask(
        f"When does a {animal} appear in the video?",
        ans,
        [f"At about {t}" for t in times],
        ["temporal grounding"],
        "absent",
        "visual",
        [],
        [],
        ["never", "not in the video"],
    )
    # two-step: the sign names the closed wing, the speech right after gives the door code
    ocr_span, sp_span = spans["ocr_wing"][0], spans["sp_door"][0]
    ask(
        f"What door code is announced right after an on-screen sign says that the "
        f"{wing.lower()} wing is closed?",
        door,
        _code_options(rng, door),
        ["reasoning", "key information retrieval"],
        "multihop",
        "mixed",
        [ocr_span, sp_span],
        ["ocr_wing", "sp_door"],
        [door, " ".join(door)],
        ref=sp_span,
        depth_pct=depth(sp_span[0]),
    )

    questions = {
        "key": f"vidseek-{set_name}",
        "type": "needle-haystack",
        "video_info": {
            "duration_minutes": round(total / 60, 3),
            "fps": float(FPS),
            "resolution": {"width": WIDTH, "height": HEIGHT},
        },
        "video_path": video.name,
        "qa": qa,
    }
    manifest_path = out_dir / "manifest.json"
    questions_path = out_dir / "questions.jsonl"
    manifest_path.write_text(json.dumps(manifest, indent=1))
    questions_path.write_text(json.dumps(questions) + "\n")
    log.info("haystack %s: %d s, %d needles, %d questions", video, total, len(needles), len(qa))
    return HaystackResult(video, manifest_path, questions_path, manifest, questions)
