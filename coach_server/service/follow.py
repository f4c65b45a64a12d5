"""An operator's service following a team node's rules (`coach serve --follow https://team-node:PORT`) — and
its console adapters (service/adapters.py asks `GET /v1/adapters` the same way).

The team node answers `GET /v1/rules/set` with the files of the rules it enforces (docs/team.md). The
follower asks with the digest it has (`If-None-Match`) and `?wait=S`: the node answers as soon as its rules
differ, or `304 Not Modified` after S seconds — a long poll, so a change reaches the follower at once and a
quiet team costs one request per S seconds. The follower holds no database credentials: only a token of the
team node (an operator's token is enough), sent as `Authorization: Bearer …`.
"""
from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp

from ..rulebook.ruleset import RuleSet

MAX_WAIT_S = 60.0
MAX_BUNDLE_BYTES = 8 << 20


class FollowError(RuntimeError):
    """The team node could not be asked, or answered something else than a rule set."""


def check_follow_url(url: str) -> str:
    """The team node's base URL, normalised; ValueError saying what is wrong with it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL of a team node: {url!r} (e.g. https://team-node:8765)")
    if parts.username or parts.password:
        raise ValueError("put the token in --token-file, not in the URL")
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise ValueError("give the team node's address only (scheme://host:port), no path or query")
    return f"{parts.scheme}://{parts.netloc}"


class TeamNode:
    """A team node as a source of rules (service/rulewatch.py)."""

    mode: Literal["follow"] = "follow"

    def __init__(self, url: str, token: str, *, ssl_context: ssl.SSLContext | None = None,
                 connect_timeout: float = 5.0):
        self.url = check_follow_url(url)
        self.token = token
        self.ssl_context = ssl_context
        self.connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def location(self) -> str:
        return self.url

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self.ssl_context if self.ssl_context is not None else True,
                                             limit=2)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def get_json(self, path: str, known: str | None, wait: float) -> Any:
        """GET `path` on the team node with this service's token: its JSON, or None when the node says `known`
        (the digest this service has) is still current — after waiting up to `wait` s for a change (a long poll).
        FollowError when the node cannot be asked or refuses."""
        wait = max(0.0, min(wait, MAX_WAIT_S))
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if known is not None:
            headers["If-None-Match"] = f'"{known}"'
        timeout = aiohttp.ClientTimeout(total=wait + 15, sock_connect=self.connect_timeout)
        try:
            async with self._client().get(f"{self.url}{path}", params={"wait": f"{wait:g}"},
                                          headers=headers, timeout=timeout) as response:
                if response.status == 304:
                    return None
                if response.status == 429:  # the node has followers enough waiting: no news, ask again later
                    retry = response.headers.get("Retry-After", "")
                    await asyncio.sleep(min(float(retry), MAX_WAIT_S) if retry.isascii() and retry.isdigit()
                                        else 5.0)
                    return None
                if response.status in (401, 403):
                    raise FollowError(f"the team node refused this service's token (HTTP {response.status}): "
                                      "put a token of the team node in --token-file")
                if response.status != 200:
                    raise FollowError(f"the team node answered HTTP {response.status} to {path}")
                if (response.content_length or 0) > MAX_BUNDLE_BYTES:
                    raise FollowError(f"the team node's answer to {path} is larger than 8 MiB")
                body = await _read_capped(response, MAX_BUNDLE_BYTES, path)
            return json.loads(body)
        except aiohttp.ClientSSLError as exc:
            raise FollowError(f"TLS with {self.url} failed ({exc}); for a team node's own certificate "
                              "give it with --follow-ca") from None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise FollowError(f"{self.url}: {type(exc).__name__}: {exc}") from None
        except RecursionError:
            raise FollowError(f"the team node's answer to {path} is not usable: JSON nested too deeply") from None

    async def newer(self, current: RuleSet | None, wait: float) -> RuleSet | None:
        data = await self.get_json("/v1/rules/set", current.digest if current is not None else None, wait)
        if data is None:
            return None
        try:
            ruleset = RuleSet.from_json(data)
        except ValueError as exc:
            raise FollowError(f"the team node sent no usable rule set: {exc}") from None
        if not ruleset.files:  # an empty set would switch every rule off on every follower: never taken
            raise FollowError("the team node sent an empty rule set (no rule files); the last good one stays")
        if current is not None and ruleset.digest == current.digest:
            return None
        return ruleset

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _read_capped(response: aiohttp.ClientResponse, limit: int, path: str) -> bytes:
    """The body, at most `limit` bytes whatever its framing (Content-Length, chunked, until close): past it
    the answer is refused and the connection dropped — a hostile or broken node cannot grow a follower."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 << 10):
        size += len(chunk)
        if size > limit:
            response.close()
            raise FollowError(f"the team node's answer to {path} is larger than {limit >> 20} MiB (answer cut off)")
        chunks.append(chunk)
    return b"".join(chunks)
