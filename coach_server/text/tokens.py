"""Tokens with character offsets, and sentences built from them.

Every warning that points at a piece of the draft needs exact offsets, so the tokenizer keeps them and
recognises the things chat text is full of (links, e-mails, phone numbers, prices, times) as single tokens
that the word rules must not look inside.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

WORD = "word"
NUMBER = "number"
URL = "url"
EMAIL = "email"
PHONE = "phone"
PUNCT = "punct"
SYMBOL = "symbol"
NEWLINE = "newline"

_TLDS = "ru|рф|su|com|net|org|info|io|by|kz|ua|uz|me|biz|online|site|shop|store|pro|app|dev|co|uk|de|eu"
_TOKEN_RE = re.compile(
    rf"""
    (?P<url>(?:https?://|www\.)[^\s<>«»"]+
        |\b[a-z0-9а-я][\w-]*(?:\.[\w-]+)*\.(?:{_TLDS})\b(?:/[^\s<>«»"]*)?)
  | (?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
  | (?P<phone>(?<![\w+])\+?\d(?:[\s\-]?\(?\d{{2,4}}\)?){{1,2}}[\s\-]?\d{{2,3}}[\s\-]?\d{{2}}[\s\-]?\d{{2}}(?!\d))
  | (?P<number>\d+(?:[.,:/]\d+)*(?:[-–]\d+(?:[.,:]\d+)*)?)
  | (?P<word>[^\W\d_](?:[^\W_]|[-'’](?=[^\W\d_]))*)
  | (?P<newline>\n+)
  | (?P<punct>[.!?…]+|[,;:()\[\]{{}}«»"“”„'‘’—–\-/])
  | (?P<symbol>[^\s\w])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)»\"'"

# Words after which a full stop is not a sentence end (Russian and English abbreviations).
_ABBREVIATIONS = frozenset(
    "т е к д г гг ул пр просп пер стр корп кв руб коп тыс млн млрд тел см им др пр проч напр т.е т.к "
    "e g i etc mr mrs ms dr st vs no approx".split()
)
_TERMINAL = frozenset(".!?…")
CYRILLIC = "cyr"
LATIN = "lat"


@dataclass(slots=True)
class Token:
    text: str
    start: int
    end: int
    kind: str
    lower: str
    script: str = ""  # "cyr", "lat" or "mixed" for words

    @property
    def is_word(self) -> bool:
        return self.kind == WORD


@dataclass(slots=True)
class Sentence:
    start: int  # character offsets into the text
    end: int
    first: int  # token indexes [first, last)
    last: int
    terminator: str  # the closing punctuation ("", ".", "?", "!?", …)

    @property
    def is_question_mark(self) -> bool:
        return "?" in self.terminator


def _script(word: str) -> str:
    cyr = lat = False
    for ch in word:
        if "а" <= ch <= "я" or "А" <= ch <= "Я" or ch in "ёЁ":
            cyr = True
        elif ch.isascii() and ch.isalpha():
            lat = True
    if cyr and lat:
        return "mixed"
    return CYRILLIC if cyr else (LATIN if lat else "")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or SYMBOL
        start, end = m.span()
        value = m.group()
        if kind == URL:
            stripped = value.rstrip(_URL_TRAILING)
            # keep a closing bracket that belongs to the URL itself: (see wiki/Foo_(bar))
            if value.endswith(")") and stripped.count("(") > stripped.count(")"):
                stripped += ")"
            end = start + len(stripped)
            value = stripped
            tokens.append(Token(value, start, end, URL, value.lower()))
            # the stripped punctuation still matters for sentences
            for i, ch in enumerate(m.group()[len(stripped):]):
                kind_ch = PUNCT if ch in _URL_TRAILING else SYMBOL
                tokens.append(Token(ch, end + i, end + i + 1, kind_ch, ch))
            continue
        if kind == WORD:
            tokens.append(Token(value, start, end, WORD, value.lower().replace("’", "'"), _script(value)))
        else:
            tokens.append(Token(value, start, end, kind, value.lower()))
    return tokens


def _ends_sentence(tokens: list[Token], i: int) -> bool:
    """Is the terminal punctuation at tokens[i] the end of a sentence?"""
    tok = tokens[i]
    if "?" in tok.text or "!" in tok.text or "…" in tok.text or len(tok.text) > 1:
        return True
    # a single full stop: not after an abbreviation or an initial ("А. Петров", "т.е.")
    prev = tokens[i - 1] if i > 0 else None
    if prev is not None and prev.kind == WORD and prev.end == tok.start:
        if prev.lower in _ABBREVIATIONS or (len(prev.text) == 1 and prev.text.isupper()):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            return nxt is None or nxt.kind == NEWLINE
    return True


def split_sentences(text: str, tokens: list[Token]) -> list[Sentence]:
    sentences: list[Sentence] = []
    first = 0
    n = len(tokens)
    i = 0

    def close(last: int, terminator: str) -> None:
        nonlocal first
        # skip leading newlines/punctuation-only pieces
        while first < last and tokens[first].kind in (NEWLINE,):
            first += 1
        if first < last and any(t.kind not in (PUNCT, NEWLINE) for t in tokens[first:last]):
            body_end = last
            while body_end > first and tokens[body_end - 1].kind == NEWLINE:
                body_end -= 1
            sentences.append(
                Sentence(tokens[first].start, tokens[body_end - 1].end, first, body_end, terminator)
            )
        first = last

    while i < n:
        tok = tokens[i]
        if tok.kind == NEWLINE:
            close(i, "")
            i += 1
            first = i
            continue
        if tok.kind == PUNCT and tok.text[0] in _TERMINAL and _ends_sentence(tokens, i):
            terminator = tok.text
            j = i + 1
            # absorb following terminal marks, closing quotes/brackets and smileys: "?!", "»", ")))"
            while j < n and tokens[j].kind in (PUNCT, SYMBOL) and (
                tokens[j].text[0] in _TERMINAL or tokens[j].text in ")»\"”'"
            ):
                terminator += tokens[j].text if tokens[j].text[0] in _TERMINAL else ""
                j += 1
            close(j, terminator)
            i = j
            continue
        i += 1
    close(n, "")
    return sentences
