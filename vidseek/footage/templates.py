"""The needle templates of the haystack builder, as data: spoken announcements and on-screen
signs, each with its question and its wrong options (see ``vidseek.footage.facts``).

The order of each table and of the slots inside a template is part of the seed's meaning: a seed
samples templates by position and draws slots in order.
"""

from __future__ import annotations

from vidseek.footage.facts import (
    Code,
    Derived,
    FactTemplate,
    Letters,
    LookAlikeCodes,
    Near,
    Number,
    Others,
    Pick,
    Values,
)
from vidseek.footage.vocab import (
    CITIES,
    COLOURS,
    FLIGHT_LETTERS,
    FLOORS,
    ITEMS,
    LOADS_KG,
    LOST_PLACES,
    OTHER_LOADS_KG,
    PLACES,
    ROOMS,
    SURNAMES,
    TEAMS,
    TITLES,
    TRAIN_MINUTES,
    VAN_PLACES,
    WIFI,
)


def lab_neighbours(values: Values) -> list[int]:
    """Lab numbers one would misread: +-10, the digits reversed, +1."""
    n = values["n"]
    rev = int(str(n)[::-1]) if str(n)[::-1][0] != "0" else n + 1
    return [k for k in {n + 10, n - 10, rev, n + 1} if k != n][:3]


def clock_neighbours(values: Values) -> list[str]:
    """Times one would confuse with hh:mm: half an hour later, an hour later, hours and minutes
    swapped."""
    hh, mm = values["hh"], values["mm"]
    t = f"{hh:02d}:{mm:02d}"
    swapped = f"{mm % 24:02d}:{hh:02d}"
    return [
        f"{hh:02d}:{(mm + 30) % 60:02d}",
        f"{(hh + 1) % 24:02d}:{mm:02d}",
        swapped if swapped != t else "12:00",
    ]


SPEECH_TEMPLATES: tuple[FactTemplate, ...] = (
    FactTemplate(
        name="shuttle",
        slots=(Pick("place", PLACES), Number("n", 2, 19)),
        text="Attention please. The shuttle to the {place} now leaves from bay {n}.",
        question="According to an announcement, from which bay does the shuttle to the {place} leave?",
        answer="Bay {n}",
        distractors=(Near("n", 1, 24, "Bay {x}"),),
        aliases=("{n}",),
        label="the announcement about the shuttle to the {place}",
    ),
    FactTemplate(
        name="desk",
        slots=(Pick("title", TITLES), Pick("surname", SURNAMES), Number("n", 2, 16)),
        text="Would {title} {surname} please come to reception desk {n}. "
        "{title} {surname}, to desk {n}.",
        question="To which reception desk is {title} {surname} asked to come?",
        answer="Desk {n}",
        distractors=(Near("n", 1, 20, "Desk {x}"),),
        aliases=("{n}",),
        label="the call for {title} {surname}",
    ),
    FactTemplate(
        name="locker",
        slots=(Pick("room", ROOMS), Code("code")),
        text="Please note, the new locker code for the {room} is {code:spell}.",
        question="What is the new locker code for the {room}?",
        answer="{code}",
        distractors=(LookAlikeCodes("code"),),
        aliases=("{code}", "{code:spaced}"),
        label="the announcement of the {room} locker code",
    ),
    FactTemplate(
        name="van",
        slots=(Pick("colour", COLOURS), Pick("place", VAN_PLACES)),
        text="Would the owner of the {colour} van parked by the {place} please move it.",
        question="According to an announcement, what colour is the van parked by the {place}?",
        answer="{colour:cap}",
        distractors=(Others("colour", COLOURS, "{x:cap}"),),
        aliases=("{colour}",),
        label="the announcement about a van by the {place}",
    ),
    FactTemplate(
        name="drill",
        slots=(Number("h", 1, 11),),
        text="Please be aware that today's fire drill starts at {h} o'clock.",
        question="At what time does today's fire drill start?",
        answer="{h} o'clock",
        distractors=(Near("h", 1, 12, "{x} o'clock"),),
        aliases=("{h}",),
        label="the fire drill announcement",
    ),
    FactTemplate(
        name="lost",
        slots=(Pick("item", ITEMS), Pick("place", LOST_PLACES)),
        text="The front desk has found a {item} near the {place}.",
        question="According to an announcement, what has been found near the {place}?",
        answer="A {item}",
        distractors=(Others("item", ITEMS, "A {x}"),),
        aliases=("{item}",),
        label="the lost property announcement",
    ),
    FactTemplate(
        name="flight",
        slots=(
            Letters("letters", FLIGHT_LETTERS, 2),
            Number("num", 120, 989),
            Pick("city", CITIES),
        ),
        text="Flight {letters:spaced} {num:spell} to {city} is now boarding.",
        question="Flight {letters}{num} is announced as boarding. Where is it going?",
        answer="{city}",
        distractors=(Others("city", CITIES),),
        aliases=("{city}",),
        label="the boarding call for flight {letters}{num}",
    ),
    FactTemplate(
        name="meeting",
        slots=(Pick("team", TEAMS), Pick("floor", FLOORS)),
        text="The {team} team meeting has moved to the {floor} floor.",
        question="To which floor has the {team} team meeting moved?",
        answer="The {floor} floor",
        distractors=(Others("floor", FLOORS, "The {x} floor"),),
        aliases=("{floor}",),
        label="the announcement about the {team} team meeting",
    ),
)

TEXT_TEMPLATES: tuple[FactTemplate, ...] = (
    FactTemplate(
        name="platform",
        slots=(Number("n", 2, 14),),
        text="PLATFORM {n} CLOSED",
        question="An on-screen sign says that a platform is closed. Which platform?",
        answer="Platform {n}",
        distractors=(Near("n", 1, 18, "Platform {x}"),),
        aliases=("{n}",),
        label="the on-screen sign PLATFORM {n} CLOSED",
    ),
    FactTemplate(
        name="lab",
        slots=(Number("n", 101, 489),),
        text="LAB {n} RESTRICTED",
        question="Which lab does an on-screen sign mark as restricted?",
        answer="Lab {n}",
        distractors=(Derived(lab_neighbours, "Lab {x}"),),
        aliases=("{n}",),
        label="the on-screen sign LAB {n} RESTRICTED",
    ),
    FactTemplate(
        name="wifi",
        slots=(Pick("word", WIFI), Number("n", 10, 99)),
        text="WIFI: {word}-{n}",
        question="What wifi network name is shown on screen?",
        answer="{word}-{n}",
        distractors=(Others("word", WIFI, "{x}-{n}", k=2), Near("n", 10, 99, "{word}-{x}", take=1)),
        aliases=("{word}-{n}", "{word}"),
        label="the on-screen wifi name {word}-{n}",
    ),
    FactTemplate(
        name="zone",
        slots=(Pick("colour", COLOURS),),
        text="{colour:upper} ZONE - STAFF ONLY",
        question="According to an on-screen sign, which zone is for staff only?",
        answer="The {colour} zone",
        distractors=(Others("colour", COLOURS, "The {x} zone"),),
        aliases=("{colour}",),
        label="the on-screen sign about the {colour} zone",
    ),
    FactTemplate(
        name="load",
        slots=(Pick("n", LOADS_KG),),
        text="MAX LOAD {n} KG",
        question="What maximum load is written on screen?",
        answer="{n} kg",
        distractors=(Others("n", OTHER_LOADS_KG, "{x} kg"),),
        aliases=("{n}",),
        label="the on-screen maximum load sign",
    ),
    FactTemplate(
        name="train",
        slots=(Number("hh", 6, 22), Pick("mm", TRAIN_MINUTES)),
        text="NEXT TRAIN {hh:02d}:{mm:02d}",
        question="When is the next train, according to the on-screen display?",
        answer="{hh:02d}:{mm:02d}",
        distractors=(Derived(clock_neighbours),),
        aliases=("{hh:02d}:{mm:02d}",),
        label="the on-screen next-train display",
    ),
    FactTemplate(
        name="checkout",
        slots=(Number("n", 2, 12),),
        text="CHECKOUT {n} OPEN",
        question="Which checkout does an on-screen sign say is open?",
        answer="Checkout {n}",
        distractors=(Near("n", 1, 15, "Checkout {x}"),),
        aliases=("{n}",),
        label="the on-screen sign CHECKOUT {n} OPEN",
    ),
)
