"""`/trainer`: scenario player for trainers and trainees.

Page: `GET /trainer`. API:
- `GET /trainer/api/scenarios` — every scenario (id, title, situation, version, language, its pair), and any
  scenario files with errors;
- `GET /trainer/api/scenarios/{id}` — one scenario played through the engine: every message, and for each
  operator message and checkpoint the warnings the coach gives there (with the rules' titles and
  descriptions: the "why"), what the scenario expects, and its timers.

The "your turn" box on the page checks the trainee's reply with `POST /v1/check`, same origin.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from ...scenarios import load_scenarios, play
from ...service.httpkit import HttpError, json_response
from ...service.keys import COACH

STATIC = Path(__file__).parent / "static"


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Content-Type": "text/html; charset=utf-8"})


async def list_scenarios(request: web.Request) -> web.Response:
    found = load_scenarios()
    items = []
    for s in found.scenarios.values():
        pair = found.pair_of(s)
        items.append({"id": s.id, "title": s.title, "situation": s.situation, "version": s.version, "lang": s.lang,
                      "operator": s.operator, "summary": s.summary.strip(), "pair": pair.id if pair else None,
                      "messages": len(s.messages), "duration": s.messages[-1].at})
    items.sort(key=lambda i: (i["situation"], i["version"] != "bad", i["id"]))
    return json_response({"scenarios": items, "errors": [e.to_json() for e in found.errors]})


async def get_scenario(request: web.Request) -> web.Response:
    scenario_id = request.match_info["scenario_id"]
    found = load_scenarios()
    scenario = found.scenarios.get(scenario_id)
    if scenario is None:
        bad = [e.to_json() for e in found.errors if e.file == f"{scenario_id}.toml"]
        raise HttpError(404, f"no scenario {scenario_id!r}" + (" (the file has errors)" if bad else ""), bad)
    coach = request.app[COACH]
    steps = play(coach, scenario, ui_lang="ru")  # the trainer's page is Russian, whatever the chat's language
    used = {w["rule"] for s in steps for w in s.get("warnings", [])} | {r for s in steps for r in s.get("expect", [])}
    rules = {rid: {"title": r.spec.title, "description": r.description, "severity": r.spec.severity}
             for rid, r in coach.rulebook.rules.items() if rid in used}
    pair = found.pair_of(scenario)
    return json_response({"id": scenario.id, "title": scenario.title, "situation": scenario.situation,
                  "version": scenario.version, "lang": scenario.lang, "operator": scenario.operator,
                  "summary": scenario.summary.strip(), "source": scenario.source, "start": scenario.ts(scenario.messages[0]) - scenario.messages[0].at,
                  "pair": pair.id if pair else None, "steps": steps, "rules": rules})


def register(app: web.Application) -> None:
    r = app.router
    r.add_get("/trainer", page)
    r.add_static("/trainer/static", STATIC)
    r.add_get("/trainer/api/scenarios", list_scenarios)
    r.add_get("/trainer/api/scenarios/{scenario_id}", get_scenario)
