"""The feedback stats add up: every dismissed or applied warning was shown (recorded or not), so at every level —
a rule, an operator, a day, the totals — shown = dismissed + applied + left, the levels are sums of one
another, and the dismissed share is dismissed ÷ shown."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from coach_server.store.base import summarize
from tests.strategies import FUZZ

DAY = 20_000  # a day number (Unix seconds // 86400)
KEYS = ("shown", "dismissed", "applied", "left", "shown_unrecorded")


def stats(*rows):
    return summarize(rows, [], DAY * 86400.0, (DAY + 3) * 86400.0)


def counts(entry):
    return {k: entry[k] for k in KEYS}


def test_shares_are_of_what_was_shown():
    out = stats(("slang", "Анна", "shown", DAY, 6), ("slang", "Анна", "dismissed", DAY, 5),
                ("slang", "Анна", "applied", DAY, 1))
    [slang] = out["rules"]
    assert counts(slang) == {"shown": 6, "dismissed": 5, "applied": 1, "left": 0, "shown_unrecorded": 0}
    assert slang["dismiss_rate"] == round(5 / 6, 4) and slang["often_dismissed"] is True


def test_an_action_whose_show_was_not_recorded_was_shown_all_the_same():
    # an extension from before `shown` was sent: only the dismissals are there
    out = stats(("caps", "Олег", "dismissed", DAY, 2), ("caps", "Анна", "shown", DAY, 4))
    [caps] = out["rules"]
    assert counts(caps) == {"shown": 6, "dismissed": 2, "applied": 0, "left": 4, "shown_unrecorded": 2}
    by_operator = {o["operator"]: o for o in caps["operators"]}
    assert by_operator["Олег"]["shown"] == 2 and by_operator["Олег"]["dismiss_rate"] == 1.0
    assert by_operator["Анна"]["dismiss_rate"] == 0.0 and caps["dismiss_rate"] == round(2 / 6, 4)


def test_an_empty_period_has_no_share():
    out = stats()
    assert out["rules"] == [] and out["days"] == []
    assert counts(out["totals"]) == dict.fromkeys(KEYS, 0) and out["totals"]["dismiss_rate"] is None


def test_a_rule_shown_too_rarely_to_tell_is_not_marked_and_comes_after_those_that_are():
    out = stats(("caps", "Анна", "dismissed", DAY, 2),
                ("slang", "Анна", "shown", DAY, 10), ("slang", "Анна", "dismissed", DAY, 6),
                ("typo", "Анна", "shown", DAY, 10), ("typo", "Анна", "dismissed", DAY, 3))
    assert [(r["rule"], r["often_dismissed"]) for r in out["rules"]] == [
        ("slang", True), ("typo", False), ("caps", False)]


ROWS = st.lists(st.tuples(st.sampled_from(["slang", "caps", "typo"]), st.sampled_from(["Анна", "Олег", None]),
                          st.sampled_from(["shown", "dismissed", "applied"]), st.integers(DAY, DAY + 2),
                          st.integers(1, 9)), max_size=40)


def total(entries):
    return {k: sum(e[k] for e in entries) for k in KEYS}


@FUZZ
@given(ROWS)
def test_every_level_adds_up(rows):
    out = stats(*rows)
    levels = [out["totals"], *out["days"], *out["rules"], *(o for r in out["rules"] for o in r["operators"])]
    for entry in levels:
        assert entry["shown"] == entry["dismissed"] + entry["applied"] + entry["left"]
        assert entry["left"] >= 0 and entry["shown"] >= entry["shown_unrecorded"] >= 0
        expected = round(entry["dismissed"] / entry["shown"], 4) if entry["shown"] else None
        assert entry["dismiss_rate"] == expected
    assert counts(out["totals"]) == total(out["rules"]) == total(out["days"])
    for rule in out["rules"]:
        assert counts(rule) == total(rule["operators"])
    recorded = {a: sum(n for _, _, action, _, n in rows if action == a) for a in ("shown", "dismissed", "applied")}
    assert out["totals"]["dismissed"] == recorded["dismissed"] and out["totals"]["applied"] == recorded["applied"]
    assert out["totals"]["shown"] - out["totals"]["shown_unrecorded"] == recorded["shown"]
