"""The one ASGI app of ``vidseek serve``: the HTTP API under ``/api`` (OpenAPI at ``/docs``),
the web page at ``/``, MCP over streamable HTTP at ``/mcp``; all on one ``VidseekService`` and
behind one token check."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

import vidseek
from vidseek.api import routes_chat, routes_library
from vidseek.api.auth import TokenGuard, is_loopback
from vidseek.errors import ConfigError, VidseekError
from vidseek.service import VidseekService
from vidseek.service.errors import ServiceError

log = logging.getLogger(__name__)


def create_app(
    service: VidseekService,
    host: str = "127.0.0.1",
    token: str | None = None,
    mcp: bool = True,
) -> FastAPI:
    """The app for ``service``. Off loopback a ``token`` is required (see ``resolve_token``)."""
    if token is None and not is_loopback(host):
        raise ConfigError(f"serving on {host} (not loopback) needs an access token")
    mcp_server = None
    if mcp:
        from vidseek.mcp.server import build_mcp

        mcp_server = build_mcp(service)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if mcp_server is not None:
                await stack.enter_async_context(mcp_server.session_manager.run())
            yield
        app.state.ask_pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="vidseek",
        version=vidseek.__version__,
        description="Agentic search over long videos: the library, indexing jobs, search, "
        "questions answered with cited time spans, chat threads.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.ask_pool = ThreadPoolExecutor(
        max_workers=max(1, service.settings.serve.max_concurrent_asks),
        thread_name_prefix="vidseek-ask",
    )
    app.state.token_required = token is not None

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Open without a token (for load balancers and scripts)."""
        return {"ok": True, "version": vidseek.__version__}

    app.include_router(routes_library.router)
    app.include_router(routes_chat.router)
    _errors(app)
    if mcp_server is not None:
        from vidseek.mcp.server import http_routes

        app.router.routes.extend(http_routes(mcp_server, host, is_loopback(host)))
    from vidseek.web import mount_page

    mount_page(app)
    app.add_middleware(TokenGuard, token=token)
    return app


def _errors(app: FastAPI) -> None:
    """Errors as ``{"error": "one line"}`` with a fitting status; nothing is half-done."""

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.exception_handler(VidseekError)
    async def vidseek_error(request: Request, exc: VidseekError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "request"
            parts.append(f"{loc}: {err.get('msg')}")
        return JSONResponse({"error": "; ".join(parts)}, status_code=422)
