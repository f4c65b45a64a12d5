"""schemathesis against the real `coach serve`, driven by the OpenAPI description the service publishes at
`/openapi.json`: valid and invalid requests generated from the schema for every operation; every answer
must be documented (status, content type, body schema), invalid input must be refused, none may be a 500."""
from __future__ import annotations

import base64
import hashlib
import shutil

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from .conftest import ROOT, Server
from .strategies import FUZZ


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    rules = tmp_path_factory.mktemp("fuzz-openapi") / "rules"
    shutil.copytree(ROOT / "rules", rules)
    server = Server(rules)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_schema(served):
    return schemathesis.openapi.from_url(served.url + "/openapi.json")


# schemathesis' own pytest integration (`from_fixture`) does not run under pytest 9, so the generation is
# driven here: one hypothesis test per operation and mode, drawing cases from the published description.
OPERATIONS = [("GET", "/healthz"), ("POST", "/v1/check"), ("GET", "/v1/rules"), ("GET", "/v1/rules/set"),
              ("GET", "/v1/feedback/recent"), ("GET", "/v1/live"), ("GET", "/openapi.json"), ("GET", "/v1/adapters"),
              ("PUT", "/v1/adapters/{adapter_id}"), ("DELETE", "/v1/adapters/{adapter_id}"), ("GET", "/v1/team/figures")]
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WITH_INPUT = [("POST", "/v1/check"), ("GET", "/v1/rules/set"), ("GET", "/v1/live"), ("GET", "/v1/adapters"),
              ("PUT", "/v1/adapters/{adapter_id}"), ("GET", "/v1/team/figures")]  # the others take no input


def test_every_published_operation_is_fuzzed(served):
    _, doc = served.get("/openapi.json")
    published = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    assert published == set(OPERATIONS)


def _future_timestamps_only(response) -> bool:
    """The one rule JSON Schema cannot state: timestamps at most 120 s ahead of `now` (or the server clock)."""
    details = response.json()["error"]["details"]
    return bool(details) and all("in the future" in d["problem"] for d in details)


@pytest.mark.parametrize("method, path, mode", [(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS]
                         + [(m, p, GenerationMode.NEGATIVE) for m, p in WITH_INPUT], ids=str)
@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_api_conforms_to_its_description(api_schema, served, method, path, mode, data):
    operation = api_schema[path][method]
    case = data.draw(operation.as_strategy(generation_mode=mode))
    # an operation that declares the supervisor token gets it (its refusal without it is tested elsewhere)
    token = {"Authorization": f"Bearer {served.token}"} if operation.definition.raw.get("security") else None
    response = case.call(base_url=served.url, headers=token)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
    if path == "/v1/live" and mode == GenerationMode.POSITIVE:
        # a valid upgrade: 101 with the right accept key (schemathesis has no notion of 101; checked here)
        key = case.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
        assert response.status_code == 101 and headers["sec-websocket-accept"] == accept
    elif mode == GenerationMode.POSITIVE and response.status_code == 400 and _future_timestamps_only(response):
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
    elif mode == GenerationMode.NEGATIVE and response.status_code == 413:  # refused for its size: documented
        case.validate_response(response, excluded_checks=[negative_data_rejection])
    else:  # documented status, content type and body; valid input accepted, invalid input refused
        case.validate_response(response)


def test_published_description_is_openapi_3_1(served):
    status, doc = served.get("/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) >= {"/healthz", "/v1/check", "/v1/rules", "/v1/feedback/recent", "/v1/live"}
    request = doc["components"]["schemas"]["CheckRequest"]
    assert request["additionalProperties"] is False
    assert {"type": "integer", "minimum": 0, "maximum": 20_000} in request["properties"]["caret"]["anyOf"]
    assert request["properties"]["draft"]["maxLength"] == 20_000
    assert request["properties"]["messages"]["maxItems"] == 2_000
    live = doc["paths"]["/v1/live"]["get"]
    assert "101" in live["responses"] and live["x-websocket-frames"]["client"]
