"""The supervisor token: what a request needs to change rules or settings.

Generated on the service's first start, stored with owner-only permissions in the user's config
directory ($COACH_TOKEN_FILE, else $XDG_CONFIG_HOME/operator-coach/token, else ~/.config/…), printed by
`coach token`. Requests carry it as `Authorization: Bearer <token>` or `X-Coach-Token: <token>`.
"""
from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from aiohttp import web

from .keys import SUPERVISOR_TOKEN

HEADER = "X-Coach-Token"


def token_path() -> Path:
    explicit = os.environ.get("COACH_TOKEN_FILE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "operator-coach" / "token"


def load_or_create_token(path: Path | None = None) -> str:
    """The stored token; a new random one is written (mode 0600) when there is none."""
    path = path or token_path()
    try:
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    return token


def presented_token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get(HEADER)


def has_valid_token(request: web.Request) -> bool:
    expected: str | None = request.app.get(SUPERVISOR_TOKEN)
    given = presented_token(request)
    return bool(expected and given and hmac.compare_digest(expected.encode(), given.encode()))


def require_token(request: web.Request) -> None:
    """Raise 401 (JSON) unless the request carries the supervisor token."""
    if not has_valid_token(request):
        from .app import error_response

        raise web.HTTPUnauthorized(
            text=error_response(401, "this action needs the supervisor token (see `coach token`)").text,
            content_type="application/json")
