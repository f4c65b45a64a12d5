"""The supervisor token: what a request needs to change rules or settings.

Generated on the service's first start, stored with owner-only permissions in the user's config
directory ($COACH_TOKEN_FILE, else $XDG_CONFIG_HOME/operator-coach/token, else ~/.config/…), printed by
`coach token`. Requests carry it as `Authorization: Bearer <token>` or `X-Coach-Token: <token>` (checked by
`httpkit.token_ok`).

A token file may hold more than one token, one per line, each naming its holder (for a team node that
several supervisors, and the operators' services, reach):

    Kq3…                            the first token alone: held by "supervisor"
    anna: 9mX…                      a supervisor named anna: rule versions she saves say "anna"
    floor-3 (operator): Qe7…        operators' services and extensions: may check, follow the rules and
                                    use the live endpoint from another machine, but not change rules or
                                    read supervisor data

Lines starting with `#` are comments. `coach token --add NAME [--operator]` appends a new token.
"""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Role = Literal["supervisor", "operator"]
ROLES: tuple[Role, ...] = ("supervisor", "operator")
MIN_TOKEN_CHARS = 16
DEFAULT_HOLDER = "supervisor"

_LINE = re.compile(r"^(?:(?P<label>[^:()#]+?)\s*(?:\((?P<role>[a-z]+)\))?\s*:\s*)?(?P<token>\S+)$")
_LABEL = re.compile(r"^[\w .@-]{1,64}$")


@dataclass(frozen=True)
class TokenHolder:
    """Who holds a token, and what it may do."""

    label: str
    token: str
    role: Role = "supervisor"

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"


class TokenFileError(ValueError):
    """A token file line that says something else than `TOKEN` or `NAME [(role)]: TOKEN`."""


def parse_tokens(text: str) -> list[TokenHolder]:
    """The tokens of a token file, in order; TokenFileError naming the line that is wrong."""
    holders: list[TokenHolder] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise TokenFileError(f"line {number}: expected TOKEN or NAME: TOKEN or NAME (operator): TOKEN")
        label = (match["label"] or "").strip() or (DEFAULT_HOLDER if not holders else f"{DEFAULT_HOLDER} {number}")
        role = match["role"] or "supervisor"
        if not _LABEL.match(label):
            raise TokenFileError(f"line {number}: a holder's name is up to 64 letters, digits, spaces, . @ _ -")
        if role not in ROLES:
            raise TokenFileError(f"line {number}: unknown role {role!r}; roles: {', '.join(ROLES)}")
        holders.append(TokenHolder(label, match["token"], "operator" if role == "operator" else "supervisor"))
    return holders


def token_path() -> Path:
    explicit = os.environ.get("COACH_TOKEN_FILE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "operator-coach" / "token"


def read_tokens(path: Path) -> list[TokenHolder]:
    """Every token in the file (FileNotFoundError when there is none, TokenFileError when it is malformed)."""
    return parse_tokens(path.read_text(encoding="utf-8"))


def _write_owner_only(path: Path, text: str, *, append: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)


def load_or_create_token(path: Path | None = None) -> str:
    """The file's first token; a new random one is written (mode 0600) when there is none."""
    return load_or_create_tokens(path)[0].token


def load_or_create_tokens(path: Path | None = None) -> list[TokenHolder]:
    """Every token of the file; a file with a new random token is written (mode 0600) when there is none."""
    path = path or token_path()
    try:
        holders = read_tokens(path)
        if holders:
            return holders
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(32)
    _write_owner_only(path, token + "\n")
    return [TokenHolder(DEFAULT_HOLDER, token)]


def add_token(path: Path, label: str, role: Role = "supervisor") -> TokenHolder:
    """Append a new random token for `label` to the file (created owner-only when missing)."""
    if not _LABEL.match(label) or label.strip() != label:
        raise TokenFileError("a holder's name is up to 64 letters, digits, spaces, . @ _ - (no leading or "
                             "trailing spaces)")
    existing = read_tokens(path) if path.exists() else []
    if any(h.label == label for h in existing):
        raise TokenFileError(f"{path} already holds a token for {label!r}")
    holder = TokenHolder(label, secrets.token_urlsafe(32), role)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    prefix = "\n" if text and not text.endswith("\n") else ""
    suffix = " (operator)" if role == "operator" else ""
    _write_owner_only(path, f"{prefix}{label}{suffix}: {holder.token}\n", append=True)
    return holder
