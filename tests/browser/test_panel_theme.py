"""Light and dark: the panel follows the console's own background (a dark console in a light system is dark),
and where the page paints none, its color-scheme and the operator's setting. Every piece of text it shows —
the bar, the remarks, the fixes, the buttons, the chip, a card — reads at WCAG AA contrast (4.5:1), computed
here from the colours Chromium renders."""
from __future__ import annotations

import pytest

from .conftest import PANEL, open_console, wait_rule

# Each visible text of the coach with its colour and the colour behind it (the first painted background up its
# tree, blended when translucent), as rgba lists.
TEXTS = """() => {
  const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const over = (top, under) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1); };
  const behind = (el) => {
    const layers = [];
    for (let n = el; n; n = n.parentElement || (n.getRootNode().host ?? null)) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let color = [255, 255, 255, 1];
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const out = [];
  for (const root of [document.querySelector('[data-coach-panel]').shadowRoot,
                      document.querySelector('[data-coach-overlay]').shadowRoot]) {
    for (const el of root.querySelectorAll('*')) {
      if (!el.checkVisibility() || el.closest('.mirror')) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim());
      if (!own) continue;
      const cs = getComputedStyle(el);
      out.push({text: el.textContent.trim().slice(0, 40), fg: over(parse(cs.color), behind(el)), bg: behind(el)});
    }
  }
  return out;
}"""


def luminance(rgb) -> float:
    def lin(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = rgb[:3]
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a, b) -> float:
    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def assert_readable(page) -> list[dict]:
    texts = page.evaluate(TEXTS)
    assert len(texts) >= 6, texts
    poor = [(t["text"], round(contrast(t["fg"], t["bg"]), 2)) for t in texts if contrast(t["fg"], t["bg"]) < 4.5]
    assert poor == [], f"below WCAG AA (4.5:1): {poor}"
    return texts


def open_card(page, word: str) -> None:
    mark = page.locator("[data-coach-overlay] .mirror mark", has_text=word).first
    box = mark.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("[data-coach-card]", state="visible", timeout=3000)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_demo_console_in_both_themes(browser, service, consoles, theme):
    # the console's own theme, whatever the operator's system says (Playwright's default is light)
    page = browser.context.new_page()
    page.goto(f"{service.url}/demo?theme={theme}#chat=c-1002")
    page.click("#dc-reply")
    page.keyboard.type("Спс, ЭТО ВАЖНО: пройдите на сайт.")
    wait_rule(page, "slang")
    wait_rule(page, "slow_reply")  # the chip is coloured too
    assert page.get_attribute(PANEL, "data-theme") == theme
    dark_bg = luminance(page.evaluate(TEXTS)[0]["bg"]) < 0.2
    assert dark_bg == (theme == "dark")
    assert_readable(page)
    open_card(page, "ВАЖНО")
    assert_readable(page)
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_page_without_a_background_follows_the_operators_setting(browser, service, consoles, scheme):
    page = browser.context.new_page()
    page.emulate_media(color_scheme=scheme)
    page.goto(consoles.url + "/plain")
    page.click("#reply")
    page.keyboard.type("Спс, пройдите на сайт.")
    wait_rule(page, "slang")
    assert page.get_attribute(PANEL, "data-theme") == scheme
    assert_readable(page)
    page.close()


def test_a_dark_console_in_a_light_system_stays_dark(browser, service, consoles):
    page, errors, _ = open_console(browser, service, consoles, "demo")
    page.emulate_media(color_scheme="light")
    page.goto(f"{service.url}/demo?theme=dark#chat=c-1001")
    page.click("#dc-reply")
    page.keyboard.type("Спс, пройдите на сайт.")
    wait_rule(page, "slang")
    assert page.get_attribute(PANEL, "data-theme") == "dark"
    assert errors.items == []
    page.close()
