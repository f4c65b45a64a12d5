"""«Проверка подсказок»: supervisors judge the warnings on their own chats, and their verdicts set what the team's
operators see (docs/supervisor.md).

The warnings to judge are those of a corpus — the conversations the store recorded (text storage on) or an
uploaded export — every operator message checked as it was sent, quiet warnings included (quality/findings.py,
as `coach quality` does). The queue is a stratified sample (quality/sealed.py `draw_fresh`: per rule and
language, triggers and channels in turn, `per_rule` judged items wanted), with the warnings another supervisor
judged and this one has not first — so that two supervisors judge the same items and their agreement (Cohen's κ,
quality/blind.py) can be said — and the rules operators dismiss most first: a dismissal is a reason to look,
never a verdict.

A verdict is written to the store (store/verdicts.py) under the team watcher's lock, the team's figures are read
back and put in force here at once (service/teamwatch.py; the other nodes hear of it by NOTIFY, followers by their
long poll), and any way of firing the verdict moved between shown and quiet is recorded with who and why.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from aiohttp import web

from ...corpus import Chat
from ...engine import Coach
from ...models import ErrorDetail
from ...quality.blind import CONTEXT_MESSAGES, MESSAGE_CHARS, WRONG_CATEGORIES, clip, cohen_kappa
from ...quality.findings import Finding, Run, chat_findings, shorten
from ...quality.labels import Label
from ...quality.sealed import draw_fresh
from ...rulebook.loader import Rulebook
from ...rulebook.precision import wilson_low
from ...service.httpkit import HttpError, json_response, read_json, require_token, token_holder
from ...service.keys import COACH, TEAM
from ...service.teamwatch import TeamWatcher
from ...store import Store, StoreUnavailable
from ...store.base import OFTEN_DISMISSED_MIN_SHOWN
from ...store.verdicts import MAX_REASON_CHARS, StoredVerdict
from .backtest import Corpus

PER_RULE = 20  # judged items wanted per rule and language (a supervisor judges 100 in ten minutes)
MAX_PER_RULE = 200
RECORDED = "recorded"  # the corpus name of the store's recorded conversations, in every item key
DISMISSALS_DAYS = 30  # the period whose dismissals order the queue
MAX_CACHED_CHATS = 20_000  # the findings of this many chats are kept (a recorded corpus grows chat by chat)
SEED = 1  # one draw for every supervisor: two of them judge the same items


@dataclass
class JudgedCorpus:
    """A corpus's warnings, quiet ones included, as the rules in force give them."""

    corpus: Corpus
    name: str  # the corpus name in the item keys (and in the exported labels)
    run: Run
    chats: dict[str, Chat] = field(default_factory=dict)
    by_key: dict[str, Finding] = field(default_factory=dict)


def corpus_name(corpus: Corpus) -> str:
    """How the items of a corpus are named: the recorded conversations, or the uploaded file's stem — what
    `coach quality report FILE` names them by default, so that the exported labels apply to that file."""
    return RECORDED if corpus.source == "recorded" else Path(corpus.name).stem or "corpus"


def _chat_digest(chat: Chat) -> str:
    raw = json.dumps([[m.role, m.text, m.ts] for m in chat.messages], ensure_ascii=False)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


class Judging:
    """The findings of the corpora being judged (each chat's kept while its messages and the rules stay the same:
    a recorded corpus that grows by a chat costs that chat), and the coach that makes them."""

    def __init__(self) -> None:
        self._chats: OrderedDict[tuple[str, str, str, str], tuple[list[Finding], list[str], int]] = OrderedDict()
        self._corpora: OrderedDict[str, JudgedCorpus] = OrderedDict()
        self._coach: Coach | None = None

    def _coach_for(self, live: Coach) -> Coach:
        """A coach of its own (the operators' caches stay theirs), over the rules in force."""
        if self._coach is None or self._coach.rulebook is not live.rulebook:
            self._coach = Coach(live.rulebook, precision=live.precision, min_confidence=live.min_confidence)
            self._coach.verify_fixes = False  # the warnings are judged, not the fixes
        self._coach.precision = live.precision
        return self._coach

    def get(self, corpus_id: str) -> JudgedCorpus | None:
        return self._corpora.get(corpus_id)

    def findings(self, live: Coach, corpus: Corpus) -> JudgedCorpus:
        """Every warning of the corpus (CPU-bound: call it in a worker thread)."""
        coach = self._coach_for(live)
        book: Rulebook = coach.rulebook
        name = corpus_name(corpus)
        run = Run(corpus=name)
        judged = JudgedCorpus(corpus, name, run)
        for line, chat in corpus.chats:
            chat_id = chat.chat_id or f"line-{line}"
            channel = chat.channel or "chat"
            judged.chats[chat_id] = chat
            key = (book.digest, name, chat_id, _chat_digest(chat))
            cached = self._chats.get(key)
            if cached is None:
                one = Run(corpus=name)
                chat_findings(coach, one, chat_id, chat, channel)
                cached = (one.findings, one.bad_lines, sum(one.messages.values()))
                self._chats[key] = cached
                while len(self._chats) > MAX_CACHED_CHATS:
                    self._chats.popitem(last=False)
            else:
                self._chats.move_to_end(key)
            run.findings.extend(cached[0])
            run.bad_lines.extend(cached[1])
            run.channels[chat_id] = channel
        judged.by_key = run.by_key()
        self._corpora[corpus.id] = judged
        while len(self._corpora) > 8:
            self._corpora.popitem(last=False)
        return judged


# --- the queue ------------------------------------------------------------------------------------------------
def dismissal_order(stats: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """rule → how operators took its warnings lately, with its place in the queue: the rules dismissed in most
    of their showings first (a reason to look, never a verdict), those shown too rarely to tell after."""
    rows = (stats or {}).get("rules", [])
    ranked = sorted(rows, key=lambda r: (not r.get("often_dismissed"), r.get("shown", 0) < OFTEN_DISMISSED_MIN_SHOWN,
                                         -(r.get("dismiss_rate") or 0.0), r["rule"]))
    return {r["rule"]: {"rank": i, "shown": r.get("shown", 0), "dismissed": r.get("dismissed", 0),
                        "rate": r.get("dismiss_rate"), "often": bool(r.get("often_dismissed"))}
            for i, r in enumerate(ranked)}


def draw_queue(judged: JudgedCorpus, mine: set[str], others: set[str], order: dict[str, dict[str, Any]],
               per_rule: int) -> list[tuple[Finding, bool]]:
    """The warnings for one supervisor to judge, in order: (finding, judged by another supervisor already)."""
    unique = list(judged.by_key.values())
    second = [f for f in unique if f.key in others and f.key not in mine]
    fresh = draw_fresh(unique, mine | others, per_rule, seed=SEED)
    position = {f.key: i for i, f in enumerate(fresh)}
    last = len(order)
    items = [(f, True) for f in sorted(second, key=lambda f: f.key)] + [(f, False) for f in fresh]
    items.sort(key=lambda pair: (order.get(pair[0].rule, {}).get("rank", last), pair[0].rule, not pair[1],
                                 position.get(pair[0].key, -1)))
    return items


def item_json(coach: Coach, judged: JudgedCorpus, f: Finding, second: bool, mine: StoredVerdict | None,
              order: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One warning as the page shows it: in its conversation, with the rule's status now (no other supervisor's
    verdict: their judgements are kept apart)."""
    chat = judged.chats.get(f.chat_id)
    before = chat.messages[:f.message] if chat is not None else []
    basis = coach.basis_of(f.rule, f.trigger, f.lang)
    confidence = None if basis.confidence is None else round(basis.confidence, 3)
    return {
        "item": f.key, "rule": f.rule, "title": coach.rulebook.title(f.rule), "trigger": f.trigger, "lang": f.lang,
        "channel": f.channel, "chat_id": f.chat_id, "message": f.message, "severity": f.severity, "text": f.text,
        "draft": f.draft, "start": f.start, "end": f.end, "span": f.span, "suggestion": f.suggestion,
        "confidence": confidence, "shown": coach.is_shown(f.rule, confidence),
        "earlier": max(0, len(before) - CONTEXT_MESSAGES),
        "context": [{"role": m.role, "text": clip(m.text, MESSAGE_CHARS)} for m in before[-CONTEXT_MESSAGES:]],
        "second_opinion": second, "dismissals": order.get(f.rule),
        "mine": None if mine is None else {"verdict": mine.verdict, "category": mine.category, "reason": mine.reason},
    }


# --- agreement, figures, export --------------------------------------------------------------------------------
def by_item(verdicts: Iterable[StoredVerdict]) -> dict[str, dict[str, StoredVerdict]]:
    out: dict[str, dict[str, StoredVerdict]] = defaultdict(dict)
    for v in verdicts:
        out[v.item][v.supervisor] = v
    return out


def agreed(items: dict[str, dict[str, StoredVerdict]]) -> dict[str, list[StoredVerdict]]:
    """The items every supervisor who judged them judged alike (the team's verdicts), with those verdicts."""
    return {item: list(vs.values()) for item, vs in items.items() if len({v.verdict for v in vs.values()}) == 1}


def summary(judged: JudgedCorpus, verdicts: list[StoredVerdict]) -> dict[str, Any]:
    """What the supervisors judged on this corpus: who judged how many, their agreement two by two (Cohen's κ
    over the items both judged), and per rule and language the agreed verdicts on the warnings that fire now —
    the figures `coach quality report` prints over this corpus with the exported labels."""
    items = by_item(verdicts)
    who: dict[str, int] = defaultdict(int)
    for vs in items.values():
        for name in vs:
            who[name] += 1
    pairs = []
    for a, b in combinations(sorted(who), 2):
        both = [(vs[a].verdict, vs[b].verdict) for vs in items.values() if a in vs and b in vs]
        if both:
            agreement = cohen_kappa(both)
            pairs.append({"supervisors": [a, b], "items": agreement.items, "agreed": agreement.agreed,
                          "kappa": None if agreement.kappa is None else round(agreement.kappa, 3)})
    figures: dict[tuple[str, str], dict[str, Any]] = {}
    team = agreed(items)
    for item, alike in team.items():
        f = judged.by_key.get(item)
        if f is None:
            continue  # judged on an earlier version of the rules or the corpus: not firing now
        row = figures.setdefault((f.rule, f.lang), {"rule": f.rule, "lang": f.lang, "correct": 0, "wrong": 0})
        row["correct" if alike[0].verdict == "correct" else "wrong"] += 1
    rows = []
    for key in sorted(figures):
        row = figures[key]
        n = row["correct"] + row["wrong"]
        low = wilson_low(row["correct"], n)
        rows.append({**row, "labelled": n, "precision": round(row["correct"] / n, 3) if n else None,
                     "precision_low": None if low is None else round(low, 3)})
    disagreed = sum(1 for vs in items.values() if len({v.verdict for v in vs.values()}) > 1)
    return {"supervisors": [{"name": n, "judged": c} for n, c in sorted(who.items())], "pairs": pairs,
            "figures": rows, "agreed": len(team), "disagreed": disagreed,
            "warnings": len(judged.by_key), "corpus": judged.corpus.summary(), "name": judged.name}


def labels(verdicts: list[StoredVerdict], supervisor: str | None = None) -> list[Label]:
    """The verdicts in the labels format `coach quality` reads: one supervisor's, or the team's agreed ones (an
    item the supervisors judged differently is left out)."""
    items = by_item(verdicts)
    chosen = ({item: [vs[supervisor]] for item, vs in items.items() if supervisor in vs} if supervisor is not None
              else agreed(items))
    out = []
    for vs in chosen.values():
        v = vs[0]
        reasons = "; ".join(dict.fromkeys(
            (f"{x.category}: {x.reason}" if x.reason else x.category) if x.verdict == "wrong" else x.reason
            for x in vs if x.verdict == "wrong" or x.reason))
        out.append(Label(id=v.item, rule=v.rule, lang="en" if v.lang == "en" else "ru", channel=v.channel,
                         corpus=v.corpus, chat_id=v.chat, message=v.message, span=v.span, quote=v.quote[:400],
                         client=v.client[:400], verdict="correct" if v.verdict == "correct" else "wrong",
                         reason=reasons or ("other" if v.verdict == "wrong" else "")))
    return sorted(out, key=lambda lb: (lb.rule, lb.lang, lb.corpus, lb.chat_id, lb.message, lb.id))


# --- routes ------------------------------------------------------------------------------------------------------
JUDGING: web.AppKey[Judging] = web.AppKey("supervisor_judging", Judging)
JUDGING_LOCK: web.AppKey[asyncio.Lock] = web.AppKey("supervisor_judging_lock", asyncio.Lock)


def _supervisor(request: web.Request) -> str:
    require_token(request)
    holder = token_holder(request)
    return holder.label if holder is not None else "supervisor"


def _writable(request: web.Request, store: Store | None) -> Store:
    """The store verdicts go to; 409 where none is kept here (no store, or the team node's are followed)."""
    if request.app[TEAM].mode == "follow":
        raise HttpError(409, "this service follows the team node: judge warnings on its supervisor page")
    if store is None:
        raise HttpError(409, "no feedback store: verdicts are kept in one (coach serve --store)")
    return store


def _judged(request: web.Request, corpus_id: Any) -> JudgedCorpus:
    if not isinstance(corpus_id, str) or not corpus_id:
        raise HttpError(400, "name the corpus the warning was drawn from",
                        [ErrorDetail(field="corpus", problem="a corpus id from the queue")])
    judged = request.app[JUDGING].get(corpus_id)
    if judged is None:
        raise HttpError(409, "the sample is no longer kept here (the service restarted or other corpora came): "
                             "open the queue again", [ErrorDetail(field="corpus", problem=corpus_id[:40])])
    return judged


async def _stored(store: Store, **where: Any) -> list[StoredVerdict]:
    try:
        return await store.verdicts(**where)
    except StoreUnavailable as exc:
        raise HttpError(503, f"the feedback store is unavailable: {exc}") from None


async def judged_corpus(request: web.Request, corpus: Corpus) -> JudgedCorpus:
    """The corpus's warnings as the rules in force give them (made in a thread; one corpus at a time)."""
    async with request.app[JUDGING_LOCK]:
        return await asyncio.to_thread(request.app[JUDGING].findings, request.app[COACH], corpus)


async def queue(request: web.Request, store: Store, corpus: Corpus) -> web.Response:
    who = _supervisor(request)
    per_rule = request.query.get("per_rule", str(PER_RULE))
    if not (per_rule.isascii() and per_rule.isdigit() and 1 <= int(per_rule) <= MAX_PER_RULE):
        raise HttpError(400, f"per_rule is a whole number from 1 to {MAX_PER_RULE}",
                        [ErrorDetail(field="per_rule", problem=per_rule[:20])])
    judged = await judged_corpus(request, corpus)
    verdicts = await _stored(store, corpus=judged.name)
    mine = {v.item: v for v in verdicts if v.supervisor == who}
    others = {v.item for v in verdicts if v.supervisor != who}
    now = time.time()
    try:
        stats = await store.stats(now - DISMISSALS_DAYS * 86400, now + 60)
    except StoreUnavailable:
        stats = None  # the order by dismissals is a help, not a need
    order = dismissal_order(stats)
    coach = request.app[COACH]
    drawn = draw_queue(judged, set(mine), others, order, int(per_rule))
    return json_response({
        "corpus": judged.corpus.summary(), "name": judged.name, "supervisor": who,
        "items": [item_json(coach, judged, f, second, mine.get(f.key), order) for f, second in drawn],
        "judged_by_me": sum(1 for item in mine if item in judged.by_key), "warnings": len(judged.by_key),
        "categories": list(WRONG_CATEGORIES), "per_rule": int(per_rule),
        "bad_lines": len(judged.run.bad_lines)})


async def _apply(request: web.Request, store: Store, who: str,
                 write: Any) -> tuple[int, list[dict[str, Any]]]:
    """Write (a coroutine function of the store), read the team's figures back and put them in force here at
    once; record what moved between shown and quiet, with who and the figures."""
    watcher: TeamWatcher = request.app[TEAM]
    coach = request.app[COACH]
    async with watcher.write_lock:
        try:
            revision = await write(store)
            team = await store.team_counts()
        except StoreUnavailable as exc:
            raise HttpError(503, f"the feedback store is unavailable, the verdict was not kept: {exc}") from None
        before, changed = watcher.install(team)
        moved = coach.status_changes(before, coach.precision, changed)
        try:
            await store.record_status_changes(moved, who)
        except StoreUnavailable:
            pass  # the verdict is kept and in force; its line in the history is what is lost
    return revision, moved


async def put_verdict(request: web.Request, store: Store | None) -> web.Response:
    who = _supervisor(request)
    store = _writable(request, store)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HttpError(400, "send {\"corpus\": …, \"verdict\": \"correct\" | \"wrong\", \"category\": …, \"reason\": …}")
    judged = _judged(request, body.get("corpus"))
    finding = judged.by_key.get(request.match_info["item"])
    if finding is None:
        raise HttpError(404, "no such warning in this sample", [ErrorDetail(field="item", problem=request.match_info["item"][:20])])
    verdict, category, reason = body.get("verdict"), body.get("category") or "", body.get("reason") or ""
    problems = []
    if verdict not in ("correct", "wrong"):
        problems.append(ErrorDetail(field="verdict", problem="must be \"correct\" or \"wrong\""))
    if verdict == "wrong" and category not in WRONG_CATEGORIES:
        problems.append(ErrorDetail(field="category", problem=f"a wrong verdict names one of: {', '.join(WRONG_CATEGORIES)}"))
    if verdict == "correct" and category:
        problems.append(ErrorDetail(field="category", problem="only a wrong verdict has a category"))
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
        problems.append(ErrorDetail(field="reason", problem=f"text of at most {MAX_REASON_CHARS} characters"))
    if problems:
        raise HttpError(400, "the verdict is not valid", problems)
    kept = StoredVerdict(item=finding.key, supervisor=who, ts=time.time(), corpus=finding.corpus,
                         chat=finding.chat_id, message=finding.message, rule=finding.rule, trigger=finding.trigger,
                         lang=finding.lang, channel=finding.channel, span=finding.span, quote=finding.quote(),
                         client=shorten(finding.client), verdict=str(verdict), category=str(category),
                         reason=" ".join(str(reason).split()))
    revision, moved = await _apply(request, store, who, lambda s: s.put_verdict(kept))
    return json_response({"kept": kept.to_json(), "revision": revision, "status_changes": moved,
                          "precision": request.app[COACH].precision_of(finding.rule)})


async def delete_verdict(request: web.Request, store: Store | None) -> web.Response:
    """Undo: this supervisor's verdict on the warning taken back."""
    who = _supervisor(request)
    store = _writable(request, store)
    item = request.match_info["item"]
    if not (len(item) == 10 and all(c in "0123456789abcdef" for c in item)):
        raise HttpError(400, "an item is the warning's key: 10 hex digits", [ErrorDetail(field="item", problem=item[:20])])
    gone = await _stored(store, supervisor=who, item=item)
    previous = gone[0] if gone else None
    revision, moved = await _apply(request, store, who, lambda s: s.remove_verdict(item, who))
    return json_response({"removed": previous.to_json() if previous is not None else None, "revision": revision,
                          "status_changes": moved,
                          "precision": request.app[COACH].precision_of(previous.rule) if previous else None})


async def corpus_summary(request: web.Request, store: Store, corpus: Corpus) -> web.Response:
    require_token(request)
    judged = await judged_corpus(request, corpus)
    return json_response(summary(judged, await _stored(store, corpus=judged.name)))


async def export(request: web.Request, store: Store, name: str) -> web.Response:
    """The verdicts on a corpus as a labels file (JSON Lines): the team's agreed ones, or one supervisor's."""
    require_token(request)
    supervisor = request.query.get("supervisor") or None
    chosen = labels(await _stored(store, corpus=name), supervisor)
    text = "".join(json.dumps(lb.model_dump(), ensure_ascii=False) + "\n" for lb in chosen)
    filename = f"labels-{name}{'-' + supervisor if supervisor else ''}.jsonl".encode("ascii", "replace").decode()
    return web.Response(text=text, content_type="application/x-ndjson", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def rule_verdicts(request: web.Request, store: Store | None, rule: str) -> web.Response:
    """The verdicts behind a rule's team figure, with the messages: each warning once, every supervisor's verdict
    on it, and whether they agree (only agreed ones count)."""
    require_token(request)
    if store is None:
        return json_response({"items": [], "store": False})
    items = by_item(await _stored(store, rule=rule, limit=500))
    out: list[dict[str, Any]] = []
    for vs in items.values():
        first = next(iter(vs.values()))
        out.append({"item": first.item, "trigger": first.trigger, "lang": first.lang, "channel": first.channel,
                    "corpus": first.corpus, "span": first.span, "quote": first.quote, "client": first.client,
                    "agreed": len({v.verdict for v in vs.values()}) == 1,
                    "verdicts": [{"supervisor": v.supervisor, "verdict": v.verdict, "category": v.category,
                                  "reason": v.reason, "ts": v.ts} for v in vs.values()],
                    "ts": max(v.ts for v in vs.values())})
    out.sort(key=lambda x: -float(x["ts"]))
    return json_response({"items": out, "store": True})
