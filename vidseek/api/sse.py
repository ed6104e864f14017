"""Server-sent events: the wire format, and a stream fed from a worker thread."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from typing import Any

from starlette.responses import StreamingResponse

Emit = Callable[[str, Any], None]

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: Any) -> bytes:
    """One SSE message; ``data`` as one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n".encode()


def stream_response(body: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(body, media_type="text/event-stream", headers=HEADERS)


async def from_thread(work: Callable[[Emit], None], executor: Executor) -> AsyncIterator[bytes]:
    """Run ``work(emit)`` on ``executor``; every ``emit(event, data)`` it makes becomes an SSE
    message as soon as it happens. The stream ends when ``work`` returns."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()

    def emit(event: str, data: Any) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (event, data))

    def run() -> None:
        try:
            work(emit)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    future = loop.run_in_executor(executor, run)
    while True:
        item = await queue.get()
        if item is None:
            break
        yield sse(*item)
    await future
