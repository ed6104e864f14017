"""Image-text embeddings with open_clip: a pretrained tag or a local checkpoint; batched, fp16 on
CUDA. ``random:clip-tiny`` is a tiny random-weight model for shape tests and benchmarks only."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.config import Settings
from vidseek.errors import ConfigError, ModelMissingError
from vidseek.models.device import resolve_device
from vidseek.models.refs import ModelRef

log = logging.getLogger(__name__)

TINY_EMBED_DIM = 64


def _tiny_random_clip() -> tuple[Any, Any, Any]:
    import open_clip
    from open_clip.model import CLIPTextCfg, CLIPVisionCfg
    from open_clip.transform import image_transform

    vision = CLIPVisionCfg(layers=2, width=64, head_width=32, patch_size=16, image_size=64)
    text = CLIPTextCfg(context_length=77, vocab_size=49408, width=64, heads=2, layers=2)
    model = open_clip.CLIP(embed_dim=TINY_EMBED_DIM, vision_cfg=vision, text_cfg=text)
    preprocess = image_transform(64, is_train=False)
    tokenizer = open_clip.SimpleTokenizer(context_length=77)
    return model, preprocess, tokenizer


class OpenClipEmbedder:
    """CLIP image and text towers; inputs are RGB uint8 frames, outputs L2-normalised float32."""

    def __init__(self, ref: ModelRef, settings: Settings) -> None:
        self.ref = str(ref)
        self._ref = ref
        self._settings = settings
        self._batch_size = int(ref.options.get("batch_size", settings.index.batch_size))
        if ref.backend == "random":
            if ref.name != "clip-tiny":
                raise ConfigError(
                    f"model reference '{ref}': the only random model is 'random:clip-tiny'"
                )
        else:
            checkpoint = ref.options.get("checkpoint")
            if checkpoint and not Path(checkpoint).expanduser().is_file():
                raise ModelMissingError(self.ref, f"checkpoint file {checkpoint} does not exist")
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any, Any, str]:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._build()
        return self._model

    def _build(self) -> tuple[Any, Any, Any, str]:
        import open_clip

        device = resolve_device(self._settings)
        if self._ref.backend == "random":
            log.warning(
                "%s has RANDOM weights: for shape tests and benchmarks only, never for search",
                self.ref,
            )
            model, preprocess, tokenizer = _tiny_random_clip()
        else:
            arch = self._ref.name
            pretrained = self._ref.options.get("checkpoint") or self._ref.options.get("pretrained")
            if pretrained and Path(pretrained).expanduser().exists():
                pretrained = str(Path(pretrained).expanduser())
            try:
                model, _, preprocess = open_clip.create_model_and_transforms(
                    arch, pretrained=pretrained, device="cpu"
                )
                tokenizer = open_clip.get_tokenizer(arch)
            except RuntimeError as exc:
                if "Unknown model" in str(exc) or "not found" in str(exc):
                    raise ModelMissingError(self.ref, f"open_clip has no model {arch!r}") from exc
                raise ModelMissingError(
                    self.ref,
                    f"weights could not be loaded ({exc}); run once where the model hub is "
                    f"reachable, or give a local checkpoint: 'open_clip:/path/model.pt#{arch}'",
                ) from exc
            except Exception as exc:  # hub errors come in many types
                raise ModelMissingError(
                    self.ref,
                    f"weights could not be loaded ({type(exc).__name__}: {exc}); run once where "
                    f"the model hub is reachable, or give 'open_clip:/path/model.pt#{arch}'",
                ) from exc
            if not pretrained:
                log.warning("%s has no pretrained weights: its embeddings are random", self.ref)
        model = model.eval().to(device)
        if device == "cuda":
            model = model.half()
        dtype = next(model.parameters()).dtype
        self._dtype = dtype
        return model, preprocess, tokenizer, device

    @property
    def dim(self) -> int:
        model = self._load()[0]
        proj = getattr(model, "text_projection", None)
        if proj is not None:
            return int(proj.shape[-1] if hasattr(proj, "shape") else proj.out_features)
        return int(model.embed_dim)

    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        import torch
        from PIL import Image

        model, preprocess, _, device = self._load()
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), self._batch_size):
                batch = torch.stack(
                    [
                        preprocess(Image.fromarray(np.ascontiguousarray(img)).convert("RGB"))
                        for img in images[start : start + self._batch_size]
                    ]
                ).to(device, dtype=self._dtype)
                feats = model.encode_image(batch, normalize=True)
                out.append(feats.float().cpu().numpy())
        return np.concatenate(out).astype(np.float32)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        model, _, tokenizer, device = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self._batch_size):
                tokens = tokenizer(list(texts[start : start + self._batch_size])).to(device)
                feats = model.encode_text(tokens, normalize=True)
                out.append(feats.float().cpu().numpy())
        return np.concatenate(out).astype(np.float32)
