"""The caches of word-level facts (morphology, scripts, transliteration, corrections, language) — each one
bounded by its number of entries, all of them together emptied at once when the service must give memory
back (see `Coach.shed_memory`). A flood of words never seen fills them with entries of a kilobyte and more
each (a spelling correction keeps ~10 KB of pymorphy3's work alive): bounded, but not small."""
from __future__ import annotations

from . import corrections, language, morph, tokens, translit

WORD_CACHES = (
    morph.russian, morph.english, morph.inflect_plural, tokens._cached_script, tokens._shared_word_strings,
    language.english_confidence,
    corrections.is_compound, corrections.russian_zipf, corrections.russian_correction,
    corrections.english_correction,
    translit.to_cyrillic, translit.is_translit, translit.sound_key_latin, translit.sound_key_cyrillic,
    translit.english_source,
)


def clear_word_caches() -> None:
    for cache in WORD_CACHES:
        cache.cache_clear()
