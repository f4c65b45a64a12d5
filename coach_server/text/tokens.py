"""Tokens with character offsets, and sentences built from them.

Every warning that points at a piece of the draft needs exact offsets, so the tokenizer keeps them and
recognises the things chat text is full of (links, e-mails, phone numbers, prices, times) as single tokens
that the word rules must not look inside.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
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
# Every pattern runs in time linear in the text, whatever the text: no pattern can backtrack over a run it
# has already read (possessive `++`/`*+` where a run could be given back), and where a piece must be found
# by looking back from a match (a domain's start, an e-mail's local part), each character is looked at
# once however many matches share it (see `_domains`, `_emails`).
_SCHEME_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>«»\"]++", re.IGNORECASE)
_DOMAIN_END_RE = re.compile(rf"\.(?:{_TLDS})\b(?:/[^\s<>«»\"]*+)?", re.IGNORECASE)
_DOMAIN_RUN_RE = re.compile(r"[\w.-]++")  # the characters a domain is made of (letters, digits, «-», «.», «_»)
_DOMAIN_LEAD_RE = re.compile(r"[._-]*+")  # …of which a domain does not start with these
# an e-mail: a local part of [\w.+-] before an «@», then a domain of labels [\w-] joined by dots
_EMAIL_LOCAL_RE = re.compile(r"(?<![\w.+-])[\w.+-]*+@")  # a whole run of local-part characters and its «@»
_EMAIL_DOMAIN_RE = re.compile(r"[\w-]++(?:\.[\w-]++)++")
# Code the operator or the client quotes (consoles and tickets render Markdown): judged as nothing but code.
_CODE_RE = re.compile(r"```.*?```|`[^`\n]++`", re.DOTALL)
# "?status=59&page=2" written bare: a query, not a question mark
_QUERY_RE = re.compile(r"\?[A-Za-z_][\w.\[\]-]*+=\S*+")
# what an exported chat masks: «__email__», "__phone__", "__name__" stand for the value, never for a word
_MASKED_RE = re.compile(r"__([a-z]{2,20})__")
_MASKED_KIND = {"email": EMAIL, "phone": PHONE}
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
# The longest word worth analysing. Dictionary words stop near 35 letters («превысокомногорассмотрительствующий»);
# a longer run of letters is a paste, a key or a keyboard mash: it stays a word token, but no morphology,
# spelling or word list looks at it (`TextFacts.words` leaves it out), so no cache holds it and no check
# costs more than a word of this length would.
MAX_WORD_CHARS = 64


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


_CYRILLIC_RE = re.compile("[а-яА-ЯёЁ]")
_LATIN_RE = re.compile("[A-Za-z]")


def _scan_script(word: str) -> str:
    cyr = _CYRILLIC_RE.search(word) is not None
    lat = _LATIN_RE.search(word) is not None
    if cyr and lat:
        return "mixed"
    return CYRILLIC if cyr else (LATIN if lat else "")


_cached_script = lru_cache(maxsize=50_000)(_scan_script)


def script_of(word: str) -> str:
    """"cyr", "lat", "mixed" or "" (no Cyrillic or Latin letter). Cached per word, words of a sane length
    only: a run of 20,000 letters must not sit in a cache of 50,000 entries."""
    return _cached_script(word) if len(word) <= MAX_WORD_CHARS else _scan_script(word)


def _domains(text: str) -> list[tuple[int, int, str]]:
    """Bare domains («bank.ru/cards», «Яндекс.рф»): from the start of the run of domain characters before a
    known ending (not from a «.» or «-», not right after an «@») to the ending and its path. The start of
    each run is found once (thousands of «.ru» pieces in one run share it), so this is linear in the text."""
    found: list[tuple[int, int, str]] = []
    runs: list[tuple[int, int]] | None = None
    run_starts: list[int] = []
    leads: dict[int, int] = {}
    for m in _DOMAIN_END_RE.finditer(text):
        end = m.start()
        if end == 0 or not _DOMAIN_RUN_RE.match(text, end - 1, end):
            continue  # nothing before the dot: no domain
        if runs is None:
            runs = [r.span() for r in _DOMAIN_RUN_RE.finditer(text)]
            run_starts = [r[0] for r in runs]
        run_start = runs[bisect_right(run_starts, end - 1) - 1][0]
        begin = leads.get(run_start)
        if begin is None:
            lead = _DOMAIN_LEAD_RE.match(text, run_start)  # matches always (it may match nothing)
            begin = leads[run_start] = lead.end() if lead is not None else run_start
        if begin < end and text[begin - 1:begin] != "@":
            found.append((begin, m.end(), URL))
    return found


def _emails(text: str) -> list[tuple[int, int, str]]:
    """E-mail addresses — a local part, «@», dotted domain labels — exactly as one pattern scanned left to right
    would find them, without re-reading a long run of letters for every place in it an address could start
    (which makes such a pattern quadratic: «@» and 20,000 letters took a second)."""
    found: list[tuple[int, int, str]] = []
    last_end = 0
    for m in _EMAIL_LOCAL_RE.finditer(text):
        at = m.end() - 1
        begin = max(m.start(), last_end)  # the local part may not reach into the address before it
        if begin == at:
            continue
        domain = _EMAIL_DOMAIN_RE.match(text, at + 1)
        if domain is not None:
            found.append((begin, domain.end(), EMAIL))
            last_end = domain.end()
    return found


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
    if "__" in text:
        for m in _MASKED_RE.finditer(text):
            found.append((m.start(), m.end(), _MASKED_KIND.get(m.group(1), CODE)))
    if "." in text or "/" in text:
        for m in _SCHEME_URL_RE.finditer(text):
            found.append((m.start(), m.end(), URL))
        found.extend(_domains(text))
    if "@" in text:
        found.extend(_emails(text))
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


def _word_strings(value: str) -> tuple[str, str, str]:
    """A word's text, lower-case form and script (the form is the text itself when already lower case)."""
    lower = value.lower().replace("’", "'")
    return value, value if lower == value else lower, _scan_script(value)


# One copy of each word's strings for every token of it: a live chat's messages hold the same words many
# times, and each copy of a word and its lower-case form costs ~150 bytes (a word cache, like the others).
_shared_word_strings = lru_cache(maxsize=20_000)(_word_strings)


def _plain_token(m: re.Match[str]) -> Token:
    kind = m.lastgroup or SYMBOL
    value = m.group()
    if kind == WORD:
        start, end = m.span()
        text, lower, script = (_shared_word_strings(value) if end - start <= MAX_WORD_CHARS
                               else _word_strings(value))
        return Token(text, start, end, WORD, lower, script)
    return Token(value, m.start(), m.end(), kind, value.lower())


def _plain(text: str, start: int, end: int) -> Iterator[Token]:
    return map(_plain_token, _PLAIN_RE.finditer(text, start, end))


def iter_tokens(text: str, start: int = 0) -> Iterator[Token]:
    """The tokens of text[start:] one by one, with offsets into `text`: what `tokenize` lists, for a caller
    that takes a long text's tokens a slice at a time (the plain pattern resumes exactly where it stopped)."""
    pos = start
    rest = text[start:] if start else text
    for s_start, s_end, kind in _special_spans(rest):
        s_start += start
        s_end += start
        yield from _plain(text, pos, s_start)
        value = text[s_start:s_end]
        if kind == URL:
            stripped = value.rstrip(_URL_TRAILING)
            # keep a closing bracket that belongs to the URL itself: (see wiki/Foo_(bar))
            if value.endswith(")") and stripped.count("(") > stripped.count(")"):
                stripped += ")"
            yield Token(stripped, s_start, s_start + len(stripped), URL, stripped.lower())
            yield from _plain(text, s_start + len(stripped), s_end)  # the punctuation after a link
        else:
            yield Token(value, s_start, s_end, kind, value.lower())
        pos = s_end
    yield from _plain(text, pos, len(text))


def tokenize(text: str, start: int = 0) -> list[Token]:
    """Tokens of text[start:] with offsets into `text` (`start` lets a caller reuse the tokens before it)."""
    return list(iter_tokens(text, start))


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


def split_sentences(text: str, tokens: list[Token], start: int = 0) -> list[Sentence]:
    """The sentences of tokens[start:]. `start` must be where an earlier split of the same tokens closed a
    sentence (a sentence's `last`): what comes after depends only on the tokens from there on."""
    sentences: list[Sentence] = []
    first = start
    n = len(tokens)
    i = start

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
