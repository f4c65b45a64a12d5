"""`coach audit`: the corpus format, checking each operator message as it was typed (timers included), bad
lines reported by number and skipped, and a run over a generated corpus of 1,200 realistic chats through
the real CLI (JSON and HTML reports), with its throughput printed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coach_server.audit import Audit, moments, parse_line, read_corpus
from coach_server.audit.report import render_html, render_text
from coach_server.audit.synth import generate
from coach_server.corpus import BadLine, estimate_start, parse_ts

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_750_000_000.0


def chat(*messages, **extra):
    return {"chat_id": "c1", "operator": "Анна", **extra, "messages": [
        {"role": r, "text": t, "ts": T0 + at} for r, t, at in messages]}


def test_timestamps_and_roles_as_exports_have_them():
    assert parse_ts(1750000000) == 1750000000.0
    assert parse_ts("2025-06-15T15:06:40Z") == 1750000000.0
    assert parse_ts("2025-06-15T18:06:40+03:00") == 1750000000.0
    assert parse_ts("2025-06-15 15:06:40") == 1750000000.0  # no zone: UTC
    with pytest.raises(ValueError, match="milliseconds"):
        parse_ts(1750000000000)
    c = parse_line(json.dumps({"messages": [{"role": "Visitor", "text": "hi", "ts": "2025-06-15T15:06:40Z"},
                                            {"role": "agent", "text": "Hello!", "ts": 1750000010, "extra": 1}],
                               "chat_id": 42, "rating": 5}), 1)
    assert [m.role for m in c.messages] == ["client", "operator"] and c.chat_id == "42"


@pytest.mark.parametrize("line, problem", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"messages": []}', "messages"),
    ('{"messages": [{"role": "robot", "text": "x"}]}', "messages[0].role"),
    ('{"messages": [{"role": "client", "text": "x", "ts": 1750000000000}]}', "milliseconds"),
])
def test_bad_lines_say_what_is_wrong(line, problem):
    with pytest.raises(BadLine) as info:
        parse_line(line, 7)
    assert info.value.line == 7 and problem in info.value.problem


def test_each_operator_message_is_checked_as_it_was_typed(coach):
    c = parse_line(json.dumps(chat(
        ("client", "Здравствуйте! Сколько стоит доставка в Казань?", 0),
        ("operator", "Здравствуйте! Меня зовут Анна. Доставка в Казань стоит 300 рублей.", 150),
        ("client", "А сколько дней идёт?", 170),
        ("operator", "2–3 дня.", 185))), 1)
    ms = list(moments(c))
    assert [m.index for m in ms] == [1, 3]
    first = ms[0].request
    assert first.draft.startswith("Здравствуйте! Меня зовут Анна") and len(first.messages) == 1
    assert first.now == T0 + 150 and first.operator_name == "Анна"
    # typed at 5 characters a second, but not before the message it answers
    assert first.draft_started_at == pytest.approx(T0 + 150 - len(first.draft) / 5)
    assert estimate_start(c, 3) == pytest.approx(T0 + 185 - len("2–3 дня.") / 5)
    quick = parse_line(json.dumps(chat(("client", "Сколько стоит доставка?", 0),
                                       ("operator", "Доставка в Казань стоит 300 рублей и занимает два-три дня.", 6))), 1)
    assert estimate_start(quick, 1) == T0  # 58 characters in 6 s: clamped to the client's message
    given = parse_line(json.dumps({"messages": [{"role": "client", "text": "Привет", "ts": T0},
                                                {"role": "operator", "text": "Здравствуйте!", "ts": T0 + 90,
                                                 "draft_started_at": T0 + 10}]}), 1)
    assert estimate_start(given, 1) == T0 + 10  # the export's own value wins
    audit = Audit(coach)
    audit.add(c, 1)
    report = audit.report()
    assert report["summary"]["messages"] == 2
    slow = next(r for r in report["rules"] if r["rule"] == "slow_reply")
    assert slow["by_severity"]["error"] == 1  # the client waited 2.5 minutes for the first reply
    assert report["first_reply"][3] == {"bucket": "2–5 min", "label_ru": "2–5 мин", "chats": 1}


def test_an_unanswered_chat_is_counted(coach):
    result = read_corpus("\n".join(json.dumps(chat(("client", "Есть кто-нибудь?", 0), ("client", "Алло?", 120)))
                                   for _ in range(3)) + "\n\n")
    audit = Audit(coach)
    for line, c in result.chats:
        audit.add(c, line)
    assert audit.report()["summary"]["unanswered_chats"] == 3 and audit.report()["summary"]["messages"] == 0


def test_audit_equals_the_engine_message_by_message(coach):
    lines = list(generate(40, seed=3))
    audit = Audit(coach)
    expected_flagged = 0
    for number, line in enumerate(lines, 1):
        c = parse_line(line, number)
        audit.add(c, number)
        for m in moments(c):
            expected_flagged += bool(coach.check(m.request).warnings)
    assert audit.report()["summary"]["flagged"] == expected_flagged


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """1,200 generated chats with malformed lines at known places."""
    lines = list(generate(1200, seed=11))
    bad = {5: "{broken json", 300: '{"chat_id": "x", "messages": [{"role": "robot", "text": "hi"}]}',
           901: '{"messages": [{"role": "client", "text": "hi", "ts": 1750000000000}]}'}
    for number, text in sorted(bad.items()):
        lines.insert(number - 1, text)
    path = tmp_path_factory.mktemp("audit") / "chats.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, bad


def test_cli_audit_of_a_large_generated_corpus(corpus, tmp_path, capsys):
    path, bad = corpus
    html = tmp_path / "report.html"
    run = subprocess.run([sys.executable, "-m", "coach_server", "audit", str(path), "--json", "--html", str(html),
                          "--progress"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    s = report["summary"]
    assert s["chats"] == 1200 and s["bad_lines"] == 3
    for number in bad:
        assert f"line {number}:" in run.stderr  # reported with its line number, and the run went on
    assert {b["line"] for b in report["bad_lines"]} == set(bad)
    assert "%" in run.stderr  # the progress bar
    assert s["messages"] > 3000 and 0 < s["flagged"] < s["messages"]
    rules = {r["rule"]: r for r in report["rules"]}
    for rule in ("slow_reply", "missing_please", "early_contact_request", "repeated_template", "link_only",
                 "language_mismatch", "question_burst", "slang", "caps"):
        assert rules[rule]["messages"] > 0, rule
        assert rules[rule]["examples"], rule
    assert rules["slow_reply"]["by_severity"]["error"] > 0
    assert len(report["operators"]) >= 8 and all(o["messages"] for o in report["operators"])
    assert sum(o["messages"] for o in report["operators"]) == s["messages"]
    scores = [w["score"] for w in report["worst"]]
    assert len(scores) == 20 and scores == sorted(scores, reverse=True)
    assert s["unanswered_chats"] > 0
    page = html.read_text(encoding="utf-8")
    assert page.count("<svg") >= 3 and "slow_reply" in page and "Худшие примеры" in page
    assert "<script" not in page  # a self-contained report
    with capsys.disabled():
        print(f"\n[audit] {s['chats']} chats, {s['messages']} operator messages in {s['elapsed_s']:.2f} s: "
              f"{s['chats_per_s']:.0f} chats/s, {s['messages_per_s']:.0f} messages/s")


def test_cli_text_summary_and_errors(corpus, tmp_path):
    path, _ = corpus
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:30]) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "coach_server", "audit", str(small), "--no-progress"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0
    assert "operator messages checked" in run.stdout and "By rule" in run.stdout and "chats/s" in run.stdout
    assert "line 5:" in run.stderr
    missing = subprocess.run([sys.executable, "-m", "coach_server", "audit", str(tmp_path / "nope.jsonl")],
                             capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    stdin = subprocess.run([sys.executable, "-m", "coach_server", "audit", "-", "--json"], input=small.read_text(),
                           capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert stdin.returncode == 0 and json.loads(stdin.stdout)["summary"]["chats"] == 29


def test_reports_render_what_they_are_given(coach):
    audit = Audit(coach)
    c = parse_line(json.dumps(chat(("client", "Где мой заказ?", 0), ("operator", "Пройдите на сайт <b>и</b> смотрите", 20))), 1)
    audit.add(c, 1)
    report = audit.report()
    page = render_html(report, source="x.jsonl")
    assert "&lt;b&gt;" in page and "<b>и</b>" not in page  # chat text is escaped
    assert "<mark class=\"warning\">Пройдите</mark>" in page
    assert "missing_please" in render_text(report)
