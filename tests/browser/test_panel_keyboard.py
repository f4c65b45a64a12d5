"""The panel from the keyboard: the shortcut moves from the reply box to the first remark, Tab and Shift+Tab walk
the remarks and their buttons, Enter acts, Escape returns to the reply box with the caret where it was. The
panel is a labelled region of list items with named buttons, and it never takes the focus by itself. The
shortcut is the operator's to choose (Options)."""
from __future__ import annotations

import time

import pytest

from .conftest import PANEL, open_console, wait_rule

# Where the keyboard focus is: "<rule>:<action or li>" inside the panel, "editor" in the reply box.
FOCUS = """(editorSel) => {
  const host = document.querySelector('[data-coach-panel]');
  const a = host.shadowRoot.activeElement;
  if (!a) {
    const ed = document.querySelector(editorSel);
    return document.activeElement === ed || ed.contains(document.activeElement) ? 'editor'
      : 'page:' + (document.activeElement && document.activeElement.tagName);
  }
  const li = a.closest('li');
  return (li ? li.dataset.rule : 'panel') + ':' + (a.dataset.action || a.tagName.toLowerCase());
}"""

CARETS = {
    "demo": "(() => { const t = document.getElementById('dc-reply'); return [t.selectionStart, t.selectionEnd]; })()",
    "chatwoot": "[chatwoot.view.state.selection.from, chatwoot.view.state.selection.to]",
}


def focus(page, spec) -> str:
    return page.evaluate(FOCUS, spec["editor"])


def tab_to(page, spec, target: str) -> None:
    """From the reply box into the panel, then Tab until `target` ("<rule>:<action>") has the focus."""
    page.keyboard.press("Alt+Shift+K")
    for _ in range(12):
        if focus(page, spec) == target:
            return
        page.keyboard.press("Tab")
    assert focus(page, spec) == target


@pytest.mark.parametrize("name", ["demo", "chatwoot"])
def test_keyboard_walk(browser, service, consoles, name):
    page, errors, spec = open_console(browser, service, consoles, name)
    page.keyboard.type("Спс, пройдите на сайт и посмотрите условия")
    wait_rule(page, "missing_please")
    wait_rule(page, "slang")
    for _ in range(8):
        page.keyboard.press("ArrowLeft")  # the caret inside the draft, not at its end
    time.sleep(0.4)
    caret = page.evaluate(CARETS[name])
    assert focus(page, spec) == "editor"  # remarks came and went: the panel took no focus by itself

    # a labelled region of list items with named buttons
    region = page.locator(f"{PANEL} [role=region]")
    assert region.get_attribute("aria-label")
    items = page.locator(f"{PANEL} [role=region] [role=list] > li[role=listitem]")
    assert items.count() >= 2
    names = page.eval_on_selector_all(f"{PANEL} li button", "bs => bs.map(b => b.getAttribute('aria-label'))")
    assert names and all(n and n.strip() for n in names), names

    # the shortcut: into the first remark
    first = page.eval_on_selector_all(f"{PANEL} li[data-rule]", "els => els[0].dataset.rule")
    page.keyboard.press("Alt+Shift+K")
    assert focus(page, spec) == f"{first}:li"

    # Tab walks remarks and their buttons in order, and wraps; Shift+Tab walks back
    walk = [focus(page, spec)]
    for _ in range(7):
        page.keyboard.press("Tab")
        walk.append(focus(page, spec))
    assert walk[1] in (f"{first}:apply", f"{first}:dismiss"), walk
    assert any(w.endswith(":li") and not w.startswith(first) for w in walk[1:]), walk  # reaches the next remark
    assert all(not w.startswith(("editor", "page")) for w in walk), walk  # stays in the panel
    page.keyboard.press("Shift+Tab")
    assert focus(page, spec) == walk[-2]

    # Escape: back in the reply box, the caret where it was
    page.keyboard.press("Escape")
    assert focus(page, spec) == "editor"
    assert page.evaluate(CARETS[name]) == caret

    # Enter on Apply applies the fix; the focus is back in the reply box
    tab_to(page, spec, "missing_please:apply")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => ({spec['state']}).includes('пожалуйста')", timeout=3000)
    assert focus(page, spec) == "editor"

    # Enter on Dismiss hides the remark and moves to the next one (the reply box when none is left)
    wait_rule(page, "slang")
    tab_to(page, spec, "slang:dismiss")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'{PANEL} li[data-rule="slang"]', state="detached", timeout=3000)
    after = focus(page, spec)
    assert after == "editor" or after.endswith(":li"), after
    page.keyboard.press("Escape")
    assert focus(page, spec) == "editor"
    assert errors.items == []
    page.close()


def test_the_shortcut_is_configurable(browser, service, consoles):
    options = browser.context.new_page()
    options.goto(f"chrome-extension://{browser.extension_id}/options/options.html")
    options.wait_for_selector("#hotkey")
    deadline = time.time() + 5
    while options.input_value("#hotkey") != "Alt+Shift+K" and time.time() < deadline:
        time.sleep(0.05)
    assert options.input_value("#hotkey") == "Alt+Shift+K"
    options.click("#hotkey")
    options.keyboard.press("Control+Alt+J")
    options.wait_for_selector("#hotkey-result.ok")
    assert options.input_value("#hotkey") == "Ctrl+Alt+J"

    page, errors, spec = open_console(browser, service, consoles, "mibew")
    page.keyboard.type("Спс, пройдите на сайт")
    wait_rule(page, "slang")
    page.keyboard.press("Alt+Shift+K")
    assert focus(page, spec) == "editor"  # the old shortcut does nothing now…
    page.keyboard.press("Control+Alt+J")
    assert focus(page, spec).endswith(":li")  # …the new one does
    page.keyboard.press("Escape")
    assert focus(page, spec) == "editor"

    options.click("#hotkey")
    options.keyboard.press("Backspace")  # back to the default
    options.wait_for_function("() => document.getElementById('hotkey').value === 'Alt+Shift+K'")
    assert errors.items == []
    page.close()
    options.close()
