"""Errors of the service layer, each with the HTTP status the API answers with. They are
``VidseekError``s, so the CLI prints them as one line like any other."""

from __future__ import annotations

from vidseek.errors import VidseekError


class ServiceError(VidseekError):
    """A request the service refuses; ``status`` is the HTTP status that fits."""

    status: int = 400


class InputError(ServiceError):
    """Bad input: an id of the wrong shape, a file that is not a video, an empty question."""

    status = 400


class NotFoundError(ServiceError):
    """No such video, job, thread or file."""

    status = 404


class ForbiddenError(ServiceError):
    """A path outside what may be read or served."""

    status = 403


class TooLargeError(ServiceError):
    """An upload over ``serve.max_upload_mb``."""

    status = 413


class BusyError(ServiceError):
    """Too many questions at once (``serve.max_concurrent_asks``)."""

    status = 429
