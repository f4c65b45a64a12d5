"""What the service's own pages share: `/static/common/` (russian.js — their Russian for errors and numbers)."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"


def register(app: web.Application) -> None:
    app.router.add_static("/static/common/", STATIC, append_version=False)
