"""A scenario loader and a command, registered through vidseek's plug-in hooks: questions about
your own videos written in a spreadsheet (CSV), so ``vidseek run`` can answer and score them.

CSV columns: ``qid``, ``video`` (a path, relative to the video root, by default the CSV's folder),
``question``, ``options`` (``|``-separated; empty for an open question), ``answer`` (the option
letter, or the answer text of an open question), ``start_s`` and ``end_s`` (where the answer is, in
seconds; optional).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from vidseek.plugins import hookimpl
from vidseek.scenarios.loaders.common import DatasetError
from vidseek.scenarios.records import QARecord

NAME = "questions-csv"
COLUMNS = ("qid", "video", "question", "options", "answer")
LETTERS = "ABCDEFGHIJ"


def _span(row: dict[str, str], where: str) -> list[tuple[float, float]]:
    start, end = (row.get("start_s") or "").strip(), (row.get("end_s") or "").strip()
    if not start and not end:
        return []
    try:
        return [(float(start), float(end))]
    except ValueError:
        raise DatasetError(
            where, f"start_s / end_s must be numbers, not {start!r} / {end!r}"
        ) from None


def load(path: Path, video_root: Path | None, **options: Any) -> list[QARecord]:
    """The questions of one CSV file (``path``), videos resolved under ``video_root``."""
    if options:
        raise DatasetError(path, f"{NAME} takes no options (got {', '.join(options)})")
    if not path.is_file():
        raise DatasetError(path, "no such CSV file")
    root = video_root if video_root is not None else path.parent
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(path, f"missing column(s) {', '.join(missing)}")
        records = []
        for line, row in enumerate(reader, start=2):
            where = f"{path}:{line}"
            opts = [o.strip() for o in (row["options"] or "").split("|") if o.strip()]
            answer = (row["answer"] or "").strip()
            if opts and answer not in LETTERS[: len(opts)]:
                raise DatasetError(where, f"answer {answer!r} is not one of the option letters")
            video = root / row["video"].strip()
            records.append(
                QARecord(
                    qid=row["qid"].strip(),
                    dataset=NAME,
                    video_id=video.stem,
                    video_path=video if video.is_file() else None,
                    question=row["question"].strip(),
                    options=opts,
                    answer=answer if opts else None,
                    answer_text=None if opts else answer,
                    gt_spans_s=_span(row, where),
                    task_types=["multiple-choice" if opts else "open"],
                )
            )
    return records


@hookimpl
def register_scenario_loaders(register) -> None:
    """``dataset: questions-csv`` in a scenario file now reads a CSV of questions."""
    register(NAME, load, aliases=("csv",))


@hookimpl
def register_commands(cli) -> None:
    """``vidseek questions-csv check FILE``: read a questions CSV and say what it holds."""
    import typer

    app = typer.Typer(help="Questions about your own videos, written in a CSV file.")

    @app.command("check")
    def check(path: Path, video_root: Path | None = None) -> None:
        """Read a questions CSV and count its questions, options and missing videos."""
        records = load(path, video_root)
        missing = sorted({r.video_id for r in records if r.video_path is None})
        choice = sum(1 for r in records if r.options)
        typer.echo(f"{len(records)} questions ({choice} multiple-choice) in {path.name}")
        for video in missing:
            typer.echo(f"missing video: {video}")

    cli.add_typer(app, name=NAME)
