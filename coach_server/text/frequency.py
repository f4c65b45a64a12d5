"""How common a word is in Russian or English: the frequency lists that ship inside the `wordfreq` package.

A word's frequency is its Zipf value: log10 of its occurrences per billion words (7 is «и»/"the", 3 is a
word met once per million). pymorphy3's dictionary says whether a Russian form exists; these lists say how
often people write it, which a spelling check needs to tell a slip («устрановлена») from a rarer word, and
they know English, for which the project has no dictionary.

Only the common part of each list is kept (Russian down to Zipf 3, English down to Zipf 2: ~60k and ~96k
forms, ~20 MB together, ~0.1 s to read). The lists are read straight from the package's data files (the
"cBpack" format its documentation describes: gzipped msgpack, one list of words per centibel of frequency,
most frequent first), so nothing below the cut is even decoded and wordfreq's own text-processing
dependencies are never imported.
"""
from __future__ import annotations

import gzip
import importlib.util
import threading
from pathlib import Path

import msgpack  # type: ignore[import-untyped]

# Below these a word counts as rare (an unknown word in the spelling check's eyes).
MIN_ZIPF = {"ru": 3.0, "en": 2.0}
_FILES = {"ru": "large_ru.msgpack.gz", "en": "large_en.msgpack.gz"}

_lists: dict[str, dict[str, float]] = {}
_lock = threading.Lock()


class FrequencyDataMissing(RuntimeError):
    pass


def _data_dir() -> Path:
    # find_spec locates the package without importing it (its import pulls regex, ftfy and langcodes)
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        raise FrequencyDataMissing("the wordfreq package is not installed (pip install wordfreq)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _read(lang: str) -> dict[str, float]:
    path = _data_dir() / _FILES[lang]
    if not path.is_file():
        raise FrequencyDataMissing(f"{path}: wordfreq's {lang} frequency list is missing")
    out: dict[str, float] = {}
    floor = MIN_ZIPF[lang]
    with gzip.open(path, "rb") as raw:
        unpacker = msgpack.Unpacker(raw, raw=False, max_buffer_size=64 << 20)
        count = unpacker.read_array_header()
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB":
            raise FrequencyDataMissing(f"{path}: not a wordfreq cBpack file (header {header!r})")
        for centibels in range(count - 1):
            zipf = round(9 - centibels / 100, 2)
            if zipf < floor:
                break  # the rest is rarer: never decoded
            words = unpacker.unpack()
            for word in words:
                out[word] = zipf
    return out


def table(lang: str) -> dict[str, float]:
    """Form → Zipf frequency for the common words of a language ("ru" or "en"); read once per process."""
    found = _lists.get(lang)
    if found is None:
        with _lock:
            found = _lists.get(lang)
            if found is None:
                found = _lists[lang] = _read(lang)
    return found


def zipf(word: str, lang: str) -> float:
    """The word's Zipf frequency; 0.0 for a word rarer than the kept part of the list."""
    return table(lang).get(word, 0.0)


def preload() -> None:
    """Read both lists now (at rule loading), not on the first keystroke that needs them."""
    for lang in _FILES:
        table(lang)
