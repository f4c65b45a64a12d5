"""Property tests over `/v1/check`: in process (the Coach) and through the real `coach serve`.

Whatever arrives — plausible chats, broken fields, arbitrary JSON, arbitrary bytes — the answer is warnings
that make sense for the draft, or a 4xx that names what is wrong; never a 500, never a dead service."""
from __future__ import annotations

import http.client
import json
import shutil

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coach_server.models import SEVERITY_RANK, CheckResult, RequestError

from .conftest import ROOT, Server
from .strategies import FUZZ, KNOWN_CRASHES, NOW, broken_requests, check_requests, json_values, unexpected_errors


def assert_sane(result: CheckResult, request: dict) -> None:
    draft = request.get("draft", "")
    ranks = [SEVERITY_RANK[w.severity] for w in result.warnings]
    assert ranks == sorted(ranks), "most severe first"
    assert result.lang in ("ru", "en") and result.took_ms >= 0
    for w in result.warnings:
        assert w.message.strip(), w
        assert (w.start is None) == (w.end is None), w
        if w.start is not None:
            assert 0 <= w.start <= w.end <= len(draft), (w, len(draft))
        if w.suggestion is not None:
            assert w.start is not None, "a suggestion replaces a span"
    if request.get("lang"):
        assert result.lang == request["lang"]


# --- in process ------------------------------------------------------------------------------------------
@settings(FUZZ, max_examples=300)
@given(request=check_requests())
def test_valid_requests_get_sane_warnings(coach, request):
    failures = dict(coach.rule_failures)
    result = coach.check(request)
    crashed = {rule for rule, n in coach.rule_failures.items() if n != failures.get(rule)}
    assert crashed <= KNOWN_CRASHES, f"rules crashed (the engine skipped them and logged a traceback): {crashed}"
    assert_sane(result, request)
    again = coach.check(request)  # the second time everything comes from the caches: same answer
    assert [w.model_dump() for w in again.warnings] == [w.model_dump() for w in result.warnings]


# Engine bugs this fuzzing found, fixed and pinned (KNOWN_CRASHES in strategies.py lists any still open).


@pytest.mark.parametrize("name", [" ", "\t"])
def test_blank_operator_name_does_not_crash_a_rule(coach, name):
    failures = dict(coach.rule_failures)
    coach.check({"draft": "Добрый день! Чем могу помочь?", "operator_name": name, "now": NOW,
                 "messages": [{"role": "client", "text": "Здравствуйте", "ts": NOW - 5}]})
    assert coach.rule_failures == failures


def test_number_then_word_does_not_crash_a_rule(coach):
    failures = dict(coach.rule_failures)
    coach.check({"draft": "Обратитесь позже, через 5 минут", "now": NOW})
    assert coach.rule_failures == failures


@settings(FUZZ, max_examples=300)
@given(request=broken_requests())
def test_broken_requests_are_refused_with_fields(coach, request):
    try:
        result = coach.check(request)
    except RequestError as exc:
        assert exc.message and exc.details
        assert all(d.field and d.problem for d in exc.details)
    else:  # the junk happened to be valid (e.g. a string where a string belongs)
        assert_sane(result, request)


@FUZZ
@given(data=json_values)
@example(data=[])
@example(data={"messages": [[]]})
@example(data={"draft": "x", "messages": [{"role": "client", "text": "x", "ts": 1e300}]})
def test_any_json_is_a_result_or_a_request_error(coach, data):
    try:
        coach.check(data)
    except RequestError as exc:
        assert exc.details


# --- through the real service ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def http_server(tmp_path_factory):
    rules = tmp_path_factory.mktemp("fuzz-http") / "rules"
    shutil.copytree(ROOT / "rules", rules)
    server = Server(rules)
    yield server
    server.stop()


class Client:
    """One keep-alive connection, reopened when the service closes it."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)

    def post(self, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
        for attempt in (0, 1):
            try:
                self.conn.request("POST", "/v1/check", body=body, headers={"Content-Type": content_type})
                resp = self.conn.getresponse()
                raw = resp.read()
                assert resp.getheader("Content-Type", "").startswith("application/json"), raw[:200]
                return resp.status, json.loads(raw)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
                if attempt:
                    raise
        raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def client(http_server):
    c = Client(http_server.port)
    yield c
    c.conn.close()


def _assert_error_body(status: int, body: dict) -> None:
    assert status in (400, 413), (status, body)
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], list)


@settings(FUZZ, max_examples=200)
@given(request=st.one_of(check_requests(), broken_requests()))
def test_service_answers_200_or_400_never_500(client, request):
    status, body = client.post(json.dumps(request, ensure_ascii=False).encode())
    if status == 200:
        assert set(body) == {"warnings", "lang", "took_ms", "quiet"}
        assert_sane(CheckResult.model_validate(body), request)
    else:
        _assert_error_body(status, body)
        assert all(d["field"] and d["problem"] for d in body["error"]["details"])


@settings(FUZZ, max_examples=200)
@given(raw=st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
))
@example(raw=b'{"draft": "\\ud800 \xd0\x9f\xd1\x80\xd0\xbe"}')  # a lone surrogate escape: valid JSON, not text
@example(raw=b'{"draft": "x", "now": NaN}')
@example(raw=b'{"draft": "x", "now": Infinity}')
@example(raw=b'{"draft": "x", "now": 1e999}')
@example(raw=b'{"draft": "x", "draft": 5}')
@example(raw=b"\xef\xbb\xbf{}")  # a UTF-8 byte order mark
@example(raw=b'{"messages": [' + b'{"role":"client","text":"x"},' * 3 + b"]}")
@example(raw=b"[" * 50_000 + b"]" * 50_000)
@example(raw=b'{"a":' * 5_000 + b"1" + b"}" * 5_000)
@example(raw=b"\x00" * 100)
def test_service_survives_arbitrary_bytes(client, raw):
    status, body = client.post(raw)
    if status != 200:
        _assert_error_body(status, body)


def test_wrong_content_types_are_still_judged_by_the_body(client):
    status, body = client.post(json.dumps({"draft": "Пройдите на сайт", "now": NOW}).encode(), "text/plain")
    assert status == 200 and body["warnings"]


def test_service_still_serves_after_the_fuzzing(http_server):
    status, body = http_server.get("/healthz")
    assert status == 200 and body["status"] == "ok"
    log = http_server.log.read_text(encoding="utf-8")
    assert not unexpected_errors(log), log[-3000:]
