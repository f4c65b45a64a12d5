"""Logging that keeps the chats out of the log.

The service sees what clients and operators write. Its own log lines never carry message text (they name
rules, files, counts); what could still leak is text inside an exception's message (a library quoting
its input) or a number in a line someone adds later. So, unless debug logging is asked for
(`coach serve --debug` or `$COACH_DEBUG=1`):

- an exception is logged as its type and stack (file, line, function), never its message or arguments;
- anything that looks like a phone number or an e-mail address in a log message is masked.

With debug logging the log is verbatim and also shows what each request carried (drafts included):
for a developer's own machine, never for production.
"""
from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from types import TracebackType
from typing import TextIO

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

# Linear whatever the line holds (possessive runs, each tried once from where it starts): 9+ digits with
# separators, and any token with something after an «@» (user@localhost too) — but not a URL
# (`postgresql://coach@db.example/coach`: which store is down must be readable; its secrets are redacted
# before it is logged).
PHONE = re.compile(r"(?<![\w.:])\+?\d(?:[\s\-().]{0,2}+\d){8,}+")
EMAIL = re.compile(r"(?<!\S)(?![A-Za-z][A-Za-z0-9+.-]{0,30}+://)[^\s@]*+@[^\s@]\S*+")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def scrub(text: str) -> str:
    text = EMAIL.sub("[e-mail hidden]", text)
    return PHONE.sub("[number hidden]", text)


class RedactingFormatter(logging.Formatter):
    """A Formatter that drops exception messages and masks phones/e-mails unless `debug`."""

    def __init__(self, fmt: str = FORMAT, *, debug: bool = False):
        super().__init__(fmt)
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        if self.debug:
            return super().format(record)
        safe = logging.makeLogRecord(record.__dict__)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not stop the service
            message = str(record.msg)
        safe.msg, safe.args = scrub(message), None
        safe.exc_text = self.formatException(record.exc_info) if record.exc_info else None
        safe.exc_info = None
        safe.stack_info = None
        return super().format(safe)

    def formatException(self, ei: ExcInfo) -> str:
        if self.debug:
            return super().formatException(ei)
        _, exc, _ = ei
        if exc is None:
            return ""
        lines: list[str] = []
        seen: set[int] = set()
        chain: list[BaseException] = []
        while exc is not None and id(exc) not in seen:  # the cause first, as Python prints it
            seen.add(id(exc))
            chain.append(exc)
            exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        for i, e in enumerate(reversed(chain)):
            if i:
                lines.append("During handling of the above exception, another exception occurred:")
            lines.append("Traceback (most recent call last):")
            for frame in traceback.extract_tb(e.__traceback__):
                lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            kind = type(e)
            lines.append(f"{kind.__module__}.{kind.__qualname__}: (message hidden; run with --debug to see it)")
        return "\n".join(lines)


def debug_requested(flag: bool = False) -> bool:
    return flag or os.environ.get("COACH_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def configure_logging(debug: bool = False, stream: TextIO | None = None) -> logging.Handler:
    """Route every log record (the service's and aiohttp's) through one redacting handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(debug=debug))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    if debug:  # aiohttp's and asyncio's own debug chatter is noise even then
        logging.getLogger("asyncio").setLevel(logging.INFO)
    return handler
