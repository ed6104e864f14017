"""The access token: required whenever the server listens on anything but loopback (generated at
start, like Jupyter's, unless ``serve.token`` sets one), and whenever a token is configured.

Every route but ``/api/health`` checks it: as ``Authorization: Bearer TOKEN``, as the
``vidseek_token`` cookie (set when the page is opened with ``?token=TOKEN``, so the player and
thumbnails, which cannot send headers, are covered), or as a ``token`` query parameter.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from vidseek.config import Settings
from vidseek.errors import ConfigError

COOKIE = "vidseek_token"
OPEN_PATHS = ("/api/health",)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; 0.0.0.0 and every other address are not."""
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_token(settings: Settings, host: str) -> str | None:
    """The token this server requires: the configured one, a new one off loopback, else None."""
    if settings.serve.token:
        if len(settings.serve.token) < 16:
            raise ConfigError("serve.token is shorter than 16 characters; use a longer one")
        return settings.serve.token
    if is_loopback(host):
        return None
    return secrets.token_urlsafe(24)


def _presented(scope: Scope) -> tuple[str | None, bool]:
    """The token a request carries, and whether it came in the query string."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0], True
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:
        return None, False
    if COOKIE in cookie:
        return cookie[COOKIE].value, False
    return None, False


class TokenGuard:
    """ASGI middleware: 401 for a request without the right token (streams and MCP included)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given, in_query = _presented(scope)
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            await _deny(send, scope)
            return
        if in_query and scope["type"] == "http" and scope["path"] == "/":
            await _remember(
                send, self.token
            )  # the page: keep the token in a cookie, drop it from the URL
            return
        await self.app(scope, receive, send)


async def _deny(send: Send, scope: Scope) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4401})
        return
    body = json.dumps(
        {
            "error": "missing or wrong access token: open the URL that `vidseek serve` printed, "
            "or send 'Authorization: Bearer TOKEN'"
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b"Bearer"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _remember(send: Send, token: str) -> None:
    cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", b"/"),
                (b"set-cookie", cookie.encode()),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
