"""«Настроить эту консоль»: a supervisor teaches the coach a console it has no adapter for by three clicks.

The console (fixtures/hashed.*) is built the way closed consoles are: every class name is a hash of the build and
no message carries a data attribute. The supervisor opens the popup on its tab, presses the button, clicks the
reply box, a client's message and an operator's; the picker shows what it reads; «Сохранить» keeps the adapter and
the coach reads the console with it — roles, times, the draft — through a re-render and a new build of the page
(other hashes everywhere)."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from .conftest import EXTENSION, PANEL, Browser, PageErrors, Service, rules_copy, wait_rule
from .test_site_enabling import open_popup

CONVERSATION = "7f3e9a2c-1b4d-4e8f-9a0b-5c6d7e8f9a01"
PATH = f"/desk/c/{CONVERSATION}"
PICKER = "[data-coach-picker]"
CLIENT_TEXT = "Здравствуйте! Не могу оплатить заказ картой"
OPERATOR_TEXT = "Здравствуйте! Меня зовут Анна, сейчас разберёмся."


def tab_ids(browser) -> set[int]:
    return set(browser.refresh_worker().evaluate("chrome.tabs.query({}).then(ts => ts.map(t => t.id))"))


def custom_chat(browser, timeout: float = 5.0, want=lambda chat: True) -> tuple[str, dict]:
    """The console's chat as the worker holds it, read with the saved adapter (its id starts with «custom-»)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        chats = {k: v for k, v in browser.chats().items() if k.startswith("custom-")}
        if len(chats) == 1:
            last = next(iter(chats.items()))
            if want(last[1]):
                return last
        time.sleep(0.05)
    raise AssertionError(f"no chat read with the saved adapter as expected: {last or browser.chats()}")


def page_times(page) -> list[float]:
    """The exact times the console shows (its <time datetime>), oldest first, in Unix seconds."""
    return page.eval_on_selector_all("[role='log'] time", "els => els.map(e => Date.parse(e.dateTime) / 1000)")


def page_classes(page) -> set[str]:
    return set(page.evaluate("() => [...document.querySelectorAll('#root *')].flatMap(e => [...e.classList])"))


def test_the_picker_learns_a_console_with_hashed_classes(browser, service, consoles):
    before = tab_ids(browser)
    page = browser.context.new_page()
    errors = PageErrors(page)
    page.goto(consoles.url + PATH)
    [tab] = tab_ids(browser) - before

    # no adapter knows this console: only the draft's own rules, no conversation
    page.click("[role='textbox']")
    page.keyboard.type("Пройдите на сайт")
    wait_rule(page, "missing_please")
    assert page.locator(PANEL).get_attribute("data-adapter") == "generic"
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.evaluate("document.activeElement.blur()")

    # the supervisor: toolbar popup → «Настроить эту консоль»; the popup closes, the picker opens in the page
    popup = open_popup(browser, tab)
    assert popup.inner_text("#picker") == "Настроить эту консоль"
    popup.click("#picker")
    page.bring_to_front()
    page.wait_for_selector(f"{PICKER}[data-step='editor']", state="attached")
    assert "поле" in page.inner_text(f"{PICKER} [data-ask]")

    # three clicks; the page's own handlers do not see them (the reply box is not even focused)
    page.click("[role='textbox']")
    page.wait_for_selector(f"{PICKER}[data-step='client']", state="attached")
    assert not page.evaluate("document.activeElement.matches('[role=textbox]')")
    page.click(f"text={CLIENT_TEXT}")
    page.wait_for_selector(f"{PICKER}[data-step='operator']", state="attached")
    page.click(f"text={OPERATOR_TEXT}")
    page.wait_for_selector(f"{PICKER}[data-step='done']", state="attached")
    assert page.locator(f"{PICKER} [data-problems]").count() == 0, page.inner_text(f"{PICKER} [data-problems]")

    # what it reads, live: roles and times of the last messages, and the draft as the supervisor types
    roles = page.eval_on_selector_all(f"{PICKER} tr[data-role]", "rows => rows.map(r => r.dataset.role)")
    assert roles == ["client", "operator", "client"]
    shown = page.eval_on_selector_all(f"{PICKER} td.time", "tds => tds.map(t => Number(t.dataset.time))")
    assert shown == page_times(page)
    page.click("[role='textbox']")
    page.keyboard.type("Спасибо, что подождали")
    page.wait_for_function(f"() => document.querySelector('{PICKER}').shadowRoot"
                           ".querySelector('[data-draft]').dataset.draft === 'Спасибо, что подождали'")

    # correct by clicking again: another client message for that step, the same reading
    page.click(f"{PICKER} [data-action='redo-client']")
    page.wait_for_selector(f"{PICKER}[data-step='client']", state="attached")
    page.click("text=Пишет «платёж отклонён»")
    page.wait_for_selector(f"{PICKER}[data-step='done']", state="attached")
    assert page.eval_on_selector_all(f"{PICKER} tr[data-role]", "rows => rows.map(r => r.dataset.role)") == roles

    # export: the same JSON it saves, free of the build's hashed class names
    page.click(f"{PICKER} [data-action='export']")
    exported = json.loads(page.input_value(f"{PICKER} textarea[data-json]"))
    hashed = page_classes(page)
    text = json.dumps(exported)
    assert not [c for c in hashed if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)], text
    assert exported["messages"]["roles"][:2] == [{"role": "client", "side": "left"}, {"role": "operator", "side": "right"}]

    # save: the coach reads the console with it at once
    page.click(f"{PICKER} [data-action='save']")
    page.wait_for_selector(f"{PICKER} [data-status='ok']")
    saved = browser.refresh_worker().evaluate("chrome.storage.local.get('customAdapters').then(s => s.customAdapters)")
    assert saved == [exported]
    chat_id, chat = custom_chat(browser, want=lambda c: c["draft"] == "Спасибо, что подождали")
    assert chat_id.endswith(":" + CONVERSATION) and not chat["text_only"]
    assert [m["role"] for m in chat["messages"]] == ["client", "operator", "client"]
    assert [m["text"] for m in chat["messages"]][:2] == [CLIENT_TEXT, OPERATOR_TEXT]
    assert [m["ts"] for m in chat["messages"]] == page_times(page)
    page.click(f"{PICKER} [data-action='close']")
    assert page.locator(PICKER).count() == 0

    # the coach's panel now works on this console like on any other
    page.click("[role='textbox']")
    page.keyboard.press("End")
    page.keyboard.type(". Пройдите на сайт")
    wait_rule(page, "missing_please")
    assert page.locator(PANEL).get_attribute("data-adapter") == exported["id"]

    # a re-render replaces every element; the client writes again: still read right
    page.evaluate("desk.rerender()")
    page.evaluate("desk.receive('А можно оплатить по СБП?')")
    _, chat = custom_chat(browser, want=lambda c: len(c["messages"]) == 4)
    assert [(m["role"], m["text"]) for m in chat["messages"]][-1] == ("client", "А можно оплатить по СБП?")

    # a new build of the console: every class name differs, the adapter still reads roles, times and the draft
    page.goto(consoles.url + PATH + "?build=2")
    assert not (page_classes(page) & hashed)
    page.click("[role='textbox']")
    page.keyboard.type("Уточню у коллег")
    _, chat = custom_chat(browser, want=lambda c: c["draft"] == "Уточню у коллег")
    assert [m["role"] for m in chat["messages"]] == ["client", "operator", "client"]
    assert [m["ts"] for m in chat["messages"]] == page_times(page)
    page.keyboard.press("Enter")  # the operator sends: read as the operator's
    _, chat = custom_chat(browser, want=lambda c: c["draft"] == "" and len(c["messages"]) == 4)
    assert chat["messages"][-1]["role"] == "operator" and chat["messages"][-1]["text"] == "Уточню у коллег"
    assert errors.items == []
    assert browser.worker_errors == [] and browser.diagnostics()["errors"] == 0
    page.close()


ACME = {"id": "acme-desk", "name": "Acme Desk",
        "match": {"url": ["^/desk/c/[^/?#&]+"], "dom": ["div[role='log']", "div[role='textbox']"]},
        "editor": "div[role='textbox']", "conversation": {"url": "/c/([^/?#&]+)"},
        "messages": {"root": "div[role='log']", "item": ":scope > div", "text": ":scope > div > div",
                     "time": {"selector": "time", "attr": "datetime"},
                     "roles": [{"role": "client", "side": "left"}, {"role": "operator", "side": "right"},
                               {"role": "system"}]}}


def test_the_service_hands_out_its_adapters_and_the_options_page_keeps_the_supervisors(
        playwright_instance, consoles, tmp_path):
    """A team's adapter reaches the extension from its service (`--adapters DIR`, or the team node's when the
    service follows one): the console is read with it, nobody clicked anything. On the options page the
    supervisor imports an adapter from a file, exports it, publishes it to the service, and removes it."""
    directory = tmp_path / "adapters"
    directory.mkdir()
    (directory / "acme-desk.json").write_text(json.dumps(ACME), encoding="utf-8")
    service = Service(rules_copy(tmp_path), "--adapters", str(directory), "--store", "none")
    b = Browser(playwright_instance, tmp_path / "profile", service.url)
    try:
        page = b.context.new_page()
        page.goto(consoles.url + PATH)
        page.click("[role='textbox']")
        page.keyboard.type("Минуту")
        deadline = time.time() + 10
        while time.time() < deadline and not any(k.startswith("acme-desk:") for k in b.chats()):
            time.sleep(0.05)
        [(chat_id, chat)] = [(k, v) for k, v in b.chats().items() if k.startswith("acme-desk:")]
        assert chat_id.endswith(":" + CONVERSATION)
        assert [m["role"] for m in chat["messages"]] == ["client", "operator", "client"]

        options = b.context.new_page()
        options.goto(f"chrome-extension://{b.extension_id}/options/options.html")
        options.wait_for_selector("#service-adapters-row:not([hidden])")
        assert options.inner_text("#service-adapters") == "Acme Desk"
        # import: the JSON the picker exports, from a file
        mine = {**ACME, "id": "my-desk", "name": "Мой деск"}
        (tmp_path / "my-desk.json").write_text(json.dumps(mine, ensure_ascii=False), encoding="utf-8")
        options.set_input_files("#import", str(tmp_path / "my-desk.json"))
        options.wait_for_selector("#custom-list li[data-adapter='my-desk']")
        assert "Импортировано адаптеров: 1" in options.inner_text("#import-result")
        # a file that is not an adapter is refused with what is wrong, nothing kept
        (tmp_path / "bad.json").write_text(json.dumps({"id": "Bad Id"}), encoding="utf-8")
        options.set_input_files("#import", str(tmp_path / "bad.json"))
        options.wait_for_selector("#import-result.bad")
        assert "bad.json" in options.inner_text("#import-result")
        assert options.locator("#custom-list li").count() == 1
        # export: the same JSON back
        with options.expect_download() as download:
            options.click("#custom-list li[data-adapter='my-desk'] [data-action='export']")
        assert json.loads(Path(download.value.path()).read_text(encoding="utf-8")) == mine
        # publish: needs the supervisor token; then the service serves it to everyone who follows it
        options.click("#custom-list li[data-adapter='my-desk'] [data-action='publish']")
        options.wait_for_selector("#custom-list li[data-adapter='my-desk'] .result.bad")
        assert "токен" in options.inner_text("#custom-list li[data-adapter='my-desk'] .result")
        options.fill("#token", service.token)
        options.click("#save")
        options.click("#custom-list li[data-adapter='my-desk'] [data-action='publish']")
        options.wait_for_selector("#custom-list li[data-adapter='my-desk'] .result.ok")
        assert json.loads((directory / "my-desk.json").read_text(encoding="utf-8")) == mine
        status, body = service.get("/v1/adapters")
        assert status == 200 and [a["id"] for a in body["adapters"]] == ["acme-desk", "my-desk"]
        options.click("#custom-list li[data-adapter='my-desk'] [data-action='delete']")
        options.wait_for_selector("#custom-list li", state="detached")
        assert b.refresh_worker().evaluate("chrome.storage.local.get('customAdapters').then(s => s.customAdapters)") == []
        assert b.worker_errors == []
    finally:
        b.close()
        service.stop()


# What the picker proposes from three clicks on the consoles the coach ships adapters for: what it reads (roles,
# the client's own words beside a quote, a time where the console shows one) — the same as their adapters do,
# but for what no click can tell (a bot, a private note, an ephemeral message read as the one who wrote it).
# The last number: how many of the messages read carry a time.
KNOWN = {
    "chatwoot": ("/app/accounts/1/conversations/11", ".ProseMirror", "Какие у вас есть кредитные",
                 "Меня зовут Анна, сейчас расскажу",
                 [("client", "Здравствуйте! Какие у вас есть кредитные карты?"), ("operator", None), ("operator", None),
                  ("client", None), ("client", "А какая у вас самая выгодная карта?")], 5),
    "rocketchat": ("/live/xYv8Kq3LmN2pR5tWz", "textarea[name='msg']", "Не приходит код", "сейчас проверю",
                   [("client", None), ("operator", None), ("client", None), ("operator", None),
                    ("client", "А долго ещё ждать?")], 5),
    "odoo": ("/odoo/discuss?active_id=discuss.channel_42", "textarea.o-mail-Composer-input", "Хочу поменять тариф",
             "сейчас подберу варианты", [("client", None), ("operator", None), ("client", None),
                                         ("client", "А сколько будет стоить самый простой?")], 3),
    "mibew": ("/operator/chat/7/31337", "#message-input", "Сколько стоит доставка", "сейчас уточню",
              [("client", None), ("operator", None), ("client", "И сколько дней она займёт?")], 3),
}


@pytest.mark.parametrize("name", list(KNOWN))
def test_three_clicks_read_the_shipped_consoles_too(browser, consoles, name):
    # the inference itself, in the page's own world (the extension's copy runs beside it, untouched)
    path, editor, client, operator, expected, timed = KNOWN[name]
    page = browser.context.new_page()
    errors = PageErrors(page)
    try:
        page.goto(consoles.url + path)
        page.wait_for_selector(editor)
        for script in ("adapter.js", "editor.js", "infer.js"):
            page.add_script_tag(path=str(EXTENSION / "content" / script))
        got = page.evaluate("""([editor, client, operator]) => {
            const NS = globalThis.__operatorCoach;
            const byText = (t) => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              for (let n; (n = w.nextNode());) if (n.data.includes(t)) return n.parentElement; };
            const p = NS.Infer.propose({ editor: document.querySelector(editor), client: byText(client),
                                         operator: byText(operator) });
            const read = p.adapter ? NS.Adapter.readMessages(p.adapter) : [];
            return { problems: p.problems, read: read.map((m) => [m.role, m.text, m.exact ?? m.latest]),
                     editor: NS.Adapter.findEditor(p.adapter) === document.querySelector(editor) };
        }""", [editor, client, operator])
        assert got["problems"] == [] and got["editor"], got
        assert [r for r, _, _ in got["read"]] == [r for r, _ in expected], got["read"]
        for (_, text, _), (_, want) in zip(got["read"], expected):
            if want:
                assert text == want
        assert sum(1 for _, _, ts in got["read"] if ts) == timed  # Odoo's transient answer shows no date
        assert errors.items == []
    finally:
        page.close()
