"""Per-rule precision and fire rates against the labels, the regressions, and the stratified sample to label.

Precision is counted over the labelled warnings that fire now: correct / (correct + wrong). The sample is
drawn at random among the warnings that fire now (stratified by channel), so the labelled ones stand for
the rest; a rule change that makes new warnings leaves them unlabelled until the next sample. A label holds
for the channel it was judged in, and for another channel only where the rule runs the very same check there:
the same corpus checked as another channel (every chat as a live chat, say) gets its own verdicts where the
rule's settings differ.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ..models import CHANNELS
from .findings import Finding, Run, draw_in_turn
from .labels import Label

SameRule = Callable[[str, str, str], bool]  # (rule, channel judged in, channel checked in) → verdict holds?


@dataclass
class RuleFigures:
    rule: str
    lang: str
    warnings: int = 0
    flagged: dict[str, int] = field(default_factory=dict)  # channel → operator messages flagged
    correct: int = 0
    wrong: int = 0
    pending: int = 0

    @property
    def labelled(self) -> int:
        return self.correct + self.wrong

    @property
    def precision(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None

    @property
    def precision_low(self) -> float | None:
        """The Wilson 95 % lower bound: how low precision may really be, given so few labels."""
        n = self.labelled
        if not n:
            return None
        z = 1.96
        p = self.correct / n
        centre = p + z * z / (2 * n)
        margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return (centre - margin) / (1 + z * z / n)


@dataclass
class Measurement:
    figures: list[RuleFigures]
    messages: dict[tuple[str, str], int]  # operator messages by (lang, channel)
    false_positives_firing: list[tuple[Label, Finding]]  # labelled wrong, still fires
    correct_lost: list[Label]  # labelled correct, no longer fires
    unlabelled: int  # warnings that fire now and have no label
    accepted_misses: list[Label] = field(default_factory=list)  # labelled correct, knowingly given up

    def rate(self, fig: RuleFigures, channel: str) -> float | None:
        """Operator messages flagged per 100 of that language and channel."""
        total = self.messages.get((fig.lang, channel), 0)
        return 100.0 * fig.flagged.get(channel, 0) / total if total else None


def same_everywhere(rule: str, judged: str, checked: str) -> bool:
    """Does a verdict given in one channel hold in another? Only where the rule works the same in both."""
    return judged == checked


def applicable(labels: dict[str, Label], same: SameRule) -> Callable[[Finding], Label | None]:
    """The label that judges a finding: its own (same channel), or one given where the rule runs the same."""
    by_place: dict[tuple[str, str, int, str, str], list[Label]] = defaultdict(list)
    for label in labels.values():
        by_place[label.place].append(label)

    def find(finding: Finding) -> Label | None:
        own = labels.get(finding.key)
        if own is not None:
            return own
        return next((lb for lb in by_place.get(finding.place, ())
                     if same(finding.rule, lb.channel, finding.channel)), None)
    return find


def measure(run: Run, labels: dict[str, Label], same: SameRule = same_everywhere) -> Measurement:
    figures: dict[tuple[str, str], RuleFigures] = {}
    flagged_messages: dict[tuple[str, str], set[tuple[str, int, str]]] = defaultdict(set)
    for f in run.findings:
        fig = figures.setdefault((f.rule, f.lang), RuleFigures(f.rule, f.lang))
        fig.warnings += 1
        flagged_messages[(f.rule, f.lang)].add((f.chat_id, f.message, f.channel))
    for (rule, lang), messages in flagged_messages.items():
        fig = figures[(rule, lang)]
        for _, _, channel in messages:
            fig.flagged[channel] = fig.flagged.get(channel, 0) + 1
    judge = applicable(labels, same)
    fps: list[tuple[Label, Finding]] = []
    used: set[str] = set()
    unlabelled = 0
    for finding in run.by_key().values():
        label = judge(finding)
        if label is None:
            unlabelled += 1
            continue
        used.add(label.id)
        fig = figures[(finding.rule, finding.lang)]
        if label.verdict == "correct":
            fig.correct += 1
        elif label.verdict == "wrong":
            fig.wrong += 1
            fps.append((label, finding))
        else:
            fig.pending += 1
    places = {f.place for f in run.findings}
    gone = [label for label in labels.values()
            if label.verdict == "correct" and label.corpus == run.corpus and label.id not in used
            and label.chat_id in run.channels and same(label.rule, label.channel, run.channels[label.chat_id])
            and label.place not in places]
    ordered = sorted(figures.values(), key=lambda fg: (fg.rule, fg.lang))
    return Measurement(ordered, dict(run.messages), fps, [lb for lb in gone if not lb.miss], unlabelled,
                       [lb for lb in gone if lb.miss])


def draw_sample(run: Run, labels: dict[str, Label], per_rule: int, *, seed: int = 1,
                rules: set[str] | None = None, langs: set[str] | None = None,
                same: SameRule = same_everywhere) -> list[Finding]:
    """Up to `per_rule` labels per rule and language among the warnings firing now: the unlabelled ones
    needed to get there, drawn at random, taking the channels in turn."""
    rng = random.Random(seed)
    groups: dict[tuple[str, str], dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    have: dict[tuple[str, str], int] = defaultdict(int)
    judge = applicable(labels, same)
    for f in run.by_key().values():
        if (rules and f.rule not in rules) or (langs and f.lang not in langs):
            continue
        if judge(f) is not None:
            have[(f.rule, f.lang)] += 1
        else:
            groups[(f.rule, f.lang)][f.channel].append(f)
    return draw_in_turn(groups, have, per_rule, rng, lambda by_channel: [c for c in CHANNELS if c in by_channel])
