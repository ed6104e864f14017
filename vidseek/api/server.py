"""Running ``vidseek serve``: one process, one service, one uvicorn server."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from vidseek.api.auth import is_loopback, resolve_token
from vidseek.config import Settings

log = logging.getLogger(__name__)


def page_url(host: str, port: int, token: str | None) -> str:
    """The address to open (with the token, like Jupyter's, when one is required)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    models: Any = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the web page, the HTTP API and MCP until interrupted. ``on_ready`` gets the URL to
    open (it carries the access token when one is required)."""
    import uvicorn

    from vidseek.api.app import create_app
    from vidseek.service import VidseekService

    host = host or settings.serve.host
    port = settings.serve.port if port is None else port
    token = resolve_token(settings, host)
    service = VidseekService(settings, models=models, loopback=is_loopback(host))
    threading.Thread(target=service.warm_up, name="vidseek-warm-up", daemon=True).start()
    try:
        app = create_app(service, host=host, token=token)
        if on_ready is not None:
            on_ready(page_url(host, port, token))
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        service.close()
