"""The supervisor token: what a request needs to change rules or settings.

Generated on the service's first start, stored with owner-only permissions in the user's config
directory ($COACH_TOKEN_FILE, else $XDG_CONFIG_HOME/operator-coach/token, else ~/.config/…), printed by
`coach token`. Requests carry it as `Authorization: Bearer <token>` or `X-Coach-Token: <token>` (checked by
`httpkit.token_ok`).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def token_path() -> Path:
    explicit = os.environ.get("COACH_TOKEN_FILE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "operator-coach" / "token"


def load_or_create_token(path: Path | None = None) -> str:
    """The stored token; a new random one is written (mode 0600) when there is none."""
    path = path or token_path()
    try:
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    return token
