"""The API the extension and other clients call (the contract in docs/api.md and docs/live-protocol.md):

- `GET /healthz` — liveness, version, how many rules are loaded and any rule-file errors;
- `POST /v1/check` — one check;
- `GET /v1/live` — the WebSocket for live coaching (live.py);
- `GET /v1/rules` — the loaded rules (with what each one's kind reads) and their errors;
- `GET /v1/rules/set` — the files of the rules in force, for services that follow this one (long poll);
- `GET /v1/team/figures` — the team's verdicts as counts per rule and trigger, for followers (long poll);
- `GET /v1/feedback/recent` — the latest shown/dismissed/applied events (supervisor token);
- `GET /openapi.json` — the OpenAPI 3.1 description of these routes.

Every request first passes the guard (Host, Origin, CORS, remote peers: guard.py); the composition root
(`coach_server.server`) wires the parts these handlers find under `keys`.
"""
from __future__ import annotations

import logging
import os
import random
from typing import Any

from aiohttp import web

from .. import __version__
from ..models import RequestError
from .follow import MAX_WAIT_S
from .gcpauses import PAUSES
from .httpkit import HttpError, json_response, long_poll, read_json, require_token
from .keys import COACH, FEEDBACK, RULES, TEAM, WORKER
from .live import LiveHub
from .openapi import openapi_text
from .rulewatch import MAX_WAITERS, TooManyWaiting
from .slices import evaluate_in_slices

log = logging.getLogger("coach.service")


async def healthz(request: web.Request) -> web.Response:
    coach = request.app[COACH]
    return json_response({
        "status": "ok",
        "version": __version__,
        "rules": len(coach.rulebook.active),
        "rules_dir": str(coach.rules_dir) if coach.rules_dir is not None else None,
        "rule_errors": [e.to_json() for e in coach.errors],
        "rules_source": request.app[RULES].status(),
        "precision": {"source": coach.precision.source, "measured": coach.precision.measured,
                      "min_confidence": coach.min_confidence, "error": coach.precision_error,
                      "team": request.app[TEAM].status()},
        "process": _process(request.app),
    })


def _process(app: web.Application) -> dict[str, Any]:
    worker, workers = app.get(WORKER, (0, 1))
    return {"pid": os.getpid(), "worker": worker, "workers": workers, "gc": PAUSES.summary()}


async def check(request: web.Request) -> web.Response:
    data = await read_json(request)
    try:
        result = (await evaluate_in_slices(request.app[COACH], lambda: data)).result
    except RequestError as exc:
        raise HttpError(400, exc.message, exc.details) from None
    if log.isEnabledFor(logging.DEBUG):  # debug logging only: this shows what the operator typed
        log.debug("check draft=%r → %s", data.get("draft") if isinstance(data, dict) else None,
                  [w.rule for w in result.warnings])
    return json_response(result.model_dump())


async def rules(request: web.Request) -> web.Response:
    coach = request.app[COACH]
    return json_response({
        "rules": [
            {"id": r.id, "title": r.spec.title, "kind": r.spec.kind, "severity": r.spec.severity,
             "enabled": r.spec.enabled, "description": r.description, "stale": r.stale,
             "precision": coach.precision_of(r.id), **r.traits()}
            for r in coach.rulebook.rules.values()
        ],
        "errors": [e.to_json() for e in coach.errors],
    })


async def rule_set(request: web.Request) -> web.Response:
    """The files of the rules in force. `If-None-Match: "<digest>"` with `?wait=S` waits up to S seconds
    (at most 60) for the rules to differ from that digest, else answers 304."""
    known, wait = long_poll(request, MAX_WAIT_S)
    watcher = request.app[RULES]
    if known and wait > 0:
        try:
            await watcher.changed_from(known, wait)
        except TooManyWaiting:
            raise HttpError(429, f"{MAX_WAITERS} followers already wait for a change here; ask again later",
                            headers={"Retry-After": str(random.randint(5, 15))}) from None
    digest, body = await watcher.files_body()
    headers = {"ETag": f'"{digest}"'}
    if known == digest:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers=headers, content_type="application/json", charset="utf-8")


async def team_figures(request: web.Request) -> web.Response:
    """The team's figures in force here (its supervisors' agreed verdicts per rule and trigger, no text), for the
    services that follow this one. `If-None-Match: "<digest>"` with `?wait=S` waits up to S seconds for them to
    change, else answers 304."""
    known, wait = long_poll(request, MAX_WAIT_S)
    watcher = request.app[TEAM]
    if known and wait > 0:
        await watcher.changed_from(known, wait)
    digest = watcher.current.digest
    headers = {"ETag": f'"{digest}"'}
    if known == digest:
        return web.Response(status=304, headers=headers)
    return json_response(watcher.current.to_json(), headers=headers)


async def feedback_recent(request: web.Request) -> web.Response:
    require_token(request)  # what operators did, and who: for the supervisor, not for any local program
    return json_response({"events": [e.to_json() for e in request.app[FEEDBACK].recent]})


async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(text=openapi_text(), content_type="application/json", charset="utf-8")


def register(app: web.Application, hub: LiveHub) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/v1/check", check)
    app.router.add_get("/v1/live", hub.handle)
    app.router.add_get("/v1/rules", rules)
    app.router.add_get("/v1/rules/set", rule_set)
    app.router.add_get("/v1/team/figures", team_figures)
    app.router.add_get("/v1/feedback/recent", feedback_recent)
    app.router.add_get("/openapi.json", openapi_json)
