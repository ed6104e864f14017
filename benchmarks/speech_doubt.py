"""Does the recognizer's doubt mark its mistakes? Whisper's word probabilities against the
announcements a haystack spoke, for the ``unsure`` threshold of the speech rows.

Each haystack's audio goes through the index's own speech stage call (``transcribe_video``) once
per threshold (``faster-whisper:...?unsure=T``), and every spoken needle sentence is scored by its
key words (numbers, colours, names: ``speech_score.key_words``), from the speech rows overlapping
the sentence (padded by ``--pad``):

- *right, flagged*: a key word heard right but listed as unsure. Each is a right answer that would
  lose the top confidence (chain_of_shot gives 0.6 to an answer stated only in unclear words).
- *missed, flagged*: a key word not heard (misheard or dropped) in a sentence whose rows list an
  unsure word: the mistake is marked. Missed, unflagged: a mishearing that could be answered
  confidently.
- the share of all transcribed words listed as unsure (how much doubt the threshold spreads).

    python benchmarks/speech_doubt.py --haystack ../shared/eval/dev10 --haystack .bench/hay30 \
        [--model faster-whisper:tiny.en?vad=1] [--thresholds 0.2,0.3,0.4]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from speech import read_manifest, spoken
from speech_score import key_words, normalise

from vidseek.config import Settings

console = Console(width=150)
log = logging.getLogger("bench.speech_doubt")


@dataclass
class Tally:
    threshold: float
    right: int = 0
    right_flagged: int = 0
    missed: int = 0
    missed_flagged: int = 0
    words: int = 0
    unsure_words: int = 0


def with_threshold(ref: str, threshold: float) -> str:
    return f"{ref}{'&' if '?' in ref else '?'}unsure={threshold:g}"


def tally(folder: Path, segments: list, pad: float, t: Tally) -> None:
    """Adds one haystack's speech rows, scored against its spoken needles, to ``t``."""
    _, manifest = read_manifest(folder)
    t.words += sum(len(normalise(s.text)) for s in segments)
    t.unsure_words += sum(len(s.unsure) for s in segments)
    for sid, kind, start, end, text in spoken(manifest):
        if kind != "needle":
            continue
        rows = [s for s in segments if s.start_s < end + pad and start - pad < s.end_s]
        heard = set(normalise(" ".join(s.text for s in rows)))
        doubtful = set(normalise(" ".join(w for s in rows for w in s.unsure)))
        for key in key_words(text):
            if key in heard:
                t.right += 1
                t.right_flagged += key in doubtful
                if key in doubtful:
                    log.info("%s %s: %r heard right but unsure", folder.name, sid, key)
            else:
                t.missed += 1
                t.missed_flagged += bool(doubtful)
                log.info("%s %s: %r not heard (unsure: %s)", folder.name, sid, key, doubtful)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--haystack", type=Path, action="append", required=True)
    ap.add_argument("--model", default=None, help="speech model ref (default: the settings')")
    ap.add_argument("--thresholds", default="0.2,0.3,0.4")
    ap.add_argument("--pad", type=float, default=1.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("faster_whisper", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    from vidseek.memory.pipeline.speech import transcribe_video
    from vidseek.models.loader import load_speech_recognizer

    settings = Settings()
    model = args.model or settings.models.speech
    tallies = []
    with tempfile.TemporaryDirectory(prefix="vidseek-doubt-") as tmp:
        for threshold in [float(x) for x in args.thresholds.split(",") if x.strip()]:
            recognizer = load_speech_recognizer(with_threshold(model, threshold), settings)
            t = Tally(threshold)
            for folder in args.haystack:
                video, _ = read_manifest(folder)
                segments = transcribe_video(video, Path(tmp) / "audio.wav", recognizer)
                tally(folder, segments, args.pad, t)
            tallies.append(t)

    table = Table(title=f"key words of the spoken needles, {model}")
    for col in (
        "unsure below",
        "heard right",
        "right, flagged (would lose 0.9)",
        "missed",
        "missed, flagged",
        "words flagged",
    ):
        table.add_column(col, justify="right")
    for t in tallies:
        table.add_row(
            f"{t.threshold:g}",
            str(t.right),
            f"{t.right_flagged} ({t.right_flagged / max(t.right, 1):.0%})",
            str(t.missed),
            f"{t.missed_flagged}/{t.missed}",
            f"{t.unsure_words}/{t.words} ({t.unsure_words / max(t.words, 1):.1%})",
        )
    console.print(table)


if __name__ == "__main__":
    main()
