"""File names as the system gives them (bytes) and as people read them (one printable line).

A POSIX file name is bytes, not text: a Latin-1 name such as ``caf\\xe9.mp4`` reaches Python as
a ``str`` with a lone surrogate (PEP 383), which SQLite, JSON consumers and terminals refuse.
The index therefore keys a path by its exact bytes (``path_key``) and turns them back into the
same file (``path_from_key``), and every message shows ``printable(path)``: valid UTF-8 as it
is, other bytes as ``\\xNN``, control characters escaped, so an error stays one readable line.

A leaf module (it imports nothing from vidseek), like ``errors`` and ``fmt``.
"""

from __future__ import annotations

import os
from pathlib import Path

_CONTROLS = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F)} | {
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}


def path_key(path: str | os.PathLike[str]) -> bytes:
    """The exact bytes of ``path`` as the file system has them (lossless, for keys)."""
    return os.fsencode(path)


def path_from_key(key: bytes) -> Path:
    """The path whose ``path_key`` is ``key`` (the same file, byte for byte)."""
    return Path(os.fsdecode(bytes(key)))


def is_text(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is valid UTF-8 text (no undecodable bytes)."""
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def printable(path: str | os.PathLike[str] | bytes) -> str:
    """``path`` as one printable line: undecodable bytes as ``\\xNN``, controls escaped."""
    raw = path if isinstance(path, bytes) else os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace").translate(_CONTROLS)
