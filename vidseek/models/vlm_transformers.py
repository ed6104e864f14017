"""A local vision-language model through transformers (AutoModelForImageTextToText +
AutoProcessor), e.g. SmolVLM2 or Qwen2.5-VL, for users with a GPU. Weights come from a local folder
or the Hugging Face cache; greedy decoding; JSON parsed leniently (small VLMs stray from it)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from vidseek.config import Settings
from vidseek.errors import ModelMissingError
from vidseek.models.base import ClipCaption, LookResult, VisualContext
from vidseek.models.device import resolve_device
from vidseek.models.metadata import MetadataCaptioner
from vidseek.models.refs import ModelRef
from vidseek.models.vlm_common import (
    context_text,
    load_prompt_text,
    parse_json_reply,
    string_list,
)

log = logging.getLogger(__name__)


class TransformersVisionModel:
    """VisionLanguageModel on transformers. Options: ``max_new_tokens`` (512), ``max_frames`` (8),
    ``max_side`` (512), ``dtype`` (bfloat16 on CUDA, float32 elsewhere)."""

    can_see = True

    def __init__(self, ref: ModelRef, settings: Settings) -> None:
        self.ref = str(ref)
        self._settings = settings
        local = Path(ref.name).expanduser()
        self._source = str(local) if local.exists() else ref.name
        self.max_new_tokens = int(ref.options.get("max_new_tokens", 512))
        self.max_frames = int(ref.options.get("max_frames", 8))
        self.max_side = int(ref.options.get("max_side", 512))
        self._dtype_name = ref.options.get("dtype")
        self._loaded: tuple[Any, Any, str] | None = None
        self._lock = threading.Lock()  # one generate at a time: the model is not re-entrant
        self._metadata = MetadataCaptioner()

    def _load(self) -> tuple[Any, Any, str]:
        if self._loaded is None:
            import torch
            from transformers import AutoModelForImageTextToText, AutoProcessor

            device = resolve_device(self._settings)
            name = self._dtype_name or ("bfloat16" if device.startswith("cuda") else "float32")
            try:
                processor = AutoProcessor.from_pretrained(self._source)
                model = AutoModelForImageTextToText.from_pretrained(
                    self._source, dtype=getattr(torch, name)
                )
            except (OSError, ValueError) as exc:
                raise ModelMissingError(
                    self.ref,
                    f"cannot load '{self._source}' ({type(exc).__name__}); download it once with "
                    f"`huggingface-cli download {self._source}` or give a local folder",
                ) from exc
            self._loaded = (model.eval().to(device), processor, device)
        return self._loaded

    def generate(
        self,
        system: str,
        text: str,
        frames: Sequence[np.ndarray] = (),
        times_s: Sequence[float] = (),
        max_new_tokens: int | None = None,
    ) -> tuple[str, int]:
        """One greedy generation; returns (text, prompt + generated tokens)."""
        import torch

        model, processor, device = self._load()
        frames = list(frames)
        times = list(times_s) if len(times_s) == len(frames) else [None] * len(frames)
        if len(frames) > self.max_frames:
            keep = np.linspace(0, len(frames) - 1, self.max_frames).round().astype(int)
            frames, times = [frames[i] for i in keep], [times[i] for i in keep]
        images = []
        content: list[dict[str, Any]] = []
        for frame, t in zip(frames, times, strict=True):
            pil = Image.fromarray(np.ascontiguousarray(frame)).convert("RGB")
            pil.thumbnail((self.max_side, self.max_side))
            images.append(pil)
            if t is not None:
                content.append({"type": "text", "text": f"[frame at {t:.2f} s]"})
            content.append({"type": "image"})
        content.append({"type": "text", "text": text})
        messages = [
            {"role": "system", "content": [{"type": "text", "text": system}]},
            {"role": "user", "content": content},
        ]
        prompt = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        inputs = processor(text=prompt, images=images or None, return_tensors="pt")
        # floating inputs (pixel values) in the model's dtype, e.g. bfloat16 on CUDA
        inputs = inputs.to(device, dtype=model.dtype)
        with self._lock, torch.inference_mode():
            out = model.generate(
                **inputs,
                max_new_tokens=max_new_tokens or self.max_new_tokens,
                do_sample=False,
            )
        prompt_len = inputs["input_ids"].shape[1]
        reply = processor.batch_decode(out[:, prompt_len:], skip_special_tokens=True)[0]
        return reply.strip(), int(out.shape[1])

    def caption_clip(
        self, frames: Sequence[np.ndarray], context: VisualContext, focus: str | None = None
    ) -> ClipCaption:
        text = context_text(context) + (f"\nFocus on: {focus}" if focus else "")
        reply, _ = self.generate(
            load_prompt_text("caption_clip"), text, frames, context.frame_times_s
        )
        try:
            data = parse_json_reply(reply)
        except ValueError:
            log.info("%s: caption is not JSON; keeping it as plain text", self.ref)
            data = {"description": reply}
        return ClipCaption(
            description=str(data.get("description") or reply).strip(),
            subjects=string_list(data.get("subjects")),
            objects=string_list(data.get("objects")),
            actions=string_list(data.get("actions")),
            screen_text=string_list(data.get("screen_text")),
            speech=self._metadata.speech_text(context),
            model=self.ref,
        )

    def inspect(
        self, frames: Sequence[np.ndarray], question: str, context: VisualContext
    ) -> LookResult:
        text = context_text(context) + f"\nQuestion: {question}"
        reply, tokens = self.generate(
            load_prompt_text("inspect_frames"), text, frames, context.frame_times_s
        )
        try:
            data = parse_json_reply(reply)
            found = bool(data.get("found", False))
            answer = str(data.get("answer", "")).strip()
            times = [
                float(t) for t in data.get("evidence_times_s") or [] if isinstance(t, int | float)
            ]
        except ValueError:  # not JSON: keep the words, claim nothing was found
            found, answer, times = False, reply, []
        return LookResult(answer, found, self.ref, times, tokens, can_see=True)

    def summarize(self, texts: Sequence[str], instruction: str) -> str:
        import json

        quoted = "\n".join(f"- {json.dumps(t, ensure_ascii=False)}" for t in texts if t.strip())
        reply, _ = self.generate(
            load_prompt_text("summarize"), f"Instruction: {instruction}\nCaptions:\n{quoted}"
        )
        return reply
