"""Russian written in Latin letters («privet, skolko stoit dostavka?»), Latin look-alikes inside Russian
words («Сейчaс» with a Latin «a»), and English words written in Cyrillic («токен», «вебхук»): all common in
chats, and all fool a naive script count or a dictionary look-up."""
from __future__ import annotations

import re
from functools import lru_cache

from . import frequency, morph

_MULTI = [("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"),
          ("yu", "ю"), ("ju", "ю"), ("ya", "я"), ("ja", "я"), ("yo", "ё"), ("jo", "ё"), ("iy", "ий"), ("yi", "ый"),
          ("ye", "е"), ("'", "ь")]
_SINGLE = dict(zip("abvgdezijklmnoprstufhcyxwq", "абвгдезийклмнопрстуфхцыксвк"))
# Latin letters that look like Cyrillic ones: typed by mistake on the wrong keyboard layout
LOOKALIKES = str.maketrans("aceopxyABCEHKMOPTXy", "асеорхуАВСЕНКМОРТХу")


@lru_cache(maxsize=20_000)
def to_cyrillic(word: str) -> str:
    """A plain transliteration of a lower-case Latin word into Cyrillic."""
    out = []
    i = 0
    while i < len(word):
        for latin, cyr in _MULTI:
            if word.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            out.append(_SINGLE.get(word[i], word[i]))
            i += 1
    return "".join(out)


@lru_cache(maxsize=20_000)
def is_translit(word: str) -> bool:
    """Is this lower-case Latin word a Russian word in translit («privet», «dostavka», «stoit»)?"""
    if len(word) < 2:
        return word in ("v", "k", "s", "u", "i", "a", "o", "ya")
    cyr = to_cyrillic(word)
    known = morph.analyzer().word_is_known
    return known(cyr) or known(cyr + "ь") or (cyr.endswith("o") and known(cyr[:-1] + "ьо"))


def fix_lookalikes(word: str) -> str:
    """«Сейчaс» (Latin «a») → «Сейчас»."""
    return word.translate(LOOKALIKES)


# --- English words written in Cyrillic: «токен», «вебхук», «кастомный», «админке» ---------------------------
# Both spellings are reduced to a rough sound key: vowels (and «й», "y") merge into one mark per run,
# consonants into their commonest Russian counterpart, doubled letters into one. «токен» and "token" both
# give "takan", «вебхук» and "webhook" "vabhak", «чекбокс» and "checkbox" "Cakbaks".
_CYR_KEY = {**dict.fromkeys("аеёиоуыэюяй", "a"), "ъ": "", "ь": "", "б": "b", "в": "v", "г": "g", "д": "d",
            "ж": "Z", "з": "s", "к": "k", "л": "l", "м": "m", "н": "n", "п": "p", "р": "r", "с": "s", "т": "t",
            "ф": "f", "х": "h", "ц": "ts", "ч": "C", "ш": "S", "щ": "S"}
_LAT_DIGRAPHS = (("sch", "S"), ("tch", "C"), ("sh", "S"), ("ch", "C"), ("ck", "k"), ("ph", "f"), ("th", "t"),
                 ("gh", ""), ("qu", "kv"), ("wh", "v"))
_LAT_KEY = {**dict.fromkeys("aeiouy", "a"), "b": "b", "c": "k", "d": "d", "f": "f", "g": "g", "h": "h",
            "j": "dZ", "k": "k", "l": "l", "m": "m", "n": "n", "p": "p", "q": "k", "r": "r", "s": "s", "t": "t",
            "v": "v", "w": "v", "x": "ks", "z": "s"}
# Russian endings and suffixes an English borrowing takes: «токен-ами», «админ-ке», «кастом-ный», «кастомиз-ировать»
_ENDINGS = sorted("""ировать ировал ировала ировали ируйте ирует ируют ировании ирования ированный ированного
    ить ать ять еть ться ил ила или ило ит ят ишь ите ут ют ешь ете ет ово
    ами ями ого его ому ему ыми ими ной ный ная ное ные ного ному ным ных ную ском ский ская ское ские ах ях ов ев
    ом ем ой ей ам ям ую ая ое ые ый ий ым им ых их ке ку ки ка кой а я у ю е и ы о""".split(), key=len, reverse=True)


_DOUBLED = re.compile(r"(.)\1+")
_SOFT_C = re.compile(r"c(?=[eiy])")
_LAT_TABLE = str.maketrans(_LAT_KEY)


def _collapse(parts: list[str]) -> str:
    return _DOUBLED.sub(r"\1", "".join(parts))


@lru_cache(maxsize=20_000)
def sound_key_latin(word: str) -> str:
    """The rough sound key of a lower-case English word ("" for anything but plain a–z)."""
    if not word.isascii() or not word.isalpha():
        return ""
    # a soft c sounds like s: "instance", "cyber"; then a silent final e goes: "shortcode", "update"
    word = _SOFT_C.sub("s", word)
    if len(word) > 3 and word[-1] == "e" and word[-2] not in "aeiouy":
        word = word[:-1]
    for latin, key in _LAT_DIGRAPHS:
        if latin in word:
            word = word.replace(latin, key)
    return _DOUBLED.sub(r"\1", word.translate(_LAT_TABLE))


@lru_cache(maxsize=20_000)
def sound_key_cyrillic(word: str) -> str:
    """The rough sound key of a lower-case Cyrillic word («дж» is one sound, as English "j")."""
    parts: list[str] = []
    i = 0
    while i < len(word):
        if word.startswith("дж", i):
            parts.append("dZ")
            i += 2
        else:
            parts.append(_CYR_KEY.get(word[i], ""))
            i += 1
    return _collapse(parts)


def russian_stems(word: str) -> list[str]:
    """The word and what is left of it without a Russian ending (or suffix and ending) or the prefix «не-»."""
    stems = [word]
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stems.append(word[: -len(ending)])
    stems += [s[2:] for s in list(stems) if s.startswith("не") and len(s) > 5]  # «не-валидный»
    return stems


_english_keys: dict[str, str] | None = None


def _english_index() -> dict[str, str]:
    """Sound key → the commonest English word with that key (words common enough to be borrowed)."""
    global _english_keys
    if _english_keys is None:
        index: dict[str, str] = {}
        key_of = sound_key_latin.__wrapped__  # uncached: each word is keyed once here
        for word, zipf in frequency.table("en").items():  # most frequent first
            if zipf < BORROWED_FROM_ZIPF:
                break
            if len(word) >= 3:
                key = key_of(word)
                if len(key) >= 3 and key not in index:
                    index[key] = word
        _english_keys = index
    return _english_keys


BORROWED_FROM_ZIPF = 3.0  # English words this common are what Russian IT talk borrows


@lru_cache(maxsize=20_000)
def english_source(word: str) -> str | None:
    """The English word a lower-case Cyrillic word is borrowed from, if it sounds like one: «токена» →
    "token", «вебхуков» → "webhook", «невалидный» → "valid"; None for a Russian word or a slip."""
    index = _english_index()
    for stem in russian_stems(word):
        found = index.get(sound_key_cyrillic(stem))
        if found is not None:
            return found
    return None


def preload() -> None:
    _english_index()
