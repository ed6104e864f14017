"""Speech recognizers measured on the announcements a haystack spoke: word error, key words, cost.

Every speech needle (and distractor sentence) of each haystack (a ``vidseek scenarios
make-haystack`` folder, or ``../shared/eval/dev10``) is heard by each model in two contexts:

- *window*: the audio [start - pad, end + pad] cut with ffmpeg and transcribed alone through the
  index's own call (``vidseek.memory.stages.transcribe``: word-aligned, the reference's options);
- *track*: the haystack's audio from its start (``--track-s`` seconds, default all of it) through
  the index's speech stage call (``transcribe_video``: audio extraction + transcription, the model
  already loaded), and the words whose middle falls in [start - pad, end + pad] kept. This is what
  the index stores: Whisper's 30 s windows fall wherever they fall, mid-sentence included. Its
  wall time is the index cost (audio seconds per wall second), and the words it writes outside any
  spoken sentence are counted as junk (per minute of track).

Scored per model (``speech_score``): word error rate on the needle sentences (all edits over all
words, and the median sentence), key-word recall (numbers, colours, names), sentences heard
exactly; the distractor sentences' word error beside it. Ratios are against the first model of the
same run.

    python benchmarks/speech.py --haystack ../shared/eval/dev10 --haystack .bench/hay30 \
        --models "faster-whisper:tiny.en,faster-whisper:base?language=en&beam_size=1"

Measured on dev10 + a 30-minute haystack, 2 shared cores: see the README's "Speech recognition"
paragraph for the figures that chose the default.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from speech_score import Score, key_recall, normalise, score, total_wer

from vidseek.config import Settings

console = Console(width=170)
log = logging.getLogger("bench.speech")


@dataclass(frozen=True)
class Sentence:
    """One spoken sentence of a haystack and its cut audio window."""

    haystack: str
    id: str
    kind: str  # "needle" or "distractor"
    start_s: float
    end_s: float
    text: str
    wav: Path


@dataclass
class Heard:
    sentence: Sentence
    text: str
    score: Score


@dataclass
class ModelResult:
    ref: str
    load_s: float = 0.0
    window: list[Heard] = field(default_factory=list)
    track: list[Heard] = field(default_factory=list)
    speeds: list[float] = field(default_factory=list)  # audio-s per wall-s of each track pass
    junk_words: int = 0
    track_s: float = 0.0

    def needles(self, context: str) -> list[Score]:
        rows = self.window if context == "window" else self.track
        return [h.score for h in rows if h.sentence.kind == "needle"]

    def distractors(self, context: str) -> list[Score]:
        rows = self.window if context == "window" else self.track
        return [h.score for h in rows if h.sentence.kind == "distractor"]


def read_manifest(where: Path) -> tuple[Path, dict[str, Any]]:
    path = where / "manifest.json" if where.is_dir() else where
    manifest = json.loads(path.read_text())
    return path.parent / manifest.get("video", "haystack.mp4"), manifest


def spoken(manifest: dict[str, Any]) -> list[tuple[str, str, float, float, str]]:
    """(id, kind, start, end, text) of every speech needle and distractor sentence."""
    out = []
    for n in manifest.get("needles", []):
        if n.get("kind") == "speech" and n.get("text"):
            nid = f"{n['id']}#{n.get('instance', 0)}"
            out.append((nid, "needle", float(n["start"]), float(n["end"]), n["text"]))
    for n in manifest.get("distractor_speech", []):
        if n.get("text"):
            out.append((n["id"], "distractor", float(n["start"]), float(n["end"]), n["text"]))
    return sorted(out, key=lambda s: s[2])


def cut_wav(video: Path, start: float, length: float, out: Path) -> Path:
    """16 kHz mono WAV of ``video``'s audio from ``start`` for ``length`` seconds."""
    from vidseek.media.ffmpeg import run_tool

    run_tool(
        ["ffmpeg", "-v", "error", "-y", "-ss", f"{max(start, 0.0):.3f}", "-i", video]
        + ["-t", f"{length:.3f}", "-map", "0:a:0", "-vn", "-ac", "1", "-ar", "16000"]
        + ["-c:a", "pcm_s16le", out],
        video,
    )
    return out


def words_in(segments: list[Any], start: float, end: float) -> str:
    """The transcript's words whose middle lies in [start, end), in time order."""
    return " ".join(w for seg in segments for a, b, w in seg.words if start <= (a + b) / 2 < end)


def junk_words(segments: list[Any], spans: list[tuple[float, float]]) -> int:
    """Words written outside every spoken sentence's padded span (hallucinated on music,
    noise or silence)."""
    count = 0
    for seg in segments:
        for a, b, w in seg.words:
            mid = (a + b) / 2
            if not any(s <= mid < e for s, e in spans):
                count += len(normalise(w))
    return count


def run(args: argparse.Namespace, tmp: Path) -> list[ModelResult]:
    from vidseek.memory import stages as S
    from vidseek.memory.pipeline.speech import transcribe_video
    from vidseek.models.loader import load_speech_recognizer

    settings = Settings()
    sentences: list[Sentence] = []
    tracks: list[tuple[str, Path, float]] = []  # (haystack, video, seconds transcribed)
    for folder in args.haystack:
        video, manifest = read_manifest(folder)
        duration = float(manifest["duration_s"])
        for i, (sid, kind, start, end, text) in enumerate(spoken(manifest)):
            a = max(0.0, start - args.pad)
            wav = cut_wav(
                video, a, min(end + args.pad, duration) - a, tmp / f"{folder.name}-{i}.wav"
            )
            sentences.append(Sentence(folder.name, sid, kind, start, end, text, wav))
        length = min(args.track_s, duration) if args.track_s > 0 else duration
        tracks.append((folder.name, video, length))
    results: list[ModelResult] = []
    for ref in args.models:
        result = ModelResult(ref)
        recognizer = load_speech_recognizer(ref, settings)
        t0 = time.perf_counter()
        if sentences:  # the first call loads the model (an index pays it once per process)
            S.transcribe(str(sentences[0].wav), recognizer)
        result.load_s = time.perf_counter() - t0
        for s in sentences:
            heard = " ".join(seg.text.strip() for seg in S.transcribe(str(s.wav), recognizer))
            result.window.append(Heard(s, heard, score(s.text, heard)))
        for name, video, length in tracks:
            t0 = time.perf_counter()
            segments = transcribe_video(video, tmp / "stage-audio.wav", recognizer, length)
            wall = time.perf_counter() - t0
            result.speeds.append(length / wall)
            result.track_s += length
            log.info("%s on %s: %.0f s of audio in %.1f s", ref, name, length, wall)
            inside = [s for s in sentences if s.haystack == name and s.end_s <= length]
            spans = [(s.start_s - args.pad, s.end_s + args.pad) for s in inside]
            result.junk_words += junk_words(segments, spans)
            for s in inside:
                heard = words_in(segments, s.start_s - args.pad, s.end_s + args.pad)
                result.track.append(Heard(s, heard, score(s.text, heard)))
        results.append(result)
    return results


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


def _summary(r: ModelResult, context: str) -> dict[str, Any]:
    scores = r.needles(context)
    return {
        "needles": len(scores),
        "wer": round(total_wer(scores), 4),
        "median_sentence_wer": round(statistics.median(s.wer for s in scores), 4) if scores else 0,
        "exact": sum(s.errors == 0 for s in scores),
        "keys_found": sum(s.keys_found for s in scores),
        "keys": sum(s.keys for s in scores),
        "key_recall": round(key_recall(scores), 4),
        "distractor_wer": round(total_wer(r.distractors(context)), 4),
        "missed_keys": sorted({k for s in scores for k in s.missed}),
    }


def report(results: list[ModelResult], args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        rows.append(
            {
                "model": r.ref,
                "window": _summary(r, "window"),
                "track": _summary(r, "track"),
                "speed_x": round(statistics.median(r.speeds), 2) if r.speeds else 0.0,
                "speeds": [round(v, 2) for v in r.speeds],
                "junk_words_per_min": round(r.junk_words / (r.track_s / 60), 2) if r.track_s else 0,
                "load_s": round(r.load_s, 2),
            }
        )
    if not rows:
        return rows
    base = rows[0]
    names = ", ".join(p.name for p in args.haystack)
    table = Table(title=f"Speech on the needle sentences of {names}")
    cols = ["model", "context", "needle WER", "vs first", "median sentence WER", "exact"]
    cols += ["key words", "distractor WER", "junk words / min", "audio-s / wall-s", "cost vs first"]
    for col in cols:
        table.add_column(col, no_wrap=col in ("model", "context"))
    for row in rows:
        for context in ("window", "track"):
            s, b = row[context], base[context]
            is_track = context == "track"
            table.add_row(
                row["model"],
                "alone" if context == "window" else "index pass",
                f"{s['wer']:.3f}",
                _ratio(s["wer"], b["wer"]),
                f"{s['median_sentence_wer']:.3f}",
                f"{s['exact']}/{s['needles']}",
                f"{s['keys_found']}/{s['keys']} ({s['key_recall']:.0%})",
                f"{s['distractor_wer']:.3f}",
                f"{row['junk_words_per_min']:.1f}" if is_track else "",
                f"{row['speed_x']:.1f}" if is_track else "",
                _ratio(base["speed_x"], row["speed_x"]) if is_track else "",
            )
    console.print(table)
    detail = Table(title="Needle sentences as heard in the index's pass (sentence WER)")
    detail.add_column("needle")
    detail.add_column("reference")
    for r in results:
        detail.add_column(r.ref)
    for i, h in enumerate(results[0].track):
        if h.sentence.kind != "needle":
            continue
        heard = [f"{r.track[i].text} ({r.track[i].score.wer:.2f})" for r in results]
        detail.add_row(f"{h.sentence.haystack}:{h.sentence.id}", h.sentence.text, *heard)
    console.print(detail)
    for row in rows:
        console.print(
            f"{row['model']}: track speeds {row['speeds']} (audio-s / wall-s), load "
            f"{row['load_s']} s; key words missed alone: "
            f"{', '.join(row['window']['missed_keys']) or 'none'}; in the index's pass: "
            f"{', '.join(row['track']['missed_keys']) or 'none'}"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--haystack", type=Path, action="append", required=True, help="folder or manifest file"
    )
    ap.add_argument(
        "--models", default="faster-whisper:tiny.en,faster-whisper:base?language=en&beam_size=1"
    )
    ap.add_argument("--pad", type=float, default=2.0, help="seconds kept before and after")
    ap.add_argument(
        "--track-s", type=float, default=0.0, help="seconds of each track transcribed (0: all)"
    )
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args()
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("faster_whisper", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="vidseek-speech-") as tmp:
        results = run(args, Path(tmp))
    rows = report(results, args)
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
