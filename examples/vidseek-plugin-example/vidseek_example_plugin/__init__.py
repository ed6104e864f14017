"""An example vidseek plug-in: two real tools, registered through the ``register_tools`` hook.

``scene_colour`` is declared from a typed function with ``@tool``; ``loudness`` subclasses ``Tool``
with its own argument model. Both receive the injected ``ToolContext`` (index, models, budgets),
which never appears in the schema the planner sees.
"""

from __future__ import annotations

import math
import subprocess
from typing import Annotated

import numpy as np
from pydantic import Field

from vidseek.tools.base import (
    Evidence,
    FrameRef,
    TimeRange,
    Tool,
    ToolArgs,
    ToolContext,
    ToolError,
    ToolResult,
    check_span,
    tool,
)
from vidseek.tools.hookspecs import hookimpl

# a small palette to name colours (nearest in RGB)
PALETTE = {
    "black": (0, 0, 0), "white": (255, 255, 255), "grey": (128, 128, 128),
    "dark grey": (64, 64, 64), "light grey": (192, 192, 192), "red": (200, 30, 30),
    "dark red": (110, 20, 20), "orange": (240, 140, 30), "yellow": (235, 220, 50),
    "brown": (120, 80, 40), "beige": (220, 200, 160), "green": (40, 160, 60),
    "dark green": (20, 80, 30), "olive": (128, 128, 40), "teal": (30, 130, 130),
    "blue": (40, 80, 200), "navy": (20, 30, 90), "sky blue": (130, 190, 235),
    "purple": (120, 50, 150), "pink": (235, 150, 190),
}  # fmt: skip


def colour_name(rgb: tuple[int, int, int]) -> str:
    return min(
        PALETTE, key=lambda n: sum((a - b) ** 2 for a, b in zip(PALETTE[n], rgb, strict=True))
    )


def dominant_colours(image: np.ndarray, k: int) -> list[tuple[tuple[int, int, int], float]]:
    """The ``k`` most common colours (4 levels per channel), as (mean RGB, share of pixels)."""
    pixels = image.reshape(-1, 3).astype(np.int32)
    bins = (pixels // 64) @ np.array([16, 4, 1])
    counts = np.bincount(bins, minlength=64)
    out = []
    for b in np.argsort(-counts, kind="stable")[:k]:
        if counts[b] == 0:
            break
        mean = pixels[bins == b].mean(axis=0)
        out.append((tuple(int(round(v)) for v in mean), float(counts[b] / len(pixels))))
    return out


@tool
def scene_colour(
    ctx: ToolContext,
    time_s: Annotated[float, Field(description="the moment to look at, seconds")],
    colours: Annotated[int, Field(ge=1, le=8, description="how many colours to report")] = 3,
) -> ToolResult:
    """Dominant colours of the frame at a moment, with their share of the picture. Cheap (one
    small frame, no model); use it for questions about the colour of a scene or its lighting."""
    duration = float(ctx.video.duration_s)
    if not math.isfinite(time_s) or not 0 <= time_s <= duration:
        raise ToolError(f"time_s={time_s} is outside the video (0 to {duration:.2f} s)")
    if ctx.budget.take_frames(1) < 1:
        raise ToolError("the frame budget of this run is spent")
    frame = ctx.index.frame_source().frames_at([min(time_s, duration - 1e-3)], max_side=256)[0]
    found = dominant_colours(frame.image, colours)
    parts = [f"{colour_name(rgb)} rgb{rgb} {share:.0%}" for rgb, share in found]
    return ToolResult(
        text=f"Dominant colours at {frame.time_s:.2f} s: " + ", ".join(parts) + ".",
        evidence=[Evidence(frame.time_s, min(frame.time_s + 1.0, duration), "colours measured")],
        frames=[FrameRef(frame.time_s, label="scene_colour")],
        frames_used=1,
        data={
            "time_s": frame.time_s,
            "colours": [
                {"name": colour_name(rgb), "rgb": list(rgb), "share": round(share, 4)}
                for rgb, share in found
            ],
        },
    )


class LoudnessArgs(ToolArgs):
    time_range: TimeRange = Field(description="the span to measure, [start_s, end_s]")


class Loudness(Tool):
    name = "loudness"
    description = (
        "Audio level of a span in dBFS (RMS and peak), and its loudest second. Use it to find "
        "shouting, music or silence; it does not say what is heard."
    )
    Args = LoudnessArgs

    def run(self, args: LoudnessArgs, ctx: ToolContext) -> ToolResult:
        start, end = (float(x) for x in args.time_range)
        duration = float(ctx.video.duration_s)
        check_span(start, end, duration)
        end = min(end, duration)
        if not ctx.video.has_audio:
            raise ToolError(f"{ctx.video.path} has no audio track")
        cmd = [
            "ffmpeg", "-v", "error", "-nostdin", "-ss", f"{start:.3f}", "-t", f"{end - start:.3f}",
            "-i", str(ctx.video.path), "-vn", "-ac", "1", "-ar", "16000", "-f", "s16le", "-",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, check=False, timeout=120)
        if proc.returncode != 0:
            raise ToolError(f"cannot read the audio: {proc.stderr.decode(errors='replace')[:200]}")
        samples = np.frombuffer(proc.stdout, dtype="<i2").astype(np.float64) / 32768.0
        if samples.size == 0:
            raise ToolError(f"no audio samples in [{start}, {end}]")

        def dbfs(x: np.ndarray) -> float:
            rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
            return 20 * math.log10(max(rms, 1e-10))

        per_second = [dbfs(samples[i : i + 16000]) for i in range(0, samples.size, 16000)]
        loudest = int(np.argmax(per_second))
        peak = 20 * math.log10(max(float(np.max(np.abs(samples))), 1e-10))
        t0 = start + loudest
        text = (
            f"Audio of [{start:.2f} s - {end:.2f} s]: RMS {dbfs(samples):.1f} dBFS, peak {peak:.1f} "
            f"dBFS; loudest second at {t0:.2f} s ({per_second[loudest]:.1f} dBFS)."
        )
        return ToolResult(
            text=text,
            evidence=[Evidence(t0, min(t0 + 1.0, end), "loudest second")],
            data={
                "rms_dbfs": round(dbfs(samples), 2),
                "peak_dbfs": round(peak, 2),
                "per_second_dbfs": [round(v, 2) for v in per_second],
                "loudest_at_s": t0,
            },
        )


@hookimpl
def register_tools(register) -> None:
    """vidseek calls this once per run; register every tool this package offers."""
    register(scene_colour)
    register(Loudness)
