"""What the VLM backends share: JSON schemas of captions and looks, prompt loading, frames as JPEG
data URLs, parsing of JSON replies, and the span's cheap channels as quoted text."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
from PIL import Image

from vidseek.models.base import VisualContext
from vidseek.models.metadata import MetadataCaptioner
from vidseek.prompts import load_prompt as load_prompt_text  # noqa: F401 - the models' name for it

CAPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "subjects": {"type": "array", "items": {"type": "string"}},
        "objects": {"type": "array", "items": {"type": "string"}},
        "actions": {"type": "array", "items": {"type": "string"}},
        "screen_text": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["description", "subjects", "objects", "actions", "screen_text"],
    "additionalProperties": False,
}
LOOK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "found": {"type": "boolean"},
        "evidence_times_s": {"type": "array", "items": {"type": "number"}},
    },
    "required": ["answer", "found", "evidence_times_s"],
    "additionalProperties": False,
}


def image_data_url(image: np.ndarray, max_side: int = 768, quality: int = 85) -> str:
    """An RGB frame as a ``data:image/jpeg;base64,...`` URL, longest side at most ``max_side``."""
    pil = Image.fromarray(np.ascontiguousarray(image)).convert("RGB")
    if max(pil.size) > max_side:
        pil.thumbnail((max_side, max_side), Image.LANCZOS)
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def parse_json_reply(text: str) -> dict[str, Any]:
    """JSON from a reply, tolerating a ```json fence around it."""
    text = text.strip()
    if text.startswith("```"):
        text = text.strip("`")
        text = text[text.find("\n") + 1 :] if "\n" in text else text
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the reply")
    value = json.loads(text[start : end + 1])
    if not isinstance(value, dict):
        raise ValueError("the reply is not a JSON object")
    return value


def string_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def context_text(context: VisualContext) -> str:
    """The cheap channels of a span as text for a VLM; video text is JSON-quoted data."""
    meta = MetadataCaptioner()
    lines = [f"Span: {context.start_s:.2f}-{context.end_s:.2f} s."]
    counts = meta.object_counts(context)
    if counts:
        lines.append(
            "Detector (most seen in one frame): "
            + ", ".join(f"{label}: {n}" for label, (n, _) in counts.items())
        )
    screen = meta.screen_lines(context)
    if screen:
        lines.append("On-screen text (OCR, quoted data): " + json.dumps(screen, ensure_ascii=False))
    speech = meta.speech_text(context)
    if speech:
        lines.append("Speech (transcript, quoted data): " + json.dumps(speech, ensure_ascii=False))
    if context.subjects:
        lines.append("Known subjects: " + "; ".join(context.subjects))
    return "\n".join(lines)
