"""How ``ChromaVectors`` reaches chromadb: an embedded database under the data dir, or a server.

Embedded chromadb keeps its HNSW indexes in the memory of the process that opened it and is not
made for several processes: two writers overwrite each other's index files (queries then fail with
"Error finding id") and a reader never sees what another process wrote. So every use of an
embedded database holds a cross-process lock (``db/chroma.lock``), and a process reopens its client
when another process wrote since it last looked (a write counter in ``db/chroma.writes``, bumped
before each write so a writer killed half-way still makes the others reopen). A process keeps one
client per database, shared by its stores: reopening costs ~0.1 s, and only after another
process wrote. A chroma server (``settings.chroma_host``) handles concurrency itself: no lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from vidseek.config import Settings
from vidseek.errors import ConfigError
from vidseek.memory.store.locks import FileLock

log = logging.getLogger(__name__)


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


class ChromaConnection(Protocol):
    """A chromadb client and the rule for using it."""

    epoch: int  # changes whenever the client is replaced (collection handles are then stale)

    def use(self, write: bool = False) -> AbstractContextManager[Any]:
        """The client to use for one operation (held exclusively for its duration if need be)."""
        ...


def parse_server(address: str) -> tuple[str, int, bool]:
    """``host:port`` or an ``http(s)://`` URL -> (what chromadb's ``host`` takes, port, ssl); a
    clear ConfigError for anything else. A URL goes to chromadb whole (its port and path kept)."""
    text = address.strip()
    url = urlsplit(text if "://" in text else f"http://{text}")
    try:
        port = url.port
    except ValueError as exc:
        raise ConfigError(f"chroma_host {address!r}: bad port ({exc})") from exc
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(
            f"chroma_host {address!r}: expected host:port or an http(s):// URL of a chroma server"
        )
    ssl = url.scheme == "https"
    port = port or (443 if ssl else 8000)
    return (text.rstrip("/") if "://" in text else url.hostname), port, ssl


class ServerConnection:
    """A ``chroma run`` server (or any chroma URL): one HTTP client, no local lock."""

    epoch = 0

    def __init__(self, address: str) -> None:
        import chromadb

        host, port, ssl = parse_server(address)
        try:
            self.client = chromadb.HttpClient(
                host=host, port=port, ssl=ssl, settings=_chroma_settings()
            )
            self.client.heartbeat()
        except Exception as exc:
            raise ConfigError(
                f"chroma server {address}: cannot connect ({exc}); start it with "
                "`chroma run --path DIR --port PORT` or unset chroma_host"
            ) from exc
        log.info("vectors: chroma server at %s", address)

    @contextmanager
    def use(self, write: bool = False) -> Iterator[Any]:
        yield self.client


class EmbeddedConnection:
    """An embedded chromadb under ``path``, shared safely by the processes of one data dir."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.lock = FileLock(self.path.parent / "chroma.lock")
        self.counter = self.path.parent / "chroma.writes"
        self.epoch = 0
        self._client: Any = None
        self._seen = 0

    @contextmanager
    def use(self, write: bool = False) -> Iterator[Any]:
        with self.lock.hold():
            writes = self._read_counter()
            if self._client is None or writes != self._seen:
                self._reopen()
            if write:
                writes += 1
                self.counter.write_text(str(writes))
            self._seen = writes
            yield self._client

    def _read_counter(self) -> int:
        try:
            return int(self.counter.read_text() or 0)
        except FileNotFoundError:
            return 0
        except ValueError:  # a writer was killed while writing it: reopen to be sure
            return -1

    def _reopen(self) -> None:
        import chromadb

        if self._client is not None:
            log.debug("vectors: another process wrote %s; reopening it", self.path)
            try:
                self._client.close()
            except Exception as exc:  # a client that cannot close is dropped all the same
                log.debug("closing the chroma client: %s", exc)
        self.path.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(path=str(self.path), settings=_chroma_settings())
        self.epoch += 1


_EMBEDDED: dict[Path, EmbeddedConnection] = {}
_EMBEDDED_LOCK = threading.Lock()


def open_connection(settings: Settings) -> ChromaConnection:
    """The chroma ``settings`` select: a server when ``chroma_host`` is set, else embedded under
    the data dir (one connection per database and process)."""
    if settings.chroma_host:
        return ServerConnection(settings.chroma_host)
    path = (settings.db_dir / "chroma").resolve()
    with _EMBEDDED_LOCK:
        conn = _EMBEDDED.get(path)
        if conn is None:
            conn = _EMBEDDED[path] = EmbeddedConnection(path)
        return conn
