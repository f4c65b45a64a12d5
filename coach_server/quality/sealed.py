"""The sealed part: blind labels in, figures out — never a message (docs/quality.md, "The sealed part").

    coach quality split CORPUS
    coach quality blind-export CORPUS --out DIR [--per-rule 20] [--round N]
    coach quality blind-import ANSWERS --export DIR --labeller NAME
    coach quality misses-export CORPUS --out DIR [--size 200] [--round N]
    coach quality misses-import ANSWERS --export DIR --labeller NAME
    coach quality sealed CORPUS [--json]
    coach quality calibrate CORPUS [--out quality/precision.json]

Every sealed command checks the sealed chats twice: in their own channels (`--channel-map`) and all as live
chats (the stricter view of the text rules); a warning the two views share — the rule runs the very same check
in both — is one item.
"""
from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import Coach
from ..models import CHANNELS, DEFAULT_CHANNEL
from ..rulebook.loader import default_rules_dir
from ..rulebook.precision import Count, PrecisionTable, wilson_low
from .blind import (
    WRONG_CATEGORIES,
    BlindError,
    RuleBrief,
    SealedMiss,
    SealedVerdict,
    cohen_kappa,
    fix_digest,
    import_miss_answers,
    import_warning_answers,
    load_chats,
    load_misses,
    load_verdicts,
    sample_messages,
    save_misses,
    save_verdicts,
    two_labels,
    write_miss_export,
    write_warning_export,
)
from .findings import Finding, draw_in_turn, load_channel_map, run_corpus
from .split import part_of

DEFAULT_VERDICTS = Path("quality/sealed.jsonl")
DEFAULT_MISSES = Path("quality/sealed-misses.jsonl")
DEFAULT_PRECISION = Path("quality/precision.json")
DEFAULT_CHANNEL_MAP = Path("quality/channels.toml")
SHOWN_TARGET = 0.9  # a rule shown by default is right at least this often on the sealed part…
SHOWN_LOW_TARGET = 0.8  # …with a Wilson lower bound at least this high


def add_sealed_parsers(qsub: Any) -> None:
    def sealed_command(name: str, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = qsub.add_parser(name, help=help_text)
        p.add_argument("corpus", help="chats in the audit's JSON Lines format (docs/audit.md)")
        p.add_argument("--rules", metavar="DIR", help="rules directory")
        p.add_argument("--channel-map", type=Path, default=DEFAULT_CHANNEL_MAP,
                       help="TOML: [sources] source prefix = channel (default %(default)s)")
        p.add_argument("--name", help="corpus name the verdicts are filed under (default: the file's stem)")
        p.add_argument("--verdicts", type=Path, default=DEFAULT_VERDICTS, help="default %(default)s")
        p.add_argument("--misses", type=Path, default=DEFAULT_MISSES, help="default %(default)s")
        return p

    p = qsub.add_parser("split", help="how many chats and operator messages the tuning and sealed parts hold")
    p.add_argument("corpus")
    p.set_defaults(func=cmd_split)

    p = sealed_command("blind-export", "write a fresh stratified sample of sealed warnings for blind labellers")
    p.add_argument("--out", type=Path, required=True, help="a directory outside the project")
    p.add_argument("--per-rule", type=int, default=20, help="judged items wanted per rule and language (default 20)")
    p.add_argument("--round", type=int, default=1)
    p.add_argument("--seed", type=int, default=None, help="default: the round")
    p.set_defaults(func=cmd_blind_export)

    p = qsub.add_parser("blind-import", help="take a labeller's verdicts on an export into the sealed verdicts")
    p.add_argument("answers", type=Path)
    p.add_argument("--export", type=Path, required=True)
    p.add_argument("--labeller", required=True)
    p.add_argument("--verdicts", type=Path, default=DEFAULT_VERDICTS)
    p.set_defaults(func=cmd_blind_import)

    p = sealed_command("misses-export", "write a sample of sealed operator messages to name the rules they break")
    p.add_argument("--out", type=Path, required=True, help="a directory outside the project")
    p.add_argument("--size", type=int, default=200)
    p.add_argument("--round", type=int, default=1)
    p.set_defaults(func=cmd_misses_export)

    p = qsub.add_parser("misses-import", help="take a labeller's answers on a misses export")
    p.add_argument("answers", type=Path)
    p.add_argument("--export", type=Path, required=True)
    p.add_argument("--labeller", required=True)
    p.add_argument("--misses", type=Path, default=DEFAULT_MISSES)
    p.add_argument("--rules", metavar="DIR", help="rules directory")
    p.set_defaults(func=cmd_misses_import)

    p = sealed_command("sealed", "sealed figures: precision per rule and trigger, κ, error categories, misses caught")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sealed)

    p = sealed_command("calibrate", "write the measured precision the engine's confidence comes from")
    p.add_argument("--out", type=Path, default=DEFAULT_PRECISION)
    p.set_defaults(func=cmd_calibrate)


# --- the sealed run ------------------------------------------------------------------------------------------
@dataclass
class SealedRun:
    """Every warning on the sealed chats, both views, one item per warning the views share."""

    findings: list[Finding]
    messages: Counter[tuple[str, str]]  # operator messages by (lang, channel), both views
    channels: dict[str, str]  # chat id → its own channel
    langs: dict[str, str]  # chat id → its language


def sealed_run(coach: Coach, corpus: Path, channel_map: dict[str, str], name: str | None) -> SealedRun:
    own = run_corpus(coach, corpus, channel_map=channel_map, name=name, part="sealed")
    as_chat = run_corpus(coach, corpus, channel_map={}, default_channel=DEFAULT_CHANNEL, name=name, part="sealed")
    same = same_check(coach)
    places = {(f.place, f.channel) for f in own.findings}
    findings = list(own.findings)
    for f in as_chat.findings:
        home = own.channels.get(f.chat_id, DEFAULT_CHANNEL)
        if home != DEFAULT_CHANNEL and same(f.rule, home, DEFAULT_CHANNEL) and (f.place, home) in places:
            continue  # the very same warning as in the chat's own channel
        if home == DEFAULT_CHANNEL:
            continue  # a live chat already: the same run
        findings.append(f)
    messages = Counter(own.messages)
    for (lang, channel), n in as_chat.messages.items():
        if channel == DEFAULT_CHANNEL:
            messages[(lang, "chat (as live chat)")] += n
    langs = {f.chat_id: f.lang for f in own.findings}
    return SealedRun(findings, messages, dict(own.channels), langs)


def same_check(coach: Coach) -> Callable[[str, str, str], bool]:
    def same(rule_id: str, a: str, b: str) -> bool:
        rule = coach.rulebook.rules.get(rule_id)
        return a == b or (rule is not None and rule.check.for_channel(a) is rule.check.for_channel(b))
    return same


def _coach(args: argparse.Namespace) -> Coach | None:
    coach = Coach.load(Path(args.rules) if args.rules else default_rules_dir())
    if coach.errors:
        for error in coach.errors:
            print(f"coach quality: {error}", file=sys.stderr)
        return None
    return coach


def _run(args: argparse.Namespace) -> tuple[Coach, SealedRun] | int:
    corpus = Path(args.corpus)
    if not corpus.is_file():
        print(f"coach quality: {corpus}: no such file", file=sys.stderr)
        return 2
    coach = _coach(args)
    if coach is None:
        return 2
    try:
        channel_map = load_channel_map(args.channel_map if args.channel_map.exists() else None)
    except (ValueError, OSError) as exc:
        print(f"coach quality: {exc}", file=sys.stderr)
        return 2
    return coach, sealed_run(coach, corpus, channel_map, args.name)


def _run_with_verdicts(args: argparse.Namespace) -> tuple[Coach, SealedRun, list[SealedVerdict]] | int:
    """The sealed run and the verdicts of --verdicts; an exit code (2, the reason printed) when either fails."""
    loaded = _run(args)
    if isinstance(loaded, int):
        return loaded
    try:
        verdicts = load_verdicts(args.verdicts)
    except BlindError as exc:
        print(f"coach quality: {exc}", file=sys.stderr)
        return 2
    return (*loaded, verdicts)


def rule_briefs(coach: Coach) -> list[RuleBrief]:
    return [RuleBrief(r.id, r.spec.title, {c: r.description_in(c) for c in CHANNELS})
            for r in sorted(coach.rulebook.active, key=lambda r: r.id)]


# --- figures ---------------------------------------------------------------------------------------------------
@dataclass
class TriggerFigures:
    rule: str
    trigger: str
    lang: str
    fired: int = 0  # warnings on the sealed part, both views
    shown: int = 0  # …of which shown by default (not quiet)
    count: Count = field(default_factory=Count)  # agreed verdicts
    disagreed: int = 0
    pairs: list[tuple[str, str]] = field(default_factory=list)
    fixes: Count = field(default_factory=Count)  # agreed fix verdicts on the fix offered now
    categories: Counter[str] = field(default_factory=Counter)


@dataclass
class SealedFigures:
    triggers: dict[tuple[str, str, str], TriggerFigures]
    messages: Counter[tuple[str, str]]
    flagged: dict[tuple[str, str, str], set[tuple[str, int]]]  # (rule, lang, channel) → messages flagged
    kappa_pairs: list[tuple[str, str]]

    def rule_rows(self) -> list[dict[str, Any]]:
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for t in self.triggers.values():
            row = rows.setdefault((t.rule, t.lang), {"rule": t.rule, "lang": t.lang, "fired": 0, "shown": 0,
                                                      "count": Count(), "disagreed": 0, "pairs": [],
                                                      "fixes": Count(), "categories": Counter()})
            row["fired"] += t.fired
            row["shown"] += t.shown
            row["count"] += t.count
            row["disagreed"] += t.disagreed
            row["pairs"] += t.pairs
            row["fixes"] += t.fixes
            row["categories"] += t.categories
        return [rows[k] for k in sorted(rows)]


def figures(run: SealedRun, verdicts: list[SealedVerdict]) -> SealedFigures:
    pairs = two_labels(verdicts)
    out: dict[tuple[str, str, str], TriggerFigures] = {}
    flagged: dict[tuple[str, str, str], set[tuple[str, int]]] = defaultdict(set)
    kappa_pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for f in run.findings:
        t = out.setdefault((f.rule, f.trigger, f.lang), TriggerFigures(f.rule, f.trigger, f.lang))
        t.fired += 1
        t.shown += not f.quiet
        flagged[(f.rule, f.lang, f.channel)].add((f.chat_id, f.message))
        pair = pairs.get(f.key)
        if pair is None or f.key in seen:
            continue
        seen.add(f.key)
        a, b = pair
        t.pairs.append((a.verdict, b.verdict))
        kappa_pairs.append((a.verdict, b.verdict))
        if a.verdict != b.verdict:
            t.disagreed += 1
            continue
        t.count += Count(1, 0) if a.verdict == "correct" else Count(0, 1)
        if a.verdict == "wrong":
            t.categories.update([a.category, b.category])
        digest = fix_digest(f.fixed)
        if digest and a.fix is not None and b.fix is not None and a.fix == b.fix \
                and a.fix_digest == digest and b.fix_digest == digest:
            t.fixes += Count(1, 0) if a.fix == "right" else Count(0, 1)
    return SealedFigures(out, run.messages, dict(flagged), kappa_pairs)


def precision_table(fig: SealedFigures, source: str) -> PrecisionTable:
    table = PrecisionTable(source=source, measured=datetime.date.today().isoformat())
    for (rule, trigger, lang), t in fig.triggers.items():
        if t.count.n:
            table.warnings[(rule, trigger, lang)] = t.count
        if t.fixes.n:
            key = (rule, trigger)
            table.fixes[key] = table.fixes.get(key, Count()) + t.fixes
        if t.categories:
            cats = table.categories.setdefault(rule, {})
            for category, n in t.categories.items():
                cats[category] = cats.get(category, 0) + n
    return table


@dataclass
class MissFigures:
    items: int  # messages read by two labellers
    agreed_flags: list[tuple[str, int, str]]  # (chat, message, rule) both named
    kappa: float | None
    caught_shown: int
    caught_any: int


def miss_figures(misses: list[SealedMiss], shown: set[tuple[str, int, str]], fired: set[tuple[str, int, str]],
                 rules: list[str]) -> MissFigures:
    by_message: dict[tuple[str, int], dict[str, SealedMiss]] = defaultdict(dict)
    for m in sorted(misses, key=lambda m: (m.round, m.labeller)):
        by_message[(m.chat_id, m.message)].setdefault(m.labeller, m)
    pairs: list[tuple[str, str]] = []
    agreed: list[tuple[str, int, str]] = []
    items = 0
    for (chat_id, message), labellers in by_message.items():
        if len(labellers) < 2:
            continue
        items += 1
        a, b = list(labellers.values())[:2]
        for rule in rules:
            va, vb = rule in a.rules, rule in b.rules
            pairs.append(("flag" if va else "-", "flag" if vb else "-"))
            if va and vb:
                agreed.append((chat_id, message, rule))
    kappa = cohen_kappa(pairs).kappa
    return MissFigures(items, agreed, kappa, sum(1 for x in agreed if x in shown), sum(1 for x in agreed if x in fired))


def _own_view(run: SealedRun) -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]]]:
    """(chat, message, rule) warned about in the chat's own channel: shown by default, and at all."""
    shown, fired = set(), set()
    for f in run.findings:
        if f.channel != run.channels.get(f.chat_id, DEFAULT_CHANNEL):
            continue
        fired.add((f.chat_id, f.message, f.rule))
        if not f.quiet:
            shown.add((f.chat_id, f.message, f.rule))
    return shown, fired


# --- commands --------------------------------------------------------------------------------------------------
def cmd_split(args: argparse.Namespace) -> int:
    corpus = Path(args.corpus)
    if not corpus.is_file():
        print(f"coach quality: {corpus}: no such file", file=sys.stderr)
        return 2
    counts: Counter[tuple[str, str, str]] = Counter()
    for chat_id, chat in load_chats(corpus).items():
        where: tuple[str, str] = (part_of(chat_id), chat.lang or "?")
        counts[(*where, "chats")] += 1
        counts[(*where, "operator messages")] += sum(1 for m in chat.messages if m.role == "operator")
    for (part, language, what), n in sorted(counts.items()):
        print(f"{part:7} {language:3} {what:18} {n:6}")
    return 0


def cmd_blind_export(args: argparse.Namespace) -> int:
    loaded = _run_with_verdicts(args)
    if isinstance(loaded, int):
        return loaded
    coach, run, verdicts = loaded
    if _inside_project(args.out):
        print("coach quality: --out must be outside the project: sealed messages never enter it", file=sys.stderr)
        return 2
    judged = set(two_labels(verdicts))
    picked = draw_fresh(run.findings, judged, args.per_rule, seed=args.seed if args.seed is not None else args.round)
    chats = load_chats(Path(args.corpus))
    write_warning_export(args.out, picked, chats, rule_briefs(coach), args.round)
    per_rule = Counter(f.rule for f in picked)
    print(f"{len(picked)} sealed warnings to judge written to {args.out}/items.md "
          f"({', '.join(f'{r} {n}' for r, n in sorted(per_rule.items()))})")
    return 0


def draw_fresh(findings: list[Finding], judged: set[str], per_rule: int, *, seed: int) -> list[Finding]:
    """Up to `per_rule` judged items per rule and language among the warnings firing now: the ones not yet
    judged needed to get there, drawn at random, triggers and channels in turn."""
    rng = random.Random(seed)
    have: Counter[tuple[str, str]] = Counter()
    pools: dict[tuple[str, str], dict[tuple[str, str], list[Finding]]] = defaultdict(lambda: defaultdict(list))
    unique: dict[str, Finding] = {}
    for f in findings:
        unique.setdefault(f.key, f)
    for f in unique.values():
        if f.key in judged:
            have[(f.rule, f.lang)] += 1
        else:
            pools[(f.rule, f.lang)][(f.trigger, f.channel)].append(f)
    picked = draw_in_turn(pools, have, per_rule, rng)
    rng.shuffle(picked)
    return picked


def _inside_project(path: Path) -> bool:
    root = Path(__file__).resolve().parents[2]
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True


def cmd_blind_import(args: argparse.Namespace) -> int:
    try:
        verdicts = load_verdicts(args.verdicts)
        new = import_warning_answers(args.answers, args.export, args.labeller)
    except (BlindError, OSError) as exc:
        print(f"coach quality: {exc}", file=sys.stderr)
        return 2
    kept = {(v.item, v.labeller): v for v in verdicts}
    for v in new:
        kept[(v.item, v.labeller)] = v
    save_verdicts(args.verdicts, list(kept.values()))
    print(f"{len(new)} verdicts of {args.labeller} kept in {args.verdicts}")
    return 0


def cmd_misses_export(args: argparse.Namespace) -> int:
    corpus = Path(args.corpus)
    coach = _coach(args)
    if coach is None or not corpus.is_file():
        print(f"coach quality: {corpus}: no such file" if coach else "", file=sys.stderr)
        return 2
    if _inside_project(args.out):
        print("coach quality: --out must be outside the project: sealed messages never enter it", file=sys.stderr)
        return 2
    try:
        channel_map = load_channel_map(args.channel_map if args.channel_map.exists() else None)
        done = {(m.chat_id, m.message) for m in load_misses(args.misses)}
    except (BlindError, ValueError, OSError) as exc:
        print(f"coach quality: {exc}", file=sys.stderr)
        return 2
    own = run_corpus(coach, corpus, channel_map=channel_map, name=args.name, part="sealed")
    chats = {cid: c for cid, c in load_chats(corpus).items() if cid in own.channels}
    langs = {cid: c.lang or "en" for cid, c in chats.items()}
    picked = sample_messages(chats, own.channels, langs, args.size, args.round, done)
    write_miss_export(args.out, picked, chats, rule_briefs(coach), args.round)
    print(f"{len(picked)} sealed operator messages written to {args.out}/items.md")
    return 0


def cmd_misses_import(args: argparse.Namespace) -> int:
    coach = _coach(args)
    if coach is None:
        return 2
    try:
        misses = load_misses(args.misses)
        new = import_miss_answers(args.answers, args.export, args.labeller, set(coach.rulebook.rules))
    except (BlindError, OSError) as exc:
        print(f"coach quality: {exc}", file=sys.stderr)
        return 2
    kept = {(m.chat_id, m.message, m.labeller): m for m in misses}
    for m in new:
        kept[(m.chat_id, m.message, m.labeller)] = m
    save_misses(args.misses, list(kept.values()))
    print(f"{len(new)} answers of {args.labeller} kept in {args.misses}")
    return 0


def _pct(value: float | None) -> str:
    return "   —" if value is None else f"{value * 100:3.0f}%"


def shown_bar(rows: list[dict[str, Any]], neutral: set[str]) -> dict[str, dict[str, Any]]:
    """Per rule shown by default: does it meet the bar (precision ≥ 90 %, Wilson lower bound ≥ 80 %)? Judged per
    language where the rule has ≥ 20 labels there, pooled over the languages where it fires less often and for
    a rule that decides the same way in every language (all its languages together) — the basis its confidence
    rests on."""
    out: dict[str, dict[str, Any]] = {}
    for rule in sorted({r["rule"] for r in rows if r["shown"]}):
        mine = [r for r in rows if r["rule"] == rule]
        big = [] if rule in neutral else [r for r in mine if r["n"] >= 20]
        small = [r for r in mine if r not in big]
        figures_: list[tuple[str, Count]] = [(r["lang"], Count(r["correct"], r["wrong"])) for r in big]
        if small:  # a language where it fires less often rests on all its languages together
            pooled = Count(sum(r["correct"] for r in mine), sum(r["wrong"] for r in mine))
            figures_.append(("+".join(r["lang"] for r in mine) if len(mine) > 1 else mine[0]["lang"], pooled))
        judged = [{"langs": langs, "n": c.n, "precision": c.precision, "low": c.low,
                   "meets": c.n > 0 and (c.precision or 0) >= SHOWN_TARGET and (c.low or 0) >= SHOWN_LOW_TARGET}
                  for langs, c in figures_]
        out[rule] = {"figures": judged, "meets": bool(judged) and all(j["meets"] for j in judged)}
    return out


def report(run: SealedRun, verdicts: list[SealedVerdict], misses: list[SealedMiss], rules: list[str],
           neutral: set[str] | None = None) -> dict[str, Any]:
    fig = figures(run, verdicts)
    rows = []
    for row in fig.rule_rows():
        c: Count = row["count"]
        rows.append({"rule": row["rule"], "lang": row["lang"], "fired": row["fired"], "shown": row["shown"],
                     "n": c.n, "correct": c.correct, "wrong": c.wrong, "disagreed": row["disagreed"],
                     "precision": c.precision, "low": c.low, "kappa": cohen_kappa(row["pairs"]).kappa,
                     "fixes": [row["fixes"].correct, row["fixes"].wrong],
                     "categories": dict(row["categories"].most_common())})
    triggers = [{"rule": t.rule, "trigger": t.trigger, "lang": t.lang, "fired": t.fired, "shown": t.shown,
                 "n": t.count.n, "correct": t.count.correct, "precision": t.count.precision, "low": t.count.low,
                 "fixes": [t.fixes.correct, t.fixes.wrong]}
                for t in sorted(fig.triggers.values(), key=lambda t: (t.rule, t.trigger, t.lang))]
    agreement = cohen_kappa(fig.kappa_pairs)
    shown, fired = _own_view(run)
    mf = miss_figures(misses, shown, fired, rules)

    def weighted(only_shown: bool) -> dict[str, Any]:
        # what an operator experiences: each rule's precision weighted by how often it is seen
        total = right = 0.0
        for row in rows:
            weight = row["shown"] if only_shown else row["fired"]
            if row["precision"] is None or not weight:
                continue
            total += weight
            right += weight * row["precision"]
        return {"precision": right / total if total else None, "warnings": int(total)}

    bar = shown_bar(rows, neutral or set())
    return {
        "messages": {f"{lang}/{channel}": n for (lang, channel), n in sorted(run.messages.items())},
        "verdicts": {"items_two_labels": agreement.items, "agreed": agreement.agreed, "agreement": agreement.raw,
                     "kappa": agreement.kappa},
        "rules": rows, "triggers": triggers,
        "weighted": {"shown": weighted(True), "all": weighted(False)},
        "shown_rules": bar,
        "shown_rules_meeting_target": [sum(1 for b in bar.values() if b["meets"]), len(bar)],
        "misses": {"messages_two_labels": mf.items, "agreed_flags": len(mf.agreed_flags), "kappa": mf.kappa,
                   "caught_shown": mf.caught_shown, "caught_any": mf.caught_any,
                   "by_rule": dict(Counter(r for _, _, r in mf.agreed_flags).most_common())},
    }


def cmd_sealed(args: argparse.Namespace) -> int:
    loaded = _run_with_verdicts(args)
    if isinstance(loaded, int):
        return loaded
    coach, run, verdicts = loaded
    try:
        misses = load_misses(args.misses)
    except BlindError as exc:
        print(f"coach quality: {exc}", file=sys.stderr)
        return 2
    data = report(run, verdicts, misses, sorted(coach.rulebook.rules),
                  {r.id for r in coach.rulebook.rules.values() if r.check.language_neutral})
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print("sealed part: operator messages — " + ", ".join(f"{k} {n}" for k, n in data["messages"].items()))
    v = data["verdicts"]
    print(f"blind verdicts: {v['items_two_labels']} items with two labels, agreement {_pct(v['agreement'])}, "
          f"κ {v['kappa']:.2f}" if v["kappa"] is not None else "blind verdicts: none yet")
    print(f"{'rule':22} {'lang':4} {'fired':>5} {'shown':>5} {'n':>4} {'prec':>5} {'≥95%':>5} {'κ':>5} "
          f"{'fixes':>7}  wrong: categories")
    for r in data["rules"]:
        kappa = f"{r['kappa']:.2f}" if r["kappa"] is not None else "  —"
        fixes = f"{r['fixes'][0]}/{sum(r['fixes'])}" if sum(r["fixes"]) else "—"
        cats = ", ".join(f"{k} {n}" for k, n in r["categories"].items())
        print(f"{r['rule']:22} {r['lang']:4} {r['fired']:5} {r['shown']:5} {r['n']:4} {_pct(r['precision']):>5} "
              f"{_pct(r['low']):>5} {kappa:>5} {fixes:>7}  {cats}")
    w = data["weighted"]
    print(f"weighted by how often each rule fires: shown {_pct(w['shown']['precision'])} over "
          f"{w['shown']['warnings']} warnings; all rules {_pct(w['all']['precision'])} over {w['all']['warnings']}")
    met, shown_rules = data["shown_rules_meeting_target"]
    print(f"rules shown by default meeting ≥ {SHOWN_TARGET:.0%} with a lower bound ≥ {SHOWN_LOW_TARGET:.0%}: "
          f"{met} of {shown_rules}")
    for rule, b in data["shown_rules"].items():
        print(f"  {rule:22} " + "; ".join(f"{j['langs']} {_pct(j['precision'])} ≥ {_pct(j['low'])} (n {j['n']})"
                                         f"{'' if j['meets'] else ' ✗'}" for j in b["figures"]))
    m = data["misses"]
    if m["messages_two_labels"]:
        kappa = f"{m['kappa']:.2f}" if m["kappa"] is not None else "—"
        print(f"misses: {m['messages_two_labels']} messages read twice, {m['agreed_flags']} agreed flags (κ {kappa}); "
              f"caught and shown {m['caught_shown']}, caught at all {m['caught_any']}")
    print("categories of wrong warnings: " + "; ".join(f"{k} = {d}" for k, d in WRONG_CATEGORIES.items()))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    loaded = _run_with_verdicts(args)
    if isinstance(loaded, int):
        return loaded
    _, run, verdicts = loaded
    table = precision_table(figures(run, verdicts), f"blind double labels on the sealed part of {Path(args.corpus).stem}")
    args.out.write_text(json.dumps(table.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    measured = sorted({r for (r, _, _) in table.warnings})
    print(f"{args.out}: precision of {len(measured)} rules from {sum(c.n for c in table.warnings.values())} agreed "
          f"verdicts; fixes of {len(table.fixes)} kinds")
    for rule in measured:
        c = table.rule_count(rule)
        low = wilson_low(c.correct, c.n)
        print(f"  {rule:22} {c.correct}/{c.n}  ≥ {_pct(low)}")
    return 0


__all__ = ["CHANNELS", "add_sealed_parsers"]
