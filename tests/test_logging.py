"""The service's log never holds what clients and operators wrote (nor phone numbers) unless debug logging
is asked for: checked on the formatter itself and on the log of a real `coach serve` under traffic."""
from __future__ import annotations

import asyncio
import io
import logging
import socket
import time

import aiohttp

from coach_server.service.logsafe import RedactingFormatter, configure_logging, scrub

from .conftest import Server

SECRET = "Сгущёнка-Кракозябра"  # a word no log line would carry by itself
PHONE = "+7 (912) 345-67-89"
EMAIL = "ivan.petrov@example.org"


def _record_with_exception(message: str, *args) -> logging.LogRecord:
    try:
        try:
            raise KeyError(f"{SECRET} {PHONE}")
        except KeyError as inner:
            raise ValueError(f"could not parse {SECRET!r}") from inner
    except ValueError:
        import sys

        return logging.LogRecord("coach.live", logging.ERROR, __file__, 1, message, args, sys.exc_info())


def test_exception_messages_are_hidden_but_the_stack_stays():
    text = RedactingFormatter().format(_record_with_exception("live frame failed"))
    assert SECRET not in text and "(912)" not in text and "345-67" not in text
    assert "live frame failed" in text
    assert "builtins.KeyError: (message hidden" in text and "builtins.ValueError: (message hidden" in text
    assert "_record_with_exception" in text and "test_logging.py" in text  # where it happened is kept


def test_debug_logging_is_verbatim():
    text = RedactingFormatter(debug=True).format(_record_with_exception("live frame failed"))
    assert SECRET in text and PHONE in text


def test_phones_and_emails_in_messages_are_masked():
    record = logging.LogRecord("coach", logging.INFO, __file__, 1, "call %s or write to %s", (PHONE, EMAIL), None)
    text = RedactingFormatter().format(record)
    assert "(912)" not in text and "345-67" not in text and EMAIL not in text
    assert "[number hidden]" in text and "[e-mail hidden]" in text
    for phone in ("89123456789", "8 912 345 67 89", "+79123456789", "+48 601 234 567"):
        assert scrub(phone) == "[number hidden]", phone
    for fine in ("21 rules active", "port 8765", "updated: 2022-01-08T22:09:09.773384", "took 0.41 ms",
                 # which store is down must be readable (issue 19): a URL's user is not an e-mail address
                 "feedback store postgresql://coach@db.example:5432/coach unavailable"):
        assert scrub(fine) == fine


def test_configure_logging_routes_library_loggers_through_the_redactor():
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(stream=stream)
        logging.getLogger("aiohttp.server").error("Error handling request %s", f"{SECRET} {PHONE}")
        logging.getLogger("coach.engine").debug("draft %s", SECRET)  # debug lines are off
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    out = stream.getvalue()
    assert "Error handling request" in out and "(912)" not in out and "345-67" not in out
    assert "draft" not in out


def _traffic(server: Server) -> None:
    """Drafts, chats, feedback, bad input and junk bytes — each carrying the secret word and the phone."""
    now = time.time()
    messages = [{"role": "client", "text": f"Мой телефон {PHONE}, {SECRET}", "ts": now - 30},
                {"role": "operator", "text": f"Здравствуйте! {SECRET}", "ts": now - 20}]
    server.post("/v1/check", {"draft": f"Пройдите на сайт {SECRET} {PHONE}", "messages": messages})
    server.post("/v1/check", {"draft": SECRET, "messages": [{"role": PHONE, "text": SECRET}]})  # 400
    server.post("/v1/check", f'{{"draft": "{SECRET}", {PHONE}'.encode())  # bad JSON
    server.post("/v1/check", {"draft": SECRET}, headers={"Origin": f"https://{PHONE.replace(' ', '')}.example"})

    async def live():
        async with aiohttp.ClientSession() as s:
            ws = await s.ws_connect(server.url.replace("http", "ws") + "/v1/live")
            await ws.receive(timeout=5)
            await ws.send_json({"type": "update", "chat_id": PHONE, "draft": f"{SECRET} {PHONE}",
                                "messages": messages})
            await ws.receive(timeout=5)
            await ws.send_json({"type": "feedback", "chat_id": PHONE, "action": "dismissed", "rule": "slang",
                                "text": SECRET})
            await ws.receive(timeout=5)
            await ws.send_str(f"{{{SECRET} {PHONE}")  # bad JSON
            await ws.receive(timeout=5)
            await ws.send_json({"type": "update", "chat_id": "x", "messages": [{"role": SECRET, "text": PHONE}]})
            await ws.receive(timeout=5)
            await ws.close()
    asyncio.run(live())
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:  # junk HTTP
        sock.sendall(f"GET /{SECRET} {PHONE}\r\nHost: \x00{SECRET}\r\n\r\n".encode())
        sock.recv(4096)
    # a broken rule edit: logged as file, field, problem
    (server.rules_dir / "slang.toml").write_text("kind = [broken", encoding="utf-8")
    deadline = time.time() + 10
    while not server.get("/healthz")[1]["rule_errors"] and time.time() < deadline:
        time.sleep(0.1)


def test_service_log_carries_no_chat_text(rules_copy):
    server = Server(rules_copy)
    try:
        _traffic(server)
    finally:
        server.stop()
    log = server.log.read_text(encoding="utf-8")
    assert "rule file error" in log  # the log is not simply empty
    for leak in (SECRET, "(912)", "345-67", "9123456789", "Пройдите на сайт", "Мой телефон"):
        assert leak not in log, leak


def test_debug_logging_shows_drafts(rules_copy):
    server = Server(rules_copy, "--debug")
    try:
        server.post("/v1/check", {"draft": f"Пройдите на сайт {SECRET}"})
    finally:
        server.stop()
    log = server.log.read_text(encoding="utf-8")
    assert "Debug logging is on" in log
    assert SECRET in log
