"""One tesseract call: an image in, tesseract's word table (TSV columns) out.

Two engines read the same table. ``api`` keeps tesseract loaded in this process through
tesserocr (a prebuilt wheel): one engine per thread and page segmentation mode, reused for every
call. ``cli`` runs the tesseract binary once per call through pytesseract. Measured on a 720p
frame and on a packed 640x200 text region: the binary costs 0.10-0.15 s a call before it reads
anything (a process, the model loaded again, the image written to a file), the in-process API
0.006 s on the region and 0.05-0.07 s on the whole frame (6-20x faster), and the index makes
thousands of such calls. Both use the language data the tesseract package installed.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
from functools import lru_cache
from typing import Any, Protocol

from PIL import Image

log = logging.getLogger(__name__)

_COLUMNS = ("block_num", "par_num", "line_num", "left", "top", "width", "height", "conf", "text")


class TesseractEngine(Protocol):
    name: str

    def data(self, image: Image.Image, psm: int) -> dict[str, list[Any]]:
        """Word rows of ``image`` as pytesseract's ``image_to_data`` dict (the columns above)."""
        ...


@lru_cache(maxsize=1)
def tessdata_dir() -> str | None:
    """Where the installed tesseract keeps its language data (``tesseract --list-langs`` names
    the folder); None when the binary does not answer."""
    try:
        listing = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'"([^"]+)"', listing)
    return found.group(1) if found else None


def parse_tsv(tsv: str) -> dict[str, list[Any]]:
    """Tesseract's TSV (with or without its header line) as column lists, word rows only."""
    out: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
    for row in tsv.splitlines():
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":  # level 5 = a word; the header says "level"
            continue
        out["block_num"].append(int(cells[2]))
        out["par_num"].append(int(cells[3]))
        out["line_num"].append(int(cells[4]))
        out["left"].append(int(cells[6]))
        out["top"].append(int(cells[7]))
        out["width"].append(int(cells[8]))
        out["height"].append(int(cells[9]))
        out["conf"].append(float(cells[10]))
        out["text"].append(cells[11])
    return out


class ApiEngine:
    """tesserocr, tesseract loaded once per thread and mode (an API object is not thread-safe;
    tesserocr releases the GIL while it recognises, so threads read in parallel)."""

    name = "api"

    def __init__(self, lang: str, path: str) -> None:
        import tesserocr  # fails here, not on the first frame, when missing

        # leptonica prints "Error in boxClipToRectangle" to stderr for harmless empty regions
        tesserocr.set_leptonica_log_level(tesserocr.LeptLogLevel.NONE)

        self.lang = lang
        self.path = path.rstrip("/") + "/"
        self._local = threading.local()

    def _api(self, psm: int) -> Any:
        apis: dict[int, Any] | None = getattr(self._local, "apis", None)
        if apis is None:
            apis = self._local.apis = {}
        if psm not in apis:
            import tesserocr

            apis[psm] = tesserocr.PyTessBaseAPI(path=self.path, lang=self.lang, psm=psm)
        return apis[psm]

    def data(self, image: Image.Image, psm: int) -> dict[str, list[Any]]:
        api = self._api(psm)
        api.SetImage(image)
        api.Recognize()
        return parse_tsv(api.GetTSVText(0) or "")


class CliEngine:
    """The tesseract binary, one process per call (pytesseract)."""

    name = "cli"

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def data(self, image: Image.Image, psm: int) -> dict[str, list[Any]]:
        import pytesseract

        return pytesseract.image_to_data(
            image, lang=self.lang, config=f"--psm {psm}", output_type=pytesseract.Output.DICT
        )


def make_engine(lang: str, wanted: str = "auto") -> TesseractEngine:
    """The in-process engine when tesserocr and the language data load (``auto``), else the
    binary; ``api`` or ``cli`` insists on one."""
    if wanted not in ("auto", "api", "cli"):
        raise ValueError(f"tesseract engine must be auto, api or cli, not {wanted!r}")
    if wanted != "cli":
        path = tessdata_dir()
        try:
            if path is None:
                raise RuntimeError("tesseract --list-langs names no language folder")
            engine = ApiEngine(lang, path)
            engine._api(3)  # load the language data now: a broken install fails here
            return engine
        except Exception as exc:  # ImportError, or tesserocr's RuntimeError on bad data
            if wanted == "api":
                raise
            log.info("tesserocr unavailable (%s): tesseract runs as a process per call", exc)
    return CliEngine(lang)
