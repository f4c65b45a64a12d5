"""The `coach` command line as a user runs it: check a file or stdin, JSON output, exit codes, rules check."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

REQUEST = {"draft": "Пройдите на сайт и посмотрите условия", "now": 1_750_000_000,
           "messages": [{"role": "client", "text": "Какие у вас карты?", "ts": 1_749_999_990},
                        {"role": "operator", "text": "Здравствуйте! Меня зовут Анна.", "ts": 1_749_999_995}]}


def coach(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach_server", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_check_file_prints_warnings(tmp_path):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST, ensure_ascii=False), encoding="utf-8")
    out = coach("check", str(path))
    assert out.returncode == 1
    assert "missing_please [0:8] «Пройдите»" in out.stdout
    assert "→ Пройдите, пожалуйста," in out.stdout


def test_check_stdin_json_body():
    out = coach("check", "-", "--json", stdin=json.dumps(REQUEST))
    body = json.loads(out.stdout)
    assert set(body) == {"warnings", "lang", "took_ms", "quiet"}
    assert "missing_please" in [w["rule"] for w in body["warnings"]]


def test_check_clean_draft_exits_zero():
    request = dict(REQUEST, draft="Карты «Мир» и Visa, обслуживание бесплатное. Подобрать с кэшбэком?")
    out = coach("check", "-", stdin=json.dumps(request))
    assert out.returncode == 0 and out.stdout.strip() == "no warnings"


def test_check_bad_input_names_the_field():
    out = coach("check", "-", stdin='{"messages": [{"role": "boss", "text": "x"}]}')
    assert out.returncode == 2
    assert "messages[0].role" in out.stderr
    out = coach("check", "-", "--json", stdin='{"messages": [{"role": "boss", "text": "x"}]}')
    assert out.returncode == 2 and json.loads(out.stdout)["error"]["details"][0]["field"] == "messages[0].role"
    out = coach("check", "-", stdin="{oops")
    assert out.returncode == 2 and "not valid JSON" in out.stderr
    out = coach("check", "/nonexistent/request.json")
    assert out.returncode == 2 and "cannot read" in out.stderr


def test_rules_check_passes_on_the_shipped_rules():
    out = coach("rules", "check")
    assert out.returncode == 0, out.stdout
    assert "all valid, all examples pass" in out.stdout


def test_rules_check_reports_file_field_problem(rules_copy):
    (rules_copy / "caps.toml").write_text('kind = "caps"\ntitle = "x"\nseverity = "loud"\n[ru]\nmessage = "x"\n'
                                          '[en]\nmessage = "x"\n', encoding="utf-8")
    out = coach("rules", "check", str(rules_copy))
    assert out.returncode == 1
    assert "caps.toml: severity:" in out.stdout


def test_rules_list():
    out = coach("rules", "list")
    assert out.returncode == 0
    assert "missing_please" in out.stdout and "imperative" in out.stdout
