"""Signing in and the stats, in Debian's Chromium against a real `coach serve`: the token dialog's three states
(signed out, a wrong token, signed in as a named holder), and stats of real `feedback` frames whose numbers
add up on the page — per rule, per operator, per day and in total — with an empty period said as such."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import plain_page, rules_copy
from tests.browser.test_supervisor_page import in_thread
from tests.conftest import Server, token_file
from tests.test_supervisor_api import ANNA, FLOOR, _send

SHOTS = Path(os.environ.get("COACH_SHOTS", "/tmp"))
COLUMNS = ("shown", "dismissed", "applied", "left")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    base = tmp_path_factory.mktemp("supervisor-stats")
    tokens = token_file(base / "tokens", f"anna: {ANNA}\nfloor (operator): {FLOOR}\n")
    server = Server(rules_copy(base), "--store", f"sqlite:///{base}/feedback.sqlite3", "--token-file", str(tokens))
    yield server
    server.stop()


def sign_in(page, token):
    page.click("#token-btn")
    expect(page.locator("#token-dialog")).to_be_visible()
    page.fill("#token-input", token)
    page.click("#token-ok")


def test_the_token_dialog_states(service):
    with plain_page() as page:
        page.goto(service.url + "/supervisor#rule=caps")
        button, dialog = page.locator("#token-btn"), page.locator("#token-dialog")
        # signed out: a prompt, the token field, and no «Выйти»
        expect(button).to_have_text("Войти")
        page.click("#token-btn")
        expect(dialog).to_be_visible()
        expect(page.locator("#token-title")).to_have_text("Вход для супервизора")
        expect(page.locator("#token-signed-out")).to_contain_text("coach token")
        expect(page.locator("#token-input")).to_be_focused()
        expect(page.locator("#token-forget")).to_be_hidden()
        page.screenshot(path=str(SHOTS / "supervisor-token-signed-out.png"))
        # a wrong token: said so in the dialog, which stays open; still signed out
        page.fill("#token-input", "not-a-token-0123456789")
        page.click("#token-ok")
        expect(page.locator("#token-error")).to_contain_text("Токен не подошёл")
        expect(dialog).to_be_visible()
        expect(page.locator("#token-input")).to_have_attribute("aria-invalid", "true")
        page.screenshot(path=str(SHOTS / "supervisor-token-wrong.png"))
        # an operators' token is not a supervisor's
        page.fill("#token-input", FLOOR)
        page.click("#token-ok")
        expect(page.locator("#token-error")).to_contain_text("токен оператора")
        page.click("#token-cancel")
        expect(dialog).to_be_hidden()
        expect(button).to_have_text("Войти")
        assert page.evaluate("sessionStorage.getItem('operatorCoach.supervisorToken')") is None
        # signed in: who, and «Выйти»
        sign_in(page, ANNA)
        expect(dialog).to_be_hidden()
        expect(button).to_contain_text("Вошли: anna")
        page.click("#token-btn")
        expect(page.locator("#token-title")).to_have_text("Вы вошли")
        expect(page.locator("#token-who")).to_have_text("anna")
        expect(page.locator("#token-forget")).to_be_visible()
        expect(page.locator("#token-input")).to_be_hidden()
        page.screenshot(path=str(SHOTS / "supervisor-token-signed-in.png"))
        # the sign-in lasts the tab's session: a reload keeps it
        page.click("#token-cancel")
        page.reload()
        expect(button).to_contain_text("Вошли: anna")
        # «Выйти»: signed out again, the token forgotten
        page.click("#token-btn")
        page.click("#token-forget")
        expect(dialog).to_be_hidden()
        expect(button).to_have_text("Войти")
        assert page.evaluate("sessionStorage.getItem('operatorCoach.supervisorToken')") is None
        assert page.errors == []


def numbers(row) -> dict[str, int]:
    return {c: int(row.locator(f'td[data-col="{c}"]').inner_text().replace("\u00a0", "").replace("*", "").strip())
            for c in COLUMNS}


def test_the_stats_add_up(service):
    in_thread(_send(service, "Анна", "room-a", [("slang", "shown", 10), ("slang", "dismissed", 6),
                                                ("slang", "applied", 2), ("typo", "shown", 4), ("typo", "applied", 3)]))
    in_thread(_send(service, "Олег", "room-o", [("slang", "dismissed", 2), ("slang", "shown", 1),
                                                ("missing_please", "shown", 5), ("missing_please", "dismissed", 1)]))
    with plain_page() as page:
        page.goto(service.url + "/supervisor")
        sign_in(page, ANNA)  # what operators did is the supervisor's to read
        expect(page.locator("#token-btn")).to_contain_text("Вошли: anna")
        page.click("#tab-stats")
        expect(page.locator("#kpi-shown")).to_have_text("21", timeout=10000)
        expect(page.locator("#kpi-dismissed")).to_have_text("9")
        expect(page.locator("#kpi-applied")).to_have_text("5")
        expect(page.locator("#kpi-left")).to_have_text("7")
        expect(page.locator("#kpi-rate")).to_have_text("43%")  # 9 of the 21 shown
        rows = page.locator("#stats-table tbody > tr[data-rule]")
        expect(rows).to_have_count(3)
        found = {rows.nth(i).get_attribute("data-rule"): numbers(rows.nth(i)) for i in range(3)}
        assert found == {"slang": {"shown": 12, "dismissed": 8, "applied": 2, "left": 2},
                         "typo": {"shown": 4, "dismissed": 0, "applied": 3, "left": 1},
                         "missing_please": {"shown": 5, "dismissed": 1, "applied": 0, "left": 4}}
        total = numbers(page.locator("#stats-total"))
        for column in COLUMNS:  # the total is the sum of the rows
            assert total[column] == sum(r[column] for r in found.values())
        for r in found.values():  # every shown warning was dismissed, applied or left
            assert r["shown"] == r["dismissed"] + r["applied"] + r["left"]
        slang = page.locator('#stats-table tr[data-rule="slang"]')
        expect(slang.locator('td[data-col="dismiss_rate"]')).to_have_text("67%")  # 8 of 12, not 8 of 12 + 8
        expect(slang.locator(".tag")).to_be_visible()
        expect(slang.locator("sup.unrecorded")).to_be_visible()  # one of Oleg's dismissals has no recorded show
        expect(page.locator("#stats-unrecorded")).to_contain_text("У 1 отклонённой или применённой подсказки показ не записан")
        expect(page.locator('#stats-table tr[data-rule="typo"] .tag')).to_have_count(0)
        # per operator: the rows of a rule add up to it
        page.click('#stats-table tr[data-rule="slang"] + tr.detail summary')
        operators = page.locator('#stats-table tr[data-rule="slang"] + tr.detail tbody tr')
        expect(operators).to_have_count(2)
        by_operator = {operators.nth(i).get_attribute("data-operator"): numbers(operators.nth(i)) for i in range(2)}
        assert by_operator == {"Анна": {"shown": 10, "dismissed": 6, "applied": 2, "left": 2},
                               "Олег": {"shown": 2, "dismissed": 2, "applied": 0, "left": 0}}
        # the daily chart draws the same numbers: its bars are as tall as the shown of each day
        bars = page.locator(".chart g[data-day]")
        assert sum(int(bars.nth(i).get_attribute("data-shown")) for i in range(bars.count())) == 21
        parts = page.eval_on_selector_all(".chart rect[data-part]", "rs => rs.map(r => [r.dataset.part, +r.dataset.count])")
        assert {p: sum(n for q, n in parts if q == p) for p in ("dismissed", "applied", "left")} == {
            "dismissed": 9, "applied": 5, "left": 7}
        page.screenshot(path=str(SHOTS / "supervisor-stats.png"), full_page=True)
        # an empty period says so, with no share of nothing
        page.click("#period button[data-days=custom]")
        page.fill("#since-date", "2020-01-01")
        page.fill("#until-date", "2020-01-07")
        page.click("#apply-range")
        expect(page.locator("#stats-empty")).to_contain_text("За этот период подсказок не показывали")
        expect(page.locator("#stats-empty")).to_contain_text("1 января — 7 января 2020")
        expect(page.locator("#stats-body")).not_to_contain_text("%")
        expect(page.locator("#kpi-shown")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "supervisor-stats-empty.png"))
        assert page.errors == []


def test_an_old_token_kept_by_the_tab_is_dropped(service):
    with plain_page() as page:
        page.add_init_script("sessionStorage.setItem('operatorCoach.supervisorToken', 'a-token-from-before-0123456789')")
        page.goto(service.url + "/supervisor#rule=caps")
        expect(page.locator("#toast")).to_contain_text("Сохранённый токен больше не подходит")
        expect(page.locator("#token-btn")).to_have_text("Войти")
        assert page.evaluate("sessionStorage.getItem('operatorCoach.supervisorToken')") is None
        assert page.errors == []
