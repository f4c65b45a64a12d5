"""The sealed test through the real CLI (docs/quality.md): `blind-export` draws what fires on the sealed part,
two labellers' answers go in with `blind-import`, `sealed` reports the agreed figures and `calibrate` turns
them into the precision table the engine reads — on a small corpus of invented chats, all of them sealed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from coach_server.quality.split import part_of

NOW = 1_750_000_000


def sealed_ids(n: int) -> list[str]:
    ids = (f"s{i}" for i in range(10_000))
    return [i for i in ids if part_of(i) == "sealed"][:n]


def chat(chat_id: str, k: int) -> dict:
    return {"chat_id": chat_id, "messages": [
        {"role": "client", "text": f"Где мой заказ номер {k}?", "ts": NOW},
        {"role": "operator", "text": "Здравствуйте! Меня зовут Анна. Пройдите в личный кабинет, спс.", "ts": NOW + 20}]}


def coach(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "coach_server", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def answer(export: Path, to: Path, verdict: str) -> int:
    rows = [json.loads(line) for line in (export / "index.jsonl").read_text(encoding="utf-8").splitlines()]
    to.write_text("".join(json.dumps({"item": r["item"], "verdict": verdict,
                                      "category": "" if verdict == "correct" else "exempt",
                                      "fix": "right" if r["fix_digest"] else None}) + "\n" for r in rows),
                  encoding="utf-8")
    return len(rows)


def test_export_two_labellers_report_and_calibrate(tmp_path):
    corpus = tmp_path / "chats.jsonl"
    corpus.write_text("".join(json.dumps(chat(c, k), ensure_ascii=False) + "\n"
                              for k, c in enumerate(sealed_ids(12))), encoding="utf-8")
    verdicts, misses = tmp_path / "verdicts.jsonl", tmp_path / "misses.jsonl"
    common = ["--verdicts", str(verdicts), "--misses", str(misses)]
    out = coach("quality", "blind-export", str(corpus), "--out", str(tmp_path / "export"), *common, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    items = (tmp_path / "export" / "items.md").read_text(encoding="utf-8")
    assert "Пройдите в личный кабинет" in items
    n = answer(tmp_path / "export", tmp_path / "anna.jsonl", "correct")
    answer(tmp_path / "export", tmp_path / "boris.jsonl", "correct")
    assert n > 0
    for who in ("anna", "boris"):
        run = coach("quality", "blind-import", str(tmp_path / f"{who}.jsonl"), "--export", str(tmp_path / "export"),
                    "--labeller", who, "--verdicts", str(verdicts), cwd=tmp_path)
        assert run.returncode == 0, run.stderr
    report = coach("quality", "sealed", str(corpus), "--json", *common, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["verdicts"]["items_two_labels"] == n and data["verdicts"]["agreed"] == n
    judged = {r["rule"]: r for r in data["rules"] if r["n"]}
    assert {"missing_please", "slang"} <= set(judged), judged
    assert all(r["correct"] == r["n"] for r in judged.values())

    table = tmp_path / "precision.json"
    run = coach("quality", "calibrate", str(corpus), "--out", str(table), *common, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    written = json.loads(table.read_text(encoding="utf-8"))
    assert "missing_please" in json.dumps(written)

    # a verdicts file that is not one is named, and nothing is run on it
    verdicts.write_text("not json\n", encoding="utf-8")
    bad = coach("quality", "calibrate", str(corpus), "--out", str(table), *common, cwd=tmp_path)
    assert bad.returncode == 2 and "verdicts.jsonl" in bad.stderr, bad.stderr
