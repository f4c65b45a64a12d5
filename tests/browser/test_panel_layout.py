"""The panel is never in the operator's way, measured with bounding boxes at 1280×600 and 1920×1080 on each
console: it covers neither the reply box, nor the newest message, nor any visible control of the console;
everything it shows is on screen; it shows the most important three and a count of the rest («ещё N»), and a
list that does not fit pages on, never a hidden scroll; it folds to a one-line summary and opens on demand."""
from __future__ import annotations

import pytest

from .conftest import CONSOLES, PANEL, open_console, rules_in_panel

# five remarks or more on every console: slang twice, caps, a missing «пожалуйста», …
BUSY = "Спс, пройдите на сайт и посмотрите условия, ЭТО ОЧЕНЬ ВАЖНО, щас всё будет. "

# Everything measured in one go, in the page: the coach's boxes and the console's.
MEASURE = """([editorSel, newestSel]) => {
  const host = document.querySelector('[data-coach-panel]');
  const root = host.shadowRoot;
  const box = (el) => { const r = el.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right,
                                                                      bottom: r.bottom, width: r.width, height: r.height}; };
  const panel = root.querySelector('.panel');
  const ul = root.querySelector('ul');
  const items = [...root.querySelectorAll('li[data-rule]')];
  const rest = root.querySelector('.restrow');
  const ours = (el) => el === host || host.contains(el) || el.closest('[data-coach-overlay]');
  const controls = [...document.querySelectorAll('a[href], button, input, select, textarea, [contenteditable="true"]')]
    .filter((el) => !ours(el) && el.checkVisibility() && el.getClientRects().length)
    .filter((el) => { const r = el.getBoundingClientRect(), y = (r.top + r.bottom) / 2, x = (r.left + r.right) / 2;
                      return x >= 0 && y >= 0 && x <= innerWidth && y <= innerHeight; })  // on screen
    .map((el) => ({name: el.id || el.className || el.tagName, ...box(el)}));
  // what the operator would hit at a point: the console's own element, or the coach
  const hits = (r) => {
    const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
    const el = document.elementFromPoint(x, y);
    return !!el && !ours(el);
  };
  const editor = document.querySelector(editorSel);
  const newest = newestSel ? document.querySelector(newestSel) : null;
  return {
    viewport: {width: document.documentElement.clientWidth, height: document.documentElement.clientHeight},
    placement: host.dataset.placement,
    // what is seen of the panel: the wrap clips it (its size settles, animated, after typing)
    panel: box(root.querySelector('.wrap')),
    listScroll: ul ? {scroll: ul.scrollHeight, client: ul.clientHeight} : null,
    panelScroll: {scroll: panel.scrollHeight, client: panel.clientHeight},
    shown: items.filter((li) => li.checkVisibility()).map((li) => ({rule: li.dataset.rule, group: li.dataset.group,
                                                                    index: Number(li.dataset.index), ...box(li)})),
    total: items.length,
    rest: rest && !rest.hidden ? [...rest.children].filter((b) => !b.hidden).map((b) => b.textContent).join(' ')
      : null,
    editor: box(editor),
    editorFree: hits(editor.getBoundingClientRect()),
    newest: newest ? box(newest) : null,
    newestFree: newest ? hits(newest.getBoundingClientRect()) : true,
    controls,
    controlsFree: controls.filter((c) => !hits(c)).map((c) => c.name),
  };
}"""


def overlap(a, b) -> bool:
    return a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5 and \
        a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5


def inside(a, view) -> bool:
    return a["left"] >= -0.5 and a["top"] >= -0.5 and a["right"] <= view["width"] + 0.5 and \
        a["bottom"] <= view["height"] + 0.5


def wait_remarks(page, n: int) -> None:
    try:
        page.wait_for_function(f"() => document.querySelector('{PANEL}')?.shadowRoot"
                               f".querySelectorAll('li[data-rule]').length >= {n}", timeout=5000)
    except Exception as exc:
        raise AssertionError(f"fewer than {n} remarks: {rules_in_panel(page)}") from exc


def measure(page, spec) -> dict:
    settle(page)
    return page.evaluate(MEASURE, [spec["editor"], spec["newest"]])


def settle(page) -> None:
    """The panel's size animation (after a typing pause) has run."""
    page.wait_for_function(f"() => !document.querySelector('{PANEL}').shadowRoot.getAnimations().length", timeout=3000)


def assert_out_of_the_way(m: dict) -> None:
    view = m["viewport"]
    assert inside(m["panel"], view), (m["panel"], view)
    assert not overlap(m["panel"], m["editor"]), ("covers the reply box", m["panel"], m["editor"])
    assert m["editorFree"]
    if m["newest"]:
        assert inside(m["newest"], view), ("the newest message is off screen", m["newest"])
        assert not overlap(m["panel"], m["newest"]), ("covers the newest message", m["panel"], m["newest"])
        assert m["newestFree"]
    covered = [c["name"] for c in m["controls"] if overlap(m["panel"], c)]
    assert covered == [], f"the panel covers the console's controls: {covered}"
    assert m["controlsFree"] == [], m["controlsFree"]
    # no hidden scroll: every shown remark is on screen, whole; the rest is a count
    assert m["panelScroll"]["scroll"] <= m["panelScroll"]["client"] + 1
    if m["listScroll"]:
        assert m["listScroll"]["scroll"] <= m["listScroll"]["client"] + 1
    for li in m["shown"]:
        assert inside(li, view) and li["top"] >= m["panel"]["top"] - 0.5 and li["bottom"] <= m["panel"]["bottom"] + 0.5, li
    hidden = m["total"] - len(m["shown"])
    if not hidden:
        assert m["rest"] is None or "свернуть" in m["rest"]  # all shown: the rest may be folded again
    elif not m["shown"]:
        assert m["rest"] is None or m["panel"]["height"] <= 48  # folded to its bar: the bar counts them
    else:
        after = m["total"] - 1 - max(li["index"] for li in m["shown"])
        before = min(li["index"] for li in m["shown"])
        assert m["rest"], (before, after)
        if after:
            assert str(after) in m["rest"], (after, m["rest"])  # «ещё N ›»
        if before:
            assert "назад" in m["rest"], (before, m["rest"])  # «‹ назад»


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 600}, {"width": 1920, "height": 1080}],
                         ids=["1280x600", "1920x1080"])
@pytest.mark.parametrize("name", list(CONSOLES))
def test_the_panel_is_never_in_the_way(browser, service, consoles, name, viewport):
    page, errors, spec = open_console(browser, service, consoles, name, viewport)
    page.keyboard.type(BUSY)
    wait_remarks(page, 4)
    page.wait_for_timeout(900)  # the typing pause passes: the panel settles to its size
    m = measure(page, spec)
    assert m["total"] >= 4, rules_in_panel(page)
    assert m["shown"], "not even one remark fits"
    assert m["placement"] == ("float" if name in ("generic", "mibew") else "dock")
    assert_out_of_the_way(m)
    groups = len({li["group"] for li in m["shown"]})
    assert groups <= 3, m["shown"]  # the most important three; the rest on demand
    assert m["rest"] and "ещё" in m["rest"]

    # the rest, from the count: opened, and paged on where it does not fit
    first = [li["index"] for li in m["shown"]]
    page.click(f"{PANEL} .rest")
    after = measure(page, spec)
    assert_out_of_the_way(after)
    if [li["index"] for li in after["shown"]] == first:
        assert "›" in after["rest"], after["rest"]  # a small window: the rest pages on
        page.click(f"{PANEL} .rest")
        after = measure(page, spec)
        assert_out_of_the_way(after)
    assert [li["index"] for li in after["shown"]] != first
    if viewport["height"] == 1080 and name != "generic":
        assert len(after["shown"]) == after["total"]  # a big window shows them all

    # folded: one line (the top remark, the count), still out of the way; opened again on demand
    page.click(f"{PANEL} .toggle")
    folded = measure(page, spec)
    assert folded["shown"] == [] and folded["panel"]["height"] <= 48, folded["panel"]
    assert_out_of_the_way(folded)
    summary = page.locator(f"{PANEL} .summary")
    assert summary.is_visible() and summary.inner_text().strip()
    page.click(f"{PANEL} .bar")
    assert measure(page, spec)["shown"]
    assert errors.items == []
    page.close()


def test_the_newest_message_stays_in_view_when_the_panel_grows(browser, service, consoles):
    page, errors, spec = open_console(browser, service, consoles, "demo", {"width": 1280, "height": 600})
    page.evaluate("""() => { for (let i = 0; i < 12; i++) {            // a long conversation, scrolled down
        document.getElementById('dc-client-input').value = 'Сообщение ' + i;
        document.getElementById('dc-trainer').requestSubmit(); } }""")
    page.click(spec["editor"])
    page.keyboard.type(BUSY)
    wait_remarks(page, 4)
    page.wait_for_timeout(900)
    m = measure(page, spec)
    assert_out_of_the_way(m)
    newest = page.inner_text(spec["newest"])
    assert "Сообщение 11" in newest
    assert errors.items == []
    page.close()
