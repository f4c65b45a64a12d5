"""`coach quality …` — measure the rules' precision on real chats with labels kept in the repo.

    coach quality sample CORPUS [--per-rule 20]   add unlabelled warnings (a stratified random sample) to the labels
    coach quality label CORPUS                    judge the pending ones, one by one, at the terminal
    coach quality verdict ID correct|wrong [WHY]  record one verdict (scripts, bulk labelling)
    coach quality show CORPUS [--pending|--wrong|--rule R|--id ID]   the warnings with their context
    coach quality report CORPUS [--strict]        precision, fire rates, regressions

The sealed part (split.py: a third of the chats, by a hash of the chat id) is never printed:
    coach quality split CORPUS                               how many chats and messages each part holds
    coach quality blind-export CORPUS --out DIR [--round N]  a fresh sample of sealed warnings for blind labellers
    coach quality blind-import ANSWERS --export DIR --labeller NAME   their verdicts → quality/sealed.jsonl
    coach quality misses-export CORPUS --out DIR             sealed operator messages to name missed rules on
    coach quality misses-import ANSWERS --export DIR --labeller NAME  → quality/sealed-misses.jsonl
    coach quality sealed CORPUS [--json]                     sealed figures: precision, κ, categories, misses caught
    coach quality calibrate CORPUS                           the measured precision → quality/precision.json

Common options: `--labels FILE` (default quality/labels.jsonl), `--rules DIR`, `--channel-map FILE`
(source prefix → channel), `--channel NAME` (the default channel), `--name NAME` (the corpus name labels are
filed under; default: the file's stem). Exit status of `report --strict`: 1 when a labelled false positive
fires again, a labelled correct warning no longer fires, or a rule with enough labels is below the target.
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from ..engine import Coach
from ..models import CHANNELS, DEFAULT_CHANNEL
from ..rulebook.loader import default_rules_dir
from .findings import Finding, Run, load_channel_map, run_corpus
from .labels import Label, LabelsError, load_labels, save_labels
from .measure import Measurement, SameRule, applicable, draw_sample, measure
from .sealed import add_sealed_parsers

DEFAULT_LABELS = Path("quality/labels.jsonl")
PRINTING = frozenset({"sample", "label", "show"})  # commands that print messages: never on the sealed part
TARGET = 0.9  # precision every rule must reach
MIN_LABELS = 10  # below this many labels a rule's precision is shown but not judged by --strict


def add_quality_parser(sub: Any) -> None:
    quality = sub.add_parser("quality", help="measure the rules' precision on real chats (docs/quality.md)")
    qsub = quality.add_subparsers(dest="quality_command", required=True)

    def corpus_command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = qsub.add_parser(name, help=help_text)
        p.add_argument("corpus", help="chats in the audit's JSON Lines format (docs/audit.md)")
        p.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="the labels file (default %(default)s)")
        p.add_argument("--rules", metavar="DIR", help="rules directory")
        p.add_argument("--channel-map", type=Path, help="TOML: [sources] source prefix = channel")
        p.add_argument("--channel", choices=CHANNELS, default=DEFAULT_CHANNEL,
                       help="channel of chats that name none (default %(default)s)")
        p.add_argument("--name", help="corpus name the labels are filed under (default: the file's stem)")
        p.add_argument("--part", choices=("tune", "all") if name in PRINTING else ("tune", "sealed", "all"),
                       default="tune" if name in PRINTING else "all",
                       help="the chats to use: the tuning part, the sealed part (figures only) or all "
                            "(default %(default)s)" + ("; sealed messages are never printed" if name in PRINTING else ""))
        parser: argparse.ArgumentParser = p
        return parser

    p = corpus_command("sample", "add a stratified random sample of unlabelled warnings to the labels file")
    p.add_argument("--per-rule", type=int, default=20, help="labels wanted per rule and language (default 20)")
    p.add_argument("--rule", action="append", help="only this rule (repeatable)")
    p.add_argument("--lang", action="append", choices=("ru", "en"), help="only this language")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=cmd_sample)

    p = corpus_command("label", "judge the pending warnings one by one")
    p.add_argument("--rule", action="append", help="only this rule (repeatable)")
    p.add_argument("--all-unlabelled", action="store_true", help="also every firing warning without a label")
    p.set_defaults(func=cmd_label)

    p = corpus_command("show", "print warnings with their context")
    p.add_argument("--pending", action="store_true", help="labelled but not judged yet")
    p.add_argument("--wrong", action="store_true", help="labelled false positives that still fire")
    p.add_argument("--unlabelled", action="store_true", help="firing, no label")
    p.add_argument("--rule", action="append", help="only this rule (repeatable)")
    p.add_argument("--lang", choices=("ru", "en"))
    p.add_argument("--id", action="append", help="these label ids")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_show)

    p = corpus_command("report", "per-rule precision, fire rates and regressions")
    p.add_argument("--strict", action="store_true", help="exit 1 on a regression or a rule below the target")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=cmd_report)

    add_sealed_parsers(qsub)

    p = qsub.add_parser("verdict", help="record verdicts: ID correct|wrong [REASON]")
    p.add_argument("id")
    p.add_argument("verdict", choices=("correct", "wrong", "pending"))
    p.add_argument("reason", nargs="?", default="")
    p.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="the labels file (default %(default)s)")
    p.set_defaults(func=cmd_verdict)


# --- running ---------------------------------------------------------------------------------------------
def _load(args: argparse.Namespace) -> tuple[Run, dict[str, Label]] | int:
    corpus = Path(args.corpus)
    if not corpus.is_file():
        print(f"coach quality: {corpus}: no such file", file=sys.stderr)
        return 2
    try:
        labels = load_labels(args.labels)
        channel_map = load_channel_map(args.channel_map)
    except (LabelsError, ValueError, OSError) as exc:
        print(f"coach quality: {exc}", file=sys.stderr)
        return 2
    coach = Coach.load(Path(args.rules) if args.rules else default_rules_dir())
    if coach.errors:
        for error in coach.errors:
            print(f"coach quality: {error}", file=sys.stderr)
        return 2
    part = None if args.part == "all" else args.part
    run = run_corpus(coach, corpus, channel_map=channel_map, default_channel=args.channel, name=args.name, part=part)
    for problem in run.bad_lines[:20]:
        print(f"coach quality: {corpus.name}: {problem} — skipped", file=sys.stderr)
    args.same = same_in(coach)
    return run, labels


def same_in(coach: Coach) -> SameRule:
    """A verdict holds across two channels when the rule runs the very same check in both."""
    def same(rule_id: str, judged: str, checked: str) -> bool:
        rule = coach.rulebook.rules.get(rule_id)
        return judged == checked or (rule is not None
                                     and rule.check.for_channel(judged) is rule.check.for_channel(checked))
    return same


def cmd_sample(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    run, labels = loaded
    picked = draw_sample(run, labels, args.per_rule, seed=args.seed, rules=set(args.rule or ()),
                         langs=set(args.lang or ()), same=args.same)
    for finding in picked:
        labels[finding.key] = Label.pending(finding)
    save_labels(args.labels, labels)
    print(f"{len(picked)} warnings added to {args.labels} to be judged (`coach quality label {args.corpus}`)")
    return 0


def describe(finding: Finding, label: Label | None = None, width: int = 100) -> str:
    lines = [f"── {finding.key}  {finding.rule} ({finding.lang}, {finding.channel})  {finding.chat_id} #{finding.message}"]
    if label is not None and label.verdict:
        lines.append(f"   labelled {label.verdict}{': ' + label.reason if label.reason else ''}")
    if finding.client:
        lines.append("   client: " + textwrap.shorten(finding.client, 600, placeholder=" …"))
    draft = finding.draft
    if finding.span and finding.start is not None:
        at, end = finding.start, finding.start + len(finding.span)
        draft = draft[:at] + "⟦" + finding.span + "⟧" + draft[end:]
    lines.append("   draft:  " + textwrap.shorten(draft, 900, placeholder=" …"))
    lines.append(f"   {finding.severity}: {finding.text}")
    return "\n".join(lines)


def cmd_show(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    run, labels = loaded
    shown = 0
    judge = applicable(labels, args.same)
    for finding in run.by_key().values():
        label = judge(finding)
        if args.rule and finding.rule not in args.rule:
            continue
        if args.lang and finding.lang != args.lang:
            continue
        if args.id and finding.key not in args.id:
            continue
        if args.pending and not (label is not None and label.verdict is None):
            continue
        if args.wrong and not (label is not None and label.verdict == "wrong"):
            continue
        if args.unlabelled and label is not None:
            continue
        print(describe(finding, label))
        shown += 1
        if shown >= args.limit:
            break
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    run, labels = loaded
    firing = run.by_key()
    pending = [lb for lb in labels.values() if lb.verdict is None and lb.id in firing
               and (not args.rule or lb.rule in args.rule)]
    pending += [Label.pending(f) for f in firing.values() if f.key not in labels
                and (not args.rule or f.rule in args.rule) and args.all_unlabelled]
    print(f"{len(pending)} warnings to judge. c = correct, w = wrong (then say why), s = skip, q = quit.")
    for label in pending:
        print(describe(firing[label.id]))
        while True:
            answer = input("   verdict [c/w/s/q]: ").strip().lower()
            if answer in ("c", "w", "s", "q"):
                break
        if answer == "q":
            break
        if answer == "s":
            continue
        labels[label.id] = label
        if answer == "c":
            label.verdict, label.reason = "correct", ""
        else:
            reason = ""
            while not reason:
                reason = input("   why is it wrong? ").strip()
            label.verdict, label.reason = "wrong", reason
        save_labels(args.labels, labels)  # after every verdict: nothing judged is lost
    return 0


def cmd_verdict(args: argparse.Namespace) -> int:
    try:
        labels = load_labels(args.labels)
    except LabelsError as exc:
        print(f"coach quality: {exc}", file=sys.stderr)
        return 2
    label = labels.get(args.id)
    if label is None:
        print(f"coach quality: no label with id {args.id} in {args.labels}", file=sys.stderr)
        return 2
    if args.verdict == "wrong" and not args.reason.strip():
        print("coach quality: a wrong verdict says why", file=sys.stderr)
        return 2
    label.verdict = None if args.verdict == "pending" else args.verdict
    label.reason = args.reason.strip()
    save_labels(args.labels, labels)
    return 0


# --- the report ----------------------------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "    —" if value is None else f"{value * 100:4.0f}%"


def failures(m: Measurement) -> list[str]:
    out = [f"labelled false positive fires again: {lb.id} {lb.rule} «{lb.quote}» ({lb.reason})"
           for lb, _ in m.false_positives_firing]
    out += [f"labelled correct warning no longer fires: {lb.id} {lb.rule} «{lb.quote}»" for lb in m.correct_lost]
    for fig in m.figures:
        if fig.labelled >= MIN_LABELS and fig.precision is not None and fig.precision < TARGET:
            out.append(f"{fig.rule} ({fig.lang}): precision {fig.precision:.0%} over {fig.labelled} labels "
                       f"(target {TARGET:.0%})")
    return out


def report_json(m: Measurement) -> dict[str, Any]:
    return {
        "messages": [{"lang": lang, "channel": channel, "operator_messages": n}
                     for (lang, channel), n in sorted(m.messages.items())],
        "rules": [{"rule": f.rule, "lang": f.lang, "warnings": f.warnings, "correct": f.correct, "wrong": f.wrong,
                   "pending": f.pending, "precision": f.precision, "precision_low": f.precision_low,
                   "per_100": {c: m.rate(f, c) for c in CHANNELS if m.rate(f, c) is not None}}
                  for f in m.figures],
        "unlabelled": m.unlabelled,
        "accepted_misses": [{"id": lb.id, "rule": lb.rule, "why": lb.miss} for lb in m.accepted_misses],
        "failures": failures(m),
    }


def cmd_report(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    run, labels = loaded
    m = measure(run, labels, args.same)
    if args.json:
        print(json.dumps(report_json(m), ensure_ascii=False, indent=2))
        return 1 if args.strict and failures(m) else 0
    channels = [c for c in CHANNELS if any(ch == c for (_, ch) in m.messages)]
    totals = ", ".join(f"{lang}/{ch} {n}" for (lang, ch), n in sorted(m.messages.items()))
    print(f"{run.corpus}: operator messages checked — {totals}")
    head = f"{'rule':24} {'lang':4} {'warn':>5} " + " ".join(f"{c[:9]:>9}" for c in channels)
    print(head + f" {'labels':>6} {'right':>5} {'wrong':>5} {'prec':>5} {'≥(95%)':>6}")
    print(" " * 35 + "flagged per 100 operator messages of the channel")
    for fig in m.figures:
        rates = " ".join(f"{'' if m.rate(fig, c) is None else format(m.rate(fig, c), '.1f'):>9}" for c in channels)
        print(f"{fig.rule:24} {fig.lang:4} {fig.warnings:5} {rates} {fig.labelled:6} {fig.correct:5} {fig.wrong:5} "
              f"{_pct(fig.precision)} {_pct(fig.precision_low):>6}")
    labelled = sum(f.labelled for f in m.figures)
    correct = sum(f.correct for f in m.figures)
    if labelled:
        print(f"all rules: {correct}/{labelled} labelled warnings right ({correct / labelled:.0%}); "
              f"{m.unlabelled} firing warnings have no label; {sum(f.pending for f in m.figures)} wait for a verdict")
    problems = failures(m)
    for label in m.accepted_misses:
        print(f"· accepted miss: {label.id} {label.rule} «{label.quote}» ({label.miss})")
    for problem in problems:
        print("✗ " + problem)
    if not problems:
        print("✓ no labelled false positive fires, every labelled correct warning still fires")
    return 1 if args.strict and problems else 0
