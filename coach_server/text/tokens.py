"""Tokens with character offsets, and sentences built from them.

Every warning that points at a piece of the draft needs exact offsets, so the tokenizer keeps them and
recognises the things chat text is full of (links, e-mails, phone numbers, prices, times) as single tokens
that the word rules must not look inside.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

WORD = "word"
NUMBER = "number"
URL = "url"
EMAIL = "email"
PHONE = "phone"
CODE = "code"  # `inline code`, a ```fenced block``` or a URL query piece (?status=59): never prose
PUNCT = "punct"
SYMBOL = "symbol"
NEWLINE = "newline"

_TLDS = "ru|рф|su|com|net|org|info|io|by|kz|ua|uz|me|biz|online|site|shop|store|pro|app|dev|co|uk|de|eu"
# Links, e-mails and phone numbers are found first, each by a pattern that can only start where such a
# thing can (a scheme, a dot before a domain ending, an «@», a digit), so ordinary words cost nothing extra.
_SCHEME_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>«»\"]+", re.IGNORECASE)
_DOMAIN_END_RE = re.compile(rf"\.(?:{_TLDS})\b(?:/[^\s<>«»\"]*)?", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Code the operator or the client quotes (consoles and tickets render Markdown): judged as nothing but code.
_CODE_RE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
# "?status=59&page=2" written bare: a query, not a question mark
_QUERY_RE = re.compile(r"\?[A-Za-z_][\w.\[\]-]*=[^\s]*")
_PHONE_RE = re.compile(
    r"(?<![\w+])\+?\d(?:[\s\-]?\(?\d{2,4}\)?){1,2}[\s\-]?\d{2,3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\d)")
_PLAIN_RE = re.compile(
    r"""
    (?P<word>[^\W\d_][^\W_]*(?:[-'’][^\W\d_][^\W_]*)*)
  | (?P<number>\d+(?:[.,:/]\d+)*(?:[-–]\d+(?:[.,:]\d+)*)?)
  | (?P<newline>\n+)
  | (?P<punct>[.!?…]+|[,;:()\[\]{}«»"“”„'‘’—–\-/])
  | (?P<symbol>[^\s\w])
    """,
    re.VERBOSE,
)
_URL_TRAILING = ".,;:!?)»\"'"
_DIGIT_RE = re.compile(r"\d")

# Words after which a full stop is not a sentence end (Russian and English abbreviations).
_ABBREVIATIONS = frozenset(
    "т е к д г гг ул пр просп пер стр корп кв руб коп тыс млн млрд тел см им др пр проч напр т.е т.к "
    "т.н т.д т.п п ст рис табл моб эл админ доп орг юр физ мин макс ср вкл искл прим ориг зам нач спец "
    "e g i etc mr mrs ms dr st vs no approx dept incl min max est misc jr sr".split()
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


@lru_cache(maxsize=50_000)
def script_of(word: str) -> str:
    cyr = lat = False
    for ch in word:
        if "а" <= ch <= "я" or "А" <= ch <= "Я" or ch in "ёЁ":
            cyr = True
        elif ch.isascii() and ch.isalpha():
            lat = True
    if cyr and lat:
        return "mixed"
    return CYRILLIC if cyr else (LATIN if lat else "")


def _special_spans(text: str) -> list[tuple[int, int, str]]:
    """Code, links, e-mails and phone numbers: (start, end, kind), sorted, not overlapping (the first found
    of two that start together wins when as long: code before a link inside it)."""
    found: list[tuple[int, int, str]] = []
    if "`" in text:
        for m in _CODE_RE.finditer(text):
            found.append((m.start(), m.end(), CODE))
    if "?" in text and "=" in text:
        for m in _QUERY_RE.finditer(text):
            found.append((m.start(), m.end(), CODE))
    if "." in text or "/" in text:
        for m in _SCHEME_URL_RE.finditer(text):
            found.append((m.start(), m.end(), URL))
        for m in _DOMAIN_END_RE.finditer(text):
            begin = m.start()
            while begin > 0 and (text[begin - 1].isalnum() or text[begin - 1] in "-._"):
                begin -= 1
            while begin < m.start() and not text[begin].isalnum():
                begin += 1  # a domain starts with a letter or digit, not «.» or «-»
            if begin < m.start() and text[begin - 1:begin] != "@":
                found.append((begin, m.end(), URL))
    if "@" in text:
        for m in _EMAIL_RE.finditer(text):
            found.append((m.start(), m.end(), EMAIL))
    if _DIGIT_RE.search(text):
        for m in _PHONE_RE.finditer(text):
            found.append((m.start(), m.end(), PHONE))
    if not found:
        return found
    found.sort(key=lambda f: (f[0], -f[1]))
    spans: list[tuple[int, int, str]] = []
    for start, end, kind in found:
        if spans and start < spans[-1][1]:
            continue  # inside a longer thing already taken (the domain of an e-mail, a URL's digits)
        spans.append((start, end, kind))
    return spans


def _plain_tokens(text: str, start: int, end: int, out: list[Token]) -> None:
    for m in _PLAIN_RE.finditer(text, start, end):
        kind = m.lastgroup or SYMBOL
        value = m.group()
        if kind == WORD:
            out.append(Token(value, m.start(), m.end(), WORD, value.lower().replace("’", "'"), script_of(value)))
        else:
            out.append(Token(value, m.start(), m.end(), kind, value.lower()))


def tokenize(text: str, start: int = 0) -> list[Token]:
    """Tokens of text[start:] with offsets into `text` (`start` lets a caller reuse the tokens before it)."""
    tokens: list[Token] = []
    pos = start
    rest = text[start:] if start else text
    for s_start, s_end, kind in _special_spans(rest):
        s_start += start
        s_end += start
        _plain_tokens(text, pos, s_start, tokens)
        value = text[s_start:s_end]
        if kind == URL:
            stripped = value.rstrip(_URL_TRAILING)
            # keep a closing bracket that belongs to the URL itself: (see wiki/Foo_(bar))
            if value.endswith(")") and stripped.count("(") > stripped.count(")"):
                stripped += ")"
            tokens.append(Token(stripped, s_start, s_start + len(stripped), URL, stripped.lower()))
            _plain_tokens(text, s_start + len(stripped), s_end, tokens)  # the punctuation after a link
        else:
            tokens.append(Token(value, s_start, s_end, kind, value.lower()))
        pos = s_end
    _plain_tokens(text, pos, len(text), tokens)
    return tokens


def _ends_sentence(tokens: list[Token], i: int) -> bool:
    """Is the terminal punctuation at tokens[i] the end of a sentence?"""
    tok = tokens[i]
    if "?" in tok.text or "!" in tok.text or "…" in tok.text or len(tok.text) > 1:
        return True
    # a single full stop: not inside a name («Яндекс.Касса», "Node.js"), not after an abbreviation or an
    # initial ("А. Петров", "т.е.")
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if nxt is not None and nxt.start == tok.end and nxt.kind == WORD:
        return False
    prev = tokens[i - 1] if i > 0 else None
    if prev is not None and prev.kind == WORD and prev.end == tok.start:
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if prev.lower in _ABBREVIATIONS or (len(prev.text) == 1 and prev.text.isupper()):
            return nxt is None or nxt.kind == NEWLINE
        if nxt is not None and nxt.kind == WORD and nxt.text[:1].islower() and len(prev.text) <= 4 \
                and prev.text[:1].islower():
            return False  # «доп. программирование», «см. выше»: a short cut word, the sentence goes on
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
            if tokens[j - 1].text in "»\"”" and j < n and (
                    (tokens[j].kind == WORD and tokens[j].text[:1].islower()) or tokens[j].text in ",—–-:;"):
                i = j  # «Нажмите «Забыли пароль?» на странице входа»: the quoted title's «?» ends no sentence
                continue
            close(j, terminator)
            i = j
            continue
        i += 1
    close(n, "")
    return sentences
