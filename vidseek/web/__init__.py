"""The web page of ``vidseek serve``: one HTML page with vanilla JavaScript and CSS (no build
step), talking to the HTTP API. Library (add, index with live progress, remove), Ask (the player
beside a chat; cited spans are chips that seek the player) and Search (the whole library).

Everything that comes from a video (speech, on-screen text, captions, answers quoting them) is put
in the page with ``textContent``, never as HTML.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

# the page runs only its own script and styles; media and images come from this server
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def mount_page(app: FastAPI) -> None:
    """Serve the page at ``/`` and its assets at ``/static``."""

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(
            STATIC / "index.html",
            media_type="text/html",
            headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"},
        )

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
