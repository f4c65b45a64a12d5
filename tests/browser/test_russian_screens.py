"""Russian screens speak Russian: a walk through the service's pages (the supervisor's rules, a threshold change
with its examples, the check on chats, stats, history; the trainer; the demo console in a messenger; the audit's
HTML report) and the extension's (Options, the panel's strings, a remark in the panel) finds no English word and
no developer's id on them, and numbers agree with their nouns («1 чат», «22 замечания», «5 чатов»).

What may stay in Latin letters: the product's and the tools' own names (Operator Coach, SQLite…), commands to
type (`coach serve`), placeholders to type (`{wait}`), file names and paths, addresses — and what clients and
operators wrote (quoted «…», or the chat itself)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coach_server.audit.synth import generate
from tests.conftest import ROOT, Server

from .conftest import EXTENSION, PANEL, open_console, plain_page, rules_copy

# Proper names and what is typed as it is; nothing else in Latin letters on a Russian screen.
# (and «e-mail», as Russian writes it; the keys as the keyboard names them)
ALLOWED = {"Operator", "Coach", "SQLite", "PostgreSQL", "Chromium", "Chrome", "Chatwoot", "Mibew", "Messenger", "UTC",
           "Rocket", "Chat", "Omnichannel", "Zammad", "Odoo", "Live",
           "JSON", "e-mail", "Enter", "Shift", "Alt", "Ctrl", "Esc", "Tab", "Backspace", "K"}
# a command to type, a placeholder, a path, a file name, an address, a key combination
TECHNICAL = re.compile(r"`[^`]*`|\bcoach [a-z]+(?: [a-z]+)*(?: --?[a-z-]+(?:[ =]\S+)?)*|make run|\{[^}]*\}|"
                       r"https?://\S+|\S*[/\\]\S*|\S+\.(?:toml|jsonl|json|sqlite3|md|html|py)\b|\b\S+@\S+|"
                       r"\b[\w.-]+\.(?:example|ru|com|test)\b|Alt\+Shift\+\w|\d+[a-z]?\b|\blocalhost\b")
QUOTED = re.compile(r"«[^»]*»|\"[^\"]*\"|“[^”]*”")
LATIN_WORD = re.compile(r"[A-Za-z](?:[A-Za-z'’-]*[A-Za-z])?")

# Visible text, with what a hover or a screen reader says, of the page (the chat's content left out: a client
# writing English is no English on the operator's screen).
TEXT = """(skip) => {
  const out = [document.title];
  const hidden = (el) => el.closest(skip) || (el.checkVisibility && !el.checkVisibility());
  const walk = (root) => {
    const it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = it.nextNode(); n; n = it.nextNode()) {
      const p = n.parentElement;
      if (!p || p.closest('script, style') || hidden(p)) continue;
      out.push(n.data);
    }
    for (const el of root.querySelectorAll('[title], [placeholder], [aria-label]')) {
      if (hidden(el)) continue;
      for (const a of ['title', 'placeholder', 'aria-label']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
  return out.join('\\n');
}"""

# what clients and operators wrote (and a fix, written in the language of the reply it fixes)
CHAT_CONTENT = ".dc-msg, .dc-conv-name, .dc-conv-preview, .dc-client-name, .dc-conv-avatar, .msg .bubble, .msg .who, " \
               ".ex, .draft, .preview, " \
               "mark, .diff, ins, del, .fix, .field-control input, .field-control textarea, pre"


def english_words(text: str) -> list[str]:
    text = TECHNICAL.sub(" ", QUOTED.sub(" ", text))
    return sorted({w for w in LATIN_WORD.findall(text) if w not in ALLOWED})


def no_english(page, where: str, skip: str = CHAT_CONTENT) -> None:
    found = english_words(page.evaluate(TEXT, skip or "#none"))
    assert found == [], f"{where}: English on a Russian screen: {found}"


BAD_AGREEMENT = re.compile(r"\b(?:\d*[02-9]|)1 (?:чатов|замечаний|сообщений|правил|примеров|событий|показов)\b|"
                           r"\b(?:\d*[02-9]|)[234] (?:чатов|замечаний|сообщений|событий|показов)\b|"
                           r"\b1[1-4] (?:чат|замечание|замечания|чата|сообщение|сообщения)\b")


def numbers_agree(page, where: str) -> None:
    text = page.evaluate(TEXT, "#none").replace("\u00a0", " ")
    bad = BAD_AGREEMENT.findall(text)
    assert bad == [], f"{where}: numbers that do not agree: {bad}"


@pytest.fixture(scope="module")
def supervised(tmp_path_factory):
    base = tmp_path_factory.mktemp("russian")
    server = Server(rules_copy(base), "--store", f"sqlite:///{base}/feedback.sqlite3")
    yield server
    server.stop()


def test_the_supervisor_page_speaks_russian(supervised, tmp_path):
    with plain_page() as page:
        page.add_init_script(f"sessionStorage.setItem('operatorCoach.supervisorToken', {json.dumps(supervised.token)})")
        page.goto(supervised.url + "/supervisor#rule=slow_reply")
        page.wait_for_selector('[data-path="params.steps[0].after"]')
        page.click("#sec-channels summary")
        no_english(page, "the rule's form")
        # a threshold change: the examples it affects, said before saving
        page.fill('[data-path="params.steps[0].after"]', "90")
        page.wait_for_selector("#examples-follow", timeout=10000)
        no_english(page, "a threshold change")
        page.fill('[data-path="params.steps[0].after"]', "-5")
        page.click("#btn-check")
        page.wait_for_selector(".field-error", timeout=10000)
        no_english(page, "a field's error")
        page.click("#btn-reset")
        # the check on chats
        page.goto(supervised.url + "/supervisor#rule=too_long")
        page.wait_for_selector('[data-path="params.max.sentences"]')
        page.fill('[data-path="params.max.sentences"]', "1")
        page.wait_for_selector("#examples-breaks", timeout=10000)
        no_english(page, "a change that breaks examples")
        page.click("#btn-backtest")
        page.wait_for_selector("#bt-table", timeout=30000)
        no_english(page, "the check on chats")
        numbers_agree(page, "the check on chats")
        page.click("#btn-reset")
        for view in ("stats", "history"):
            page.click(f"#tab-{view}")
            page.wait_for_selector("#stats-table, #stats-body .notice, #stats-body p" if view == "stats"
                                   else "#history-list .version, #history-list .notice", timeout=10000)
            time.sleep(0.3)
            no_english(page, view)
            numbers_agree(page, view)
        assert page.errors == []


def test_the_trainer_and_the_demo_console_speak_russian(supervised):
    with plain_page() as page:
        page.goto(supervised.url + "/trainer#s=en_shop_bad")
        page.wait_for_selector('.pane[data-version="bad"] .msg.client', timeout=15000)
        for _ in range(4):  # through the conversation: the operator's replies and what the coach says of them
            page.click("#btn-step")
        page.wait_for_selector(".warn-item", timeout=15000)
        no_english(page, "the trainer, an English chat")
        page.goto(supervised.url + "/demo?channel=messenger#chat=c-1003")
        page.wait_for_selector("#dc-norms:not([hidden])", timeout=5000)
        page.click("#dc-norms summary")
        no_english(page, "the demo console in a messenger")
        assert page.locator("#dc-norms li").count() >= 2
        assert "мессенджер" in page.inner_text("#dc-norms summary")
        assert page.errors == []


def test_the_audit_report_speaks_russian(tmp_path):
    corpus = tmp_path / "export.jsonl"
    corpus.write_text("\n".join(generate(60, seed=18)) + "\n", encoding="utf-8")
    report = tmp_path / "report.html"
    run = subprocess.run([sys.executable, "-m", "coach_server", "audit", str(corpus), "--html", str(report)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    with plain_page() as page:
        page.goto(report.as_uri())
        # the chats themselves (some are English) are content; the report around them, and the remarks, are not
        no_english(page, "the audit's report", skip=".example .msg, .where, .fix, [data-operator], #operators .lbl")
        numbers_agree(page, "the audit's report")
        assert not page.locator("code").count()  # no rule ids


def test_an_unreachable_service_is_said_in_russian(supervised):
    with plain_page() as page:
        page.goto(supervised.url + "/supervisor#rule=slang")
        page.wait_for_selector("#actionbar:not([hidden])")
        supervised.stop()
        try:
            page.click("#btn-check")
            page.wait_for_selector("#toast.show", timeout=5000)
            said = page.inner_text("#toast")
            assert "Failed" not in said and "coach serve" in said and "Запустите" in said, said
        finally:
            supervised.start()


def panel_strings() -> dict[str, str]:
    """The panel's own Russian strings (panel.js TEXT.ru): all of them, whether on screen now or not."""
    source = (EXTENSION / "content" / "panel.js").read_text(encoding="utf-8")
    block = re.search(r"\bru: \{(.*?)\n    \},", source, re.S)
    assert block, "panel.js: TEXT.ru not found"
    plain = dict(re.findall(r"(\w+): \"([^\"]*)\"", block.group(1)))
    # what a function returns: its text around the values it puts in
    made = {k: re.sub(r"\$\{[^}]*\}", " ", v) for k, v in re.findall(r"(\w+): \([^)]*\) => `([^`]*)`", block.group(1))}
    return {**plain, **made}


def test_the_panel_speaks_russian(browser, service, consoles):
    strings = panel_strings()
    assert len(strings) >= 15, strings
    for key, text in strings.items():
        assert english_words(text) == [], f"panel.js TEXT.ru.{key}: {text!r}"
    # and on screen, for an English-writing client: the bar, the remarks, the buttons, «ещё N»
    page, errors, spec = open_console(browser, service, consoles, "demo")
    page.click("li.dc-conv[data-id='c-1003']")
    page.click(spec["editor"])
    page.keyboard.type("Да, доставляем в Германию, щас скажу сроки, спс. ")
    page.wait_for_function(f"() => document.querySelector('{PANEL}').shadowRoot"
                           f".querySelectorAll('li[data-rule]').length >= 3", timeout=5000)
    time.sleep(1.0)
    no_english(page, "the panel on the demo console", skip=CHAT_CONTENT + ", .dc-top-note, .dc-me")
    numbers_agree(page, "the panel")
    assert errors.items == []
    page.close()


def test_the_options_page_speaks_russian(browser):
    page = browser.context.new_page()
    page.goto(f"chrome-extension://{browser.extension_id}/options/options.html")
    page.wait_for_selector("#ui-lang")
    time.sleep(0.3)
    no_english(page, "Options", skip="#ui-lang option[value='en'], #custom")
    # the service cannot be reached at the address typed: said what to do, not «Failed to fetch»
    page.fill("#service-url", "http://127.0.0.1:9")
    page.click("#check")
    page.wait_for_function("() => document.getElementById('service-result').textContent.length > 0", timeout=5000)
    said = page.inner_text("#service-result")
    assert "Failed" not in said and "Запустите" in said, said
    page.close()


def test_russian_plurals(browser):
    """One rule of number agreement, where the pages and the report use it (russian.js, panel.js, report.py)."""
    from coach_server.audit.report import plural
    cases = {1: "чат", 2: "чата", 4: "чата", 5: "чатов", 11: "чатов", 12: "чатов", 14: "чатов", 21: "чат", 22: "чата",
             25: "чатов", 101: "чат", 111: "чатов", 0: "чатов"}
    for n, word in cases.items():
        assert plural(n, "чат", "чата", "чатов") == word, n
    js = (Path(ROOT) / "coach_server/web/common/static/russian.js").read_text(encoding="utf-8")
    panel = (EXTENSION / "content" / "panel.js").read_text(encoding="utf-8")
    own = re.search(r"  function plural\(n, one, few, many\) \{.*?\n  \}", panel, re.S).group(0)
    page = browser.context.new_page()
    page.set_content(f"<script>{js}\nwindow.panelPlural = (() => {{ {own}; return plural; }})();</script>")
    for n, word in cases.items():
        assert page.evaluate(f"CoachRu.plural({n}, 'чат', 'чата', 'чатов')") == word, n
        assert page.evaluate(f"panelPlural({n}, 'чат', 'чата', 'чатов')") == word, n
    page.close()
