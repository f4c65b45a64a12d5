"""The popup of an operator whose service follows a team node (`coach serve --follow`), in the real extension:
it names the team's version; when the team node is away it says so and that the last good version is in
force; when the node is back, so is the popup's line. A service on its own rules shows no such line."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import Browser
from tests.browser.test_extension_pages import extension_page
from tests.conftest import Server, token_file
from tests.test_supervisor import call
from tests.test_team import _rules_copy, one_sentence_edit, source, throwaway_team, wait_until

SHOTS = Path(os.environ.get("COACH_SHOTS", "/tmp"))


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    base = tmp_path_factory.mktemp("popup-team")
    with throwaway_team(base, "popup") as t:
        t.lead = t.node(name="lead")
        token = token_file(base / "operator-token", t.lead.token + "\n")
        t.follower = Server(_rules_copy(base / "op"), "--follow", t.lead.url, "--token-file", str(token),
                            "--follow-interval", "2", "--store", "none")
        t.nodes.append(t.follower)
        yield t


def test_the_popup_shows_the_teams_version_and_offline(team, playwright_instance, tmp_path):
    lead, follower = team.lead, team.follower
    assert call(lead, "PUT", "/supervisor/api/rules/too_long", one_sentence_edit(lead), token=lead.token)[0] == 200
    assert wait_until(lambda: source(follower)["version"] == 2)
    browser = Browser(playwright_instance, tmp_path / "profile", follower.url)
    try:
        popup = extension_page(browser, "popup/popup.html")
        popup.wait_for_selector('#state[data-state="online"]')
        popup.wait_for_selector('#rules-source[data-state="online"]')
        assert popup.inner_text("#rules-source") == "команды · версия 2"
        lead.stop()
        popup.wait_for_selector('#rules-source[data-state="offline"]', timeout=30000)
        assert popup.inner_text("#rules-source") == "офлайн — последняя версия 2"
        assert popup.inner_text("#state-text") == "на связи"  # the local service itself still answers
        popup.screenshot(path=str(SHOTS / "popup-team-offline.png"))
        lead.start()
        popup.wait_for_selector('#rules-source[data-state="online"]', timeout=30000)
        popup.close()
    finally:
        browser.close()


def test_no_rules_line_for_a_service_on_its_own_rules(browser):
    popup = extension_page(browser, "popup/popup.html")
    popup.wait_for_selector('#state[data-state="online"]')
    popup.wait_for_timeout(1500)  # a refresh or two
    assert popup.locator("#rules-row").is_hidden()
    popup.close()
