"""Console adapters a service hands out, like its rules: to the extensions that talk to it and to the services
that follow it (docs/extension.md, docs/team.md).

- **directory** (`coach serve --adapters DIR`): one JSON file per adapter (`<id>.json`, the format of
  extension/adapters/*.json), polled for changes; a supervisor publishes one with `PUT /v1/adapters/<id>`. A file
  that is not an adapter is left out and named in `errors`; the others are served.
- **follow** (`coach serve --follow URL`): the team node's adapters, long-polled (`GET /v1/adapters` with the
  digest it has and `?wait=S`), the last good set kept on disk so a restart without the node still serves them.
- neither: no adapters of its own (the extension's shipped ones and the supervisor's own still work).

Routes: `GET /v1/adapters` (`If-None-Match` + `?wait=S`: answered when the set differs, else 304 after S s),
`PUT /v1/adapters/{id}` and `DELETE /v1/adapters/{id}` (supervisor token; directory only).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

from ..models import ErrorDetail
from ..rulebook.ruleset import write_atomically
from .follow import MAX_WAIT_S, FollowError, TeamNode
from .httpkit import HttpError, json_response, long_poll, read_json, require_token
from .longpoll import Changes

log = logging.getLogger("coach.adapters")

MAX_ADAPTER_BYTES = 256 << 10
MAX_ADAPTERS = 200
ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
ROLES = ("client", "operator", "system", "bot", "skip")
SIDES = ("left", "right", "center")
RETRY_MIN_S = 0.5
RETRY_MAX_S = 30.0

Mode = Literal["none", "directory", "follow"]


# --- what an adapter must be -----------------------------------------------------------------------------------
def _selectors(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(s, str) and s.strip() for s in items)


def adapter_problems(data: Any) -> list[str]:
    """What keeps `data` from being an adapter, each as «field: problem» (the same checks as the extension's
    worker makes, so that what a team node serves, every extension takes)."""
    if not isinstance(data, dict):
        return ["(adapter): a JSON object is expected"]
    problems = []
    ident = data.get("id")
    if not isinstance(ident, str) or not ID.match(ident):
        problems.append("id: lowercase letters, digits, «-», «_», «.» (at most 64), e.g. \"my-console\"")
    if "name" in data and not isinstance(data["name"], str):
        problems.append("name: a string")
    if not data.get("fallback"):
        match = data.get("match")
        if not isinstance(match, dict) or not (match.get("url") or match.get("dom")):
            problems.append("match: give url patterns or dom selectors")
        elif ("url" in match and not _selectors(match["url"])) or ("dom" in match and not _selectors(match["dom"])):
            problems.append("match: url and dom are strings or lists of strings")
    if not _selectors(data.get("editor")):
        problems.append("editor: a selector (or a list of them) for the reply box is required")
    messages = data.get("messages")
    if messages is not None:
        if not isinstance(messages, dict) or not isinstance(messages.get("item"), str):
            problems.append("messages.item: a selector for one message is required")
        else:
            roles = messages.get("roles", [])
            if not isinstance(roles, list):
                problems.append("messages.roles: a list")
                roles = []
            for i, rule in enumerate(roles):
                where = f"messages.roles[{i}]"
                if not isinstance(rule, dict):
                    problems.append(f"{where}: an object like {{\"role\": \"client\", \"is\": \"<selector>\"}}")
                    continue
                if rule.get("role") not in ROLES:
                    problems.append(f"{where}.role: one of {', '.join(ROLES)} (got {rule.get('role')!r})")
                if "side" in rule and rule["side"] not in SIDES:
                    problems.append(f"{where}.side: one of {', '.join(SIDES)}")
                has = rule.get("has")
                if has is not None and not (isinstance(has, str) or (isinstance(has, dict)
                                                                       and isinstance(has.get("selector"), str))):
                    problems.append(f"{where}.has: a selector, or {{\"selector\", \"text\"}}")
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_ADAPTER_BYTES:
        problems.append(f"(adapter): larger than {MAX_ADAPTER_BYTES >> 10} KiB")
    return problems


@dataclass(frozen=True)
class AdapterSet:
    """The adapters a service serves, with the digest that tells one set from another, and the files left out."""

    adapters: tuple[dict[str, Any], ...] = ()
    errors: tuple[str, ...] = ()
    digest: str = field(default="")

    @staticmethod
    def of(adapters: list[dict[str, Any]], errors: list[str] | None = None) -> AdapterSet:
        ordered = sorted(adapters, key=lambda a: a["id"])
        text = json.dumps(ordered, ensure_ascii=False, sort_keys=True)
        return AdapterSet(tuple(ordered), tuple(errors or ()), hashlib.sha256(text.encode()).hexdigest()[:16])

    def to_json(self) -> dict[str, Any]:
        return {"digest": self.digest, "adapters": list(self.adapters), "errors": list(self.errors)}

    @staticmethod
    def from_json(data: Any) -> AdapterSet:
        """A set as another service served it: every adapter checked again (ValueError names what is wrong)."""
        if not isinstance(data, dict) or not isinstance(data.get("adapters"), list):
            raise ValueError("expected {\"adapters\": [...]}")
        if len(data["adapters"]) > MAX_ADAPTERS:
            raise ValueError(f"more than {MAX_ADAPTERS} adapters")
        for i, adapter in enumerate(data["adapters"]):
            problems = adapter_problems(adapter)
            if problems:
                raise ValueError(f"adapters[{i}]: {problems[0]}")
        return AdapterSet.of(list(data["adapters"]))


def load_directory(directory: Path) -> AdapterSet:
    """Every `*.json` adapter in the directory; a file that is not one is named in `errors` and left out."""
    adapters: dict[str, dict[str, Any]] = {}
    errors = []
    try:
        files = sorted(p for p in directory.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    except OSError as exc:
        return AdapterSet.of([], [f"{directory}: {exc.strerror or exc}"])
    for path in files[:MAX_ADAPTERS]:
        try:
            if path.stat().st_size > MAX_ADAPTER_BYTES:
                raise ValueError(f"larger than {MAX_ADAPTER_BYTES >> 10} KiB")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            errors.append(f"{path.name}: not a JSON adapter ({exc})")
            continue
        problems = adapter_problems(data)
        if problems:
            errors.append(f"{path.name}: {'; '.join(problems)}")
        elif data["id"] in adapters:
            errors.append(f"{path.name}: the id {data['id']!r} is already taken by another file")
        else:
            adapters[data["id"]] = data
    if len(files) > MAX_ADAPTERS:
        errors.append(f"{directory}: only the first {MAX_ADAPTERS} files are served")
    return AdapterSet.of(list(adapters.values()), errors)


def _signature(directory: Path) -> tuple[object, ...]:
    try:
        return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(directory)
                            if e.name.endswith(".json")))
    except OSError:
        return ("missing",)


class ReadOnlyAdapters(Exception):
    """This service does not keep adapters of its own (it follows a team node, or has no --adapters)."""


class AdapterShelf:
    """The adapters in force and where they come from; `watch()` keeps them current."""

    def __init__(self, directory: Path | None = None, *, source: TeamNode | None = None,
                 snapshot: Path | None = None, interval: float = 1.0, check_interval: float = 15.0):
        self.directory = directory
        self.source = source
        self.snapshot = snapshot
        self.interval = interval
        self.check_interval = check_interval
        self.current = AdapterSet.of([])
        self.state: Literal["online", "offline", "starting"] = "starting" if source is not None else "online"
        self.last_error: str | None = None
        self._changes = Changes()  # followers' long polls wait on it
        self._signature: tuple[object, ...] | None = None
        if directory is not None:
            self.reload()

    @property
    def mode(self) -> Mode:
        return "follow" if self.source is not None else "directory" if self.directory is not None else "none"

    def _install(self, new: AdapterSet) -> None:
        if new.digest != self.current.digest or new.errors != self.current.errors:
            for error in new.errors:
                log.warning("adapter left out: %s", error)
            if new.digest != self.current.digest:
                log.info("%d console adapters in force", len(new.adapters))
            self.current = new
            self._changes.announce()

    def reload(self) -> None:
        if self.directory is not None:
            self._signature = _signature(self.directory)
            self._install(load_directory(self.directory))

    async def changed_from(self, digest: str, timeout: float) -> None:
        """Return when the set in force is no longer `digest` (or after `timeout` s, or on shutdown)."""
        await self._changes.wait_while(lambda: self.current.digest, digest, timeout)

    # --- keeping current -------------------------------------------------------------------------------------
    async def watch(self) -> None:
        if self.source is not None:
            await self._follow(self.source)
        elif self.directory is not None and self.interval > 0:
            while True:
                await asyncio.sleep(self.interval)
                if _signature(self.directory) != self._signature:
                    self.reload()

    async def _follow(self, source: TeamNode) -> None:
        kept = self._load_snapshot()
        if kept is not None:
            self._install(kept)
        delay = RETRY_MIN_S
        first = True
        while not self._changes.closing:
            try:
                known = None if first else self.current.digest
                data = await source.get_json("/v1/adapters", known, 0.0 if first else self.check_interval)
                if data is not None:
                    new = AdapterSet.from_json(data)
                    self._install(new)
                    await asyncio.to_thread(self._save_snapshot, new)
                self.state, self.last_error, first, delay = "online", None, False, RETRY_MIN_S
            except asyncio.CancelledError:
                raise
            except (FollowError, ValueError) as exc:
                if self.last_error != str(exc):
                    log.warning("team node's adapters unavailable (the last good ones stay): %s", exc)
                self.state, self.last_error = "offline", str(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    def _load_snapshot(self) -> AdapterSet | None:
        if self.snapshot is None:
            return None
        try:
            return AdapterSet.from_json(json.loads(self.snapshot.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def _save_snapshot(self, adapters: AdapterSet) -> None:
        if self.snapshot is None:
            return
        try:
            self.snapshot.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.snapshot, json.dumps(adapters.to_json(), ensure_ascii=False).encode())
        except OSError as exc:
            log.warning("cannot keep the team's adapters in %s: %s", self.snapshot, exc.strerror)

    async def closing(self, app: web.Application) -> None:
        """`on_shutdown`: long-polling followers are answered at once."""
        self._changes.close()

    # --- publishing ------------------------------------------------------------------------------------------
    def writable(self) -> Path:
        """The directory published adapters go to; ReadOnlyAdapters when this service keeps none of its own."""
        if self.source is not None:
            raise ReadOnlyAdapters(f"this service follows the team node {self.source.location}: publish adapters there")
        if self.directory is None:
            raise ReadOnlyAdapters("this service keeps no adapters: start it with --adapters DIR")
        return self.directory

    def save(self, adapter: dict[str, Any]) -> None:
        directory = self.writable()
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / f"{adapter['id']}.json",
                         (json.dumps(adapter, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        self.reload()

    def delete(self, ident: str) -> bool:
        path = self.writable() / f"{ident}.json"
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        self.reload()
        return True

    def status(self) -> dict[str, Any]:
        location = self.source.location if self.source is not None else str(self.directory) if self.directory else None
        return {"mode": self.mode, "location": location, "state": self.state, "last_error": self.last_error,
                "count": len(self.current.adapters)}


# --- routes ------------------------------------------------------------------------------------------------------
ADAPTERS: web.AppKey[AdapterShelf] = web.AppKey("adapters", AdapterShelf)


async def get_adapters(request: web.Request) -> web.Response:
    shelf = request.app[ADAPTERS]
    known, wait = long_poll(request, MAX_WAIT_S)
    if known and wait > 0:
        await shelf.changed_from(known, wait)
    headers = {"ETag": f'"{shelf.current.digest}"'}
    if known == shelf.current.digest:
        return web.Response(status=304, headers=headers)
    return json_response({**shelf.current.to_json(), "source": shelf.status()}, headers=headers)


def _ident(request: web.Request) -> str:
    ident = request.match_info["adapter_id"]
    if not ID.match(ident):
        raise HttpError(400, "an adapter id is lowercase letters, digits, «-», «_», «.»",
                        [ErrorDetail(field="(path)", problem=ident[:80])])
    return ident


async def put_adapter(request: web.Request) -> web.Response:
    require_token(request)  # what every operator's extension will read: a supervisor publishes it
    ident = _ident(request)
    shelf = request.app[ADAPTERS]
    try:
        shelf.writable()
    except ReadOnlyAdapters as exc:
        raise HttpError(409, str(exc)) from None
    data = await read_json(request)
    problems = adapter_problems(data)
    if isinstance(data, dict) and data.get("id") != ident:
        problems.insert(0, f"id: the body says {data.get('id')!r}, the address {ident!r}")
    if problems:
        raise HttpError(400, "not an adapter", [ErrorDetail(field=p.split(":", 1)[0], problem=p.split(":", 1)[-1].strip())
                                                for p in problems])
    try:
        await asyncio.to_thread(shelf.save, data)
    except ReadOnlyAdapters as exc:
        raise HttpError(409, str(exc)) from None
    return json_response({"saved": ident, "digest": shelf.current.digest})


async def delete_adapter(request: web.Request) -> web.Response:
    require_token(request)
    ident = _ident(request)
    shelf = request.app[ADAPTERS]
    try:
        found = await asyncio.to_thread(shelf.delete, ident)
    except ReadOnlyAdapters as exc:
        raise HttpError(409, str(exc)) from None
    if not found:
        raise HttpError(404, f"no adapter {ident!r} here")
    return json_response({"deleted": ident, "digest": shelf.current.digest})


def register(app: web.Application, shelf: AdapterShelf) -> None:
    app[ADAPTERS] = shelf
    app.router.add_get("/v1/adapters", get_adapters)
    app.router.add_put("/v1/adapters/{adapter_id}", put_adapter)
    app.router.add_delete("/v1/adapters/{adapter_id}", delete_adapter)
    app.on_shutdown.append(shelf.closing)
