"""The trainer page in Debian's Chromium against a real `coach serve`: step through a scenario and see each
operator message's warnings and why, switch to the good version and side by side, play it, and answer in
the "your turn" box with live warnings and a one-click fix."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import rules_copy
from tests.conftest import Server

SHOTS = Path(os.environ.get("COACH_SHOTS", "/tmp"))


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    base = tmp_path_factory.mktemp("trainer")
    server = Server(rules_copy(base), "--store", "none")
    yield server
    server.stop()


def test_step_through_the_bad_version(service, page):
    page.goto(service.url + "/trainer#s=car_dealer_bad")
    expect(page.locator("#scenario-title")).to_have_text("Автосалон: клиента «сливают» отпиской")
    pane = page.locator('.pane[data-version="bad"]')
    expect(pane.locator(".msg.client")).to_have_count(1)
    expect(pane.locator(".msg.operator")).to_have_count(0)
    page.click("#btn-step")  # 01:35 — the checkpoint: nobody has greeted the client
    checkpoint = pane.locator(".checkpoint")
    expect(checkpoint.locator('[data-rule="slow_reply"] .sev')).to_have_text("ошибка")
    page.click("#btn-step")  # 02:40 — the brush-off
    operator = pane.locator(".msg.operator").first
    for rule in ("slow_reply", "no_introduction", "come_back_later", "unanswered_question", "missing_please"):
        expect(operator.locator(f'.warn-item[data-rule="{rule}"]')).to_be_visible()
    expect(operator.locator("mark").first).to_have_text("напишите позже")
    expect(operator.locator(".note")).to_contain_text("отписка")
    operator.locator('.warn-item[data-rule="come_back_later"] summary').click()
    expect(operator.locator('.warn-item[data-rule="come_back_later"] .why')).to_be_visible()  # the rule's "why"
    expect(page.locator("#clock")).to_have_text("02:40")
    page.screenshot(path=str(SHOTS / "coach-trainer-step.png"))
    assert page.errors == []


def test_good_version_and_side_by_side(service, page):
    page.goto(service.url + "/trainer#s=car_dealer_bad")
    page.click('#mode button[data-mode="good"]')
    page.click("#btn-all")
    good = page.locator('.pane[data-version="good"]')
    expect(good.locator(".msg.operator")).to_have_count(5)
    expect(good.locator(".msg.operator.flagged")).to_have_count(0)
    page.click('#mode button[data-mode="both"]')
    expect(page.locator(".pane")).to_have_count(2)
    page.click("#btn-all")
    expect(page.locator('.pane[data-version="bad"] .msg.operator.flagged')).to_have_count(2)
    expect(page.locator('.pane[data-version="good"] .msg.operator.clean')).to_have_count(5)
    page.screenshot(path=str(SHOTS / "coach-trainer-side-by-side.png"))
    # play: the conversation unfolds by itself
    page.click("#btn-restart")
    page.click("#btn-play")
    expect(page.locator('.pane[data-version="good"] .msg.operator')).to_have_count(1, timeout=10000)
    expect(page.locator('.pane[data-version="good"] .msg.operator')).to_have_count(2, timeout=10000)
    page.click("#btn-play")  # pause


def test_your_turn_gets_live_warnings_and_fixes(service, page):
    page.goto(service.url + "/trainer#s=bank_links_bad")
    expect(page.locator("#scenario-title")).to_contain_text("Банк")
    box = page.locator("#turn-input")
    expect(box).to_be_visible()
    box.fill("Пройдите на сайт, там всё написано")
    warnings = page.locator("#turn-warnings")
    expect(warnings.locator('[data-rule="missing_please"]')).to_be_visible(timeout=5000)
    warnings.locator('[data-rule="missing_please"] button.apply').click()
    expect(box).to_have_value("Пройдите, пожалуйста, на сайт, там всё написано")
    expect(page.locator('#turn-warnings [data-rule="missing_please"]')).to_have_count(0, timeout=5000)
    expect(page.locator("#wait-chip")).to_contain_text("клиент ждёт")
    page.screenshot(path=str(SHOTS / "coach-trainer-your-turn.png"))
    box.fill("Здравствуйте! Меня зовут Марина. Для покупок подойдёт карта «Платинум»: 120 дней без процентов.")
    expect(page.locator("#turn-live .ok")).to_contain_text("Коуч доволен", timeout=5000)
    page.click("#turn-send")
    expect(page.locator("#turn-result .notice.ok")).to_be_visible()
    expect(page.locator("#turn-result .msg.operator")).to_contain_text("Пройдите на сайт")  # what the scenario's operator wrote
    assert page.errors == []
