"""On-screen text recall and cost per OCR configuration, on the signs a haystack planted.

For every on-screen-text needle of each haystack (a ``vidseek scenarios make-haystack`` folder,
or ``../shared/eval/dev10``) the frames of its span and a few seconds either side are decoded at
the index's OCR rate and read by each recognizer configuration in time order (so a gated reader
sees the sign appear). A needle is *read* when every word of its text is in the lines of one frame
inside its span. The same configurations also read windows of filler at seeded random times: the
lines they find there that hold no needle word are the *junk* rate (lines per filler frame), and
the seconds per frame are the cost. The baseline in the same run is the first configuration.

    python benchmarks/ocr.py --haystack ../shared/eval/dev10 --haystack .bench/hay30 \
        --refs "tesseract:eng,tesseract:eng?psm=3,tesseract:eng?psm=3&gate=1"

Measured on dev10 + a 30-minute seeded haystack (16 signs), 2 cores: see the README's "Indexing
speed" section for the figures that chose the default.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import statistics
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vidseek.config import Settings

console = Console(width=150)
_WORD = re.compile(r"[a-z0-9]+")
PAD_S = 3.0  # seconds read before and after each sign


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def read_manifest(where: Path) -> tuple[Path, dict[str, Any]]:
    """A haystack's video and manifest, from its folder or its manifest file (the demo's)."""
    path = where / "manifest.json" if where.is_dir() else where
    manifest = json.loads(path.read_text())
    return path.parent / manifest.get("video", "haystack.mp4"), manifest


def sign_needles(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The on-screen-text needles of a haystack: text and span."""
    out = []
    for needle in manifest.get("needles", []):
        if needle.get("kind") not in ("ocr", "screen_text") or not needle.get("text"):
            continue
        spans = [
            [needle.get("start_s", needle.get("start")), needle.get("end_s", needle.get("end"))]
        ]
        for start, end in spans:
            out.append({"text": needle["text"], "start_s": float(start), "end_s": float(end)})
    return out


def decode_window(video: Path, start: float, end: float, fps: float, settings: Settings) -> list:
    from vidseek.media.parallel import iter_frame_batches
    from vidseek.media.probe import probe

    info = probe(video, settings)
    times = [t / fps for t in range(int(max(start, 0) * fps), int(min(end, info.duration_s) * fps))]
    return [
        f
        for batch in iter_frame_batches(
            video, times, settings, batch_size=64, max_side=settings.media.max_side, info=info
        )
        for f in batch
    ]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--haystack", type=Path, action="append", required=True, help="folder or manifest file"
    )
    ap.add_argument("--refs", default="tesseract:eng,tesseract:eng?psm=3")
    ap.add_argument("--filler-windows", type=int, default=6, help="filler windows per haystack")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from vidseek.models.ocr import TesseractRecognizer
    from vidseek.models.refs import parse_ref

    settings = Settings(data_dir=Path("/tmp/vidseek-ocr-bench"))
    fps = settings.index.ocr_fps
    refs = [r for r in args.refs.split(",") if r]
    rng = random.Random(args.seed)
    windows: list[tuple[str, dict[str, Any] | None, list]] = []  # (haystack, needle|None, frames)
    for folder in args.haystack:
        video, manifest = read_manifest(folder)
        needles = sign_needles(manifest)
        for n in needles:
            frames = decode_window(video, n["start_s"] - PAD_S, n["end_s"] + PAD_S, fps, settings)
            windows.append((folder.name, n, frames))
        busy = [(n["start_s"] - 10, n["end_s"] + 10) for n in needles]
        for _ in range(args.filler_windows):
            for _try in range(50):
                t = rng.uniform(0, float(manifest["duration_s"]) - 10)
                if not any(s < t + 10 and t < e for s, e in busy):
                    break
            windows.append((folder.name, None, decode_window(video, t, t + 10, fps, settings)))
    all_words = set().union(*(words(n["text"]) for _, n, _ in windows if n)) if windows else set()
    rows = []
    for ref in refs:
        reader = TesseractRecognizer(parse_ref(ref), settings)
        read, signs, junk, filler_frames, seconds, frames_n = 0, 0, 0, 0, 0.0, 0
        missed: list[str] = []
        delays: list[float] = []
        for _name, needle, frames in windows:
            if getattr(reader, "gated", None) is not None:
                reader.gated.reset()
            t0 = time.perf_counter()
            out = reader.read([f.image for f in frames], [f.time_s for f in frames])
            seconds += time.perf_counter() - t0
            frames_n += len(frames)
            if needle is None:
                filler_frames += len(frames)
                junk += sum(1 for lines in out for ln in lines if not words(ln.text) & all_words)
                continue
            signs += 1
            want = words(needle["text"])
            seen = [
                f.time_s
                for f, lines in zip(frames, out, strict=True)
                if needle["start_s"] - 0.5 <= f.time_s <= needle["end_s"] and lines
                if want <= set().union(*(words(ln.text) for ln in lines))
            ]
            ok = bool(seen)
            if ok:
                delays.append(max(0.0, seen[0] - needle["start_s"]))
            read += ok
            if not ok:
                missed.append(needle["text"])
        rows.append(
            {
                "ref": ref,
                "signs read": f"{read}/{signs}",
                "junk lines / filler frame": round(junk / max(filler_frames, 1), 3),
                "s / frame": round(seconds / max(frames_n, 1), 3),
                "first read after (median s)": round(statistics.median(delays), 2)
                if delays
                else None,
                "missed": missed,
            }
        )
    base = rows[0]["s / frame"] if rows else 0
    table = Table(title=f"OCR on planted signs ({fps:g} fps, {len(windows)} windows)")
    cols = ("ref", "signs read", "first read after (median s)", "junk lines / filler frame")
    for col in (*cols, "s / frame", "cost vs first"):
        table.add_column(col)
    for r in rows:
        ratio = f"{r['s / frame'] / base:.2f}x" if base else "-"
        table.add_row(*(str(r[c]) for c in cols), str(r["s / frame"]), ratio)
    console.print(table)
    for r in rows:
        if r["missed"]:
            console.print(f"{r['ref']} missed: {', '.join(r['missed'])}")
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
