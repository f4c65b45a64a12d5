"""Each shipped adapter on a page with its console's real structure: typing gives the service's warnings in
the panel, Apply edits the console's own editor state, Dismiss hides the warning and the service records it,
and the conversation is read with the right roles."""
from __future__ import annotations

import time

import pytest

from .conftest import CONSOLES, PANEL, chat_hash, open_console, rules_in_panel, wait_no_rule, wait_rule

DRAFT = "Спс, пройдите на сайт и посмотрите условия"


def chat_of(browser, adapter: str) -> tuple[str, dict]:
    chats = {k: v for k, v in browser.chats().items() if k.startswith(adapter + ":")}
    assert len(chats) == 1, chats
    return next(iter(chats.items()))


def wait_feedback(service, action: str, rule: str, chat_id: str, timeout: float = 5.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for e in service.feedback():
            if e["action"] == action and e["rule"] == rule and e["chat"] == chat_hash(chat_id):
                return e
        time.sleep(0.05)
    raise AssertionError(f"the service did not record {action} {rule}: {service.feedback()}")


@pytest.mark.parametrize("name", list(CONSOLES))
def test_typing_apply_dismiss(browser, service, consoles, name):
    page, errors, spec = open_console(browser, service, consoles, name)
    page.keyboard.type(DRAFT)

    wait_rule(page, "missing_please")
    wait_rule(page, "slang")
    host = page.locator(PANEL)
    assert host.get_attribute("data-adapter") == name
    assert host.get_attribute("data-coach-state") == "online"
    assert page.evaluate(f"document.querySelector('{PANEL}').shadowRoot.mode") == "open"
    chat_id, chat = chat_of(browser, name)
    assert chat["draft"] == DRAFT
    if spec["chat"] is None:  # no conversation to read: text rules only
        assert chat["messages"] == [] and chat["text_only"]
        assert "no_introduction" not in rules_in_panel(page)

    # Dismiss: gone from the panel, recorded by the service, and not sent again for this text
    page.click(f'{PANEL} li[data-rule="slang"] [data-action="dismiss"]')
    wait_no_rule(page, "slang")
    wait_feedback(service, "dismissed", "slang", chat_id)
    page.keyboard.type(".")
    wait_rule(page, "missing_please")
    time.sleep(0.3)
    assert "slang" not in rules_in_panel(page)

    # Apply: the console's own editor state has «пожалуйста», and the warning goes away
    page.click(f'{PANEL} li[data-rule="missing_please"] [data-action="apply"]')
    page.wait_for_function(f"() => ({spec['state']}).includes('пожалуйста')", timeout=3000)
    state = page.evaluate(spec["state"])
    assert state == "Спс, пройдите, пожалуйста, на сайт и посмотрите условия.", state
    wait_no_rule(page, "missing_please")
    wait_feedback(service, "applied", "missing_please", chat_id)
    # the editor stays usable: typing continues where Apply left the caret
    page.keyboard.type(" Ок")
    page.wait_for_function(f"() => ({spec['state']}).includes('Ок')", timeout=3000)
    assert errors.items == []
    assert browser.worker_errors == [] and browser.diagnostics()["errors"] == 0
    page.close()


@pytest.mark.parametrize("name", [n for n in CONSOLES if CONSOLES[n]["chat"]])
def test_conversation_is_read(browser, service, consoles, name):
    page, errors, spec = open_console(browser, service, consoles, name)
    page.keyboard.type("Добрый день")
    wait_for = time.time() + 5
    while time.time() < wait_for:
        chats = {k: v for k, v in browser.chats().items() if k.startswith(name + ":")}
        if chats and next(iter(chats.values()))["draft"] == "Добрый день":
            break
        time.sleep(0.05)
    chat_id, chat = chat_of(browser, name)
    assert chat_id.endswith(":" + spec["chat"])
    assert [m["role"] for m in chat["messages"]] == spec["roles"]
    now = time.time()
    assert all(m["ts"] <= now + 1 for m in chat["messages"])
    assert all(m["text"] and "\n" not in m["text"][-1:] for m in chat["messages"])

    # the operator sends through the console: the new message is read as the operator's
    if name == "chatwoot":
        page.keyboard.press("Enter")
    elif name == "mibew":
        page.keyboard.press("Control+Enter")
    else:
        page.keyboard.press("Enter")
    deadline = time.time() + 5
    while time.time() < deadline:
        _, chat = chat_of(browser, name)
        if chat["messages"] and chat["messages"][-1]["role"] == "operator" and chat["draft"] == "":
            break
        time.sleep(0.05)
    assert chat["messages"][-1] == {**chat["messages"][-1], "role": "operator", "text": "Добрый день"}
    assert chat["draft"] == ""
    assert errors.items == []
    page.close()


def test_chatwoot_reads_what_the_client_wrote(browser, service, consoles):
    """Chatwoot's current markup (components-next/message): private notes and activities are not the
    conversation, a reply's quoted preview is not the client's text, and «3:21 PM» is a time of day."""
    page, errors, _spec = open_console(browser, service, consoles, "chatwoot")
    page.keyboard.type("Да")
    deadline = time.time() + 5
    while time.time() < deadline and not any(k.startswith("chatwoot:") for k in browser.chats()):
        time.sleep(0.05)
    _, chat = chat_of(browser, "chatwoot")
    texts = [m["text"] for m in chat["messages"]]
    assert "Клиент VIP, предложить премиальную карту" not in texts  # a private note
    assert "Conversation was assigned to Анна" not in texts  # an activity
    # the client's reply quotes the operator's message first, also as .prose-bubble: the client's own words win
    last = chat["messages"][-1]
    assert last["role"] == "client" and last["text"] == "А какая у вас самая выгодная карта?", last
    assert texts.count("Здравствуйте! Меня зовут Анна, сейчас расскажу.") == 1  # the quote is not a message
    assert [m["id"] for m in chat["messages"]] == ["102", "103", "105", "106"]
    # MessageMeta shows «h:mm a»: the time is the end of that minute at the latest
    client = [m for m in chat["messages"] if m["role"] == "client"]
    assert page.inner_text("#message102 time").endswith(("AM", "PM"))
    assert 4 * 60 <= time.time() - client[0]["ts"] <= 6 * 60
    assert errors.items == []
    page.close()


def test_switching_conversations_switches_state(browser, service, consoles):
    page, errors, _ = open_console(browser, service, consoles, "chatwoot")
    page.keyboard.type("Пройдите на сайт")
    wait_rule(page, "missing_please")
    page.click("a.conversation[href$='/conversations/12']")
    page.wait_for_function("() => location.pathname.endsWith('/12')")
    deadline = time.time() + 5
    while time.time() < deadline:
        ids = [k for k in browser.chats() if k.startswith("chatwoot:")]
        if ids and ids[0].endswith(":12"):
            break
        time.sleep(0.05)
    assert len(ids) == 1 and ids[0].endswith(":12"), ids  # the old conversation was let go
    wait_no_rule(page, "missing_please")
    page.click(".ProseMirror")
    page.keyboard.type("Здравствуйте, доставим")
    wait_rule(page, "language_mismatch")  # a Russian draft to the English client of conversation 12
    _, chat = chat_of(browser, "chatwoot")
    assert [m["text"] for m in chat["messages"]] == ["Hi, do you ship to Germany?"]
    assert errors.items == []
    page.close()


def test_several_console_tabs_share_one_socket(browser, service, consoles):
    connects = browser.diagnostics()["connects"]
    a = browser.context.new_page()
    b = browser.context.new_page()
    a.goto(service.url + "/demo#chat=c-1001")
    b.goto(service.url + "/demo#chat=c-1002")
    a.click("#dc-reply")
    a.keyboard.type("Щас посмотрю")  # "Спс" was dismissed in this chat by an earlier test
    b.click("#dc-reply")
    b.keyboard.type("Пройдите в отделение")
    wait_rule(a, "slang")
    wait_rule(b, "missing_please")
    assert "missing_please" not in rules_in_panel(a)
    assert "slang" not in rules_in_panel(b)
    chats = browser.chats()
    assert {k.rsplit(":", 1)[1] for k in chats if k.startswith("demo:")} >= {"c-1001", "c-1002"}
    assert browser.diagnostics()["connects"] == connects  # one WebSocket for every tab
    a.close()
    b.close()


@pytest.mark.parametrize("name,receive", [("chatwoot", "chatwoot.receive"), ("mibew", "mibew.receive"),
                                          ("rocketchat", "rocketchat.receive"), ("zammad", "zammad.receive.bind(null, 41)"),
                                          ("odoo", "odoo.receive")])
def test_a_new_client_message_is_timed_when_it_appears(browser, service, consoles, name, receive):
    # these consoles show minutes only: the coach times a new message by when it first appeared
    page, errors, _ = open_console(browser, service, consoles, name)
    page.keyboard.type("Минуту")
    deadline = time.time() + 5
    while time.time() < deadline and not any(k.startswith(name + ":") for k in browser.chats()):
        time.sleep(0.05)
    before = len(chat_of(browser, name)[1]["messages"])
    arrived = time.time()
    page.evaluate(f"{receive}('Вы тут? Мне срочно нужен ответ')")
    deadline = time.time() + 5
    while time.time() < deadline and len(chat_of(browser, name)[1]["messages"]) == before:
        time.sleep(0.02)
    last = chat_of(browser, name)[1]["messages"][-1]
    assert last["role"] == "client" and last["text"] == "Вы тут? Мне срочно нужен ответ"
    assert arrived - 0.5 <= last["ts"] <= arrived + 1.0
    assert errors.items == []
    page.close()


def read_chat(browser, page, name: str, draft: str) -> tuple[str, dict]:
    """Type `draft` in the open console and return its chat as the worker holds it once the draft arrived."""
    page.keyboard.type(draft)
    deadline = time.time() + 5
    while time.time() < deadline:
        chats = {k: v for k, v in browser.chats().items() if k.startswith(name + ":")}
        if chats and next(iter(chats.values()))["draft"] == draft:
            break
        time.sleep(0.05)
    return chat_of(browser, name)


def test_rocketchat_reads_what_the_visitor_wrote(browser, service, consoles):
    """Rocket.Chat's RoomMessage markup: an ephemeral message only the agent sees is not the conversation, the
    bot's tag makes a bot, a quote attachment is not the visitor's text, «14:31» is a time of day."""
    page, errors, _ = open_console(browser, service, consoles, "rocketchat")
    _, chat = read_chat(browser, page, "rocketchat", "Да")
    msgs = chat["messages"]
    texts = [m["text"] for m in msgs]
    assert "Команда /transfer: нет свободных операторов в отделе" not in texts  # only this agent sees it
    assert [m["role"] for m in msgs] == ["system", "client", "operator", "bot", "client"]
    assert msgs[3]["text"] == "Среднее время ответа сейчас — 3 минуты"
    # the visitor quoted the agent's message: the quote comes first in the bubble, the visitor's words win
    assert msgs[-1] == {**msgs[-1], "role": "client", "text": "А долго ещё ждать?"}
    assert texts.count("Здравствуйте, Мария! Меня зовут Анна, сейчас проверю.") == 1
    assert [m.get("id") for m in msgs] == [None, "Kq9aT2", "Lm3bU7", "Nb5cV8", "Qd2eX4"]  # SystemMessage has no id
    # MessageTimestamp shows «HH:MM»: the visitor's first message is timed at the end of its minute at the latest
    assert 5 * 60 - 1 <= time.time() - msgs[1]["ts"] <= 6 * 60 + 1
    assert errors.items == []
    page.close()


def test_zammad_reads_the_chat_window_the_operator_is_in(browser, service, consoles):
    """Zammad shows up to four chats side by side: the conversation is the one around the reply box in use, and
    switching windows switches the chat. Zammad prints no time per message: they are timed when first seen."""
    page, errors, _ = open_console(browser, service, consoles, "zammad")
    chat_id, chat = read_chat(browser, page, "zammad", "Минуту")
    assert chat_id.endswith(":41")
    assert [(m["role"], m["text"]) for m in chat["messages"]] == [
        ("system", "https://shop.example/delivery"),
        ("client", "Здравствуйте! Сколько идёт доставка в Казань?"),
        ("operator", "Здравствуйте! Меня зовут Анна, сейчас уточню."),
        ("client", "Хорошо, жду")]
    # first seen by this browser (a minute ago at most), not the «сегодня 14:03» lines of five minutes ago
    assert all(0 <= time.time() - m["ts"] < 100 for m in chat["messages"])
    # the operator goes to the second window: the coach reads that chat and lets the first one go
    page.click(".chat-window:nth-child(2) .js-customerChatInput")
    deadline = time.time() + 5
    while time.time() < deadline:
        ids = [k for k in browser.chats() if k.startswith("zammad:")]
        if ids and ids[0].endswith(":42"):
            break
        time.sleep(0.05)
    assert len(ids) == 1 and ids[0].endswith(":42"), ids
    page.keyboard.type("Здравствуйте")
    page.wait_for_function("() => zammad.text(42) === 'Здравствуйте'")
    deadline = time.time() + 5
    while time.time() < deadline and chat_of(browser, "zammad")[1]["draft"] != "Здравствуйте":
        time.sleep(0.05)
    assert [m["text"] for m in chat_of(browser, "zammad")[1]["messages"]][-1] == "Как вернуть товар?"
    assert errors.items == []
    page.close()


def test_odoo_reads_what_the_visitor_wrote(browser, service, consoles):
    """Odoo's mail.Message markup: a command's answer only the operator sees is not the conversation, joins are
    system events, the message replied to (mail.MessageInReply) is not the visitor's text, and the date's
    title («03.03.2025, 14:32:45») times each message to the second."""
    page, errors, _ = open_console(browser, service, consoles, "odoo")
    _, chat = read_chat(browser, page, "odoo", "Да")
    msgs = chat["messages"]
    assert [(m["role"], m["text"]) for m in msgs] == [
        ("system", "присоединилась к каналу"),
        ("client", "Добрый день! Хочу поменять тариф на более дешёвый"),
        ("operator", "Здравствуйте, Мария! Меня зовут Анна, сейчас подберу варианты."),
        ("client", "А сколько будет стоить самый простой?")]
    assert abs(time.time() - 7 * 60 - msgs[1]["ts"]) <= 3
    assert errors.items == []
    page.close()
