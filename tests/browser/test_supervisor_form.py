"""The supervisor's rule form in Debian's Chromium against a real `coach serve`: a Russian hint under every field,
a description that names the thresholds now in the form, and a back-test headline that counts what the rows
below it count (on a corpus whose counts are known)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import rules_copy
from tests.conftest import Server
from tests.test_supervisor import call
from tests.test_supervisor_api import KNOWN_JSONL

SHOTS = Path(os.environ.get("COACH_SHOTS", "/tmp"))
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    base = tmp_path_factory.mktemp("supervisor-form")
    server = Server(rules_copy(base), "--store", "none")
    yield server
    server.stop()


def open_rule(page, service, rule_id):
    if page.locator("#btn-reset").is_visible():
        page.click("#btn-reset")  # an edit left from before: drop it, as a supervisor would
    page.goto(f"{service.url}/supervisor#rule={rule_id}")
    expect(page.locator(f'#editor .rule-head[data-rule="{rule_id}"]')).to_be_visible()
    expect(page.locator("#editor h1")).to_be_visible()
    expect(page.locator("#rule-description")).not_to_be_empty()


def test_every_field_has_a_russian_hint(service, page):
    for rule_id in ("slow_reply", "too_long", "typo", "missing_please", "unanswered_question", "repeated_template"):
        open_rule(page, service, rule_id)
        for details in page.locator("details.card").all():
            details.evaluate("d => d.open = true")
        fields = page.locator("#sec-params .field-label, #sec-ru .field-label, #sec-en .field-label")
        count = fields.count()
        assert count > 3, rule_id
        for i in range(count):
            label = fields.nth(i)
            name = label.get_attribute("data-key")
            assert CYRILLIC.search(label.locator("b").inner_text()), f"{rule_id}.{name}: no Russian name"
            hint = label.locator(".field-hint")
            expect(hint).to_have_count(1)  # every field has one…
            text = hint.inner_text()
            assert CYRILLIC.search(text), f"{rule_id}.{name}: {text!r}"  # …in the page's language
    open_rule(page, service, "too_long")
    expect(page.locator('#sec-params .field-hint[data-hint="max"]')).to_have_text("мера → наибольшее допустимое значение")
    page.screenshot(path=str(SHOTS / "supervisor-hints.png"))
    assert page.errors == []


def test_the_description_names_the_threshold_in_the_form(service, page):
    open_rule(page, service, "slow_reply")
    description = page.locator("#rule-description")
    expect(description).to_contain_text("Клиент ждёт ответа дольше 1 мин, а первого ответа в чате — дольше 30 с.")
    expect(page.locator('[data-path="common.description"]')).to_have_value(re.compile(r"дольше \{steps\[0\]\.after\}"))
    page.fill('[data-path="params.steps[0].after"]', "90")
    expect(description).to_contain_text("Клиент ждёт ответа дольше 1 мин 30 с, а первого ответа")
    page.fill('[data-path="params.first_reply_steps[0].after"]', "45")
    expect(description).to_contain_text("а первого ответа в чате — дольше 45 с.")
    # under the field too, where the description is written with its placeholders
    expect(page.locator("#description-preview")).to_contain_text("Так прочтут: Клиент ждёт ответа дольше 1 мин 30 с")
    page.screenshot(path=str(SHOTS / "supervisor-description.png"))
    # a placeholder that names nothing: the error is shown under the description — the one `coach rules check`
    # gives, said in Russian
    page.fill('[data-path="common.description"]', "Клиент ждёт дольше {steps[0].seconds}.")
    error = page.locator('[data-field="common.description"] .field-error')
    expect(error).to_contain_text("{steps[0].seconds}: в настройках нет «seconds» (есть: after, severity)")
    page.fill('[data-path="common.description"]', "Клиент ждёт дольше {steps[1].after}.")
    expect(description).to_have_text("Клиент ждёт дольше 2 мин.")
    expect(error).to_have_count(0)
    page.fill('[data-path="common.description"]', "Клиент ждёт слишком долго.")
    expect(description).to_have_text("Клиент ждёт слишком долго.")
    expect(page.locator("#description-preview")).to_be_hidden()  # nothing to fill: nothing to repeat
    # another kind: a metric's limit
    open_rule(page, service, "too_long")
    expect(description).to_contain_text("Предложений больше 3 или знаков больше 400")
    page.fill('[data-path="params.max.sentences"]', "5")
    expect(description).to_contain_text("Предложений больше 5 или знаков больше 400")
    assert page.errors == []


def test_the_backtest_headline_counts_what_the_rows_count(service, page, tmp_path):
    corpus = tmp_path / "known.jsonl"
    corpus.write_bytes(KNOWN_JSONL)
    open_rule(page, service, "too_long")
    page.fill('[data-path="params.max.sentences"]', "1")
    page.set_input_files("#corpus-file", str(corpus))
    row = page.locator('#bt-table tr[data-rule="too_long"]')
    expect(row.locator(".bt-proposed")).to_have_text("3", timeout=30000)
    expect(row.locator(".bt-current")).to_have_text("1")
    # the headline: the same numbers as the edited rule's row, said in words
    expect(page.locator("#bt-messages")).to_have_text("4")
    expect(page.locator("#bt-flagged-current")).to_have_text("1")
    expect(page.locator("#bt-flagged-proposed")).to_have_text("3")
    expect(page.locator("#bt-delta")).to_have_text("+2")
    expect(page.locator("#bt-summary")).to_contain_text("начнут помечаться 2, перестанут 0")
    explain = page.locator("#bt-explain")
    expect(explain).to_contain_text("сколько сообщений оператора правило «Слишком длинное сообщение» отмечает")
    # the count of messages with a warning of any rule is said apart, and agrees with the service
    corpus_id = page.locator("#bt-corpus").input_value()
    edit = page.evaluate("editPayload()")
    del edit["base_digest"]
    _status, result = call(service, "POST", "/supervisor/api/backtest", {"corpus": corpus_id, "rules": {"too_long": edit}})
    flagged = result["flagged"]
    expect(explain).to_contain_text(f"Хотя бы одно замечание любого правила: сейчас {flagged['current']}, "
                                    f"с изменением {flagged['proposed']} из 4.")
    page.locator("#backtest").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "supervisor-backtest-headline.png"))
    assert page.errors == []
