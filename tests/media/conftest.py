"""Fixtures of the media tests: synthetic videos with a readable frame counter (media_synth)."""

from media_synth import counter_mp4, silent_mp4, synth_dir, vfr_mkv

__all__ = ["counter_mp4", "silent_mp4", "synth_dir", "vfr_mkv"]
