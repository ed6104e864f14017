"""The footage wing: everything that writes video rather than reads it.

Real sample footage fetched from the package registries (``samples``, ``sample_haystacks``), the
ffmpeg / espeak-ng authoring helpers (``authoring``), the needle-in-a-haystack benchmark builder
(``haystack`` and its parts: ``templates`` as data, ``facts``, ``needles``, ``timeline``,
``render``, ``manifest``, ``questions``) and small synthetic test clips (``synth``).

Layering: footage uses ``vidseek.media`` (probing, running tools); scenarios and the CLI use
footage; nothing in the index or agent layers imports it.
"""

from vidseek.footage.haystack import HaystackResult, build_haystack
from vidseek.footage.sample_haystacks import build_mini_haystack, demo_haystack, long_haystack
from vidseek.footage.samples import SamplesError, fetch_samples, sample_images, samples_record
from vidseek.footage.timeline import HaystackError
from vidseek.footage.visuals import VisualSpec, sample_visuals

__all__ = [
    "HaystackError",
    "HaystackResult",
    "SamplesError",
    "VisualSpec",
    "build_haystack",
    "build_mini_haystack",
    "demo_haystack",
    "fetch_samples",
    "long_haystack",
    "sample_images",
    "sample_visuals",
    "samples_record",
]
