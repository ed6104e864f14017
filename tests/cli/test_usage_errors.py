"""Usage errors of every command print the usage line and exit 2 (typer raises its bundled click's
errors, which the entry point must recognise); nothing is indexed or written first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vidseek.cli import main

CASES = [
    (["probe"], "probe", "Missing argument"),
    (["probe", "a.mp4", "--bogus"], "probe", "No such option: --bogus"),
    (["shots", "a.mp4", "--fps", "0"], "shots", "--fps"),
    (["shots"], "shots", "Missing argument"),
    (["doctor", "--bogus"], "doctor", "No such option"),
    (["samples", "fetch", "--bogus"], "samples fetch", "No such option"),
    (["samples", "haystack", "--minutes", "3"], "samples haystack", "No such option"),
    (["samples", "nope"], "samples", "No such command"),
    (["index"], "index", "Missing argument"),
    (["index", "a.mp4", "--bogus"], "index", "No such option"),
    (["search", "a.mp4"], "search", "say what to look for"),
    (["search", "a.mp4", "cars", "-g", "frame"], "search", "'frame' is not one of"),
    (["search", "a.mp4", "cars", "-k", "0"], "search", "--top-k"),
    (["search", "a.mp4", "   "], "search", "the query is empty"),
    (["search", "a.mp4", "cars", "--bogus"], "search", "No such option"),
    (["info", "--bogus"], "info", "No such option"),
    (["info", "a", "b"], "info", "unexpected extra argument"),
    (["remove"], "remove", "Missing argument"),
    (["tools"], "tools", ""),
    (["tools", "list", "--bogus"], "tools list", "No such option"),
    (["tools", "describe"], "tools describe", "Missing argument"),
    (["tools", "call", "search_speech"], "tools call", "Missing argument"),
    (["ask", "a.mp4"], "ask", "Missing argument 'question'"),
    (["ask", "a.mp4", ""], "ask", "the question is empty"),
    (["ask", "a.mp4", "why?", "--max-steps", "0"], "ask", "--max-steps"),
    (["chat"], "chat", "Missing argument"),
    (["demo", "--bogus"], "demo", "No such option"),
    (["scenarios", "make-haystack"], "scenarios make-haystack", "Missing argument"),
    (
        ["scenarios", "make-haystack", "out", "--minutes", "ten"],
        "scenarios make-haystack",
        "--minutes",
    ),
    (["run"], "run", "Missing argument"),
    (["run", "dev10", "--limit", "0"], "run", "--limit"),
    (["report"], "report", "Missing argument"),
    (["compare", "a.jsonl"], "compare", "Missing argument"),
    (["compare", "a.jsonl", "b.jsonl", "--n-boot", "0"], "compare", "--n-boot"),
    (["nosuchcommand"], "", "No such command 'nosuchcommand'"),
    (["--data-dir"], "", "requires an argument"),
]


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv, command, needle", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_usage_error_prints_usage_and_exits_2(capsys, tmp_path, argv, command, needle) -> None:
    data = tmp_path / "data"
    code, out, err = _run(capsys, ["--data-dir", str(data), *argv])
    assert code == 2, (code, out, err)
    text = out + err
    usage = f"Usage: vidseek {command}".rstrip()
    assert usage in text, text
    assert needle in text, text
    assert "Traceback" not in text and "NoSuchOption" not in text and "BadParameter" not in text
    assert not data.exists() or not any(data.rglob("*.sqlite3"))  # nothing was opened or indexed


def test_remove_without_yes_and_no_terminal_is_a_usage_error(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "vidseek.cli", "--data-dir", str(tmp_path), "remove", "abc"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 2, proc.stderr
    assert "Usage: vidseek remove" in proc.stderr and "--yes" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_hints_name_only_commands_that_exist() -> None:
    """Error texts that suggest a command must suggest one that exists (no `info --all`)."""
    root = Path(__file__).resolve().parents[2] / "vidseek"
    hints = [p for p in root.rglob("*.py") if "info --all" in p.read_text(encoding="utf-8")]
    assert hints == []


def test_a_failing_doctor_exits_1_not_0(capsys, monkeypatch) -> None:
    """typer.Exit(1) inside a command reaches the shell (typer returns it in non-standalone mode)."""
    import vidseek.doctor as doctor

    class Check:
        ok, required, name, kind, detail, how_to_fix = False, True, "ffmpeg", "tool", "-", "-"

    monkeypatch.setattr(doctor, "run_doctor", lambda settings: [Check()])
    code, out, _ = _run(capsys, ["doctor"])
    assert code == 1 and "MISSING" in out
