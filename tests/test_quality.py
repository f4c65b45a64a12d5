"""`coach quality`: sampling warnings of a corpus, recording verdicts, and the report that turns them into
precision and regressions — run through the real CLI on a small corpus of invented chats."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coach_server.quality.labels import Label, LabelsError, load_labels, save_labels

NOW = 1_750_000_000

CHATS = [
    {"chat_id": "q1", "source": "forum:shop", "messages": [
        {"role": "client", "text": "Где мой заказ?", "ts": NOW},
        {"role": "operator", "text": "Здравствуйте! Меня зовут Анна. Пройдите в личный кабинет.", "ts": NOW + 20}]},
    {"chat_id": "q2", "messages": [
        {"role": "client", "text": "How much is delivery?", "ts": NOW},
        {"role": "operator", "text": "Hello! I'm Sam. Click the link below.", "ts": NOW + 20}]},
    {"chat_id": "q3", "source": "forum:shop", "messages": [
        {"role": "client", "text": "Сколько стоит доставка?", "ts": NOW},
        {"role": "operator", "text": "Здравствуйте! Меня зовут Анна. Доставка стоит 300 рублей.", "ts": NOW + 600}]},
]


def coach(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "coach_server", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "chats.jsonl").write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in CHATS) + "\n",
                                          encoding="utf-8")
    (tmp_path / "channels.toml").write_text('[sources]\n"forum:" = "email"\n', encoding="utf-8")
    return tmp_path


def test_sample_label_and_report(workspace):
    out = coach("quality", "sample", "chats.jsonl", "--labels", "labels.jsonl", "--per-rule", "5", cwd=workspace)
    assert out.returncode == 0, out.stderr
    labels = load_labels(workspace / "labels.jsonl")
    by_rule = {lb.rule: lb for lb in labels.values()}
    assert {"missing_please", "slow_reply"} <= set(by_rule), by_rule
    assert all(lb.verdict is None for lb in labels.values())
    please_ru = next(lb for lb in labels.values() if lb.rule == "missing_please" and lb.lang == "ru")
    assert please_ru.span == "Пройдите" and "Пройдите" in please_ru.quote and please_ru.client == "Где мой заказ?"

    # a verdict each way; a wrong one must say why
    assert coach("quality", "verdict", please_ru.id, "wrong", cwd=workspace).returncode == 2
    assert coach("quality", "verdict", please_ru.id, "wrong", "not an order here", cwd=workspace).returncode == 2
    assert coach("quality", "verdict", please_ru.id, "wrong", "not an order here", "--labels", "labels.jsonl",
                 cwd=workspace).returncode == 0
    please_en = next(lb for lb in labels.values() if lb.rule == "missing_please" and lb.lang == "en")
    assert coach("quality", "verdict", please_en.id, "correct", "--labels", "labels.jsonl",
                 cwd=workspace).returncode == 0

    report = coach("quality", "report", "chats.jsonl", "--labels", "labels.jsonl", cwd=workspace)
    assert report.returncode == 0, report.stderr
    assert "labelled false positive fires again" in report.stdout and please_ru.id in report.stdout
    strict = coach("quality", "report", "chats.jsonl", "--labels", "labels.jsonl", "--strict", "--json",
                   cwd=workspace)
    assert strict.returncode == 1
    figures = json.loads(strict.stdout)
    rows = {(r["rule"], r["lang"]): r for r in figures["rules"]}
    assert rows[("missing_please", "ru")]["wrong"] == 1 and rows[("missing_please", "ru")]["precision"] == 0.0
    assert rows[("missing_please", "en")]["correct"] == 1
    assert any(please_ru.id in f for f in figures["failures"])


def test_channels_change_what_fires_and_verdicts_do_not_cross_them(workspace):
    coach("quality", "sample", "chats.jsonl", "--labels", "labels.jsonl", "--per-rule", "5", cwd=workspace)
    labels = load_labels(workspace / "labels.jsonl")
    slow = next(lb for lb in labels.values() if lb.rule == "slow_reply" and lb.chat_id == "q3")
    assert slow.channel == "chat"  # ten minutes in a live chat
    coach("quality", "verdict", slow.id, "correct", "--labels", "labels.jsonl", cwd=workspace)
    # as an e-mail desk the same answer is on time: no warning, and the chat's verdict is not a regression
    mapped = coach("quality", "report", "chats.jsonl", "--labels", "labels.jsonl", "--channel-map", "channels.toml",
                   "--strict", "--json", cwd=workspace)
    figures = json.loads(mapped.stdout)
    assert not any(r["rule"] == "slow_reply" and r["lang"] == "ru" for r in figures["rules"]), figures["rules"]
    assert not any(slow.id in f for f in figures["failures"])
    # while a text rule's verdict holds wherever the rule works the same
    assert {m["channel"] for m in figures["messages"]} == {"chat", "email"}


def test_a_known_miss_is_reported_not_failed(workspace):
    coach("quality", "sample", "chats.jsonl", "--labels", "labels.jsonl", "--per-rule", "5", cwd=workspace)
    path = workspace / "labels.jsonl"
    labels = load_labels(path)
    ghost = Label(id="0123456789", rule="missing_please", lang="ru", channel="chat", corpus="chats", chat_id="q3",
                  message=1, span="Доставка", quote="Доставка стоит 300 рублей.", verdict="correct")
    labels[ghost.id] = ghost
    save_labels(path, labels)
    report = coach("quality", "report", "chats.jsonl", "--labels", "labels.jsonl", "--strict", cwd=workspace)
    assert report.returncode == 1 and "no longer fires" in report.stdout
    labels[ghost.id].miss = "given up on purpose: the test says so"
    save_labels(path, labels)
    report = coach("quality", "report", "chats.jsonl", "--labels", "labels.jsonl", "--strict", cwd=workspace)
    assert "accepted miss" in report.stdout and "no longer fires" not in report.stdout


def test_bad_labels_and_bad_corpora_are_named(workspace):
    path = workspace / "labels.jsonl"
    path.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(LabelsError, match="line 1"):
        load_labels(path)
    path.write_text(json.dumps({"id": "0123456789", "rule": "r", "lang": "ru", "channel": "chat", "corpus": "c",
                                "chat_id": "c", "message": 0, "quote": "q", "verdict": "wrong"}) + "\n",
                    encoding="utf-8")
    with pytest.raises(LabelsError, match="reason"):
        load_labels(path)
    out = coach("quality", "report", "nope.jsonl", "--labels", "labels.jsonl", cwd=workspace)
    assert out.returncode == 2 and "nope.jsonl" in out.stderr
    (workspace / "broken.jsonl").write_text('{"messages": []}\nnot json\n', encoding="utf-8")
    path.unlink()
    out = coach("quality", "report", "broken.jsonl", "--labels", "labels.jsonl", cwd=workspace)
    assert out.returncode == 0 and "line 1" in out.stderr and "line 2" in out.stderr
