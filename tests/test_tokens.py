"""Token files with holders' names and roles (service/token.py), `coach token --add`, and what an operator's
token may do on a service other machines reach: use it (check, live, the rule set) but not change rules or
read supervisor data."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys

import pytest

from coach_server.service.token import TokenFileError, TokenHolder, add_token, load_or_create_token, parse_tokens
from tests.conftest import free_port, token_file
from tests.test_security import _own_non_loopback_address, _serve, _wait_healthy


def test_a_token_file_names_its_holders():
    assert parse_tokens("abc0123456789abcdef\n") == [TokenHolder("supervisor", "abc0123456789abcdef")]
    holders = parse_tokens("# the floor's tokens\nfirst-0123456789abcdef\n\nanna: 9mX-0123456789abcdef\n"
                           "floor 3 (operator):Qe7_0123456789abcdef\nboss (supervisor) : zz-0123456789abcdef\n")
    assert [(h.label, h.role) for h in holders] == [("supervisor", "supervisor"), ("anna", "supervisor"),
                                                    ("floor 3", "operator"), ("boss", "supervisor")]
    assert holders[2].token == "Qe7_0123456789abcdef" and not holders[2].supervisor
    assert parse_tokens("a-0123456789abcdef\nb-0123456789abcdef\n")[1].label == "supervisor 2"
    with pytest.raises(TokenFileError, match="line 2"):
        parse_tokens("ok-0123456789abcdef\nanna: two words\n")
    with pytest.raises(TokenFileError, match="unknown role 'admin'"):
        parse_tokens("anna (admin): x-0123456789abcdef\n")


def test_adding_tokens(tmp_path):
    path = tmp_path / "dir" / "token"
    first = load_or_create_token(path)
    anna = add_token(path, "anna")
    floor = add_token(path, "floor-3", "operator")
    assert parse_tokens(path.read_text()) == [TokenHolder("supervisor", first), anna, floor]
    assert floor.role == "operator" and len(floor.token) >= 32
    assert (path.stat().st_mode & 0o777) == 0o600
    with pytest.raises(TokenFileError, match="already holds"):
        add_token(path, "anna")
    with pytest.raises(TokenFileError):
        add_token(path, "bad:name")
    assert load_or_create_token(path) == first  # the first token stays the service's own


def test_coach_token_add(tmp_path):
    path = tmp_path / "token"

    def coach(*args):
        return subprocess.run([sys.executable, "-m", "coach_server", "token", "--token-file", str(path), *args],
                              capture_output=True, text=True, timeout=60)

    first = coach().stdout.strip()
    added = coach("--add", "floor", "--operator", "-v")
    assert added.returncode == 0 and "operator 'floor'" in added.stderr
    token = added.stdout.strip()
    assert path.read_text().splitlines() == [first, f"floor (operator): {token}"]
    assert coach().stdout.strip() == first
    assert coach("--add", "floor").returncode == 2


def test_an_operators_token_uses_the_service_but_does_not_supervise(tmp_path):
    tokens = token_file(tmp_path / "tokens", "lead: lead-0123456789abcdef0123\n"
                                             "floor (operator): floor-0123456789abcdef0123\n")
    port = free_port()
    proc = _serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), "--token-file", str(tokens), "--store", "none")
    try:
        _wait_healthy(proc, port)
        address = _own_non_loopback_address()
        if address is None:
            pytest.skip("no non-loopback address on this machine to call from")

        def call(method: str, path: str, token: str | None, body: dict | None = None) -> int:
            conn = http.client.HTTPConnection(address, port, timeout=20)
            headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
            try:
                conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
                return conn.getresponse().status
            finally:
                conn.close()

        floor, lead = "floor-0123456789abcdef0123", "lead-0123456789abcdef0123"
        assert call("GET", "/healthz", None) == 401
        assert call("GET", "/healthz", floor) == 200
        assert call("POST", "/v1/check", floor, {"draft": "Спс"}) == 200
        assert call("GET", "/v1/rules/set", floor) == 200
        assert call("GET", "/supervisor/api/state", floor) == 403  # supervisor data: the supervisor's token
        assert call("GET", "/supervisor/api/stats", floor) == 401  # what operators did: a supervisor's token, as writes
        assert call("PUT", "/supervisor/api/rules/slang", floor, {"enabled": False}) == 401
        assert call("GET", "/supervisor/api/state", lead) == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
