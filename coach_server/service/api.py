"""The local HTTP/WebSocket service the extension talks to (aiohttp, bound to 127.0.0.1).

Routes:
- `GET /healthz` — liveness, version, how many rules are loaded and any rule-file errors;
- `POST /v1/check` — one check (the contract in README / docs/api.md);
- `GET /v1/live` — the WebSocket for live coaching (docs/live-protocol.md);
- `GET /v1/rules` — the loaded rules and their errors;
- `GET /v1/feedback/recent` — the latest dismissed/applied events;
- `GET /openapi.json` — the OpenAPI 3.1 description of these routes.
Every request first passes `guard` (Host, Origin, CORS, remote peers: see guard.py).
The rules directory is watched: edits are picked up within a second; a broken edit keeps the last good
version of that rule and the error shows on `/healthz`.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from .. import __version__
from ..engine import Coach
from ..models import ErrorDetail, RequestError
from ..rulebook.loader import directory_signature
from ..web import register_all as register_pages
from .background import cancel_and_wait
from ..feedback import FeedbackLog
from .guard import GuardConfig, add_response_headers, guard_middleware
from .keys import COACH_REF, FEEDBACK, GUARD, LIVE_HUB, RELOAD_INTERVAL, RULE_WATCHER, SUPERVISOR_TOKEN, WS_MAX_FRAME
from .live import CoachRef, LiveHub, live_handler

log = logging.getLogger("coach.service")

MAX_BODY_BYTES = 1 << 20  # 1 MiB: a 2,000-message chat fits with room to spare
WS_MAX_FRAME_BYTES = 1 << 20


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data, ensure_ascii=False), status=status,
                        content_type="application/json", charset="utf-8")


def error_response(status: int, message: str, details: list[ErrorDetail] | None = None) -> web.Response:
    return json_response(RequestError(message, details).to_json(), status=status)


def coach_of(request: web.Request) -> Coach:
    return request.app[COACH_REF].coach


# --- routes ----------------------------------------------------------------------------------------------
async def healthz(request: web.Request) -> web.Response:
    coach = coach_of(request)
    return json_response({
        "status": "ok",
        "version": __version__,
        "rules": len(coach.rulebook.active),
        "rules_dir": str(coach.rules_dir) if coach.rules_dir is not None else None,
        "rule_errors": [e.to_json() for e in coach.errors],
    })


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or an HTTP error that says what is wrong with it."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, request.content_length)  # say so before reading
    raw = await request.read()  # over client_max_size: aiohttp raises 413, rendered by json_errors
    if not raw.strip():
        raise _bad_request("the request body is empty; send a JSON object",
                           [ErrorDetail(field="(body)", problem="empty")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_request("the request body is not UTF-8",
                          [ErrorDetail(field="(body)", problem=f"invalid byte at position {exc.start}")])
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad_request("the request body is not valid JSON",
                          [ErrorDetail(field="(body)", problem=f"{exc.msg} at line {exc.lineno} column {exc.colno}")])
    except RecursionError:
        raise _bad_request("the request body is nested too deeply")


def _bad_request(message: str, details: list[ErrorDetail] | None = None) -> web.HTTPException:
    return web.HTTPBadRequest(text=json.dumps(RequestError(message, details).to_json(), ensure_ascii=False),
                              content_type="application/json")


async def check(request: web.Request) -> web.Response:
    data = await read_json(request)
    try:
        result = coach_of(request).check(data)
    except RequestError as exc:
        return json_response(exc.to_json(), status=400)
    if log.isEnabledFor(logging.DEBUG):  # debug logging only: this shows what the operator typed
        log.debug("check draft=%r → %s", data.get("draft") if isinstance(data, dict) else None,
                  [w.rule for w in result.warnings])
    return json_response(result.model_dump())


async def rules(request: web.Request) -> web.Response:
    coach = coach_of(request)
    return json_response({
        "rules": [
            {"id": r.id, "title": r.spec.title, "kind": r.spec.kind, "severity": r.spec.severity,
             "enabled": r.spec.enabled, "description": r.spec.description.strip(), "stale": r.stale,
             **r.traits()}
            for r in coach.rulebook.rules.values()
        ],
        "errors": [e.to_json() for e in coach.errors],
    })


async def feedback_recent(request: web.Request) -> web.Response:
    log_: FeedbackLog = request.app[FEEDBACK]
    return json_response({"events": [e.to_json() for e in log_.recent]})


async def openapi_json(request: web.Request) -> web.Response:
    from .openapi import openapi_text

    return web.Response(text=openapi_text(), content_type="application/json", charset="utf-8")


# --- middleware: every error is JSON with a reason ---------------------------------------------------------
@web.middleware
async def json_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        raise
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


# --- rule watching -------------------------------------------------------------------------------------------
async def watch_rules(app: web.Application) -> None:
    """Poll the rules directory (cheap: names, sizes, mtimes) and reload on change."""
    coach: Coach = app[COACH_REF].coach
    directory = coach.rules_dir
    if directory is None:
        return
    interval = app[RELOAD_INTERVAL]
    signature = directory_signature(directory)
    while True:
        await asyncio.sleep(interval)
        current = directory_signature(directory)
        if current == signature:
            continue
        signature = current
        before = coach.rulebook.digest
        errors = coach.reload()
        for error in errors:
            log.warning("rule file error (last good version stays active): %s", error)
        if coach.rulebook.digest != before:
            log.info("rules reloaded: %d active", len(coach.rulebook.active))
            app[LIVE_HUB].rules_changed()


async def _start_watcher(app: web.Application) -> None:
    if app[RELOAD_INTERVAL] > 0:
        app[RULE_WATCHER] = asyncio.ensure_future(watch_rules(app))


async def _stop_watcher(app: web.Application) -> None:
    await cancel_and_wait(app.get(RULE_WATCHER))


def create_app(coach: Coach, *, reload_interval: float = 1.0, feedback: FeedbackLog | None = None,
               supervisor_token: str | None = None, guard: GuardConfig | None = None,
               store: Any = None) -> web.Application:
    """The service. `guard` is the Host/Origin policy (default: loopback, any extension origin)."""
    guard = guard or GuardConfig()
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[guard_middleware(guard), json_errors])
    app.on_response_prepare.append(add_response_headers)
    app[GUARD] = guard
    app[COACH_REF] = CoachRef(coach)
    app[SUPERVISOR_TOKEN] = supervisor_token
    app[FEEDBACK] = feedback or FeedbackLog()
    app[LIVE_HUB] = LiveHub(app[COACH_REF], app[FEEDBACK])
    app[RELOAD_INTERVAL] = reload_interval
    app[WS_MAX_FRAME] = WS_MAX_FRAME_BYTES
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/v1/check", check)
    app.router.add_get("/v1/live", live_handler)
    app.router.add_get("/v1/rules", rules)
    app.router.add_get("/v1/feedback/recent", feedback_recent)
    app.router.add_get("/openapi.json", openapi_json)
    if store is not None:  # the feedback store (coach_server/store): events kept for the supervisor's stats
        from ..store.service import attach_store

        attach_store(app, store)
    register_pages(app)
    app.on_startup.append(_start_watcher)
    app.on_cleanup.append(_stop_watcher)
    return app
