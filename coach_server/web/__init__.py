"""Pages the service serves itself (demo console, supervisor, trainer). Each page module exposes
`register(app)`; `register_all` wires them into the aiohttp application."""
from __future__ import annotations

from aiohttp import web


def register_all(app: web.Application) -> None:
    from . import demo, supervisor, trainer  # imported here: the pages import the service's modules

    for page in (demo, supervisor, trainer):
        page.register(app)
