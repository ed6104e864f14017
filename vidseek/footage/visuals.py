"""Visual needles: a clip or a still photograph spliced into a haystack whole, with what a
question may ask about it. ``sample_visuals`` makes them from the registry samples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vidseek.config import Settings
from vidseek.progress import ProgressSink

IMAGE_EXT = {".jpg", ".jpeg", ".png"}


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


@dataclass(frozen=True)
class VisualEntry:
    """What a question may say about one registry sample (see ``VISUAL_CATALOGUE``)."""

    label: str
    question: str
    options: tuple[str, ...]  # the first option is the correct one
    aliases: tuple[str, ...]


VISUAL_CATALOGUE: dict[str, VisualEntry] = {
    "butterfly": VisualEntry(
        "a photograph of a butterfly",
        "A still picture shows an insect with black and white wings. What insect is it?",
        ("A butterfly", "A beetle", "A grasshopper", "A wasp"),
        ("butterfly",),
    ),
    "dog": VisualEntry(
        "a photograph of a small dog",
        "A still picture of a pet with its mouth open appears. What animal is it?",
        ("A dog", "A rabbit", "A parrot", "A hamster"),
        ("dog",),
    ),
    "sweets": VisualEntry(
        "a picture of colourful round sweets",
        "A still picture shows small round objects on a white background. What are they?",
        ("Colourful sweets", "Glass marbles", "Coins", "Buttons"),
        ("sweets", "candy"),
    ),
    "mandrill": VisualEntry(
        "a close-up of a mandrill's face",
        "A close-up of an animal's face with a red nose and blue cheeks appears. "
        "Which animal is it?",
        ("A mandrill", "A parrot", "A tiger", "A lizard"),
        ("mandrill", "baboon"),
    ),
    "painting": VisualEntry(
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
    "fish": VisualEntry(
        "a cartoon drawing of a fish",
        "A cartoon drawing of an animal appears. Which animal is it?",
        ("A fish", "A bird", "A cat", "A frog"),
        ("fish",),
    ),
    "fruits": VisualEntry(
        "a close-up photograph of cut fruit",
        "A close-up photograph of food appears. What food is it?",
        ("Cut citrus fruits", "Sliced bread", "Grilled vegetables", "A chocolate cake"),
        ("citrus", "fruit", "oranges"),
    ),
    "box": VisualEntry(
        "a hand holding a printed cardboard box",
        "Someone holds up a cardboard box with printed pictures on it. What colour is most "
        "of the box?",
        ("Yellow", "Green", "Brown", "Purple"),
        ("yellow",),
    ),
    "cup": VisualEntry(
        "a hand holding a black travel mug",
        "A hand holds up a drinking container against a white wall. What is it?",
        ("A black travel mug", "A glass of water", "A red drinks can", "A white coffee cup"),
        ("travel mug", "mug", "thermos"),
    ),
}


def sample_visuals(settings: Settings, progress: ProgressSink | None = None) -> list[VisualSpec]:
    """Visual needles from the registry samples: the photographs and the box / cup clips."""
    from vidseek.footage.samples import fetch_samples, sample_images

    paths = {**sample_images(settings, progress), **fetch_samples(settings, progress)}
    return [
        VisualSpec(name, paths[name], e.label, e.question, e.options, e.aliases)
        for name, e in VISUAL_CATALOGUE.items()
        if name in paths
    ]
