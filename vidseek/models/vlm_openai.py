"""A vision-language model behind any OpenAI-compatible chat endpoint: frames go as base64 JPEG
data URLs (resized), requests run with bounded concurrency, captions come back as JSON-schema
output, and timeouts / 5xx / invalid JSON are retried with backoff before a clear ModelCallError."""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from vidseek.config import Settings
from vidseek.errors import ModelCallError, ModelMissingError
from vidseek.models.base import ClipCaption, LookResult, VisualContext
from vidseek.models.chat_base import check_model_requests
from vidseek.models.metadata import MetadataCaptioner
from vidseek.models.refs import ModelRef
from vidseek.models.vlm_common import (
    CAPTION_SCHEMA,
    LOOK_SCHEMA,
    context_text,
    image_data_url,
    load_prompt_text,
    parse_json_reply,
    string_list,
)

log = logging.getLogger(__name__)


class OpenAIVisionModel:
    """VisionLanguageModel over an OpenAI-compatible server. Options: ``max_side`` (768),
    ``concurrency`` (settings.index.caption_concurrency), ``json`` ('schema' | 'object' | 'none':
    how JSON output is requested), ``max_frames`` (32), ``detail`` ('low' | 'high' | 'auto')."""

    can_see = True

    def __init__(self, ref: ModelRef, settings: Settings) -> None:
        import openai

        self.ref = str(ref)
        self.model = ref.name
        self.max_side = int(ref.options.get("max_side", 768))
        self.max_frames = int(ref.options.get("max_frames", 32))
        self.concurrency = max(
            1, int(ref.options.get("concurrency", settings.index.caption_concurrency))
        )
        self.json_mode = ref.options.get("json", "schema")
        self.detail = ref.options.get("detail")
        self.max_retries = max(0, settings.models.max_retries)
        self.backoff_s = float(ref.options.get("backoff_s", 1.0))
        api_key = settings.models.api_key or os.environ.get("OPENAI_API_KEY")
        if ref.backend == "openai" and not api_key:
            raise ModelMissingError(self.ref, "set OPENAI_API_KEY or VIDSEEK_MODELS__API_KEY")
        self._client = openai.OpenAI(
            base_url=ref.base_url,
            api_key=api_key or "not-needed",
            timeout=settings.models.request_timeout_s,
            max_retries=0,  # retries are ours: they also cover invalid JSON
        )
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._metadata = MetadataCaptioner()

    # -- requests ---------------------------------------------------------------------------
    def _image_parts(self, frames: Sequence[np.ndarray], times: Sequence[float]) -> list[dict]:
        frames = list(frames)
        # timestamps label the frames only when they match them one to one
        times = list(times) if len(times) == len(frames) else [float("nan")] * len(frames)
        if len(frames) > self.max_frames:  # evenly thin out, keep first and last
            keep = np.linspace(0, len(frames) - 1, self.max_frames).round().astype(int)
            frames = [frames[i] for i in keep]
            times = [times[i] for i in keep]
        parts: list[dict] = []
        for frame, t in zip(frames, times, strict=True):
            if t == t:  # not NaN
                parts.append({"type": "text", "text": f"[frame at {t:.2f} s]"})
            url: dict[str, Any] = {"url": image_data_url(frame, self.max_side)}
            if self.detail:
                url["detail"] = self.detail
            parts.append({"type": "image_url", "image_url": url})
        return parts

    def _response_format(self, name: str, schema: dict | None) -> dict | None:
        if schema is None or self.json_mode == "none":
            return None
        if self.json_mode == "object":
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": True},
        }

    def request(
        self,
        system: str,
        content: list[dict],
        schema: dict | None = None,
        name: str = "answer",
        max_tokens: int = 800,
        parse: Callable[[str], Any] | None = None,
    ) -> tuple[Any, int]:
        """One chat request with retries; returns (parsed reply, total tokens)."""
        import openai

        check_model_requests(self.ref)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": content}]
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0.0}
        kwargs["max_tokens"] = max_tokens
        fmt = self._response_format(name, schema)
        if fmt is not None:
            kwargs["response_format"] = fmt
        parse = parse or (parse_json_reply if schema is not None else (lambda s: s.strip()))
        problem = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                delay = self.backoff_s * 2 ** (attempt - 1) * (0.8 + 0.4 * random.random())
                log.info("%s: retry %d after %s (in %.1f s)", self.ref, attempt, problem, delay)
                time.sleep(delay)
            try:
                with self._slots:
                    response = self._client.chat.completions.create(**kwargs)
            except openai.APITimeoutError:
                problem = "timed out"
                continue
            except openai.APIConnectionError as exc:
                problem = f"connection failed ({exc.__cause__ or exc})"
                continue
            except openai.APIStatusError as exc:
                if exc.status_code >= 500 or exc.status_code in (408, 409, 429):
                    problem = f"HTTP {exc.status_code}"
                    continue
                raise ModelCallError(
                    f"{self.ref}: the server refused the request (HTTP {exc.status_code}: "
                    f"{str(exc.message)[:200]})"
                ) from exc
            choice = response.choices[0] if response.choices else None
            text = (choice.message.content or "") if choice else ""
            tokens = response.usage.total_tokens if response.usage else 0
            try:
                return parse(text), tokens
            except (ValueError, TypeError, KeyError) as exc:
                problem = f"invalid JSON ({exc}; reply began {text[:60]!r})"
                continue
        raise ModelCallError(f"{self.ref}: {problem} after {self.max_retries + 1} attempts")

    def _context_text(self, context: VisualContext) -> str:
        return context_text(context)

    # -- the protocol ------------------------------------------------------------------------
    def caption_clip(
        self, frames: Sequence[np.ndarray], context: VisualContext, focus: str | None = None
    ) -> ClipCaption:
        text = self._context_text(context)
        if focus:
            text += f"\nFocus on: {focus}"
        content = [
            {"type": "text", "text": text},
            *self._image_parts(frames, context.frame_times_s),
        ]
        data, _ = self.request(
            load_prompt_text("caption_clip"), content, CAPTION_SCHEMA, "clip_caption"
        )
        description = str(data.get("description", "")).strip()
        if not description:
            raise ModelCallError(f"{self.ref}: the caption has no description")
        return ClipCaption(
            description=description,
            subjects=string_list(data.get("subjects")),
            objects=string_list(data.get("objects")),
            actions=string_list(data.get("actions")),
            screen_text=string_list(data.get("screen_text")),
            speech=self._metadata.speech_text(context),
            model=self.ref,
        )

    def caption_many(
        self, items: Sequence[tuple[Sequence[np.ndarray], VisualContext]], focus: str | None = None
    ) -> list[ClipCaption]:
        """Caption many clips at once, at most ``concurrency`` requests in flight."""
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(lambda item: self.caption_clip(item[0], item[1], focus), items))

    def inspect(
        self, frames: Sequence[np.ndarray], question: str, context: VisualContext
    ) -> LookResult:
        text = self._context_text(context) + f"\nQuestion: {question}"
        content = [
            {"type": "text", "text": text},
            *self._image_parts(frames, context.frame_times_s),
        ]
        data, tokens = self.request(
            load_prompt_text("inspect_frames"), content, LOOK_SCHEMA, "look"
        )
        times = []
        for value in data.get("evidence_times_s") or []:
            try:
                times.append(float(value))
            except (TypeError, ValueError):
                continue
        return LookResult(
            answer=str(data.get("answer", "")).strip(),
            found=bool(data.get("found", False)),
            model=self.ref,
            evidence_times_s=times,
            tokens=tokens,
            can_see=True,
        )

    def summarize(self, texts: Sequence[str], instruction: str) -> str:
        quoted = "\n".join(f"- {json.dumps(t, ensure_ascii=False)}" for t in texts if t.strip())
        content = [{"type": "text", "text": f"Instruction: {instruction}\nCaptions:\n{quoted}"}]
        summary, _ = self.request(load_prompt_text("summarize"), content, None, max_tokens=400)
        if not summary:
            raise ModelCallError(f"{self.ref}: empty summary")
        return str(summary)
