"""The subject registry: people and things that recur across a video, under one canonical name.

Captions arrive one clip at a time; each caption's subject names are merged into the registry as they
come (no whole-video merge call), and the caption is rewritten to use the canonical names, so that
"the man in the red jacket" in minute 3 and "man in red jacket" in minute 40 are one subject.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from vidseek.models.base import ClipCaption

_WORD = re.compile(r"[0-9a-z]+")
_ARTICLES = frozenset({"a", "an", "the", "this", "that", "some"})


def subject_key(name: str) -> str:
    """Normalised form used for matching: lower case, no punctuation, no leading article, and a
    trailing plural 's' dropped from the last word ('The dogs' -> 'dog')."""
    words = _WORD.findall(name.lower())
    while words and words[0] in _ARTICLES:
        words = words[1:]
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


@dataclass
class Subject:
    """One entity: canonical ``name``, the other ``aliases`` it was called, where it was seen."""

    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    first_seen_s: float = 0.0
    last_seen_s: float = 0.0
    mentions: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Subject:
        return cls(**data)


class SubjectRegistry:
    """Incremental merge of subject names. Matching: same normalised key, a known alias, or a fuzzy
    match (``similarity``) between keys; the first spelling seen becomes the canonical name."""

    def __init__(self, video_id: str = "", similarity: float = 0.86) -> None:
        self.video_id = video_id
        self.similarity = similarity
        self.subjects: list[Subject] = []
        self._by_key: dict[str, Subject] = {}

    def __len__(self) -> int:
        return len(self.subjects)

    def names(self) -> list[str]:
        return [s.name for s in self.subjects]

    def find(self, name: str) -> Subject | None:
        """The subject that ``name`` refers to, or None."""
        key = subject_key(name)
        if not key:
            return None
        if key in self._by_key:
            return self._by_key[key]
        best, best_ratio = None, self.similarity
        for known_key, subject in self._by_key.items():
            ratio = difflib.SequenceMatcher(None, known_key, key).ratio()
            if ratio >= best_ratio:
                best, best_ratio = subject, ratio
        return best

    def merge(self, names: Iterable[str], start_s: float, end_s: float) -> list[str]:
        """Record ``names`` seen in [start_s, end_s]; returns their canonical names (in order, once)."""
        out: list[str] = []
        for raw in names:
            name = " ".join(str(raw).split())
            key = subject_key(name)
            if not key:
                continue
            subject = self.find(name)
            if subject is None:
                subject = Subject(
                    id=f"{self.video_id}:subject:{len(self.subjects):04d}",
                    name=name,
                    first_seen_s=start_s,
                    last_seen_s=end_s,
                )
                self.subjects.append(subject)
            elif name != subject.name and name not in subject.aliases:
                subject.aliases.append(name)
            self._by_key[key] = subject
            subject.first_seen_s = min(subject.first_seen_s, start_s)
            subject.last_seen_s = max(subject.last_seen_s, end_s)
            subject.mentions += 1
            if subject.name not in out:
                out.append(subject.name)
        return out

    def canonicalize(self, caption: ClipCaption, start_s: float, end_s: float) -> ClipCaption:
        """Merge the caption's subjects and rewrite it with canonical names (aliases replaced in
        the description too)."""
        raw = list(caption.subjects)
        caption.subjects = self.merge(raw, start_s, end_s)
        for name in raw:
            subject = self.find(name)
            if subject is not None and name != subject.name and name.strip():
                caption.description = re.sub(
                    rf"\b{re.escape(name.strip())}\b",
                    subject.name,
                    caption.description,
                    flags=re.IGNORECASE,
                )
        return caption

    # -- persistence (the builder checkpoints the registry beside the captions) -------------------
    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.subjects]

    @classmethod
    def from_list(
        cls, items: Sequence[dict[str, Any]], video_id: str = "", similarity: float = 0.86
    ) -> SubjectRegistry:
        reg = cls(video_id, similarity)
        for item in items:
            subject = Subject.from_dict(item)
            reg.subjects.append(subject)
            for name in [subject.name, *subject.aliases]:
                reg._by_key[subject_key(name)] = subject
        return reg
