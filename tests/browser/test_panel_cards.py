"""Underlines are not decoration: a click on an underlined word (or the caret moved into it) opens a card at
that spot with the remark, the fix in its sentence and Apply/Dismiss; words two remarks share are marked
apart (a double underline) and their card lists both; a remark cut to two lines says it expands."""
from __future__ import annotations

import pytest

from .conftest import PANEL, open_console, wait_no_rule, wait_rule

CARD = "[data-coach-card]"
# caps and missing_please on the same word (one fix for both: fixes.py); once it is applied, missing_please
# goes on to «Напишите»
OVERLAP = "ПРОЙДИТЕ НА САЙТ и посмотрите условия. Напишите номер заказа. "

# the screen box of the first occurrence of `word` in the reply box: the mirror's mark over a textarea, a DOM
# range in a rich editor
WORD_BOX = """([editorSel, word]) => {
  const ed = document.querySelector(editorSel);
  if (ed instanceof HTMLTextAreaElement) {
    const marks = [...document.querySelector('[data-coach-overlay]').shadowRoot.querySelectorAll('.mirror mark')];
    const m = marks.find((x) => x.textContent === word);
    if (!m) return null;
    const r = m.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + r.height / 2, top: r.top, bottom: r.bottom, left: r.left,
            right: r.right, overlap: m.hasAttribute('data-overlap')};
  }
  const walker = document.createTreeWalker(ed, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const i = n.data.indexOf(word);
    if (i < 0) continue;
    const range = document.createRange();
    range.setStart(n, i);
    range.setEnd(n, i + word.length);
    const r = range.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + r.height / 2, top: r.top, bottom: r.bottom, left: r.left,
            right: r.right, overlap: CSS.highlights.has('coach-overlap')};
  }
  return null;
}"""


def card_rules(page) -> list[str]:
    return page.eval_on_selector_all(f"{CARD} .entry[data-rule]", "els => els.map(e => e.dataset.rule)")


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


@pytest.mark.parametrize("name", ["demo", "chatwoot"])
def test_a_click_on_an_underline_opens_its_card(browser, service, consoles, name):
    page, errors, spec = open_console(browser, service, consoles, name)
    page.keyboard.type(OVERLAP)
    wait_rule(page, "caps")
    wait_rule(page, "missing_please")
    page.wait_for_timeout(300)
    word = page.evaluate(WORD_BOX, [spec["editor"], "ПРОЙДИТЕ"])
    assert word and word["overlap"], word  # shared words are marked apart
    assert not page.locator(CARD).is_visible()

    page.mouse.click(word["x"], word["y"])
    page.wait_for_selector(CARD, state="visible", timeout=3000)
    assert sorted(card_rules(page)) == ["caps", "missing_please"]  # both remarks on these words
    card = box(page, CARD)
    # at the spot: just under (or over) the word, overlapping it horizontally
    assert card["y"] >= word["bottom"] - 1 or card["y"] + card["height"] <= word["top"] + 1, (card, word)
    assert card["x"] < word["right"] and card["x"] + card["width"] > word["left"], (card, word)
    preview = page.inner_text(f'{CARD} .entry[data-rule="caps"] .preview')
    assert "Пройдите, пожалуйста, на сайт" in preview  # the fix in its sentence: both remarks' fixes, as one
    assert page.evaluate(f"document.activeElement.matches('{spec['editor']}') || "
                         f"document.querySelector('{spec['editor']}').contains(document.activeElement)")

    # Apply from the card: the console's editor has the fix, the card closes
    page.click(f'{CARD} .entry[data-rule="caps"] [data-action="apply"]')
    page.wait_for_function(f"() => ({spec['state']}).includes('Пройдите, пожалуйста, на сайт')", timeout=3000)
    page.wait_for_selector(CARD, state="hidden", timeout=3000)
    wait_no_rule(page, "caps")

    # the keyboard: the caret moved into an underlined word opens its card; Escape closes it
    wait_rule(page, "missing_please")
    page.wait_for_timeout(300)
    page.keyboard.press("Control+Home")
    into = page.evaluate(f"() => ({spec['state']}).indexOf('Напишите')") + 1
    for _ in range(into):  # along the line into «Напишите»
        page.keyboard.press("ArrowRight")
    page.wait_for_selector(CARD, state="visible", timeout=3000)
    assert card_rules(page) == ["missing_please"]
    page.keyboard.press("Escape")
    page.wait_for_selector(CARD, state="hidden", timeout=3000)

    # Dismiss from the card
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(CARD, state="visible", timeout=3000)
    page.click(f'{CARD} .entry[data-rule="missing_please"] [data-action="dismiss"]')
    wait_no_rule(page, "missing_please")
    page.wait_for_selector(CARD, state="hidden", timeout=3000)
    # typing closes nothing it should not: the draft is untouched by the card
    page.keyboard.type("!")
    page.wait_for_function(f"() => ({spec['state']}).includes('!')", timeout=3000)
    assert errors.items == []
    page.close()


def test_a_long_remark_says_it_expands(browser, service, consoles):
    # Mibew floats the panel beside its reply box, narrow: long remarks are cut to two lines
    page, errors, _spec = open_console(browser, service, consoles, "mibew", {"width": 1280, "height": 700})
    page.keyboard.type("Спс, пройдите на сайт.")
    wait_rule(page, "slang")
    page.wait_for_timeout(900)
    rule = page.evaluate(f"""() => {{ const li = [...document.querySelector('{PANEL}').shadowRoot
        .querySelectorAll('li')].find((x) => x.querySelector('.more').checkVisibility());
        return li && li.dataset.rule; }}""")
    assert rule, "no remark says it expands"
    clamped = page.evaluate(f"""() => {{ const m = document.querySelector('{PANEL}').shadowRoot
        .querySelector('li[data-rule="{rule}"] .msg'); return m.scrollHeight > m.clientHeight + 1; }}""")
    assert clamped
    more = page.locator(f'{PANEL} li[data-rule="{rule}"] .more')
    assert more.get_attribute("aria-expanded") == "false"
    more.click()
    item = page.locator(f'{PANEL} li[data-rule="{rule}"]')
    assert item.get_attribute("aria-expanded") == "true"
    whole = page.evaluate(f"""() => {{ const m = document.querySelector('{PANEL}').shadowRoot
        .querySelector('li[data-rule="{rule}"] .msg'); return m.scrollHeight <= m.clientHeight + 1; }}""")
    assert whole
    assert errors.items == []
    page.close()
