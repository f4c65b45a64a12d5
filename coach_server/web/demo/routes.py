"""The demo console: a page the service serves at `/demo` that looks and behaves like a vendor's operator
console (a conversation list, the open chat, a reply box), for trainers and for the browser tests. The
trainer plays the client from the same page (the "client" box under the chat), so the timers run for real.
The page is static: the extension reads it through `extension/adapters/demo.json` like any console.

`GET /demo/api/norms?channel=messenger` — what the rules do differently in that channel (the console says it
under the chat's name when the trainer opens `/demo?channel=…`): each rule with norms of its own there, its
description with that channel's thresholds filled in, or that it is off there."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from ...models import CHANNELS, DEFAULT_CHANNEL, ErrorDetail
from ...rulebook.description import fill as fill_description
from ...service.httpkit import HttpError, json_response
from ...service.keys import COACH

STATIC = Path(__file__).resolve().parent / "static"
CHANNEL_RU = {"chat": "чат на сайте", "messenger": "мессенджер", "social": "соцсети", "email": "почта и обращения"}


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def _norms(request: web.Request) -> web.Response:
    channel = request.query.get("channel") or DEFAULT_CHANNEL
    if channel not in CHANNELS:
        raise HttpError(400, f"not a channel: {channel[:40]!r}", [ErrorDetail(field="channel", problem=(
            f"one of {', '.join(CHANNELS)}"))])
    rules = []
    for rule in sorted(request.app[COACH].rulebook.rules.values(), key=lambda r: r.spec.title):
        if channel not in rule.spec.channels:
            continue
        check = rule.check.for_channel(channel)
        rules.append({"id": rule.id, "title": rule.spec.title, "active": check is not None,
                      "text": fill_description(rule.spec.description.strip(), check.params)
                      if check is not None else None})
    return json_response({"channel": channel, "name": CHANNEL_RU[channel], "rules": rules})


def register(app: web.Application) -> None:
    app.router.add_get("/demo", _index)
    app.router.add_get("/demo/", _index)
    app.router.add_get("/demo/api/norms", _norms)
    app.router.add_static("/demo/static/", STATIC, append_version=False)
