"""Masking personal data in message text before it is stored: card numbers, phone numbers, e-mail addresses.

Text is stored only when the supervisor turns it on, and even then a client's card, phone or address never
reaches the disk:

- a **card number** (13–19 digits in any grouping — «4111 1111 1111 1111», «4111-1111-1111-1111», glued — that
  passes the Luhn check) keeps only its last four digits;
- a **phone number** (7–15 digits with any mix of separators: spaces, «-», «.», «/», brackets) keeps its last
  two digits, so a trainer can still see that a number was given; dates and amounts grouped by thousands
  are not phones;
- an **e-mail-like token** — anything@anything, «user@localhost» included — keeps only the top-level domain
  when it has one;
- **invisible characters** (zero-width spaces and joiners, soft hyphens, direction marks) are dropped first:
  they are how a number is hidden from a pattern («8 912\u200b345 67 89»), and they mean nothing in a message.

Masked digits become «•». The masked text still reads as a message, so recorded conversations can be
back-tested. Every step is linear in the text (a message of 20,000 digits or letters costs milliseconds).
"""
from __future__ import annotations

import re

MASK = "•"
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15
MIN_CARD_DIGITS = 13
MAX_CARD_DIGITS = 19
# A chain of more digits than this is no card written among words (a serial, a hash, a paste of numbers):
# it is not searched for a card inside, which keeps the search linear.
_MAX_CARD_CHAIN = 40

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# digits joined by at most one separator between each two: where a card number can be
_DIGIT_CHAIN = re.compile(r"\d(?:[ \u00a0.\-]?\d)*+")
# a run of digits with the usual separators, judged by its digit count below (bounded: linear)
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s().\-–—/_]{5,22}\d(?!\w)")
# runs of digits that are not phone numbers: dates, times, amounts grouped by thousands
_DATE = re.compile(r"\d{1,4}[./]\d{1,2}[./]\d{1,4}")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0]\d{3})+")
# a whitespace-delimited token with an «@» in it (only where a token starts: no rescans of a long run)
_AT_TOKEN = re.compile(r"(?<!\S)[^\s@]*+@\S*+")
_LOCAL_CHARS = frozenset(".+%'!#$&*=?^{|}~-_")
_DOMAIN_CHARS = frozenset(".-_[]:")
_TLD = re.compile(r"[A-Za-zА-Яа-яЁё]{2,24}")
_ANY_DIGIT = re.compile(r"\d")


def luhn(digits: str) -> bool:
    """The Luhn checksum every payment card number passes."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _keep_last(text: str, keep: int) -> str:
    """`text` with all its digits but the last `keep` masked."""
    digits = sum(c.isdigit() for c in text)
    out = []
    seen = 0
    for c in text:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - keep else MASK)
        else:
            out.append(c)
    return "".join(out)


def _cards_in(chain: str) -> list[tuple[int, int]]:
    """The spans of card numbers in a chain of digits and single separators. A chain may hold a card beside
    other numbers («+7 918 991 67 08 4111 1111 1111 1111», «… 2025»): then every run of whole groups of
    13–19 digits that passes the Luhn check is a card (overlapping runs are masked together)."""
    digits = re.sub(r"\D", "", chain)
    if not MIN_CARD_DIGITS <= len(digits) <= _MAX_CARD_CHAIN:
        return []
    if len(digits) <= MAX_CARD_DIGITS and luhn(digits):
        return [(0, len(chain))]
    groups = [m.span() for m in re.finditer(r"\d+", chain)]
    spans: list[tuple[int, int]] = []
    for i in range(len(groups)):
        count = 0
        for j in range(i, len(groups)):
            count += groups[j][1] - groups[j][0]
            if count > MAX_CARD_DIGITS:
                break
            if count >= MIN_CARD_DIGITS and luhn(re.sub(r"\D", "", chain[groups[i][0]:groups[j][1]])):
                start, end = groups[i][0], groups[j][1]
                if spans and start <= spans[-1][1]:
                    before = spans.pop()
                    start, end = before[0], max(before[1], end)
                spans.append((start, end))
    return spans


def _mask_cards(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _DIGIT_CHAIN.finditer(text):
        for a, b in _cards_in(m.group()):
            start, end = m.start() + a, m.start() + b
            out.append(text[pos:start])
            out.append(_keep_last(text[start:end], 4))
            pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        return text
    if _DATE.fullmatch(text) or (_THOUSANDS.fullmatch(text) and not text.startswith(("8 ", "7 "))):
        return text
    return _keep_last(text, 2)


def _is_local(c: str) -> bool:
    return c.isalnum() or c in _LOCAL_CHARS


def _is_domain(c: str) -> bool:
    return c.isalnum() or c in _DOMAIN_CHARS


def _mask_address(match: re.Match[str]) -> str:
    """Every local@domain inside one token masked: «•••@•••.ru», «•••@•••» (user@localhost)."""
    token = match.group(0)
    n = len(token)
    masked = bytearray(n)  # 1: masked, 2: kept as the top-level domain
    at = token.find("@")
    while at != -1:
        left = at
        while left > 0 and _is_local(token[left - 1]) and token[left - 1] != "@":
            left -= 1
        right = at + 1
        while right < n and _is_domain(token[right]):
            right += 1
        while right > at + 1 and token[right - 1] in ".-:":
            right -= 1  # a full stop or colon after an address ends the sentence, not the domain
        if left < at and right > at + 1:
            masked[left:at] = b"\x01" * (at - left)
            masked[at + 1:right] = b"\x01" * (right - at - 1)
            dot = token.rfind(".", at + 1, right)
            if dot != -1 and _TLD.fullmatch(token, dot + 1, right):
                masked[dot:right] = b"\x02" * (right - dot)
        at = token.find("@", at + 1)
    if not any(masked):
        return token
    out = []
    i = 0
    while i < n:
        if masked[i] == 1:
            while i < n and masked[i] == 1:
                i += 1
            out.append(MASK * 3)
        else:
            out.append(token[i])
            i += 1
    return "".join(out)


def mask_personal(text: str) -> str:
    """`text` with card numbers, phone numbers and e-mail-like tokens masked (and invisible characters gone)."""
    if not text:
        return text
    text = _INVISIBLE.sub("", text)
    if "@" in text:
        text = _AT_TOKEN.sub(_mask_address, text)
    if _ANY_DIGIT.search(text):
        text = _mask_cards(text)
        text = _PHONE.sub(_mask_phone, text)
    return text
