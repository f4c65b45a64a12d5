"""The coach: rule files → checks → warnings for one request, in order of severity.

`Coach` is the public Python API (`from coach_server import Coach`). It owns the loaded rules and the
caches that make a warm check cheap: each distinct message list is validated once, each distinct message
text analysed once, each distinct chat once.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from .chatmemory import ChatMemory
from .checks.base import AnyCheck, Context
from .conversation import Conversation, ConversationCache
from .fixes import compose
from .models import (
    DEFAULT_CHANNEL,
    SEVERITY_RANK,
    CheckRequest,
    CheckResult,
    ErrorDetail,
    Lang,
    RequestError,
    ValidatedChats,
    Warning,
    parse_request,
)
from .rulebook.loader import Rulebook, RuleError, default_rules_dir, load_rulebook, load_ruleset
from .rulebook.precision import TEAM_DECIDES, Basis, PrecisionTable, TeamCounts, default_floor, load_precision
from .rulebook.ruleset import RuleSet
from .text.analysis import (
    AnalysisBudget,
    DraftCache,
    FactsCache,
    RulesPending,
    TextFacts,
    analysis_budget,
    common_prefix_length,
)
from .text.memory import clear_word_caches

log = logging.getLogger("coach.engine")

# How far ahead of the check's clock a timestamp may be before it is refused (clocks of two machines).
FUTURE_TOLERANCE_S = 120.0
# Checked in slices: when analysing new text took this long, the rules wait for a slice of their own; when a
# slice has run this long, the rules left wait for the next.
RULES_IN_A_SLICE_OF_THEIR_OWN_S = 0.01
RULES_SLICE_S = 0.02
# The key under which a conversation remembers a rule's answer (with the check's serial and the language),
# for a rule that read nothing but the conversation: it is the same whatever the draft.
_ANSWER = "answer"
# A trigger no labeller named: what a warning fired that way is measured by (the rule's figure in its language,
# else the rule's own) — see PrecisionTable.basis
_UNJUDGED_TRIGGER = "\x00unjudged"


@dataclass
class RulesProgress:
    """How far the rules of a check got in the slices so far (the check's texts kept alive while it lasts, so
    that the ids in `key` name them and nothing else)."""

    key: tuple[object, ...] = ()
    holds: tuple[object, ...] = ()
    done: int = 0
    warnings: list[Warning] = field(default_factory=list)
    next_change: float | None = None

    def keep(self, key: tuple[object, ...], holds: tuple[object, ...], done: int, warnings: list[Warning],
             next_change: float | None) -> None:
        self.key, self.holds, self.done, self.warnings, self.next_change = key, holds, done, list(warnings), \
            next_change


@dataclass
class Evaluation:
    """A check result plus what the live service needs to know to push updates by itself."""

    result: CheckResult
    next_change: float | None  # when a timed rule's answer will change with no new input
    timers: dict[str, Any] = field(default_factory=dict)
    slices: int = 1  # checked in slices (the service): how many
    longest_slice_ms: float | None = None  # …and the longest of them


class _Derived:
    """What follows from one rule set, one table of figures and one floor (`Coach._derived_now`)."""

    __slots__ = ("check_lists", "floor", "precision", "rulebook", "verdicts")

    def __init__(self, rulebook: Rulebook, precision: PrecisionTable, floor: float):
        self.rulebook, self.precision, self.floor = rulebook, precision, floor
        self.check_lists: dict[tuple[str, bool, str | None], list[tuple[str, AnyCheck]]] = {}
        self.verdicts: dict[tuple[str, str, str], tuple[float | None, bool, bool]] = {}  # (confidence, shown, fix)


class RulesUpdate(NamedTuple):
    """What re-reading the rules directory did."""

    errors: list[RuleError]  # problems in rule files (each broken file keeps its last good version)
    changed: frozenset[str]  # the ids of the rules added, removed or edited


def _sort_key(w: Warning) -> tuple[int, int, str]:
    return (SEVERITY_RANK[w.severity], w.start if w.start is not None else 1 << 30, w.rule)


class Coach:
    def __init__(self, rulebook: Rulebook, *, share_analysis_with: Coach | None = None,
                 precision: PrecisionTable | None = None, min_confidence: float | None = None):
        """A coach over `rulebook`. With `share_analysis_with`, the text and chat analysis of that coach is
        shared (the back-test runs proposed rules beside the current ones: each text is analysed once).
        `precision` holds how often each rule's warnings were right on sealed real chats (default: the
        project's measured figures); warnings whose confidence is under `min_confidence` are quiet."""
        self.rulebook = rulebook
        self.precision_error: str | None = None
        if precision is None:
            if share_analysis_with is not None:
                precision = share_analysis_with.precision
            else:
                precision, self.precision_error = load_precision()
        self.precision: PrecisionTable = precision
        self.min_confidence = default_floor() if min_confidence is None else min_confidence
        other = share_analysis_with
        self.chats: ValidatedChats = other.chats if other else ValidatedChats()  # message lists: each validated once
        self.facts: FactsCache = other.facts if other else FactsCache()  # chat messages: each analysed once
        self.conversations: ConversationCache = (other.conversations if other else
                                                 ConversationCache(self.facts, size=500))
        self.drafts = DraftCache()  # the latest drafts: a new one reuses the sentences it shares
        self.fix_drafts = DraftCache(size=16)  # drafts with a fix applied (fixes.compose), apart from the typed
        self.rule_failures: dict[str, int] = {}
        # What follows from the rules, the measured figures and the floor, for as long as those stay: the checks
        # that run in a channel and scope (and, where a language is named, only those that may show a warning
        # in it: see `may_show`); and per rule, trigger and language what `calibrate` gives every such warning
        self._derived: _Derived | None = None
        # Offered fixes are checked to bring no remark of another rule (fixes.py). Who only counts the remarks —
        # an audit, a back-test — may skip that: it changes no remark, only which fixes are offered.
        self.verify_fixes = True

    # --- loading -------------------------------------------------------------------------------------
    @classmethod
    def load(cls, rules_dir: str | Path | None = None, *, min_confidence: float | None = None) -> Coach:
        """Load the rules from `rules_dir` (default: $COACH_RULES or the project's `rules/`); warnings under
        `min_confidence` (default: $COACH_MIN_CONFIDENCE, else 0.8) are quiet (0: every warning is shown)."""
        directory = Path(rules_dir) if rules_dir is not None else default_rules_dir()
        return cls(load_rulebook(directory), min_confidence=min_confidence)

    @property
    def rules_dir(self) -> Path | None:
        return self.rulebook.directory

    @property
    def errors(self) -> list[RuleError]:
        return self.rulebook.errors

    def reload(self) -> list[RuleError]:
        """Re-read the rules directory; broken files keep their last good version. Returns the errors."""
        return self.update_rules().errors

    def update_rules(self) -> RulesUpdate:
        """Re-read the rules directory, like `reload`, and say which rules changed."""
        before = self.rulebook
        if before.directory is None:
            return RulesUpdate([], frozenset())
        self.rulebook = load_rulebook(before.directory, previous=before)
        return RulesUpdate(self.rulebook.errors, self.rulebook.changed_since(before))

    def shed_memory(self) -> None:
        """Empty every cache of analysed text and words (the service calls this when its memory grows past
        its limit: what is needed again is analysed again)."""
        self.facts.clear()
        self.drafts.clear()
        self.fix_drafts.clear()
        self.conversations.clear()
        self.chats.clear()
        clear_word_caches()

    def put_in_force(self, book: Rulebook) -> RulesUpdate:
        """Make `book` — built elsewhere, off the event loop (service/rulewatch.py) — the rules in force, in one
        step. Says which rules changed."""
        before, self.rulebook = self.rulebook, book
        return RulesUpdate(book.errors, book.changed_since(before))

    def use_rules(self, ruleset: RuleSet) -> RulesUpdate:
        """Put a stored version of the rule files in force (a team's rule set); unchanged rules keep their
        compiled checks, a file this version breaks keeps its last good version. Says which rules changed."""
        before = self.rulebook
        self.rulebook = load_ruleset(ruleset, previous=before)
        return RulesUpdate(self.rulebook.errors, self.rulebook.changed_since(before))

    # --- checking ------------------------------------------------------------------------------------
    def check(self, request: CheckRequest | dict[str, Any], *, only: Iterable[str] | None = None,
              calibrated: bool = True) -> CheckResult:
        """Warnings for the operator's draft in this conversation. Raises RequestError on bad input.
        `calibrated=False`: every warning as its check gave it — no quiet floor, every fix kept (a rule's own
        examples test what the check says, not whether it is shown)."""
        return self.evaluate(request, only=only, calibrated=calibrated).result

    def evaluate(self, request: CheckRequest | dict[str, Any], *, only: Iterable[str] | None = None,
                 budget: AnalysisBudget | None = None, progress: RulesProgress | None = None,
                 memory: ChatMemory | None = None, calibrated: bool = True) -> Evaluation:
        """The warnings and what the live service needs besides. With `budget`, the analysis of new text is
        limited to that slice: past it, AnalysisPending is raised (what was analysed is kept), and the same
        call later goes on from there; with `progress` too, the rules may also run over several slices (see
        `evaluate_in_slices` in the service). With `memory` (a live chat's), the conversation and the draft
        are analysed from what that chat analysed before, not looked up in the shared caches."""
        started = time.perf_counter()
        req = parse_request(request, self.chats)
        now = req.now if req.now is not None else time.time()
        with analysis_budget(budget):
            if memory is not None:
                conv = memory.conversation(req.messages, self.facts)
                draft = memory.draft_facts(req.draft, self.drafts)
            else:
                conv = self.conversations.get(req.messages)
                draft = self.drafts.get(req.draft)
            if (budget is not None and budget.rules_may_wait and budget.started
                    and time.perf_counter() - started > RULES_IN_A_SLICE_OF_THEIR_OWN_S):
                raise RulesPending()  # the texts are analysed (and cached if they fit): the rules run next
            _refuse_future(req, now, conv.latest_ts)
            # remarks in the operator's language when the client says which (ui_lang), else the chat's; a fix in
            # the draft's own language (a Russian reply to an English client is fixed in Russian)
            lang: Lang = "en" if (req.ui_lang or req.lang or conv.wording_lang(draft)) == "en" else "ru"
            text_lang = draft_lang(req, draft, conv, lang)
            ctx = Context(request=req, now=now, draft=draft, conv=conv, lang=lang,
                          channel=req.channel or DEFAULT_CHANNEL, text_lang=text_lang)
            if req.caret is not None and req.caret <= len(req.draft):
                word = draft.word_touching(req.caret)
                if word is not None:
                    ctx.typing_span = (word.start, word.end)
            # what nobody is shown is not worked out: without include_quiet, a rule none of whose warnings could
            # reach the floor in the draft's language does not run (what is shown is the same either way)
            judged = text_lang or lang  # what was judged is in the draft's language: its figures apply
            checks = self._checks(ctx.channel, req.scope == "text", only,
                                  shown_in=judged if calibrated and not req.include_quiet else None)
            key = (id(draft), id(conv), id(self.rulebook), id(self.precision), lang, judged, ctx.channel,
                   ctx.typing_span, len(checks))
            first = 0
            warnings: list[Warning] = []
            next_change: float | None = None
            if progress is not None and progress.key == key:  # the rules of an earlier slice: go on
                first, warnings, next_change = progress.done, list(progress.warnings), progress.next_change
            memo = conv.memo
            for i in range(first, len(checks)):
                rule_id, check = checks[i]
                answer_key = (check.serial, _ANSWER, lang)
                known: tuple[tuple[Warning, ...], float | None] | None = memo.get(answer_key)
                try:
                    if known is not None:  # it read only the conversation, which has not changed
                        found, due = [w.model_copy() for w in known[0]], known[1]
                    else:
                        ctx.read_input = False
                        if ctx.scratch:
                            ctx.scratch = {}
                        found = list(check.run(ctx))
                        due = check.next_change(ctx) if check.timed else None
                        if not ctx.read_input:
                            memo[answer_key] = (tuple(w.model_copy() for w in found), due)
                    warnings.extend(found)
                    if due is not None and (next_change is None or due < next_change):
                        next_change = due
                except Exception:  # a broken rule must never take the coaching down with it
                    self.rule_failures[rule_id] = self.rule_failures.get(rule_id, 0) + 1
                    log.exception("rule %s failed; skipped for this check", rule_id)
                if (progress is not None and budget is not None and budget.rules_may_wait and i + 1 < len(checks)
                        and time.perf_counter() - started > RULES_SLICE_S):
                    progress.keep(key, (draft, conv, self.rulebook, self.precision), i + 1, warnings, next_change)
                    raise RulesPending()  # the other rules in the next slice
        warnings = one_remark_per_wait(warnings)
        warnings.sort(key=_sort_key)
        quiet = 0
        if calibrated:
            warnings, quiet = self.calibrate(warnings, judged, include_quiet=req.include_quiet)
        if any(w.suggestion is not None for w in warnings):
            # the fixes left are made to fit together; a fix may bring no remark an operator would see
            recheck = partial(self._recheck, ctx, checks)
            if calibrated:
                def shown(text: str, rules: Iterable[str] | None) -> list[Warning]:
                    return self.calibrate(recheck(text, rules), judged)[0]
                warnings = compose(req.draft, warnings, shown, verify=self.verify_fixes)
            else:
                warnings = compose(req.draft, warnings, recheck, verify=self.verify_fixes)
        took_ms = (time.perf_counter() - started) * 1000
        pending = [t.ts for t in conv.pending if t.ts is not None]
        last = conv.last_speaker_turn
        wait = next((w for w in warnings if w.clock == "client_wait"), None)
        timers: dict[str, Any] = {
            "client_waiting_since": min(pending) if pending else None,
            "client_silent_since": last.ts if last is not None and last.role == "operator" and conv.client_turns
            else None,
            # how late the answer is, whatever the operator dismissed: the «client waiting» chip stays honest
            "client_wait_severity": wait.severity if wait is not None else None,
        }
        # constructed, not validated: the checks made the warnings, and a check is hot
        result = CheckResult.model_construct(warnings=warnings, lang=lang, took_ms=round(took_ms, 3), quiet=quiet)
        return Evaluation(result, next_change, timers)

    def floor_of(self, rule_id: str) -> float:
        """The confidence a warning of this rule needs to be shown: its own floor, else the service's."""
        rule = self.rulebook.rules.get(rule_id)
        own = rule.spec.min_confidence if rule is not None else None
        return self.min_confidence if own is None else own

    def basis_of(self, rule_id: str, trigger: str, lang: str, table: PrecisionTable | None = None) -> Basis:
        """What a warning of this rule, trigger and language rests on (the project's figure, or the team's)."""
        rule = self.rulebook.rules.get(rule_id)
        return (table or self.precision).basis(rule_id, trigger, lang,
                                               pool_langs=rule is not None and rule.check.language_neutral)

    def is_shown(self, rule_id: str, confidence: float | None) -> bool:
        """Does a warning of this rule with this confidence reach operators? Its pin (`show`), else the floor."""
        rule = self.rulebook.rules.get(rule_id)
        show = rule.spec.show if rule is not None else "auto"
        return show == "always" or (show == "auto" and (confidence or 0.0) >= self.floor_of(rule_id))

    def precision_of(self, rule_id: str) -> dict[str, Any]:
        """What is known of a rule's precision, for /v1/rules and the supervisor page: the sealed figures per
        trigger and language, the team's verdicts, the confidence each warning gets, and whether it is shown
        by default."""
        table = self.precision
        rule = self.rulebook.rules.get(rule_id)
        show = rule.spec.show if rule is not None else "auto"
        floor = self.floor_of(rule_id)
        whole = table.rule_count(rule_id)
        team = table.team_count(rule_id)
        triggers = []
        for trigger in table.triggers(rule_id):
            for lang in ("ru", "en"):
                basis = self.basis_of(rule_id, trigger, lang)
                confidence = _rounded(basis.confidence)
                own = table.warnings.get((rule_id, trigger, lang))
                triggers.append({
                    "trigger": trigger, "lang": lang, "labels": own.n if own else 0,
                    "correct": own.correct if own else 0, "confidence": confidence,
                    "basis": basis.level, "basis_labels": basis.count.n, "basis_correct": basis.count.correct,
                    "team_labels": basis.team.n, "team_correct": basis.team.correct, "team_decides": TEAM_DECIDES,
                    "prior_labels": basis.prior.n if basis.prior is not None else None,
                    "prior_correct": basis.prior.correct if basis.prior is not None else None,
                    "prior_basis": basis.prior_level or None,
                    "shown": self.is_shown(rule_id, confidence),
                    "fix_offered": table.fix_offered(rule_id, trigger)})
        main = self.basis_of(rule_id, "main", "ru") if not triggers else None
        shown_any = any(t["shown"] for t in triggers) if triggers else self.is_shown(
            rule_id, _rounded(main.confidence) if main else None)
        return {"labels": whole.n, "correct": whole.correct,
                "precision": None if whole.precision is None else round(whole.precision, 3),
                "low": None if whole.low is None else round(whole.low, 3),
                "team": {"labels": team.n, "correct": team.correct,
                         "precision": None if team.precision is None else round(team.precision, 3)},
                "show": show, "min_confidence": floor, "shown": shown_any, "triggers": triggers,
                "categories": table.categories.get(rule_id, {}),
                "measured": table.measured, "source": table.source}

    def calibrate(self, warnings: list[Warning], lang: str, *, include_quiet: bool = False) -> tuple[list[Warning], int]:
        """Each warning with its measured confidence (the team's figure where its verdicts decide); a fix kept
        only where fixes of its kind were measured right (rulebook/precision.py); warnings under the floor
        quiet — left out, or kept marked `quiet` when asked for. Returns the warnings and how many are quiet."""
        out: list[Warning] = []
        quiet = 0
        for w in warnings:
            confidence, shown, fix_offered = self._verdict(w.rule, w.trigger, lang)
            is_quiet = not shown
            # a floor of 0 turns the calibration off: every warning shown with every fix its check proposes
            suggestion = w.suggestion if (w.suggestion is None or self.min_confidence <= 0.0
                                          or fix_offered) else None
            if is_quiet:
                quiet += 1
                if not include_quiet:
                    continue
            out.append(w.model_copy(update={"confidence": confidence, "quiet": is_quiet, "suggestion": suggestion}))
        return out, quiet

    # --- the team's own verdicts ---------------------------------------------------------------------------
    def use_team(self, team: TeamCounts) -> frozenset[str]:
        """Put a team's verdicts in force (a table of its own, in one step); returns the rules whose figures
        changed — what live chats re-check."""
        before = self.precision
        after = before.with_team(team.counts)
        keys = set(before.team) | set(after.team)
        self.precision = after
        return frozenset(rule for rule, trigger in keys if before.team.get((rule, trigger)) != after.team.get((rule, trigger)))

    def status_changes(self, before: PrecisionTable, after: PrecisionTable,
                       rules: Iterable[str]) -> list[dict[str, Any]]:
        """Which rule, trigger and language went from shown to quiet or back between two tables (the same rules
        and floor): for the history of what operators see, with the figures that decided it."""
        out: list[dict[str, Any]] = []
        for rule_id in sorted(set(rules)):
            rule = self.rulebook.rules.get(rule_id)
            langs = ("*",) if rule is not None and rule.check.language_neutral else ("ru", "en")
            triggers = sorted(set(before.triggers(rule_id)) | set(after.triggers(rule_id)))
            for trigger in triggers:
                for lang in langs:
                    was, now = (self.basis_of(rule_id, trigger, "ru" if lang == "*" else lang, t)
                                for t in (before, after))
                    shown_now = self.is_shown(rule_id, _rounded(now.confidence))
                    if self.is_shown(rule_id, _rounded(was.confidence)) == shown_now:
                        continue
                    out.append({"rule": rule_id, "trigger": trigger, "lang": lang, "shown": shown_now,
                                "confidence": _rounded(now.confidence),
                                "confidence_before": _rounded(was.confidence),
                                "floor": self.floor_of(rule_id), "basis": now.level,
                                "count": [now.count.correct, now.count.wrong],
                                "team": [now.team.correct, now.team.wrong],
                                "prior": [now.prior.correct, now.prior.wrong] if now.prior is not None else None,
                                "team_decides": TEAM_DECIDES})
        return out

    def _checks(self, channel: str, text_only: bool, only: Iterable[str] | None,
                shown_in: str | None = None) -> list[tuple[str, AnyCheck]]:
        """(rule id, check) of the active rules (those in `only`, if given) that run in this channel and scope;
        with `shown_in` (a language), only those that may show a warning in it (`may_show`) — and every timed
        rule: which clock's remark is kept (`one_remark_per_wait`) and when the chat is looked at again read
        every clock, shown or not."""
        if only is not None:
            return self._select(channel, text_only, set(only), shown_in)
        lists = self._derived_now().check_lists
        found = lists.get((channel, text_only, shown_in))
        if found is None:
            found = lists[(channel, text_only, shown_in)] = self._select(channel, text_only, None, shown_in)
        return found

    def _derived_now(self) -> _Derived:
        """What follows from the rules, the figures and the floor in force (worked out anew when one changes)."""
        kept = self._derived
        if (kept is None or kept.rulebook is not self.rulebook or kept.precision is not self.precision
                or kept.floor != self.min_confidence):
            kept = self._derived = _Derived(self.rulebook, self.precision, self.min_confidence)
        return kept

    def _verdict(self, rule_id: str, trigger: str, lang: str) -> tuple[float | None, bool, bool]:
        """What `calibrate` gives a warning of this rule, trigger and language: (its confidence, is it shown,
        is its fix offered) — worked out once for the figures in force, not for every warning of every
        keystroke (a client kept waiting while the operator types brings a timer's remark on each)."""
        memo = self._derived_now().verdicts
        key = (rule_id, trigger, lang)
        found = memo.get(key)
        if found is None:
            table = self.precision
            confidence = _rounded(self.basis_of(rule_id, trigger, lang, table).confidence)
            found = memo[key] = (confidence, self.is_shown(rule_id, confidence), table.fix_offered(rule_id, trigger))
        return found

    def rules_run(self, lang: str, channel: str = DEFAULT_CHANNEL) -> list[str]:
        """The rules a check of a draft in this language runs by default in this channel (without
        `include_quiet`): the timed ones and those that may show a warning in it."""
        return [rule_id for rule_id, _ in self._checks(channel, False, None, shown_in=lang)]

    def _select(self, channel: str, text_only: bool, wanted: set[str] | None,
                shown_in: str | None) -> list[tuple[str, AnyCheck]]:
        return [(rule.id, check) for rule in self.rulebook.active
                if (wanted is None or rule.id in wanted)
                and (check := rule.check.for_channel(channel)) is not None
                and not (text_only and check.needs_conversation)
                and (shown_in is None or check.timed or self.may_show(rule.id, shown_in))]

    def may_show(self, rule_id: str, lang: str) -> bool:
        """May a warning of this rule, in this language, be shown: is it pinned, or does one of the ways it fires
        — each trigger anyone judged, and any other, which has the rule's own figure — reach its floor? A rule
        that may not shows nothing whatever it finds (`calibrate` leaves every warning of it out)."""
        triggers = [*self.precision.triggers(rule_id), _UNJUDGED_TRIGGER]
        return any(self._verdict(rule_id, trigger, lang)[1] for trigger in triggers)

    def _recheck(self, ctx: Context, checks: list[tuple[str, AnyCheck]], text: str,
                 only: Iterable[str] | None) -> list[Warning]:
        """The warnings of `checks` (those in `only`) on another text in place of the draft — the draft with a
        fix applied (fixes.compose); the word being typed stays unjudged where the fix left it."""
        req = ctx.request
        draft = self.fix_drafts.get(text)
        typing_span = None
        if req.caret is not None and ctx.typing_span is not None:
            caret = moved_offset(req.draft, text, req.caret)
            word = draft.word_touching(caret) if caret is not None else None
            typing_span = (word.start, word.end) if word is not None else None
        request = req.model_copy(update={"draft": text, "caret": None})
        other = Context(request=request, now=ctx.now, draft=draft, conv=ctx.conv, lang=ctx.lang,
                        channel=ctx.channel, typing_span=typing_span, text_lang=ctx.text_lang)
        wanted = set(only) if only is not None else None
        out: list[Warning] = []
        for rule_id, check in checks:
            if wanted is None or rule_id in wanted:
                try:
                    out.extend(check.run(other))
                except Exception:  # as in evaluate: a broken rule says nothing
                    log.exception("rule %s failed on a fixed draft; skipped", rule_id)
        return out

    def reevaluate(self, request: CheckRequest, previous: Evaluation, changed: Iterable[str]) -> Evaluation:
        """`previous` (this very request's evaluation) after a change of the rules in `changed`: those rules
        run anew, the others' warnings are kept — what a rules change costs a live chat is the changed
        rules, not all of them. The request must be the one `previous` was made for (same draft and
        conversation); timed rules keep their schedule (the earlier of the two next changes)."""
        wanted = set(changed)
        return self.combine(previous, self.evaluate(request, only=wanted), wanted)

    def combine(self, previous: Evaluation, fresh: Evaluation, changed: Iterable[str]) -> Evaluation:
        """`previous` with the warnings of the rules in `changed` replaced by `fresh`'s (an evaluation of the
        same request with `only=changed`): what `reevaluate` returns, for a caller that evaluated in slices."""
        wanted = set(changed)
        active = {rule.id for rule in self.rulebook.active}
        kept = [w for w in previous.result.warnings if w.rule not in wanted and w.rule in active]
        warnings = sorted(one_remark_per_wait(kept + list(fresh.result.warnings)), key=_sort_key)
        dues = [d for d in (fresh.next_change, previous.next_change) if d is not None]
        result = CheckResult.model_construct(warnings=warnings, lang=fresh.result.lang, took_ms=fresh.result.took_ms)
        wait = next((w for w in warnings if w.clock == "client_wait"), None)
        timers = {**fresh.timers, "client_wait_severity": wait.severity if wait is not None else None}
        return Evaluation(result, min(dues) if dues else None, timers, fresh.slices, fresh.longest_slice_ms)


def _rounded(confidence: float | None) -> float | None:
    """A confidence as warnings carry it (and as the floor is compared with): three decimals."""
    return None if confidence is None else round(confidence, 3)


def one_remark_per_wait(warnings: list[Warning]) -> list[Warning]:
    """The client waits while the operator types: «the client has waited 1 min 10 s» says what «you have been
    writing for a minute» would — the wait of the client is kept, the draft's clock left out."""
    if not any(w.clock == "client_wait" for w in warnings):
        return warnings
    return [w for w in warnings if w.clock != "draft"]


def moved_offset(old: str, new: str, offset: int) -> int | None:
    """Where `offset` of `old` is in `new`, one edit apart (None: inside what the edit replaced)."""
    prefix = common_prefix_length(old, new)
    if offset <= prefix:
        return offset
    limit = min(len(old), len(new)) - prefix
    suffix = 0
    while suffix < limit and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    if offset >= len(old) - suffix:
        return offset + len(new) - len(old)
    return None


def draft_lang(req: CheckRequest, draft: TextFacts, conv: Conversation, fallback: str) -> str:
    """The language a fix to this draft is written in: the draft's, else the chat's as the client sets it,
    else what the operator wrote before, else the client's (an empty reply box answers the client)."""
    found = draft.lang or req.lang or conv.operator_lang or conv.client_lang or fallback
    return "en" if found == "en" else "ru"


def _refuse_future(req: CheckRequest, now: float, latest_ts: float | None) -> None:
    limit = now + FUTURE_TOLERANCE_S
    if (latest_ts is None or latest_ts <= limit) and (req.draft_started_at is None or req.draft_started_at <= limit):
        return  # the usual case, known without looking at every message
    details = [
        ErrorDetail(field=f"messages[{i}].ts", problem=f"is {m.ts - now:.0f} s in the future of the check's clock")
        for i, m in enumerate(req.messages) if m.ts is not None and m.ts > limit
    ]
    if req.draft_started_at is not None and req.draft_started_at > limit:
        details.append(ErrorDetail(field="draft_started_at",
                                   problem=f"is {req.draft_started_at - now:.0f} s in the future of the check's clock"))
    if details:
        raise RequestError("timestamps in the future", details)
