"""No web page can use the local service: Host (DNS rebinding), Origin on every route (HTTP and WebSocket),
CORS only for allowed origins, loopback-only unless a token is configured. All against a real `coach serve`."""
from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import aiohttp
import pytest

from coach_server.service.guard import EXTENSION_ORIGIN, GuardConfig, is_loopback_address, parse_origins

from .conftest import ROOT, Server, free_port

EXT = EXTENSION_ORIGIN  # our extension: the id its manifest's key fixes
OTHER_EXT = "chrome-extension://" + "abcdefghijklmnop" * 2  # any other installed extension
FIREFOX = "moz-extension://3f2504e0-4f89-41d3-9a0c-0305e82c3301"
ROUTES = [("GET", "/healthz"), ("POST", "/v1/check"), ("GET", "/v1/rules"), ("GET", "/v1/feedback/recent"),
          ("GET", "/openapi.json"), ("GET", "/nope")]
BODY = json.dumps({"draft": "Пройдите на сайт", "now": 1_750_000_000}).encode()


def raw(server, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
        host: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(host, server.port, timeout=10)
    try:
        conn.request(method, path, body=body if body is not None else (BODY if method == "POST" else None),
                     headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    import shutil

    rules = tmp_path_factory.mktemp("sec") / "rules"
    shutil.copytree(ROOT / "rules", rules)
    server = Server(rules)
    yield server
    server.stop()


# --- Origin ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example", "null",
                                    "http://localhost:3000", "https://web.jivo.ru", "file://",
                                    "chrome-extension://not-an-id", "http://127.0.0.1", OTHER_EXT, FIREFOX])
@pytest.mark.parametrize("method, path", ROUTES)
def test_web_origins_are_refused_on_every_route(srv, method, path, origin):
    status, headers, body = raw(srv, method, path, {"Origin": origin})
    assert status == 403
    assert "not allowed" in json.loads(body)["error"]["details"][0]["problem"]
    assert "access-control-allow-origin" not in headers


@pytest.mark.parametrize("origin", [EXT, "http://127.0.0.1:{port}", "http://localhost:{port}",
                                    "http://[::1]:{port}"])
def test_extension_and_own_pages_are_served_with_cors(srv, origin):
    origin = origin.format(port=srv.port)
    status, headers, body = raw(srv, "POST", "/v1/check", {"Origin": origin})
    assert status == 200 and "warnings" in json.loads(body)
    assert headers["access-control-allow-origin"] == origin
    assert "Origin" in headers["vary"]
    status, headers, _ = raw(srv, "GET", "/nope", {"Origin": origin})  # errors are readable by the extension too
    assert status == 404 and headers["access-control-allow-origin"] == origin


def test_no_origin_is_served_without_cors(srv):
    status, headers, _ = raw(srv, "GET", "/healthz")
    assert status == 200
    assert "access-control-allow-origin" not in headers
    assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"


def test_preflight(srv):
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
           "Access-Control-Request-Private-Network": "true"}
    status, headers, _ = raw(srv, "OPTIONS", "/v1/check", {"Origin": EXT, **ask})
    assert status == 204
    assert headers["access-control-allow-origin"] == EXT
    assert "POST" in headers["access-control-allow-methods"]
    assert "Content-Type" in headers["access-control-allow-headers"]
    assert headers["access-control-allow-private-network"] == "true"
    status, headers, _ = raw(srv, "OPTIONS", "/v1/check", {"Origin": "https://evil.example", **ask})
    assert status == 403 and "access-control-allow-origin" not in headers


def test_cross_site_subresource_without_origin_is_refused(srv):
    # <img src="http://127.0.0.1:8765/..."> on some website: no Origin, but the browser says cross-site
    status, _, body = raw(srv, "GET", "/v1/feedback/recent", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode":
                                                             "no-cors", "Sec-Fetch-Dest": "image"})
    assert status == 403 and json.loads(body)["error"]["details"][0]["field"] == "Sec-Fetch-Site"
    # typing the address in the bar, or the extension itself: served
    assert raw(srv, "GET", "/healthz", {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"})[0] == 200
    assert raw(srv, "GET", "/healthz", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})[0] == 200


# --- Host (DNS rebinding) ----------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1:1", "localhost",
                                  "127.0.0.1.nip.io:{port}", "0.0.0.0:{port}", "LOCALHOST.:{port}"])
def test_foreign_host_header_is_refused(srv, host):
    host = host.format(port=srv.port)
    for method, path in ROUTES:
        status, _, body = raw(srv, method, path, {"Host": host})
        assert status == 421, (method, path)
        assert json.loads(body)["error"]["details"][0]["field"] == "Host"


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "[::1]:{port}"])
def test_loopback_host_names_are_served(srv, host):
    assert raw(srv, "GET", "/healthz", {"Host": host.format(port=srv.port)})[0] == 200


def test_supervisor_token_passes_the_host_check(srv):
    headers = {"Host": "coach.internal:1234", "Authorization": f"Bearer {srv.token}"}
    assert raw(srv, "GET", "/healthz", headers)[0] == 200
    assert raw(srv, "GET", "/healthz", {**headers, "Authorization": "Bearer wrong"})[0] == 421


# --- WebSocket ---------------------------------------------------------------------------------------------
def _ws(server, headers: dict) -> tuple[int | None, dict | None]:
    async def go():
        async with aiohttp.ClientSession() as s:
            try:
                ws = await s.ws_connect(server.url.replace("http", "ws") + "/v1/live", headers=headers)
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status, None
            hello = json.loads((await ws.receive(timeout=5)).data)
            await ws.close()
            return 101, hello
    return asyncio.run(go())


def test_websocket_from_a_web_page_is_refused(srv):
    assert _ws(srv, {"Origin": "https://evil.example"}) == (403, None)
    assert _ws(srv, {"Origin": "null"}) == (403, None)
    assert _ws(srv, {"Host": f"rebound.example:{srv.port}"}) == (421, None)


def test_websocket_from_the_extension_is_served(srv):
    for origin in (EXT, f"http://localhost:{srv.port}", None):
        status, hello = _ws(srv, {"Origin": origin} if origin else {})
        assert status == 101 and hello["type"] == "hello"
    assert _ws(srv, {"Origin": OTHER_EXT}) == (403, None)  # another extension: refused by default


# --- other extension origins, allowed on purpose ----------------------------------------------------------
def test_allow_origin_adds_another_extension(rules_copy):
    third = "chrome-extension://" + "p" * 32
    server = Server(rules_copy, "--allow-origin", OTHER_EXT, "--allow-origin", FIREFOX)
    try:
        for origin in (EXT, OTHER_EXT, FIREFOX, f"http://127.0.0.1:{server.port}"):
            assert raw(server, "GET", "/healthz", {"Origin": origin})[0] == 200, origin
        assert raw(server, "GET", "/healthz", {"Origin": third})[0] == 403
        assert _ws(server, {"Origin": third})[0] == 403
        assert _ws(server, {"Origin": OTHER_EXT})[0] == 101
    finally:
        server.stop()


def test_policy_unit():
    pinned = GuardConfig(allowed_origins=parse_origins(["chrome-extension://" + "a" * 32 + "/, " + FIREFOX]))
    assert pinned.origin_allowed("chrome-extension://" + "a" * 32, 8765)
    assert pinned.origin_allowed(FIREFOX.upper().replace("MOZ-EXTENSION", "moz-extension"), 8765)
    assert pinned.origin_allowed(EXT, 8765)  # ours stays allowed
    assert not pinned.origin_allowed(OTHER_EXT, 8765)
    assert not GuardConfig().origin_allowed(OTHER_EXT, 8765) and not GuardConfig().origin_allowed(FIREFOX, 8765)
    assert GuardConfig().origin_allowed("http://localhost:8765", 8765)
    assert not GuardConfig().origin_allowed("http://localhost:8766", 8765)
    with pytest.raises(ValueError):
        parse_origins(["evil.example"])
    assert is_loopback_address("127.0.0.2") and is_loopback_address("::1") and is_loopback_address("localhost")
    assert not is_loopback_address("0.0.0.0") and not is_loopback_address("") and not is_loopback_address("::")
    assert not is_loopback_address("10.0.0.1") and not is_loopback_address("coach.lan")
    bound = GuardConfig(bound_host="10.1.2.3", allowed_hosts=frozenset({"coach.lan"}))
    assert bound.remote_needs_token and not GuardConfig().remote_needs_token
    assert bound.host_allowed("10.1.2.3:8765", 8765) and bound.host_allowed("coach.lan:8765", 8765)
    assert not bound.host_allowed("evil.example:8765", 8765)


# --- binding beyond loopback -------------------------------------------------------------------------------
def _serve(tmp_path, *args: str, env_extra: dict | None = None, wait: float = 20) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "COACH_TOKEN_FILE"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), PYTHONUNBUFFERED="1",
               **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "coach_server", "serve", "--reload-interval", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)


@pytest.mark.parametrize("setup", ["none", "missing", "loose", "short", "default_location_only"])
def test_non_loopback_host_needs_a_configured_token(tmp_path, setup):
    token = tmp_path / "token"
    args = ["--host", "0.0.0.0", "--port", str(free_port())]
    if setup == "missing":
        args += ["--token-file", str(token)]
    elif setup == "loose":
        token.write_text("x" * 43)
        token.chmod(0o644)
        args += ["--token-file", str(token)]
    elif setup == "short":
        token.write_text("abc")
        token.chmod(0o600)
        args += ["--token-file", str(token)]
    elif setup == "default_location_only":  # a token created on an earlier loopback start is not "configured"
        default = tmp_path / "config" / "operator-coach" / "token"
        default.parent.mkdir(parents=True)
        default.write_text("y" * 43)
        default.chmod(0o600)
    proc = _serve(tmp_path, *args)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out
    assert "refusing to listen on 0.0.0.0" in out and "token" in out
    assert not (setup == "missing" and token.exists())  # it does not quietly create one


def _wait_healthy(proc: subprocess.Popen, port: int, wait: float = 30) -> None:
    """Until the service `_serve` started answers /healthz on loopback (it must not exit meanwhile)."""
    deadline = time.time() + wait
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                assert r.status == 200
                return
        except OSError:
            assert proc.poll() is None and time.time() < deadline, proc.stdout.read()
            time.sleep(0.1)


def _own_non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if is_loopback_address(address) or address == "0.0.0.0" else address


def test_non_loopback_with_a_configured_token(tmp_path):
    token_file = tmp_path / "token"
    token = "t" * 20 + "0123456789abcdefghijk"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    port = free_port()
    proc = _serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), "--token-file", str(token_file))
    try:
        _wait_healthy(proc, port)  # this machine, loopback: served as usual
        address = _own_non_loopback_address()
        if address is None:
            pytest.skip("no non-loopback address on this machine to call from")

        def call(headers: dict) -> int:
            conn = http.client.HTTPConnection(address, port, timeout=10)
            try:
                conn.request("GET", "/healthz", headers=headers)
                return conn.getresponse().status
            finally:
                conn.close()

        assert call({}) == 401  # another machine (as far as the service can tell): the token or nothing
        assert call({"Authorization": "Bearer wrong-token-wrong-token"}) == 401
        assert call({"Authorization": f"Bearer {token}"}) == 200
        assert call({"X-Coach-Token": token}) == 200
        assert call({"X-Coach-Token": token, "Origin": "https://evil.example"}) == 403  # still no web pages
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_token_file_is_owner_only(srv):
    assert (srv.token_file.stat().st_mode & 0o777) == 0o600
    assert len(srv.token) >= 32
