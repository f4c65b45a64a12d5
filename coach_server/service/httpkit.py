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
import math
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import ClientPayloadError, EofStream, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler

from ..models import ErrorDetail, JsonInputError, error_body, parse_json
from .ratelimit import LogThrottle
from .token import TokenHolder

log = logging.getLogger("coach.service")

MAX_BODY_BYTES = 1 << 20  # 1 MiB: a 2,000-message chat fits with room to spare
BODY_TIMEOUT_S = 5.0  # a body must arrive within this (a slow-loris client holds nothing longer)
# After answering before a body ended (408, 413, a refusal), how long the connection waits for the rest to
# drain before it is closed (aiohttp's default is 10 s).
LINGER_S = 1.0
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

    def __init__(self, status: int, message: str, details: Details = (), headers: Mapping[str, str] | None = None,
                 *, close: bool = False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = list(details)
        self.headers = headers
        self.close = close  # the connection is closed after the answer (its body was not read to the end)

    def response(self) -> web.Response:
        response = error_response(self.status, self.message, self.details, self.headers)
        if self.close:
            response.force_close()
        return response


def bad_body(message: str, problem: str | None = None) -> HttpError:
    return HttpError(400, message, [ErrorDetail(field="(body)", problem=problem)] if problem else ())


class ClientGone(Exception):
    """The client closed the connection while its body was arriving: nobody is left to answer."""


async def read_body(request: web.Request, limit: int = MAX_BODY_BYTES, timeout: float = BODY_TIMEOUT_S) -> bytes:
    """The request's body: at most `limit` bytes (else 413, at once when `Content-Length` announces more),
    arriving within `timeout` seconds (else 408 and the connection is closed: a body announced and never
    sent must not hold a connection open). A client that goes away mid-body raises ClientGone."""
    if request.content_length is not None and request.content_length > limit:
        raise HttpError(413, f"the request body is larger than {limit} bytes",
                        [ErrorDetail(field="Content-Length", problem=f"{request.content_length} bytes announced")],
                        close=True)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                chunk = await request.content.readany()
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise HttpError(413, f"the request body is larger than {limit} bytes",
                                    [ErrorDetail(field="(body)", problem=f"more than {limit} bytes sent")],
                                    close=True)
                chunks.append(chunk)
    except TimeoutError:
        raise HttpError(408, f"the request body did not arrive within {timeout:g} s",
                        [ErrorDetail(field="(body)", problem=f"{size} bytes received"
                                     + (f" of {request.content_length} announced" if request.content_length
                                        is not None else ""))], close=True) from None
    except (ConnectionError, ClientPayloadError, asyncio.IncompleteReadError, EofStream):
        raise ClientGone() from None
    return b"".join(chunks)


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or an HttpError that says what is wrong with it."""
    raw = await read_body(request)
    if not raw.strip():
        raise bad_body("the request body is empty; send a JSON object", "empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_body("the request body is not UTF-8", f"invalid byte at position {exc.start}") from None
    try:
        return parse_json(text)
    except JsonInputError as exc:
        raise HttpError(400, exc.message, exc.details) from None


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


def long_poll(request: web.Request, limit: float) -> tuple[str, float]:
    """A long poll's question: the digest the caller has (`If-None-Match`) and how long it may wait for another
    (`?wait=S`, 0 to `limit` seconds; else 400)."""
    raw = request.query.get("wait", "0")
    try:
        # a plain ASCII number, not a page of digits (nor "٣", which float() would take)
        wait = float(raw) if len(raw) <= 64 and raw.isascii() else math.nan
    except ValueError:
        wait = math.nan
    if not 0 <= wait <= limit:
        raise HttpError(400, f"wait is seconds from 0 to {limit:g}", [ErrorDetail(field="wait", problem=f"got {raw[:40]!r}")])
    return request.headers.get("If-None-Match", "").strip().removeprefix("W/").strip('"'), wait


def require_token(request: web.Request) -> None:
    """Raise 401 unless the request carries the supervisor token."""
    if not token_ok(request):
        raise HttpError(401, "this action needs the supervisor token (see `coach token`)")


# --- middleware: every error is JSON with a reason -----------------------------------------------------------
def _route(request: web.Request) -> str:
    """The route a request matched, as registered (`/supervisor/api/rules/{rule_id}`): never what the client
    put in its path, which may be anything."""
    info = request.match_info.route.resource
    return info.canonical if info is not None else "(no route)"


def log_refusal(request: web.Request, status: int, message: str) -> None:
    """One line per refused request, throttled. It names the status, the method and the route, not the
    reason's words (they may quote what the client sent), unless debug logging is on."""
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%d %s %s refused: %s", status, request.method, request.path, message)
        return
    refusals.log(logging.INFO, "%d %s %s refused (%s)", status, request.method, _route(request),
                  _phrase(status))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "client error"


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        raise
    except HttpError as exc:
        if exc.status < 500:
            log_refusal(request, exc.status, exc.message)
        return exc.response()
    except ClientGone:
        refusals.log(logging.INFO, "%s %s: the client went away before its body arrived", request.method,
                      _route(request))
        response = error_response(400, "the request body ended early (the client went away)")
        response.force_close()
        return response
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        message = {
            404: f"no route {request.method} {request.path}",
            405: f"{request.method} is not allowed on {request.path}",
            413: f"the request body is larger than {MAX_BODY_BYTES} bytes",
        }.get(exc.status, exc.reason)
        log_refusal(request, exc.status, message)
        return error_response(exc.status, message, [ErrorDetail(field="(request)", problem=exc.text or exc.reason)])
    except Exception:  # a bug, not bad input: say so in JSON, keep serving; the log names no user data
        log.exception("%s %s failed", request.method, _route(request))
        return error_response(500, "internal error: the service could not answer this request")


# One budget of lines for every refusal of the service (HTTP, the guard, live frames): a flood of bad input
# of any kind costs the log a burst and then a line a second.
refusals = LogThrottle(log)


class MalformedRequests(logging.Filter):
    """On aiohttp's server logger: a request its parser refuses (a control character in a header, a line too
    long, not HTTP at all) is the client's error, answered 400 by aiohttp. Instead of aiohttp's ERROR line
    with a traceback per request — a flood anyone can cause before any token is checked — it is one
    throttled refusal line, with every other refusal."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and 400 <= (exc.code or 400) < 500:
            refusals.log(logging.INFO, "%d malformed HTTP request refused (%s)", exc.code or 400, type(exc).__name__)
            return False
        return True


def quiet_malformed_requests() -> None:
    """Install MalformedRequests on aiohttp's server logger (once)."""
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequests) for f in server_log.filters):
        server_log.addFilter(MalformedRequests())
