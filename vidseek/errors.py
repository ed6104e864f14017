"""Errors that users see as one clear line (the CLI prints them without a traceback unless --debug)."""

from __future__ import annotations

import os

from vidseek.pathnames import printable


class VidseekError(Exception):
    """Base for every error vidseek raises on purpose; its message is meant for users."""


class VideoError(VidseekError):
    """A video file that is missing, unreadable, corrupt or unsupported."""

    def __init__(self, path: object, problem: str) -> None:
        # printable: a Latin-1 or newline name still gives one line that names the file
        self.path = printable(path) if isinstance(path, (str, bytes, os.PathLike)) else str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self) -> tuple:  # picklable across worker processes
        return (type(self), (self.path, self.problem))


class ModelMissingError(VidseekError):
    """A model or weight pack that is not installed; the message says how to get it."""

    def __init__(self, model: str, how_to_install: str) -> None:
        self.model = model
        self.how_to_install = how_to_install
        super().__init__(f"model '{model}' is not available: {how_to_install}")

    def __reduce__(self) -> tuple:  # picklable across worker processes
        return (type(self), (self.model, self.how_to_install))


class ModelCallError(VidseekError):
    """A model server that is down, too slow or answers garbage, after retries."""


class ConfigError(VidseekError):
    """A setting or a model reference that cannot be used."""


class IndexError_(VidseekError):
    """The index of a video is missing or inconsistent."""


class NotIndexedError(IndexError_):
    """A video that has not been indexed yet."""
