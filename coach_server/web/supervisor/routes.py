"""`/supervisor`: rule tuning with back-testing, and feedback stats, for supervisors.

Page: `GET /supervisor` (plain HTML/CSS/JS in static/, no build step). API under `/supervisor/api/`:

- `GET  state`                  rules, rule-file errors, the feedback store, corpora, whether the token is valid
- `GET  rules/{id}`             one rule: values, the JSON schema of its kind (the form), file, digest
- `POST rules/{id}/check`       validate an edit without saving: errors as `coach rules check` words them,
                                the rule's own examples that would fail, the diff of the file
- `POST rules/{id}/description` the description an edit would show, its thresholds filled in
- `PUT  rules/{id}`             save an edit (supervisor token): the file is rewritten (or, with the team's
                                store, a new version is made), the rules reloaded and every connected extension
                                re-checked at once; 409 when the rule changed since the edit's `base_digest`
- `GET  versions?limit=&before=` the rule-set versions, newest first, with per-file diffs (the team's store, or
                                the versions of the rules directory kept beside the service's data)
- `POST versions/{n}/rollback`  a new version with the files of version n (supervisor token)
- `POST backtest`               current vs proposed rules on a corpus, rule by rule, with the changed examples
- `POST corpora?name=…`         upload a JSONL corpus (docs/audit.md); `DELETE corpora/{id}` forgets it
- `GET  stats?since=&until=`    per rule: shown / dismissed / applied over the period (the feedback store)
- `PUT  settings`               `{"store_text": true|false}` (supervisor token)
- `GET  judging/queue?corpus=`  «Проверка подсказок»: the warnings for this supervisor to judge (judging.py)
- `PUT|DELETE judging/verdicts/{item}`  a verdict on one of them, or taking it back (undo)
- `GET  judging/summary?corpus=`, `judging/export?corpus=&supervisor=`  agreement and figures; the labels file
- `GET  rules/{id}/verdicts`    the team's verdicts behind a rule's figure, with the messages
- `GET  status-changes`         what the team's verdicts changed in what operators see, with who and why

Writes need the supervisor token (`Authorization: Bearer …` or `X-Coach-Token`); reads are answered only to
this machine (or with the token).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
from pathlib import Path
from typing import Any

from aiohttp import ClientPayloadError, EofStream, web

from ...corpus import BadLine, Chat, ReadResult, parse_chat, read_lines
from ...engine import Coach
from ...models import ErrorDetail, error_body
from ...rulebook.loader import Rule, RuleFileInvalid
from ...rulebook.ruleset import RuleSet, StaleBase, UnusableVersion
from ...scenarios import load_scenarios
from ...service.guard import is_loopback_address
from ...service.httpkit import (
    ClientGone,
    HttpError,
    json_response,
    presented_token,
    read_json,
    require_token,
    token_holder,
    token_ok,
)
from ...service.keys import COACH, RULES, TEAM
from ...service.rulewatch import ReadOnlyRules
from ...store import Store, StoreUnavailable
from . import judging
from .backtest import BackTester, Corpus
from .editing import EditError, apply_edit, check_edit, describe_edit, proposed_rule, rule_document
from .russian import with_russian

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = 64 << 20  # a JSONL export of tens of thousands of chats
MAX_CORPUS_CHARS = 12_000_000  # message text kept from one upload (~25–50 MB in memory; a few MB of it per day of a floor)
MAX_BAD_LINES = 1_000  # the bad lines kept to report (the count goes on)
UPLOAD_CHUNK_BYTES = 1 << 20
UPLOAD_TIMEOUT_S = 60.0  # the whole upload must arrive within this (a trickling client holds nothing longer)
DAY = 86400.0

STORE: web.AppKey[Store | None] = web.AppKey("supervisor_store")
BACKTESTER: web.AppKey[BackTester] = web.AppKey("supervisor_backtester", BackTester)
BACKTEST_LOCK: web.AppKey[asyncio.Lock] = web.AppKey("supervisor_backtest_lock", asyncio.Lock)
UPLOAD_LOCK: web.AppKey[asyncio.Lock] = web.AppKey("supervisor_upload_lock", asyncio.Lock)


def local_or_token(request: web.Request) -> None:
    """Reads: this machine only (or a request that carries the supervisor token)."""
    if is_loopback_address(request.remote) or token_ok(request):
        return
    raise HttpError(403, "supervisor data is shown on this machine only (or with the supervisor token)",
                    [ErrorDetail(field="(peer)", problem=str(request.remote))])


def _coach(request: web.Request) -> Coach:
    return request.app[COACH]


async def _rule(request: web.Request) -> Rule:
    await request.app[RULES].refresh()  # another process (--workers) or an editor may have changed the file
    rule = _coach(request).rulebook.rules.get(request.match_info["rule_id"])
    if rule is None:
        raise HttpError(404, f"no rule {request.match_info['rule_id']!r}")
    return rule


# --- page ------------------------------------------------------------------------------------------------
async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Content-Type": "text/html; charset=utf-8"})


# --- state and rules ---------------------------------------------------------------------------------------
async def state(request: web.Request) -> web.Response:
    local_or_token(request)
    await request.app[RULES].refresh()
    coach = _coach(request)
    store = request.app[STORE]
    tester = request.app[BACKTESTER]
    recorded = None
    if store is not None:
        try:
            recorded = await store.count_conversations()
        except StoreUnavailable:
            recorded = None
    scenarios = load_scenarios()
    return json_response({
        "rules": [{"id": r.id, "title": r.spec.title, "kind": r.spec.kind, "severity": r.spec.severity,
                   "enabled": r.spec.enabled, "stale": r.stale, "file": r.path.name}
                  for r in sorted(coach.rulebook.rules.values(), key=lambda r: r.id)],
        "errors": [e.to_json() for e in coach.errors],
        "rules_dir": str(coach.rules_dir) if coach.rules_dir else None,
        "rules_source": request.app[RULES].status(),
        "versioned": request.app[RULES].versioned,
        "versions_kind": ("store" if request.app[RULES].store is not None
                          else "files" if request.app[RULES].versioned else None),
        "store": store.status() if store is not None else None,
        "recorded_conversations": recorded,
        "scenarios": len(scenarios.scenarios),
        "corpora": [c.summary() for c in tester.corpora.values() if c.source == "upload"],
        "token_ok": token_ok(request),
        "token_holder": holder.label if (holder := token_holder(request)) is not None and holder.supervisor else None,
        "token_status": _token_status(request),
        "team": request.app[TEAM].status(),
    })


def _token_status(request: web.Request) -> str:
    """What the token the page sent is: none, wrong (no holder), operator (not enough here) or supervisor."""
    if not presented_token(request):
        return "none"
    holder = token_holder(request)
    return "wrong" if holder is None else holder.role


async def _read_edit(request: web.Request) -> dict[str, Any]:
    """The body of a check, description or save: an edit of the rule, as a JSON object."""
    edit = await read_json(request)
    if not isinstance(edit, dict):
        raise HttpError(400, "an edit is a JSON object")
    return edit


async def get_rule(request: web.Request) -> web.Response:
    local_or_token(request)
    rule = await _rule(request)
    return json_response(rule_document(rule, request.app[COACH].precision_of(rule.id)))


async def check_rule(request: web.Request) -> web.Response:
    local_or_token(request)
    rule = await _rule(request)
    edit = await _read_edit(request)
    result = await asyncio.to_thread(check_edit, rule, _coach(request).rulebook, edit)
    result.pop("_bytes", None)
    result.pop("_rule", None)
    return json_response(result)


async def describe_rule(request: web.Request) -> web.Response:
    local_or_token(request)
    rule = await _rule(request)
    edit = await _read_edit(request)
    return json_response(await asyncio.to_thread(describe_edit, rule, edit))


async def save_rule(request: web.Request) -> web.Response:
    require_token(request)
    coach = _coach(request)
    watcher = request.app[RULES]
    rule = await _rule(request)
    edit = await _read_edit(request)
    if watcher.mode == "files" and coach.rules_dir is None:
        raise HttpError(409, "these rules were not loaded from a directory; nothing to save to")
    base = edit.get("base_digest")
    if base is not None and not isinstance(base, str):
        raise HttpError(400, "base_digest is the digest of the rule as it was opened (a string)",
                        [ErrorDetail(field="base_digest", problem=f"got {type(base).__name__}")])
    if base is not None and base != rule.digest:  # stale already here; the save compares again under its lock
        raise _stale()
    reason = _reason(edit)
    result = await asyncio.to_thread(check_edit, rule, coach.rulebook, edit)
    result.pop("_rule", None)
    new: bytes | None = result.pop("_bytes", None)
    if not result["ok"]:
        return json_response({**result, "saved": False}, status=422)
    version: RuleSet | None = None
    if result["changed"] and new is not None:
        holder = token_holder(request)
        try:
            version = await watcher.save_file(rule, new, base_digest=base or rule.digest,
                                              author=holder.label if holder is not None else "supervisor",
                                              reason=reason)
        except StaleBase:
            raise _stale() from None
        except ReadOnlyRules as exc:
            raise HttpError(409, str(exc)) from None
        except LookupError as exc:
            raise HttpError(409, str(exc)) from None
        except StoreUnavailable as exc:
            raise HttpError(503, f"the rule store is unavailable, nothing was saved: {exc}") from None
        except OSError as exc:  # the rules directory moved away, unmounted, read-only, the disk full
            raise HttpError(409, f"the rule file cannot be written ({exc.strerror or type(exc).__name__}); nothing "
                                 "was saved — is the rules directory still there and writable?",
                            [ErrorDetail(field="(rules directory)", problem=str(coach.rules_dir))]) from None
    saved = coach.rulebook.rules.get(rule.id)
    return json_response({**result, "saved": result["changed"],
                          "rule": rule_document(saved, coach.precision_of(saved.id)) if saved else None,
                          "version": version.version if version is not None else watcher.status()["version"],
                          "ruleset": coach.rulebook.loaded_files.digest,
                          "rule_errors": [e.to_json() for e in coach.errors]})


MAX_REASON_CHARS = 500


def _reason(body: dict[str, Any]) -> str:
    """Why a save or a rollback is made, in the supervisor's words (the history shows it with who)."""
    reason = body.get("reason", "")
    if reason is None:
        return ""
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
        raise HttpError(400, f"reason is text of at most {MAX_REASON_CHARS} characters",
                        [ErrorDetail(field="reason", problem=f"got {type(reason).__name__}")])
    return " ".join(reason.split())


def _stale() -> HttpError:
    return HttpError(409, "the rule file changed since you opened it (edited elsewhere); reload the rule and "
                          "apply your change again", [ErrorDetail(field="base_digest", problem="stale")])


# --- versions (the team's store, or the rules directory's own) ------------------------------------------------
def _versioned(request: web.Request) -> None:
    if not request.app[RULES].versioned:
        raise HttpError(409, "no rule versions are kept here: the service follows a team node, or its rules "
                             "were not loaded from a directory")


def _int_param(value: str | None, name: str, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    # ASCII digits only: "²" and "٣" are digits to str.isdigit(), not numbers a version or a limit is written in
    if len(value) > 18 or not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise HttpError(400, f"{name} is a positive whole number", [ErrorDetail(field=name, problem=value[:20])])
    return int(value)


async def versions(request: web.Request) -> web.Response:
    local_or_token(request)
    _versioned(request)
    limit = _int_param(request.query.get("limit"), "limit", 50) or 50
    before = _int_param(request.query.get("before"), "before", None)
    try:
        items = await request.app[RULES].history(limit=min(limit, 200), before=before)
    except StoreUnavailable as exc:
        raise HttpError(503, f"the rule store is unavailable: {exc}") from None
    except OSError as exc:
        raise HttpError(503, f"the rule versions cannot be read: {exc}") from None
    current = request.app[RULES].status()
    if request.app[RULES].store is None and items and before is None:
        current["version"] = items[0]["version"]  # the directory: its newest version is what is in force
    return json_response({"versions": items, "current": current})


async def rollback(request: web.Request) -> web.Response:
    require_token(request)
    watcher = request.app[RULES]
    _versioned(request)
    target = _int_param(request.match_info["version"], "version", None)
    assert target is not None
    holder = token_holder(request)
    body = await read_json(request) if request.can_read_body else {}
    try:
        restored = await watcher.rollback(target, author=holder.label if holder is not None else "supervisor",
                                          reason=_reason(body if isinstance(body, dict) else {}))
    except LookupError as exc:
        raise HttpError(404, str(exc)) from None
    except UnusableVersion as exc:
        raise HttpError(409, f"version {target} cannot be restored: its files do not load; nothing was changed",
                        [ErrorDetail(field="version", problem=p) for p in exc.problems[:20]]) from None
    except StoreUnavailable as exc:
        raise HttpError(503, f"the rule store is unavailable, nothing was changed: {exc}") from None
    return json_response({"rolled_back_to": target, "changed": restored is not None,
                          "version": restored.version if restored is not None else watcher.status()["version"],
                          "rule_errors": [e.to_json() for e in _coach(request).errors]})


# --- back-test -----------------------------------------------------------------------------------------------
async def upload_corpus(request: web.Request) -> web.Response:
    """A JSONL corpus, read as it arrives (never held whole): complete lines are parsed a batch at a time off
    the loop, and what is kept is bounded (MAX_CORPUS_CHARS of message text; MAX_UPLOAD_BYTES on the wire).
    One upload is read at a time: a second one meanwhile is asked to come back (429)."""
    local_or_token(request)
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise _too_large(f"{request.content_length} bytes announced", close=True)
    lock = request.app[UPLOAD_LOCK]
    if lock.locked():
        raise HttpError(429, "another corpus is being uploaded; send this one when it is done",
                        headers={"Retry-After": "5"})
    async with lock:
        result = await _read_corpus_upload(request)
    if not result.chats and not result.bad_lines:
        raise HttpError(400, "the corpus is empty: send JSON Lines, one chat per line (docs/audit.md)")
    if not result.chats:
        raise HttpError(400, "no chat could be read from the corpus",
                        [ErrorDetail(field=f"line {b.line}", problem=b.problem) for b in result.bad_lines[:20]])
    name = (request.query.get("name") or "corpus.jsonl")[:120]
    corpus = request.app[BACKTESTER].add(name, "upload", result.chats, result.bad_lines)
    return json_response(corpus.summary(), status=201)


def _too_large(problem: str, *, close: bool) -> HttpError:
    return HttpError(413, f"the corpus is larger than {MAX_UPLOAD_BYTES >> 20} MiB or holds more than "
                          f"{MAX_CORPUS_CHARS:,} characters of messages; audit it with `coach audit` or upload a part",
                     [ErrorDetail(field="(body)", problem=problem)], close=close)


async def _read_corpus_upload(request: web.Request) -> ReadResult:
    chats: list[tuple[int, Chat]] = []
    bad: list[BadLine] = []
    kept = size = 0
    line_no = 0
    rest = b""
    try:
        async with asyncio.timeout(UPLOAD_TIMEOUT_S):
            while True:
                chunk = await request.content.read(UPLOAD_CHUNK_BYTES)
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise _too_large(f"more than {MAX_UPLOAD_BYTES} bytes sent", close=True)
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop() if chunk else b""
                if not chunk and lines and not lines[-1]:
                    lines.pop()
                parsed = await asyncio.to_thread(_parse_lines, lines, line_no)
                line_no += len(lines)
                for item in parsed:
                    if isinstance(item, BadLine):
                        if len(bad) < MAX_BAD_LINES:
                            bad.append(item)
                        continue
                    kept += sum(len(m.text or "") for m in item[1].messages)
                    if kept > MAX_CORPUS_CHARS:
                        raise _too_large(f"more than {MAX_CORPUS_CHARS} characters of messages", close=True)
                    chats.append(item)
                if not chunk:
                    break
                if len(rest) > MAX_UPLOAD_BYTES:
                    raise _too_large("one line longer than the whole limit", close=True)
    except TimeoutError:
        raise HttpError(408, f"the corpus did not arrive within {UPLOAD_TIMEOUT_S:g} s",
                        [ErrorDetail(field="(body)", problem=f"{size} bytes received")], close=True) from None
    except (ConnectionError, ClientPayloadError, asyncio.IncompleteReadError, EofStream):
        raise ClientGone() from None
    return ReadResult(chats, bad)


def _parse_lines(lines: list[bytes], before: int) -> list[tuple[int, Chat] | BadLine]:
    out: list[tuple[int, Chat] | BadLine] = []
    for number, item in read_lines(lines):
        if isinstance(item, BadLine):
            item.line += before
            out.append(item)
        else:
            out.append((number + before, item))
    return out


async def delete_corpus(request: web.Request) -> web.Response:
    local_or_token(request)
    request.app[BACKTESTER].forget(request.match_info["corpus_id"])
    return json_response({"deleted": request.match_info["corpus_id"]})


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


async def _corpus(request: web.Request, spec: Any) -> Corpus:
    tester = request.app[BACKTESTER]
    if spec == "scenarios":
        scenarios = load_scenarios()
        chats = [(None, s.to_chat()) for s in scenarios.scenarios.values()]
        key = _digest([[m.model_dump() for m in c.messages] for _, c in chats])
        corpus_id = f"scenarios-{key}"
        return tester.corpora.get(corpus_id) or tester.add("Сценарии тренера", "scenarios", chats,
                                                           corpus_id=corpus_id)
    if (isinstance(spec, dict) and spec.get("source") == "recorded") or spec == "recorded":
        store = request.app[STORE]
        if store is None:
            raise HttpError(409, "no feedback store: recorded conversations need one (coach serve --store)")
        require_token(request)  # recorded conversations are what clients wrote
        since, until = _recorded_period(spec)
        try:
            raw = await store.conversations(since, until)
        except StoreUnavailable as exc:
            raise HttpError(503, f"the feedback store is unavailable: {exc}") from None
        if not raw:
            raise HttpError(409, "no recorded conversations in this period (text storage must be on to record them)")
        chats = []
        for data in raw:
            try:
                chats.append((None, parse_chat(data, 0)))
            except Exception:
                continue
        corpus_id = f"recorded-{_digest(raw)}"
        return tester.corpora.get(corpus_id) or tester.add("Записанные разговоры", "recorded", chats,
                                                           corpus_id=corpus_id)
    if isinstance(spec, str) and spec in tester.corpora:
        return tester.corpora[spec]
    raise HttpError(404, f"no corpus {spec!r}: upload one, or use \"scenarios\" or \"recorded\"")


async def backtest(request: web.Request) -> web.Response:
    local_or_token(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HttpError(400, "send {\"corpus\": …, \"rules\": {rule id: edit}}")
    coach = _coach(request)
    book = coach.rulebook
    edits = body.get("rules") or {}
    if not isinstance(edits, dict):
        raise HttpError(400, "\"rules\" maps rule ids to edits")
    proposals, errors = {}, []
    for rule_id, edit in edits.items():
        rule = book.rules.get(rule_id)
        if rule is None:
            errors.append({"file": f"{rule_id}.toml", "field": "(rule)", "problem": "no such rule"})
            continue
        try:
            new = apply_edit(rule.raw, rule.spec.kind, edit or {}, rule.path.name)
            proposals[rule_id] = proposed_rule(rule, new)
        except (EditError, RuleFileInvalid) as exc:
            errors.extend(e.to_json() for e in exc.errors)
    if errors:
        return json_response({**error_body("the proposed rules are not valid"), "errors": with_russian(errors)},
                             status=422)
    corpus = await _corpus(request, body.get("corpus", "scenarios"))
    async with request.app[BACKTEST_LOCK]:
        result = await asyncio.to_thread(request.app[BACKTESTER].run, book, corpus, proposals, coach.precision)
    return json_response(result)


def _seconds(value: Any, name: str, default: float) -> float:
    """A moment of a back-test or stats period: Unix seconds as a JSON number (or absent)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise HttpError(400, f"{name} is Unix seconds", [ErrorDetail(field=f"corpus.{name}", problem=(
            f"must be a number, got {type(value).__name__}"))])
    return float(value)


def _recorded_period(spec: Any) -> tuple[float, float]:
    if not isinstance(spec, dict):
        return 0.0, time.time() + DAY
    since = _seconds(spec.get("since"), "since", 0.0)
    until = _seconds(spec.get("until"), "until", time.time() + DAY)
    if since >= until:
        raise HttpError(400, "since must be before until", [ErrorDetail(field="corpus.since", problem="not before until")])
    return since, until


# --- stats and settings -----------------------------------------------------------------------------------
def _period(request: web.Request) -> tuple[float, float]:
    now = time.time()
    until = _query_seconds(request.query.get("until"), "until", now + 60)
    since = _query_seconds(request.query.get("since"), "since", until - 7 * DAY)
    if not (math.isfinite(since) and math.isfinite(until)):
        raise HttpError(400, "since/until are Unix seconds", [ErrorDetail(field="since", problem="not a finite number")])
    if since >= until:
        raise HttpError(400, "since must be before until")
    return since, until


def _query_seconds(value: str | None, name: str, default: float) -> float:
    """Unix seconds in a query: a plain decimal number (ASCII: float() would also take "١٢" or "1_0")."""
    if not value:
        return default
    if len(value) > 40 or not _DECIMAL.fullmatch(value):
        raise HttpError(400, "since/until are Unix seconds", [ErrorDetail(field=name, problem="not a number")])
    return float(value)


_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]{1,3})?")


async def stats(request: web.Request) -> web.Response:
    require_token(request)  # what operators dismissed, with the texts when text storage is on
    store = request.app[STORE]
    if store is None:
        raise HttpError(409, "no feedback store: start the service with one (the default is a SQLite file)")
    since, until = _period(request)
    await store.flush(timeout=1.0)
    try:
        data = await store.stats(since, until)
    except StoreUnavailable as exc:
        raise HttpError(503, f"the feedback store is unavailable: {exc}",
                        [ErrorDetail(field="(store)", problem=str(exc))]) from None
    book = _coach(request).rulebook
    for entry in data["rules"]:
        entry["title"] = book.title(entry["rule"])
    data["store"] = store.status()
    try:  # what the store holds in all, across restarts (the page's counter): not this process's writes
        data["stored"] = await store.count_events()
    except StoreUnavailable:
        data["stored"] = None
    return json_response(data)


async def settings(request: web.Request) -> web.Response:
    require_token(request)
    store = request.app[STORE]
    if store is None:
        raise HttpError(409, "no feedback store")
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("store_text"), bool):
        raise HttpError(400, "send {\"store_text\": true|false}",
                        [ErrorDetail(field="store_text", problem="must be true or false")])
    store.set_store_text(body["store_text"])
    await store.flush(timeout=1.0)
    return json_response({"store": store.status()})


# --- judging warnings («Проверка подсказок», judging.py) -----------------------------------------------------------
async def _judging_corpus(request: web.Request) -> Corpus:
    """The corpus a supervisor judges: the recorded conversations, or an uploaded export (not the trainer's
    scenarios: the team's own chats are what its figures are about)."""
    spec = request.query.get("corpus") or "recorded"
    if spec != "recorded" and spec not in request.app[BACKTESTER].corpora:
        raise HttpError(404, f"no corpus {spec[:40]!r}: upload one, or use \"recorded\"")
    return await _corpus(request, spec)


def _store(request: web.Request) -> Store:
    store = request.app[STORE]
    if store is None:
        raise HttpError(409, "no feedback store: verdicts are kept in one (coach serve --store)")
    return store


async def judging_queue(request: web.Request) -> web.Response:
    require_token(request)
    store = judging._writable(request, request.app[STORE])
    return await judging.queue(request, store, await _judging_corpus(request))


async def judging_summary(request: web.Request) -> web.Response:
    require_token(request)
    return await judging.corpus_summary(request, _store(request), await _judging_corpus(request))


async def judging_export(request: web.Request) -> web.Response:
    require_token(request)
    spec = request.query.get("corpus") or "recorded"
    corpus = request.app[BACKTESTER].corpora.get(spec)
    if spec != "recorded" and corpus is None:
        raise HttpError(404, f"no corpus {spec[:40]!r}: upload one, or use \"recorded\"")
    name = judging.corpus_name(corpus) if corpus is not None else judging.RECORDED
    return await judging.export(request, _store(request), name)


async def put_verdict(request: web.Request) -> web.Response:
    return await judging.put_verdict(request, request.app[STORE])


async def delete_verdict(request: web.Request) -> web.Response:
    return await judging.delete_verdict(request, request.app[STORE])


async def rule_verdicts(request: web.Request) -> web.Response:
    rule = await _rule(request)
    return await judging.rule_verdicts(request, request.app[STORE], rule.id)


async def status_changes(request: web.Request) -> web.Response:
    local_or_token(request)
    store = request.app[STORE]
    if store is None:
        return json_response({"changes": []})
    limit = _int_param(request.query.get("limit"), "limit", 50) or 50
    before = _int_param(request.query.get("before"), "before", None)
    try:
        changes = await store.status_changes(min(limit, 200), before)
    except StoreUnavailable as exc:
        raise HttpError(503, f"the feedback store is unavailable: {exc}") from None
    book = _coach(request).rulebook
    return json_response({"changes": [{**c, "title": book.title(c["rule"])} for c in changes]})


def register(app: web.Application, store: Store | None) -> None:
    app[STORE] = store
    app[BACKTESTER] = BackTester()
    app[BACKTEST_LOCK] = asyncio.Lock()
    app[UPLOAD_LOCK] = asyncio.Lock()
    app[judging.JUDGING] = judging.Judging()
    app[judging.JUDGING_LOCK] = asyncio.Lock()
    r = app.router
    r.add_get("/supervisor", page)
    r.add_static("/supervisor/static", STATIC)
    r.add_get("/supervisor/api/state", state)
    r.add_get("/supervisor/api/rules/{rule_id}", get_rule)
    r.add_post("/supervisor/api/rules/{rule_id}/check", check_rule)
    r.add_post("/supervisor/api/rules/{rule_id}/description", describe_rule)
    r.add_put("/supervisor/api/rules/{rule_id}", save_rule)
    r.add_get("/supervisor/api/versions", versions)
    r.add_post("/supervisor/api/versions/{version}/rollback", rollback)
    r.add_post("/supervisor/api/backtest", backtest)
    r.add_post("/supervisor/api/corpora", upload_corpus)
    r.add_delete("/supervisor/api/corpora/{corpus_id}", delete_corpus)
    r.add_get("/supervisor/api/stats", stats)
    r.add_put("/supervisor/api/settings", settings)
    r.add_get("/supervisor/api/judging/queue", judging_queue)
    r.add_get("/supervisor/api/judging/summary", judging_summary)
    r.add_get("/supervisor/api/judging/export", judging_export)
    r.add_put("/supervisor/api/judging/verdicts/{item}", put_verdict)
    r.add_delete("/supervisor/api/judging/verdicts/{item}", delete_verdict)
    r.add_get("/supervisor/api/rules/{rule_id}/verdicts", rule_verdicts)
    r.add_get("/supervisor/api/status-changes", status_changes)
