"""The demo console: a page the service serves at `/demo` that looks and behaves like a vendor's operator
console (a conversation list, the open chat, a reply box), for trainers and for the browser tests. The
trainer plays the client from the same page (the "client" box under the chat), so the timers run for real.
The page is static: the extension reads it through `extension/adapters/demo.json` like any console."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


def register(app: web.Application) -> None:
    app.router.add_get("/demo", _index)
    app.router.add_get("/demo/", _index)
    app.router.add_static("/demo/static/", STATIC, append_version=False)
