"""Which sampled frames OCR must read, and where: a cheap text-likelihood and change test per
frame (numpy on a downscaled copy), so that tesseract reads only text that may be new.

OCR costs about a second of CPU a frame; most sampled frames show the same text as the frame
before (a camera label, a sign that stays up for seconds) or none. Per block of a small grey copy
of the frame, the gate keeps the content at the last read that covered it. A block looks like text
when it is two-toned with strong contrast (letters on a plain ground) and belongs to a part of such
blocks that is wider than tall (a text line; a walking person is tall). A frame is read only where
a text-like block *changed* since its last read, and then only inside the whole text-like parts
that hold such blocks (a sign whose one letter changed is read whole). Text-like blocks of the last
read that changed into something else are reported as cleared (their lines go). Every other frame
inherits the lines of the last read. The whole frame is read at the first frame, when the parts to
read cover much of it, and every ``refresh_s`` seconds when that is set (text the text test misses
is then still read now and then); camera motion alone, which moves the scene under a burned-in
label, causes no read.

The decision uses only the frames themselves, so it is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

Box = tuple[int, int, int, int]  # x1, y1, x2, y2 in frame pixels, half-open
Reason = Literal["first", "refresh", "much text", "new text", "text gone", "unchanged"]


@dataclass(frozen=True)
class TextGateConfig:
    """Knobs of the gate (the defaults are measured on real footage with burned-in signs)."""

    width: int = 320  # analysis width in pixels (frames are downscaled to it)
    block: int = 8  # block side in analysis pixels
    min_contrast: float = 80.0  # grey (or saturation) range, 5th to 95th percentile, of text
    two_tone: float = 0.75  # share of a text block's pixels near its darkest or lightest level
    min_width: int = 2  # blocks: narrower text-like parts are ignored
    min_aspect: float = 1.0  # width / height of a text-like part, in blocks
    change_level: float = 8.0  # mean absolute difference of 2x2 cells that makes a block changed
    full_share: float = 0.4  # regions covering more than this share: read the whole frame
    pad_blocks: int = 1  # margin around a region, in blocks
    refresh_s: float = 0.0  # read the whole frame at least this often (0 = never by time)
    settle: bool = True  # read new text once it holds still for two samples (not while moving)


@dataclass(frozen=True)
class GateDecision:
    """What to do with one frame. ``read`` False: inherit the lines of the last read frame
    (less those inside ``cleared``). ``read`` True with no ``regions``: read the whole frame;
    otherwise read only these boxes (frame pixels) and keep the inherited lines outside them."""

    read: bool
    reason: Reason
    regions: tuple[Box, ...] = ()
    cleared: tuple[Box, ...] = ()  # where the last read saw text that is gone: drop its lines
    text_share: float = 0.0  # share of blocks that look like text
    changed_share: float = 0.0  # share of blocks changed since the last read

    @property
    def whole(self) -> bool:
        return self.read and not self.regions


@dataclass
class BlockMaps:
    """Per-block measurements of one frame."""

    cells: np.ndarray  # (rows, cols, 16) 2x2-pixel cell means of each block (grey), for change
    text: np.ndarray  # (rows, cols) bool: the block looks like text
    scale: float  # frame pixels per analysis pixel
    shape: tuple[int, int]  # frame height, width


def _two_tone(blocks: np.ndarray, config: TextGateConfig) -> np.ndarray:
    """Blocks (rows, cols, n) of strong contrast whose pixels sit near their darkest or lightest
    level: letters on a plain ground. Foliage, grass, skin and clothes have a spread of levels
    (measured on real footage: 0.6 of sign blocks pass, 0.03 of foliage, 0.08 of a campus)."""
    ordered = np.sort(blocks, axis=2)
    n = ordered.shape[2]
    lo = ordered[..., n // 20].astype(np.float32)
    hi = ordered[..., n - 1 - n // 20].astype(np.float32)
    spread = hi - lo
    margin = (0.25 * spread)[..., None]
    near = ((blocks <= lo[..., None] + margin) | (blocks >= hi[..., None] - margin)).mean(axis=2)
    return (spread >= config.min_contrast) & (near >= config.two_tone)


def _lines(mask: np.ndarray, config: TextGateConfig) -> np.ndarray:
    """Keep the connected parts of ``mask`` shaped like text: at least ``min_width`` blocks wide
    and no taller than wide (a walking person, a pole or the edge of a black bar is tall)."""
    labels, n = _label(mask)
    if n == 0:
        return mask
    from scipy import ndimage

    keep = np.zeros(n + 1, bool)
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        rows, cols = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        keep[i] = cols >= config.min_width and cols >= rows * config.min_aspect
    return keep[labels]


def analyse(image: np.ndarray, config: TextGateConfig) -> BlockMaps:
    """Cell means and the text test of an RGB frame on a downscaled grey and saturation copy
    (text in a colour on a ground of the same brightness shows in saturation only)."""
    if image.ndim != 3 or image.shape[2] != 3 or not all(image.shape):
        raise ValueError(f"expected an RGB HxWx3 frame, got shape {image.shape}")
    h, w = image.shape[:2]
    b = config.block
    width = max(b, min(config.width, w))
    scale = w / width
    height = max(b, round(h / scale))
    small = np.asarray(
        Image.fromarray(np.ascontiguousarray(image)).resize((width, height), Image.BILINEAR),
        dtype=np.int32,
    )
    grey = (small[..., 0] * 77 + small[..., 1] * 150 + small[..., 2] * 29) >> 8
    sat = small.max(axis=2) - small.min(axis=2)
    rows, cols = height // b, width // b

    def blocks(channel: np.ndarray) -> np.ndarray:
        part = channel[: rows * b, : cols * b].reshape(rows, b, cols, b)
        return part.transpose(0, 2, 1, 3).reshape(rows, cols, b * b)

    text = _lines(_two_tone(blocks(grey), config) | _two_tone(blocks(sat), config), config)
    g = blocks(grey).reshape(rows, cols, b // 2, 2, b // 2, 2).astype(np.float32)
    cells = g.mean(axis=(3, 5)).reshape(rows, cols, -1)
    return BlockMaps(cells, text, scale, (h, w))


def _label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3), int))
    return labels, int(n)


class TextGate:
    """Stateful gate over the frames of one video in time order (``reset`` between videos).
    The reference of each block is its content at the last read that covered it."""

    def __init__(self, config: TextGateConfig | None = None) -> None:
        self.config = config or TextGateConfig()
        self.reset()

    def reset(self) -> None:
        self._ref_cells: np.ndarray | None = None
        self._ref_text: np.ndarray | None = None
        self._ref_shape: tuple[int, int] | None = None
        self._last_whole_s: float | None = None
        self._prev_cells: np.ndarray | None = None
        self._waiting: np.ndarray | None = None  # new text blocks the last sample left unread

    def decide(self, image: np.ndarray, time_s: float | None = None) -> GateDecision:
        """Decide for the next frame, and take what will be read as the new reference."""
        cfg = self.config
        maps = analyse(image, cfg)
        prev, self._prev_cells = self._prev_cells, maps.cells
        text = maps.text
        text_share = float(text.mean()) if text.size else 0.0
        if self._ref_cells is None or self._ref_shape != maps.shape:
            return self._whole(maps, "first", text_share, 1.0, time_s)
        assert self._ref_text is not None
        changed = np.abs(maps.cells - self._ref_cells).mean(axis=2) >= cfg.change_level
        changed_share = float(changed.mean())
        if (
            cfg.refresh_s > 0
            and time_s is not None
            and self._last_whole_s is not None
            and time_s - self._last_whole_s >= cfg.refresh_s
        ):
            return self._whole(maps, "refresh", text_share, changed_share, time_s)
        new = changed & text  # text where the last read saw something else
        waiting, self._waiting = self._waiting, None
        if cfg.settle and prev is not None and prev.shape == maps.cells.shape:
            # moving things (people, cars) look like text now and then but never hold still;
            # a sign does (measured: burned-in signs stay up for seconds, 3+ samples at 1 fps).
            # Text over a moving picture (a subtitle without a box) never holds still: it is
            # read when it was new text in the sample before as well
            still = np.abs(maps.cells - prev).mean(axis=2) < cfg.change_level
            again = waiting if waiting is not None and waiting.shape == new.shape else False
            pending = new & ~still
            new &= still | again
            self._waiting = pending & ~new
        gone = changed & self._ref_text & ~text  # text of the last read that is not there now
        cleared = tuple(self._boxes(gone, maps, pad=0)) if gone.any() else ()
        if not new.any():
            self._take(gone, maps)
            reason: Reason = "text gone" if cleared else "unchanged"
            return GateDecision(False, reason, (), cleared, text_share, changed_share)
        # read whole text-like regions that hold a new block (a sign whose one letter changed
        # is read whole), with a margin
        # words of a line can sit a block apart: join parts one block apart horizontally
        joined = text.copy()
        joined[:, 1:-1] |= text[:, :-2] & text[:, 2:]
        labels, _ = _label(joined)
        hit = np.unique(labels[new])
        regions = self._boxes(np.isin(labels, hit), maps, pad=cfg.pad_blocks)
        covered = sum((x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in regions)
        if covered >= cfg.full_share * maps.shape[0] * maps.shape[1]:
            return self._whole(maps, "much text", text_share, changed_share, time_s)
        self._take(self._mask(regions, maps) | gone, maps)
        return GateDecision(True, "new text", tuple(regions), cleared, text_share, changed_share)

    # -- helpers ---------------------------------------------------------------------------
    def _whole(
        self,
        maps: BlockMaps,
        reason: Reason,
        text_share: float,
        changed_share: float,
        time_s: float | None,
    ) -> GateDecision:
        self._ref_cells, self._ref_text = maps.cells, maps.text
        self._ref_shape = maps.shape
        self._waiting = None
        self._last_whole_s = time_s
        return GateDecision(True, reason, text_share=text_share, changed_share=changed_share)

    def _take(self, blocks: np.ndarray, maps: BlockMaps) -> None:
        """The current content becomes the reference of ``blocks`` (those read or cleared)."""
        assert self._ref_cells is not None and self._ref_text is not None
        self._ref_cells = np.where(blocks[..., None], maps.cells, self._ref_cells)
        self._ref_text = np.where(blocks, maps.text, self._ref_text)

    def _boxes(self, area: np.ndarray, maps: BlockMaps, pad: int) -> list[Box]:
        """Bounding boxes (frame pixels, padded) of the connected parts of ``area``; boxes that
        overlap after padding are merged."""
        labels, n = _label(area)
        if n == 0:
            return []
        from scipy import ndimage

        rows, cols = area.shape
        step = self.config.block * maps.scale
        h, w = maps.shape
        boxes: list[list[int]] = []
        for sl in ndimage.find_objects(labels):
            if sl is None:
                continue
            r1, r2 = max(0, sl[0].start - pad), min(rows, sl[0].stop + pad)
            c1, c2 = max(0, sl[1].start - pad), min(cols, sl[1].stop + pad)
            # the last row / column of blocks also covers the frame's leftover pixels
            x2 = w if c2 == cols else round(c2 * step)
            y2 = h if r2 == rows else round(r2 * step)
            boxes.append([round(c1 * step), round(r1 * step), x2, y2])
        merged = True
        while merged:
            merged = False
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    a, b = boxes[i], boxes[j]
                    if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                        boxes[i] = [
                            min(a[0], b[0]),
                            min(a[1], b[1]),
                            max(a[2], b[2]),
                            max(a[3], b[3]),
                        ]
                        del boxes[j]
                        merged = True
                        break
                if merged:
                    break
        return sorted((x1, y1, x2, y2) for x1, y1, x2, y2 in boxes)

    def _mask(self, regions: list[Box], maps: BlockMaps) -> np.ndarray:
        """Blocks fully inside the read regions."""
        rows, cols = maps.text.shape
        step = self.config.block * maps.scale
        mask = np.zeros((rows, cols), bool)
        for x1, y1, x2, y2 in regions:
            c1, r1 = int(np.ceil(x1 / step - 1e-6)), int(np.ceil(y1 / step - 1e-6))
            c2, r2 = int((x2 + 1e-6) // step), int((y2 + 1e-6) // step)
            mask[r1 : max(r1, r2), c1 : max(c1, c2)] = True
        return mask


def box_overlaps(a: tuple[float, float, float, float], b: Box) -> bool:
    """Whether two boxes (x1, y1, x2, y2) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
