"""`GET /openapi.json`: an OpenAPI 3.1 description of the service's HTTP API.

The request and response schemas are generated from the same pydantic models the service validates with,
so the description cannot drift from the code; what JSON Schema cannot say (a timestamp may be at most
120 s ahead of `now`) is in the descriptions. The WebSocket `/v1/live` is described as far as OpenAPI
allows: its upgrade request and answers, and its frames as schemas under `components/schemas`
(`Live*`), listed in the operation's `x-websocket-frames`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic.json_schema import models_json_schema

from .. import __version__
from ..models import MAX_TS, MIN_TS, CheckRequest, CheckResult
from .live import FeedbackFrame, ForgetFrame, UpdateFrame

REF = "#/components/schemas/{model}"
MAX_BODY = "1 MiB"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "details"],
            "properties": {
                "message": {"type": "string", "description": "what is wrong, for a person"},
                "details": {"type": "array", "items": {
                    "type": "object", "required": ["field", "problem"],
                    "properties": {"field": {"type": "string", "description": "e.g. messages[3].role, (body)"},
                                   "problem": {"type": "string"}}}},
            },
        },
    },
}

RULE_ERROR = {
    "type": "object",
    "required": ["file", "field", "problem"],
    "properties": {"file": {"type": "string"}, "field": {"type": ["string", "null"]}, "problem": {"type": "string"}},
}

_GC_GENERATION = {"type": "object", "required": ["collections", "total_ms", "longest_ms"], "properties": {
    "collections": {"type": "integer", "minimum": 0}, "total_ms": {"type": "number", "minimum": 0},
    "longest_ms": {"type": "number", "minimum": 0}}}

HEALTH = {
    "type": "object",
    "required": ["status", "version", "rules", "rule_errors"],
    "properties": {
        "status": {"const": "ok"},
        "version": {"type": "string"},
        "rules": {"type": "integer", "minimum": 0, "description": "active (enabled) rules"},
        "rules_dir": {"type": ["string", "null"]},
        "rule_errors": {"type": "array", "items": _ref("RuleError"),
                        "description": "problems in rule files; a broken file keeps its last good version"},
        "rules_source": {
            "type": "object", "required": ["mode", "state", "serving", "version", "digest"],
            "description": "where the rules come from (docs/team.md): this service's directory, the team's "
                           "store, or a team node it follows; whether that place answers, and which version "
                           "is in force",
            "properties": {
                "mode": {"enum": ["files", "store", "follow"]},
                "location": {"type": ["string", "null"], "description": "directory, store URL (password "
                             "hidden) or team node URL"},
                "state": {"enum": ["online", "offline", "starting"],
                          "description": "offline: the source cannot be reached; the last good version stays"},
                "serving": {"enum": ["files", "source", "snapshot", "local"],
                            "description": "source: the source's version; snapshot: the last good version "
                                           "kept on disk; local: this machine's rules directory (the source "
                                           "never answered, or holds no rule set yet)"},
                "version": {"type": ["integer", "null"], "description": "the store's version number"},
                "digest": {"type": "string", "description": "names the content of the rules in force"},
                "created_at": {"type": ["number", "null"]}, "author": {"type": ["string", "null"]},
                "synced_at": {"type": ["number", "null"], "description": "when the source last answered"},
                "offline_since": {"type": ["number", "null"]}, "last_error": {"type": ["string", "null"]},
            }},
        "process": {"type": "object", "required": ["pid", "worker", "workers"], "properties": {
            "pid": {"type": "integer"}, "worker": {"type": "integer", "minimum": 0},
            "workers": {"type": "integer", "minimum": 1},
            "gc": {"type": "object", "description": "the garbage collector's pauses in this process since it "
                   "began serving, per generation (additive)",
                   "properties": {"thresholds": {"type": "array", "items": {"type": "integer"}},
                                  **{f"gen{g}": _GC_GENERATION for g in range(3)}}}}},
    },
}

RULE_SET = {
    "type": "object",
    "required": ["format", "version", "digest", "files"],
    "properties": {
        "format": {"const": 1}, "version": {"type": ["integer", "null"]}, "digest": {"type": "string"},
        "created_at": {"type": ["number", "null"]}, "author": {"type": ["string", "null"]},
        "files": {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "file name (`<rule id>.toml`) → its text"},
    },
}

TEAM_FIGURES = {
    "type": "object",
    "required": ["format", "digest", "verdicts", "disagreed", "rules"],
    "description": "the team's own figures: its supervisors' agreed verdicts per rule and trigger (docs/supervisor.md)",
    "properties": {
        "format": {"const": 1}, "digest": {"type": "string"}, "verdicts": {"type": "integer", "minimum": 0},
        "disagreed": {"type": "integer", "minimum": 0}, "revision": {"type": ["integer", "null"]},
        "rules": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}},
                  "description": "rule → trigger → [right, wrong]"},
    },
}

RULES = {
    "type": "object",
    "required": ["rules", "errors"],
    "properties": {
        "rules": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "title", "kind", "severity", "enabled", "description", "stale"],
            "properties": {
                "id": {"type": "string"}, "title": {"type": "string"}, "kind": {"type": "string"},
                "severity": {"enum": ["info", "warning", "error"]}, "enabled": {"type": "boolean"},
                "description": {"type": "string"},
                "stale": {"type": "boolean", "description": "its file is broken; the last good version is used"},
                "needs_conversation": {"type": "boolean", "description": "its kind judges the draft against the "
                                       "conversation; it does not run with scope \"text\""},
                "timed": {"type": "boolean", "description": "its answer changes with the clock alone"},
                "reach": {"enum": ["word", "sentence", "message"], "description": "how far past its words what is "
                          "typed next may still change its remark (a client may hold it back until then); additive"},
            }}},
        "errors": {"type": "array", "items": _ref("RuleError")},
    },
}

FEEDBACK_RECENT = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "items": {
        "type": "object",
        "required": ["ts", "action", "rule", "severity", "chat", "operator"],
        "properties": {
            "ts": {"type": "number"}, "action": {"enum": ["shown", "dismissed", "applied"]},
            "rule": {"type": "string"}, "severity": {"type": ["string", "null"]},
            "chat": {"type": "string", "description": "a hash of the chat id"},
            "operator": {"type": ["string", "null"]},
        }}}},
}

LIVE_SERVER_FRAMES = {
    "LiveHello": {"type": "object", "required": ["type", "protocol", "version", "rules", "actions"], "properties": {
        "type": {"const": "hello"}, "protocol": {"const": 1}, "version": {"type": "string"},
        "rules": {"type": "integer"}, "actions": {"type": "array", "items": {"type": "string"}},
        "rule_traits": {"type": "object", "description": "the active rules at connect time: rule id → what its kind "
                        "reads", "additionalProperties": {
                            "type": "object", "required": ["needs_conversation", "timed"],
                            "properties": {"needs_conversation": {"type": "boolean"}, "timed": {"type": "boolean"},
                                           "reach": {"enum": ["word", "sentence", "message"]}}}}}},
    "LiveWarnings": {"type": "object", "required": ["type", "chat_id", "seq", "ref", "reason", "warnings", "lang",
                                                     "took_ms", "timers", "next_check_at"], "properties": {
        "type": {"const": "warnings"}, "chat_id": {"type": "string"}, "seq": {"type": "integer"},
        "ref": {"type": ["integer", "null"]}, "reason": {"enum": ["update", "timer", "rules", "feedback"]},
        "warnings": {"type": "array", "items": _ref("Warning")}, "lang": {"enum": ["ru", "en"]},
        "took_ms": {"type": "number"},
        "timers": {"type": "object", "properties": {"client_waiting_since": {"type": ["number", "null"]},
                                                    "client_silent_since": {"type": ["number", "null"]},
                                                    "client_wait_severity": {
                                                        "enum": ["info", "warning", "error", None],
                                                        "description": "the client-wait warning's severity "
                                                                       "even when dismissed; additive"}}},
        "next_check_at": {"type": ["number", "null"]},
        "ruleset": {"type": "string", "description": "the digest of the rules that made this answer (the same as "
                                                    "/healthz → rules_source.digest); additive"}}},
    "LiveError": {"type": "object", "required": ["type", "code", "error"], "properties": {
        "type": {"const": "error"},
        "code": {"enum": ["bad_json", "bad_message", "bad_update", "bad_feedback", "unknown_chat", "too_large",
                          "rate_limited", "internal"]},
        "chat_id": {"type": "string"}, "ref": {"type": "integer"},
        "retry_after_ms": {"type": "integer", "description": "with rate_limited: when a frame may pass again"},
        "error": ERROR_SCHEMA["properties"]["error"]}},
    "LiveFeedbackAck": {"type": "object", "required": ["type", "chat_id", "rule", "action", "ref"], "properties": {
        "type": {"const": "feedback_ack"}, "chat_id": {"type": "string"}, "rule": {"type": "string"},
        "action": {"type": "string"}, "ref": {"type": ["integer", "null"]},
        "durable": {"type": "boolean", "description": "the event is kept on disk (in the store's spool: it "
                                                      "survives a kill of the service); false: in memory only "
                                                      "(no store, or its spool is unavailable or full)"}}},
    "LivePong": {"type": "object", "required": ["type", "ts"], "properties": {
        "type": {"const": "pong"}, "ts": {"type": "number"}}},
    "LivePing": {"type": "object", "required": ["type"], "additionalProperties": False,
                 "properties": {"type": {"const": "ping"}}},
}

# A console adapter (docs/extension.md, «Adapters»): what every one needs; the rest is checked by the service.
ADAPTER = {"type": "object", "required": ["id", "editor"], "properties": {
    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{0,63}$"}, "name": {"type": "string"},
    "about": {"type": "string"},
    "match": {"type": "object", "properties": {"url": {"type": ["string", "array"]}, "dom": {"type": ["string", "array"]}}},
    "editor": {"type": ["string", "array"]}, "messages": {"type": "object"}, "conversation": {"type": "object"}}}
ADAPTERS = {"type": "object", "required": ["digest", "adapters", "errors", "source"], "properties": {
    "digest": {"type": "string"}, "adapters": {"type": "array", "items": ADAPTER},
    "errors": {"type": "array", "items": {"type": "string"}, "description": "files left out, and why"},
    "source": {"type": "object", "required": ["mode", "state", "count"], "properties": {
        "mode": {"enum": ["none", "directory", "follow"]}, "location": {"type": ["string", "null"]},
        "state": {"enum": ["online", "offline", "starting"]}, "last_error": {"type": ["string", "null"]},
        "count": {"type": "integer"}}}}}
ADAPTER_ID = {"name": "adapter_id", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{0,63}$"}}
ADAPTER_SAVED = {"type": "object", "required": ["digest"], "properties": {
    "saved": {"type": "string"}, "deleted": {"type": "string"}, "digest": {"type": "string"}}}

COMMON_RESPONSES = {
    "Forbidden": _json(_ref("Error"), "an `Origin` other than the extension's or the service's own pages "
                                      "(web pages may not call the service)"),
    "Misdirected": _json(_ref("Error"), "a `Host` other than 127.0.0.1/localhost/[::1] with the service's port "
                                        "(DNS rebinding)"),
    "Unauthorized": _json(_ref("Error"), "without the supervisor token: a read of what operators did "
                                         "(feedback), or — when bound beyond loopback — any request from "
                                         "another machine"),
}


def _guarded(responses: dict[str, Any]) -> dict[str, Any]:
    out = dict(responses)
    out.setdefault("401", {"$ref": "#/components/responses/Unauthorized"})
    out.setdefault("403", {"$ref": "#/components/responses/Forbidden"})
    out.setdefault("421", {"$ref": "#/components/responses/Misdirected"})
    return out


def _bound_timestamps(schemas: dict[str, Any]) -> None:
    """Unix-seconds fields: finite, 2000..2100 (the validators' range), stated in the schema too."""
    for name, fields in (("CheckRequest", ("now", "draft_started_at")), ("Message", ("ts",)),
                         ("LiveUpdate", ("now", "draft_started_at"))):
        props = schemas.get(name, {}).get("properties", {})
        for f in fields:
            for option in props.get(f, {}).get("anyOf", []):
                if option.get("type") == "number":
                    option["minimum"], option["maximum"] = MIN_TS, MAX_TS
            if f in props:
                props[f]["description"] = ("Unix seconds, 2000–2100, at most 120 s ahead of `now`"
                                           if f != "now" else "Unix seconds, 2000–2100; default: the server clock")


_PYDANTIC_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _json_schema_bounds(node: Any) -> None:
    """pydantic leaves `ge`/`le` as they are on a constrained type with a before-validator (JsonInt); JSON
    Schema calls them `minimum`/`maximum`."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for short, name in _PYDANTIC_BOUNDS.items():
                if short in node:
                    node[name] = node.pop(short)
        for value in node.values():
            _json_schema_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _json_schema_bounds(value)


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    _, defs = models_json_schema(
        [(CheckRequest, "validation"), (CheckResult, "serialization"), (UpdateFrame, "validation"),
         (FeedbackFrame, "validation"), (ForgetFrame, "validation")], ref_template=REF)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    for model, name in ((UpdateFrame, "LiveUpdate"), (FeedbackFrame, "LiveFeedback"), (ForgetFrame, "LiveForget")):
        schemas[name] = schemas.pop(model.__name__)
    _json_schema_bounds(schemas)
    _bound_timestamps(schemas)
    schemas["Error"] = ERROR_SCHEMA
    schemas["RuleError"] = RULE_ERROR
    schemas.update(LIVE_SERVER_FRAMES)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Operator Coach local service",
            "version": __version__,
            "description": "Coaching for live-chat operators: the browser extension sends the draft and the "
                           "conversation, the service answers with warnings. Listens on 127.0.0.1 only by "
                           "default. Requests with an `Origin` other than the Operator Coach extension's "
                           "(or one allowed with --allow-origin) are refused (403). "
                           "Times are Unix seconds.",
        },
        "servers": [{"url": "http://127.0.0.1:8765"}],
        "paths": {
            "/healthz": {"get": {
                "operationId": "healthz", "summary": "liveness, version, rules loaded and rule-file errors",
                "responses": _guarded({"200": _json(_ref("Health"), "the service is up")})}},
            "/v1/check": {"post": {
                "operationId": "check", "summary": "warnings for a draft in its conversation",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CheckRequest")}}},
                "responses": _guarded({
                    "200": _json(_ref("CheckResult"), "the warnings, most severe first, then by position"),
                    "400": _json(_ref("Error"), "bad input: not UTF-8 JSON, wrong types, unknown fields or roles, "
                                                "timestamps out of range or in the future; each bad field named"),
                    "408": _json(_ref("Error"), "the body did not arrive within 5 s (the connection is closed)"),
                    "413": _json(_ref("Error"), f"the body is larger than {MAX_BODY}"),
                })}},
            "/v1/rules": {"get": {
                "operationId": "rules", "summary": "the loaded rules and rule-file errors",
                "responses": _guarded({"200": _json(_ref("Rules"), "every rule file's rule")})}},
            "/v1/rules/set": {"get": {
                "operationId": "ruleSet",
                "summary": "the files of the rules in force, for services that follow this one (docs/team.md)",
                "parameters": [
                    {"name": "wait", "in": "query", "required": False,
                     "schema": {"type": "number", "minimum": 0, "maximum": 60},
                     "description": "with If-None-Match: wait up to this many seconds for the rules to change"},
                    {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                     "description": "the digest the client has, quoted; unchanged → 304"},
                ],
                "responses": _guarded({
                    "200": _json(_ref("RuleSet"), "the rule files; the ETag header is the quoted digest"),
                    "304": {"description": "the rules are still those of If-None-Match"},
                    "400": _json(_ref("Error"), "wait out of range"),
                })}},
            "/v1/team/figures": {"get": {
                "operationId": "teamFigures",
                "summary": "the team's verdicts as counts per rule and trigger, for services that follow this one "
                           "(docs/team.md)",
                "parameters": [
                    {"name": "wait", "in": "query", "required": False,
                     "schema": {"type": "number", "minimum": 0, "maximum": 60},
                     "description": "with If-None-Match: wait up to this many seconds for the figures to change"},
                    {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                     "description": "the digest the client has, quoted; unchanged → 304"},
                ],
                "responses": _guarded({
                    "200": _json(_ref("TeamFigures"), "the counts; the ETag header is the quoted digest"),
                    "304": {"description": "the figures are still those of If-None-Match"},
                    "400": _json(_ref("Error"), "wait out of range"),
                })}},
            "/v1/adapters": {"get": {
                "operationId": "adapters",
                "summary": "the console adapters this service serves: from --adapters DIR, or the team node's "
                           "when it follows one (docs/extension.md)",
                "parameters": [
                    {"name": "wait", "in": "query", "required": False,
                     "schema": {"type": "number", "minimum": 0, "maximum": 60},
                     "description": "with If-None-Match: wait up to this many seconds for the adapters to change"},
                    {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                     "description": "the digest the client has, quoted; unchanged → 304"},
                ],
                "responses": _guarded({
                    "200": _json(_ref("Adapters"), "the adapters; the ETag header is the quoted digest"),
                    "304": {"description": "the adapters are still those of If-None-Match"},
                    "400": _json(_ref("Error"), "wait out of range"),
                })}},
            "/v1/adapters/{adapter_id}": {
                "put": {
                    "operationId": "publishAdapter", "parameters": [ADAPTER_ID],
                    "summary": "publish an adapter (its id must be the path's) to the --adapters directory",
                    "security": [{"supervisorToken": []}, {"supervisorTokenHeader": []}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Adapter")}}},
                    "responses": _guarded({
                        "200": _json(_ref("AdapterSaved"), "published: served at once"),
                        "400": _json(_ref("Error"), "not an adapter; each problem named"),
                        "409": _json(_ref("Error"), "this service keeps no adapters of its own (no --adapters, or it "
                                                    "follows a team node: publish there)"),
                        "413": _json(_ref("Error"), f"the body is larger than {MAX_BODY}"),
                    })},
                "delete": {
                    "operationId": "deleteAdapter", "parameters": [ADAPTER_ID], "summary": "remove an adapter from the --adapters directory",
                    "security": [{"supervisorToken": []}, {"supervisorTokenHeader": []}],
                    "responses": _guarded({
                        "200": _json(_ref("AdapterSaved"), "removed"),
                        "404": _json(_ref("Error"), "no such adapter"),
                        "409": _json(_ref("Error"), "this service keeps no adapters of its own"),
                    })}},
            "/v1/feedback/recent": {"get": {
                "operationId": "feedbackRecent", "summary": "the latest feedback events from the live endpoint",
                "security": [{"supervisorToken": []}, {"supervisorTokenHeader": []}],
                "responses": _guarded({"200": _json(_ref("FeedbackRecent"), "newest last")})}},
            "/v1/live": {"get": {
                "operationId": "live",
                "summary": "the live coaching WebSocket (protocol: docs/live-protocol.md)",
                "description": "A WebSocket upgrade. The client sends `LiveUpdate`, `LiveFeedback`, `LiveForget` "
                               "and `LivePing` frames; the server sends `LiveHello` on connect, then "
                               "`LiveWarnings`, `LiveError`, `LiveFeedbackAck` and `LivePong`. Limits: text "
                               "frames up to 1 MiB (larger: a `too_large` error; over 4 MiB the connection is "
                               "closed with 1009), 100 frames at once and 30 per second (more: `rate_limited`).",
                "parameters": [
                    {"name": "Upgrade", "in": "header", "required": True, "schema": {"enum": ["websocket"]}},
                    {"name": "Connection", "in": "header", "required": True, "schema": {"enum": ["Upgrade"]}},
                    {"name": "Sec-WebSocket-Version", "in": "header", "required": True, "schema": {"enum": ["13"]}},
                    {"name": "Sec-WebSocket-Key", "in": "header", "required": True,
                     "description": "16 random bytes, base64 (RFC 6455)",
                     "schema": {"type": "string", "pattern": "^[A-Za-z0-9+/]{21}[AQgw]==$"}},
                ],
                "x-websocket-frames": {
                    "client": [_ref(n) for n in ("LiveUpdate", "LiveFeedback", "LiveForget", "LivePing")],
                    "server": [_ref(n) for n in ("LiveHello", "LiveWarnings", "LiveError", "LiveFeedbackAck",
                                                 "LivePong")],
                },
                "responses": _guarded({
                    "101": {"description": "switching to the WebSocket protocol"},
                    "400": _json(_ref("Error"), "not a valid WebSocket upgrade request"),
                    "503": _json(_ref("Error"), "too many live connections; retry later"),
                })}},
            "/openapi.json": {"get": {
                "operationId": "openapi", "summary": "this description",
                "responses": _guarded({"200": {"description": "OpenAPI 3.1",
                                               "content": {"application/json": {"schema": {"type": "object"}}}}})}},
        },
        "components": {
            "schemas": schemas | {"Health": HEALTH, "Rules": RULES, "RuleSet": RULE_SET, "TeamFigures": TEAM_FIGURES,
                                  "FeedbackRecent": FEEDBACK_RECENT, "Adapter": ADAPTER, "Adapters": ADAPTERS,
                                  "AdapterSaved": ADAPTER_SAVED},
            "responses": COMMON_RESPONSES,
            "securitySchemes": {
                "supervisorToken": {"type": "http", "scheme": "bearer",
                                    "description": "the supervisor token (`coach token`): needed for writes "
                                                   "(rules, settings), for reading feedback, stats and recorded "
                                                   "text, and, when the service listens beyond loopback, for "
                                                   "every request from another machine"},
                "supervisorTokenHeader": {"type": "apiKey", "in": "header", "name": "X-Coach-Token"},
            },
        },
    }


@lru_cache(maxsize=1)
def openapi_text() -> str:
    """The document as the service sends it (serialised once)."""
    return json.dumps(_document(), ensure_ascii=False)
