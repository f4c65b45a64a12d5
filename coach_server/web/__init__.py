"""Pages the service serves itself (demo console, supervisor, trainer). Each page module exposes
`register(app)`; `register_all` wires them into the aiohttp application."""
from __future__ import annotations

from aiohttp import web


def register_all(app: web.Application) -> None:
    # each page module adds its own line here
    from .demo import register as register_demo; register_demo(app)
    from .supervisor import register as register_supervisor; register_supervisor(app)
    from .trainer import register as register_trainer; register_trainer(app)
