"""What keeps web pages and other hosts away from the local service.

The service listens on the operator's own machine, next to a browser that visits arbitrary websites, and it
sees personal data. Every website the browser opens can send requests to `127.0.0.1:8765` and open
WebSockets to it (WebSockets are not covered by CORS at all), and a DNS-rebinding page can even make the
browser treat the service as same-origin. The adversary here is the ordinary website. So every request,
HTTP and WebSocket alike, passes these checks before any route sees it:

1. **Remote peers**: when the service was started on a non-loopback address (which needs a configured
   token, see `coach serve --help`), a request from another machine must carry a token of the service's
   token file — a supervisor's or an operator's (token.py) — (`Authorization: Bearer …`, `X-Coach-Token`,
   or `?access_token=` on the WebSocket upgrade) → else `401`. What needs a supervisor's token is decided
   by the routes (writes, supervisor data).
2. **Host** (DNS rebinding): the `Host` header must name the service as the browser reached it directly:
   `127.0.0.1:<port>`, `localhost:<port>`, `[::1]:<port>`, or a name given with `--allow-host` (and the bound
   address when the service was started on a specific non-loopback address). Anything else → `421`. A
   request that carries the supervisor token passes (a rebinding page cannot know it). A request without
   `Host` (HTTP/1.0 tools) passes: browsers always send it.
3. **Origin**: a request with an `Origin` header is served only if that origin is allowed (else `403`):
   the service's own pages (`http://127.0.0.1:<port>`, `http://localhost:<port>`, `http://[::1]:<port>`)
   and *our* extension: `chrome-extension://<EXTENSION_ID>`, the id the `key` in `extension/manifest.json`
   fixes wherever the extension is loaded from. Any other installed extension is refused: it could
   otherwise read the feedback, the stats and (text storage on) what clients wrote, and dismiss warnings.
   `--allow-origin ORIGIN` (repeatable) or `$COACH_ALLOW_ORIGINS` allows others besides (a build signed
   with another key, Firefox's `moz-extension://<uuid>`). `Origin: null` (sandboxed frames, files) is
   refused. Requests without `Origin` (curl, the CLI, tests, the extension's own GETs) are served,
   except a browser's no-cors subresource request from another site (`Sec-Fetch-Site: cross-site` or
   `same-site` without `Origin`, not a top-level navigation) → `403`.
4. **CORS**: preflights (`OPTIONS` with `Access-Control-Request-Method`) from allowed origins are
   answered `204` (with Chrome's private-network header); responses to allowed origins carry
   `Access-Control-Allow-Origin: <that origin>` and `Vary: Origin`. Nothing is ever answered with `*`.

It also holds the WebSocket frame rate limiter used by the live endpoint.
"""
from __future__ import annotations

import ipaddress
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ..models import ErrorDetail
from .httpkit import access_ok, error_response, log_refusal
from .ratelimit import TokenBucket

# The extension's id: the first 128 bits of the SHA-256 of the public key in extension/manifest.json's `key`,
# written in the letters a–p (tests/test_pinned_extension.py computes it from the manifest).
EXTENSION_ID = "lkcbkpejmflonblecnbdlljomkbmiopm"
EXTENSION_ORIGIN = f"chrome-extension://{EXTENSION_ID}"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Content-Type, Authorization, X-Coach-Token"
CORS_MAX_AGE = "600"

_REQUEST_ORIGIN = "coach_allowed_origin"


def is_loopback_address(host: str | None) -> bool:
    """True for an address or name that only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if not host:
        return False  # "" / None bind every interface
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_wildcard_address(host: str | None) -> bool:
    if not host:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def parse_origins(values: Iterable[str] | None) -> frozenset[str]:
    """Origins from flags and/or `$COACH_ALLOW_ORIGINS` (comma or space separated), normalised."""
    out: set[str] = set()
    for value in values or ():
        for part in re.split(r"[\s,]+", value or ""):
            part = part.strip().rstrip("/").lower()
            if part:
                if "://" not in part:
                    raise ValueError(f"not an origin (scheme://host[:port]): {part!r}")
                out.add(part)
    return frozenset(out)


def _host_names(name: str, port: int) -> set[str]:
    name = name.lower()
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"  # a bare IPv6 address
    names = {f"{name}:{port}"}
    if port == 80:
        names.add(name)
    return names


@dataclass
class GuardConfig:
    """The policy. Origins allowed besides the service's own pages: our extension's, and `allowed_origins`."""

    allowed_origins: frozenset[str] | None = None
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)  # extra names, without port
    bound_host: str | None = "127.0.0.1"
    _host_cache: dict[int, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def remote_needs_token(self) -> bool:
        return not is_loopback_address(self.bound_host)

    def _hosts(self, port: int) -> frozenset[str]:
        """The Host values this service answers to on `port` (computed once per port)."""
        cached = self._host_cache.get(port)
        if cached is None:
            names = set(LOOPBACK_NAMES) | set(self.allowed_hosts)
            if self.bound_host and not is_wildcard_address(self.bound_host):
                names.add(self.bound_host)
            allowed: set[str] = set()
            for name in names:
                allowed |= _host_names(name, port)
            cached = self._host_cache[port] = frozenset(allowed)
        return cached

    def host_allowed(self, host_header: str, port: int) -> bool:
        return host_header.lower() in self._hosts(port)

    def origin_allowed(self, origin: str, port: int) -> bool:
        origin = origin.rstrip("/").lower()
        if origin.startswith("http://") and origin[7:] in self._hosts(port):
            return True  # the service's own pages
        return origin == EXTENSION_ORIGIN or (self.allowed_origins is not None and origin in self.allowed_origins)


def _local_port(request: web.Request) -> int:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        return int(sockname[1])
    return 0


def _peer_is_loopback(request: web.Request) -> bool:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if isinstance(peer, tuple) and peer:
        return is_loopback_address(str(peer[0]))
    return True  # a Unix socket: this machine


def _refuse(request: web.Request, status: int, message: str, field_: str, problem: str) -> web.Response:
    log_refusal(request, status, message)
    return error_response(status, message, [ErrorDetail(field=field_, problem=problem)],
                          headers={"Cache-Control": "no-store", "Vary": "Origin"})


def guard_middleware(config: GuardConfig) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        port = _local_port(request)
        authenticated: bool | None = None
        # 1. another machine, when bound beyond loopback: the token or nothing
        if config.remote_needs_token and not _peer_is_loopback(request):
            authenticated = access_ok(request)
            if not authenticated:
                return _refuse(request, 401, "requests from another machine need the supervisor token "
                                    "(see `coach token`)", "Authorization", "missing or wrong token")
        # 2. DNS rebinding: the Host must be this service's own name
        host = request.headers.get("Host")
        if host is not None and not config.host_allowed(host, port):
            if authenticated is None:
                authenticated = access_ok(request)
            if not authenticated:
                return _refuse(request, 421, "this service only answers requests addressed to 127.0.0.1 or localhost",
                               "Host", f"not allowed: {host[:100]!r}")
        # 3. Origin: ordinary websites are refused on every route
        origin = request.headers.get("Origin")
        if origin is not None:
            if not config.origin_allowed(origin, port):
                return _refuse(request, 403, "requests from web pages are not allowed; only the Operator Coach extension "
                                    "and the service's own pages may call it", "Origin",
                               f"not allowed: {origin[:100]!r}")
            request[_REQUEST_ORIGIN] = origin
            # 4. CORS preflight from an allowed origin
            if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
                headers = {
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": CORS_METHODS,
                    "Access-Control-Allow-Headers": CORS_HEADERS,
                    "Access-Control-Max-Age": CORS_MAX_AGE,
                    "Vary": "Origin",
                }
                if request.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
                    headers["Access-Control-Allow-Private-Network"] = "true"
                return web.Response(status=204, headers=headers)
        else:
            site = request.headers.get("Sec-Fetch-Site", "").lower()
            mode = request.headers.get("Sec-Fetch-Mode", "").lower()
            if site in ("cross-site", "same-site") and mode != "navigate":
                return _refuse(request, 403, "requests embedded in other web pages are not allowed", "Sec-Fetch-Site",
                               f"{site} request without an Origin")
        return await handler(request)

    return guard


async def add_response_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: CORS for allowed origins, and no caching of what the service answers."""
    origin = request.get(_REQUEST_ORIGIN)
    if origin is not None and "Access-Control-Allow-Origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = origin
    if response.status != 101:
        vary = response.headers.get("Vary")
        if not vary:
            response.headers["Vary"] = "Origin"
        elif "origin" not in vary.lower():
            response.headers["Vary"] = vary + ", Origin"
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")


# --- WebSocket frame rate -------------------------------------------------------------------------------
class FrameLimiter:
    """Per-connection frame limit for `/v1/live`.

    Fast typing stays far below it (a keystroke is one frame; 100 frames may arrive at once and 30 per
    second are refilled). A frame over the limit is dropped and answered with a `rate_limited` error (at
    most one such error per `notice_interval`, so the answers do not amplify the flood). A client that
    keeps flooding — more than `abuse_drops` dropped frames within `abuse_window` seconds — is
    disconnected (close code 1008)."""

    def __init__(self, burst: float = 50, rate: float = 30, *, abuse_drops: int = 500, abuse_window: float = 10.0,
                 notice_interval: float = 0.1, clock: Callable[[], float] = time.monotonic):
        self.bucket = TokenBucket(burst, rate, clock)
        self.clock = clock
        self.abuse_drops = abuse_drops
        self.abuse_window = abuse_window
        self.notice_interval = notice_interval
        self._drops: deque[float] = deque()
        self._last_notice = float("-inf")
        self.dropped = 0

    def admit(self) -> tuple[bool, float, bool, bool]:
        """(allowed, retry_after_s, notify, abusive) for the next frame."""
        wait = self.bucket.take()
        if wait == 0.0:
            return True, 0.0, False, False
        now = self.clock()
        self.dropped += 1
        drops = self._drops
        drops.append(now)
        while drops and drops[0] < now - self.abuse_window:
            drops.popleft()
        notify = now - self._last_notice >= self.notice_interval
        if notify:
            self._last_notice = now
        return False, wait, notify, len(drops) > self.abuse_drops
