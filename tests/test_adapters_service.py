"""Console adapters served like the rules (service/adapters.py), through the real `coach serve`:
`--adapters DIR` serves a directory of them, a supervisor publishes one with `PUT /v1/adapters/<id>`, a waiting
`GET` hears of a change at once, and an operator's service that follows the team node (`--follow`) serves the
node's adapters to its extension, keeps them when the node is away and after a restart."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from coach_server.service.adapters import AdapterSet, adapter_problems, load_directory

from .conftest import RULES, Server

EXTENSION_ADAPTERS = Path(__file__).resolve().parents[1] / "extension" / "adapters"

ACME = {"id": "acme-desk", "name": "Acme Desk", "match": {"url": ["/desk/c/"], "dom": ["[role='log']"]},
        "editor": "[role='textbox']", "conversation": {"url": "/c/([^/?#&]+)"},
        "messages": {"root": "[role='log']", "item": ":scope > div", "text": ":scope > div > div",
                     "time": {"selector": "time", "attr": "datetime"},
                     "roles": [{"role": "client", "side": "left"}, {"role": "operator", "side": "right"},
                               {"role": "system"}]}}


def rules_in(where: Path) -> Path:
    """A private copy of the rules (the service keeps its log and token files beside them)."""
    return Path(shutil.copytree(RULES, where / "rules"))


def call(server: Server, method: str, path: str, body: object = None, *, token: str | None = None,
         headers: dict | None = None, timeout: float = 20) -> tuple[int, dict | None, dict]:
    data = json.dumps(body).encode() if body is not None else None
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(server.url + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None, dict(r.headers)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None, dict(e.headers)


def ids(server: Server) -> list[str]:
    status, body, _ = call(server, "GET", "/v1/adapters")
    assert status == 200, body
    return [a["id"] for a in body["adapters"]]


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# --- what an adapter is ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(EXTENSION_ADAPTERS.glob("*.json")), ids=lambda p: p.name)
def test_every_shipped_adapter_is_one_a_team_node_would_serve(path):
    if path.name == "index.json":
        listed = json.loads(path.read_text(encoding="utf-8"))["adapters"]
        assert sorted(listed) == sorted(p.name for p in EXTENSION_ADAPTERS.glob("*.json") if p.name != "index.json")
        return
    assert adapter_problems(json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("bad,field", [
    ([], "(adapter)"),
    ({**ACME, "id": "Acme Desk"}, "id"),
    ({**ACME, "match": {}}, "match"),
    ({**ACME, "editor": ""}, "editor"),
    ({**ACME, "messages": {"root": "x"}}, "messages.item"),
    ({**ACME, "messages": {**ACME["messages"], "roles": [{"role": "agent"}]}}, "messages.roles[0].role"),
    ({**ACME, "messages": {**ACME["messages"], "roles": [{"role": "client", "side": "top"}]}}, "messages.roles[0].side"),
])
def test_what_is_not_an_adapter_is_named(bad, field):
    problems = adapter_problems(bad)
    assert problems and problems[0].startswith(field), problems


def test_a_directory_serves_its_adapters_and_names_the_files_left_out(tmp_path):
    (tmp_path / "acme-desk.json").write_text(json.dumps(ACME), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "twin.json").write_text(json.dumps(ACME), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not an adapter, not a .json", encoding="utf-8")
    served = load_directory(tmp_path)
    assert [a["id"] for a in served.adapters] == ["acme-desk"]
    assert [e.split(":")[0] for e in served.errors] == ["broken.json", "twin.json"]
    # the digest names the set, whatever the order
    assert AdapterSet.of([ACME]).digest == served.digest
    assert AdapterSet.from_json(served.to_json()).digest == served.digest


# --- a service serving a directory ------------------------------------------------------------------------------
@pytest.fixture
def node(tmp_path):
    adapters = tmp_path / "adapters"
    adapters.mkdir()
    server = Server(rules_in(tmp_path), "--adapters", str(adapters), "--store", "none")
    server.adapters = adapters
    yield server
    server.stop()


def test_a_supervisor_publishes_an_adapter_and_a_waiting_request_hears_of_it(node):
    status, body, headers = call(node, "GET", "/v1/adapters")
    assert status == 200 and body["adapters"] == [] and body["source"]["mode"] == "directory"
    empty = body["digest"]
    assert headers["ETag"] == f'"{empty}"'
    assert call(node, "GET", "/v1/adapters", headers={"If-None-Match": f'"{empty}"'})[0] == 304
    assert call(node, "GET", "/v1/adapters?wait=61")[0] == 400

    # publishing needs the supervisor token
    assert call(node, "PUT", "/v1/adapters/acme-desk", ACME)[0] == 401
    # a request waiting for a change is answered as soon as the adapter is published
    answer: dict = {}

    def wait_for_change() -> None:
        started = time.time()
        answer["status"], answer["body"], _ = call(node, "GET", "/v1/adapters?wait=20",
                                                   headers={"If-None-Match": f'"{empty}"'})
        answer["took"] = time.time() - started

    waiting = threading.Thread(target=wait_for_change)
    waiting.start()
    time.sleep(0.5)
    status, body, _ = call(node, "PUT", "/v1/adapters/acme-desk", ACME, token=node.token)
    assert status == 200 and body["saved"] == "acme-desk"
    waiting.join(15)
    assert answer["status"] == 200 and [a["id"] for a in answer["body"]["adapters"]] == ["acme-desk"]
    assert answer["took"] < 3, answer["took"]
    assert json.loads((node.adapters / "acme-desk.json").read_text(encoding="utf-8")) == ACME

    # bad adapters are refused with what is wrong, and nothing is written
    status, body, _ = call(node, "PUT", "/v1/adapters/acme-desk", {**ACME, "id": "other"}, token=node.token)
    assert status == 400 and body["error"]["details"][0]["field"] == "id"
    status, body, _ = call(node, "PUT", "/v1/adapters/bad", {**ACME, "id": "bad", "editor": []}, token=node.token)
    assert status == 400 and any(d["field"] == "editor" for d in body["error"]["details"])
    assert call(node, "PUT", "/v1/adapters/Not%20An%20Id", ACME, token=node.token)[0] == 400
    assert sorted(p.name for p in node.adapters.iterdir()) == ["acme-desk.json"]

    # a file put there by hand is served too (the directory is watched); a broken one is named, not served
    (node.adapters / "second.json").write_text(json.dumps({**ACME, "id": "second"}), encoding="utf-8")
    (node.adapters / "broken.json").write_text("[", encoding="utf-8")
    assert wait_until(lambda: ids(node) == ["acme-desk", "second"])
    assert call(node, "GET", "/v1/adapters")[1]["errors"][0].startswith("broken.json")

    assert call(node, "DELETE", "/v1/adapters/second", token=node.token)[0] == 200
    assert call(node, "DELETE", "/v1/adapters/second", token=node.token)[0] == 404
    assert ids(node) == ["acme-desk"]


def test_a_service_without_adapters_serves_none_and_keeps_none(tmp_path):
    server = Server(rules_in(tmp_path), "--store", "none")
    try:
        status, body, _ = call(server, "GET", "/v1/adapters")
        assert status == 200 and body["adapters"] == [] and body["source"]["mode"] == "none"
        status, body, _ = call(server, "PUT", "/v1/adapters/acme-desk", ACME, token=server.token)
        assert status == 409 and "--adapters" in body["error"]["message"]
    finally:
        server.stop()


# --- an operator's service following the team node --------------------------------------------------------------
def test_a_follower_serves_the_team_nodes_adapters_and_keeps_them(node, tmp_path):
    assert call(node, "PUT", "/v1/adapters/acme-desk", ACME, token=node.token)[0] == 200
    token_file = tmp_path / "team-token"
    token_file.write_text(node.token + "\n", encoding="utf-8")
    os.chmod(token_file, 0o600)
    follower = Server(rules_in(tmp_path / "op"), "--follow", node.url, "--token-file", str(token_file),
                      "--follow-interval", "2", "--store", "none")
    try:
        assert wait_until(lambda: ids(follower) == ["acme-desk"])
        status, body, _ = call(follower, "GET", "/v1/adapters")
        assert body["source"]["mode"] == "follow" and body["source"]["state"] == "online"
        assert body["adapters"] == [ACME]
        # published on the node: on the follower at once (its long poll is answered), well within its interval
        started = time.time()
        assert call(node, "PUT", "/v1/adapters/second", {**ACME, "id": "second"}, token=node.token)[0] == 200
        assert wait_until(lambda: ids(follower) == ["acme-desk", "second"], timeout=5)
        assert time.time() - started < 2
        # the follower's adapters are changed on the node, not here
        status, body, _ = call(follower, "PUT", "/v1/adapters/third", {**ACME, "id": "third"}, token=node.token)
        assert status == 409 and "follows the team node" in body["error"]["message"]

        # the node goes away: the follower keeps serving the last good set, and after its own restart too
        node.stop()
        assert wait_until(lambda: call(follower, "GET", "/v1/adapters")[1]["source"]["state"] == "offline")
        assert ids(follower) == ["acme-desk", "second"]
        follower.stop()
        follower.start()
        assert ids(follower) == ["acme-desk", "second"]
    finally:
        follower.stop()
