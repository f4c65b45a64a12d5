"""The project's own verdicts on real chats (quality/labels.jsonl, docs/quality.md).

The labels file is always checked: it loads, every rule it names exists, every wrong verdict says why.
With the development corpus at hand — `../shared/corpora/real-dev/devchats.jsonl` beside the checkout (CI has it),
or `COACH_QUALITY_CORPUS`; it is not part of the project — every label is replayed on the corpus's tuning part:
no labelled false positive may fire again, no labelled correct warning may stop firing, no rule with enough
labels may fall under 90 % — in the chats' own channels and with every chat checked as a live chat. The labels
are the tuning part's only (quality/split.py): the sealed part is judged blind (quality/sealed.jsonl)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from coach_server import Coach
from coach_server.quality.commands import failures, same_in
from coach_server.quality.findings import load_channel_map, run_corpus
from coach_server.quality.labels import load_labels
from coach_server.quality.measure import measure
from coach_server.quality.split import part_of

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "quality" / "labels.jsonl"
CHANNELS = ROOT / "quality" / "channels.toml"
SHARED_CORPUS = ROOT.parent / "shared" / "corpora" / "real-dev" / "devchats.jsonl"


def dev_corpus() -> Path | None:
    named = os.environ.get("COACH_QUALITY_CORPUS")
    if named:
        return Path(named)
    return SHARED_CORPUS if SHARED_CORPUS.is_file() else None


def test_the_labels_file_is_sound(coach):
    labels = load_labels(LABELS)
    assert len(labels) >= 400
    assert {lb.rule for lb in labels.values()} <= set(coach.rulebook.rules)
    judged = [lb for lb in labels.values() if lb.verdict is not None]
    assert len(judged) >= 300
    for lb in judged:
        assert len(lb.quote) <= 400 and len(lb.client) <= 400  # short quotes only: the corpus stays where it is
        assert part_of(lb.chat_id) == "tune", lb.id  # a sealed message never gets a regression label
    assert load_channel_map(CHANNELS)


@pytest.mark.skipif(dev_corpus() is None,
                    reason="the development corpus is not beside the checkout (../shared/corpora/real-dev/) and "
                           "COACH_QUALITY_CORPUS does not name it (internal, not in the project)")
@pytest.mark.parametrize("channel_map", [CHANNELS, None], ids=["in-their-channels", "all-as-live-chat"])
def test_labels_hold_on_the_corpus(channel_map):
    coach = Coach.load(ROOT / "rules")
    corpus = dev_corpus()
    assert corpus is not None
    run = run_corpus(coach, corpus, channel_map=load_channel_map(channel_map), name="devchats", part="tune")
    result = measure(run, load_labels(LABELS), same_in(coach))
    assert failures(result) == []
