"""«История» on the supervisor page in Debian's Chromium. A team: two `coach serve` nodes on a throwaway
PostgreSQL store — a threshold saved on node A becomes a version, shown with its author and diff; rolling back
from there makes a new version that node B enforces. A single site (rules in a folder, no team store): each
save from the page is a version too, and undo puts the files back."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import plain_page
from tests.conftest import RULES, Server, token_file
from tests.test_team import flagged, source, throwaway_team, wait_until

SHOTS = Path(os.environ.get("COACH_SHOTS", "/tmp"))
LONG_DRAFT = ("Доставка в Казань занимает 2–3 дня, курьер привезёт заказ до двери в удобное вам время. "
              "Стоимость доставки 300 рублей, оплатить можно картой или наличными.")


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    base = tmp_path_factory.mktemp("team-page")
    tokens = token_file(base / "tokens", "anna: anna-token-0123456789abcdef\n")
    with throwaway_team(base, "page") as t:
        t.a = t.node("--token-file", str(tokens), name="a")
        t.b = t.node(name="b")
        yield t


def test_save_history_and_rollback_on_the_page(team):
    a, b = team.a, team.b
    with plain_page() as page:
        # the supervisor entered her token earlier in this browser session (the page reads it when it loads)
        page.add_init_script("sessionStorage.setItem('operatorCoach.supervisorToken', 'anna-token-0123456789abcdef')")
        page.goto(a.url + "/supervisor#rule=too_long")
        expect(page.locator("#token-btn")).to_contain_text("Вошли: anna")
        expect(page.locator("#source-chip")).to_contain_text("правила: версия 1")
        field = page.locator('[data-path="params.max.chars"]')
        expect(field).to_have_value("400")
        field.fill("150")
        page.click("#btn-save")
        expect(page.locator("#edit-notices .notice.ok")).to_contain_text("версия 2 в хранилище команды", timeout=30000)
        assert wait_until(lambda: "too_long" in flagged(b, LONG_DRAFT))  # node B enforces it
        page.click("#tab-history")
        versions = page.locator("#history-list .version")
        expect(versions).to_have_count(2)
        newest = versions.nth(0)
        expect(newest).to_contain_text("Версия 2")
        expect(newest).to_contain_text("anna")
        expect(newest).to_contain_text("too_long.toml изменён")
        expect(newest).to_contain_text("действует")
        expect(page.locator("#history-state")).to_contain_text("Действует версия 2")
        newest.locator("summary").click()
        expect(newest.locator(".diff")).to_contain_text("+max = { sentences = 3, chars = 150 }")
        page.screenshot(path=str(SHOTS / "supervisor-history.png"), full_page=True)
        page.once("dialog", lambda dialog: dialog.accept())
        versions.nth(1).get_by_role("button", name="Откатить к этой версии").click()
        expect(versions).to_have_count(3, timeout=30000)
        expect(versions.nth(0)).to_contain_text("восстанавливает версию 1")
        expect(versions.nth(0)).to_contain_text("действует")
        assert wait_until(lambda: "too_long" not in flagged(b, LONG_DRAFT) and source(b)["version"] == 3)
        assert page.errors == []


def test_a_single_site_keeps_versions_and_undoes_a_save(tmp_path):
    """No team store (`--store none`, rules in a folder): the page still records each save and puts it back."""
    shutil.copytree(RULES, tmp_path / "rules")
    server = Server(tmp_path / "rules", "--store", "none")
    path = tmp_path / "rules" / "too_long.toml"
    original = path.read_bytes()
    try:
        with plain_page() as page:
            page.add_init_script(f"sessionStorage.setItem('operatorCoach.supervisorToken', '{server.token}')")
            page.goto(server.url + "/supervisor#rule=too_long")
            expect(page.locator("#source-chip")).to_contain_text("правила: папка")
            page.fill('[data-path="params.max.chars"]', "150")
            page.click("#btn-save")
            expect(page.locator("#edit-notices .notice.ok")).to_contain_text("Сохранено", timeout=30000)
            assert "chars = 150" in path.read_text(encoding="utf-8")
            page.click("#tab-history")
            versions = page.locator("#history-list .version")
            expect(versions).to_have_count(2, timeout=10000)  # the folder as it was found, and the save
            expect(page.locator("#history-files")).to_be_visible()
            expect(versions.nth(0)).to_contain_text("Версия 2")
            expect(versions.nth(0)).to_contain_text("супервизор")
            expect(versions.nth(0)).to_contain_text("too_long.toml изменён")
            expect(versions.nth(0)).to_contain_text("действует")
            versions.nth(0).locator("summary").click()
            expect(versions.nth(0).locator(".diff")).to_contain_text("+max = { sentences = 3, chars = 150 }")
            page.once("dialog", lambda dialog: dialog.accept())
            versions.nth(1).get_by_role("button", name="Откатить к этой версии").click()
            expect(versions).to_have_count(3, timeout=30000)
            expect(versions.nth(0)).to_contain_text("восстанавливает версию 1")
            expect(versions.nth(0)).to_contain_text("действует")
            assert path.read_bytes() == original  # undone: the file as it was
            assert wait_until(lambda: "too_long" not in flagged(server, LONG_DRAFT))
            assert sorted(p.name for p in (tmp_path / "rules").iterdir() if p.suffix != ".toml") == []
            page.screenshot(path=str(SHOTS / "supervisor-history-files.png"), full_page=True)
            time.sleep(0.2)
            assert page.errors == []
    finally:
        server.stop()
