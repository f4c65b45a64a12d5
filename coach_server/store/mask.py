"""Masking personal data in message text before it is stored: phone numbers and e-mail addresses.

Text is stored only when the supervisor turns it on, and even then a client's phone number or e-mail never
reaches the disk: digits of a phone number become «•» except the last two (so a trainer can still see that
a number was given), an address keeps only its top-level domain. The masked text still reads as a message,
so recorded conversations can be back-tested.
"""
from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.([A-Za-zА-Яа-яЁё]{2,24})\b")
# a run of digits with the usual separators; judged by its digit count below
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s().\-–]{5,22}\d(?!\w)")
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15
MASK = "•"


# runs of digits that are not phone numbers: dates, times, amounts grouped by thousands
_DATE = re.compile(r"\d{1,4}[./]\d{1,2}[./]\d{1,4}")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0]\d{3})+")


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        return text
    if _DATE.fullmatch(text) or (_THOUSANDS.fullmatch(text) and not text.startswith(("8 ", "7 "))):
        return text
    keep = 2
    out = []
    seen = 0
    for c in text:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - keep else MASK)
        else:
            out.append(c)
    return "".join(out)


def mask_personal(text: str) -> str:
    """`text` with e-mail addresses and phone numbers masked."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL.sub(lambda m: f"{MASK * 3}@{MASK * 3}.{m.group(1)}", text)
    return _PHONE.sub(_mask_phone, text)
