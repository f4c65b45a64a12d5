"""The HTTP toolkit every route uses — the API's, the pages' and the guard's: JSON responses, the error
body, reading a JSON body within the size limit, the one supervisor-token check, and the middleware that
turns every failure into that error body.

Errors have one shape everywhere (`models.error_body`): `{"error": {"message", "details": [{field,
problem}]}}`. A handler that cannot answer raises `HttpError(status, message, details)`; `json_errors`
renders it, and renders aiohttp's own errors (404, 405, 413) and unexpected failures the same way.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ..models import ErrorDetail, error_body
from .token import TokenHolder

log = logging.getLogger("coach.service")

MAX_BODY_BYTES = 1 << 20  # 1 MiB: a 2,000-message chat fits with room to spare
TOKEN_HEADER = "X-Coach-Token"

# The supervisor token (see token.py): writes need it, and so does a remote peer when bound beyond loopback.
SUPERVISOR_TOKEN: web.AppKey[str | None] = web.AppKey("supervisor_token", str)
# More tokens from the token file, each with its holder's name and role (token.py); may be empty.
TOKEN_HOLDERS: web.AppKey[tuple[TokenHolder, ...]] = web.AppKey("token_holders", tuple)

Details = Iterable[ErrorDetail | Mapping[str, Any]]


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(text=json.dumps(data, ensure_ascii=False), status=status, headers=headers,
                        content_type="application/json", charset="utf-8")


def error_response(status: int, message: str, details: Details = (),
                   headers: Mapping[str, str] | None = None) -> web.Response:
    return json_response(error_body(message, details), status=status, headers=headers)


class HttpError(Exception):
    """Raised by a handler (or a helper it calls) to answer with an error body; `json_errors` renders it."""

    def __init__(self, status: int, message: str, details: Details = (), headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = list(details)
        self.headers = headers

    def response(self) -> web.Response:
        return error_response(self.status, self.message, self.details, self.headers)


def bad_body(message: str, problem: str | None = None) -> HttpError:
    return HttpError(400, message, [ErrorDetail(field="(body)", problem=problem)] if problem else ())


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or an HttpError that says what is wrong with it."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, request.content_length)  # say so before reading
    raw = await request.read()  # over client_max_size: aiohttp raises 413, rendered by json_errors
    if not raw.strip():
        raise bad_body("the request body is empty; send a JSON object", "empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_body("the request body is not UTF-8", f"invalid byte at position {exc.start}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad_body("the request body is not valid JSON",
                       f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise bad_body("the request body is nested too deeply") from None


# --- the supervisor token ----------------------------------------------------------------------------------
def presented_token(request: web.Request) -> str | None:
    """The token the request presents: `Authorization: Bearer …` or `X-Coach-Token`, or `?access_token=` on a
    WebSocket upgrade (a browser cannot set headers on a WebSocket)."""
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    given = request.headers.get(TOKEN_HEADER)
    if not given and request.headers.get("Upgrade", "").lower() == "websocket":
        given = request.query.get("access_token")
    return given


def token_holder(request: web.Request) -> TokenHolder | None:
    """Who holds the token the request carries (None: no token, or a wrong one). The one check: the guard,
    writes and reads use it."""
    given = presented_token(request)
    if not given:
        return None
    found = None
    expected = request.app.get(SUPERVISOR_TOKEN)
    if expected and hmac.compare_digest(expected.encode(), given.encode()):
        found = TokenHolder("supervisor", expected)
    for holder in request.app.get(TOKEN_HOLDERS, ()):  # every one compared: the time says nothing of which
        if hmac.compare_digest(holder.token.encode(), given.encode()):
            found = holder
    return found


def token_ok(request: web.Request) -> bool:
    """Does the request carry a supervisor's token (writes, supervisor data)?"""
    holder = token_holder(request)
    return holder is not None and holder.supervisor


def access_ok(request: web.Request) -> bool:
    """Does the request carry any token of this service — a supervisor's or an operator's (another machine
    may then use the service: check, follow the rules, the live endpoint)?"""
    return token_holder(request) is not None


def require_token(request: web.Request) -> None:
    """Raise 401 unless the request carries the supervisor token."""
    if not token_ok(request):
        raise HttpError(401, "this action needs the supervisor token (see `coach token`)")


# --- middleware: every error is JSON with a reason -----------------------------------------------------------
@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        raise
    except HttpError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        message = {
            404: f"no route {request.method} {request.path}",
            405: f"{request.method} is not allowed on {request.path}",
            413: f"the request body is larger than {MAX_BODY_BYTES} bytes",
        }.get(exc.status, exc.reason)
        return error_response(exc.status, message, [ErrorDetail(field="(request)", problem=exc.text or exc.reason)])
    except Exception:  # a bug, not bad input: say so in JSON, keep serving; the log names no user data
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "internal error: the service could not answer this request")
