"""Formatting shared by every layer: a time as mm:ss and text squeezed onto one line.

A leaf module (it imports nothing from vidseek), so the tools, the index and the CLI write times
and snippets the same way."""

from __future__ import annotations


def mmss(t: float, digits: int = 2) -> str:
    """``t`` seconds as mm:ss with ``digits`` decimals ("01:05.30"); minutes grow past 59."""
    minutes, seconds = divmod(round(max(0.0, float(t)), digits), 60)
    width = 3 + digits if digits else 2
    return f"{int(minutes):02d}:{seconds:0{width}.{digits}f}"


def one_line(text: str | None, limit: int = 160) -> str:
    """``text`` with its whitespace collapsed, cut to ``limit`` characters with an ellipsis."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
