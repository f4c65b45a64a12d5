"""Russian written in Latin letters («privet, skolko stoit dostavka?») and Latin look-alikes inside
Russian words («Сейчaс» with a Latin «a»): both are common in chats and both fool a naive script count."""
from __future__ import annotations

from functools import lru_cache

from . import morph

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
