"""The live endpoint's fast reading of a keystroke's update (`_keystroke`) takes exactly what `UpdateFrame`
takes, with the same values — the frames the extension sends on every keystroke (draft, caret, when the draft
was begun) and anything near them — and leaves everything else to the full validation."""
from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from coach_server.models import MAX_DRAFT_CHARS, MAX_ID_CHARS, MAX_TS, MIN_TS
from coach_server.service.live import UpdateFrame, _keystroke

FIELDS = ("chat_id", "seq", "draft", "caret", "draft_started_at")

odd = st.one_of(st.none(), st.booleans(), st.text(max_size=3), st.lists(st.integers(), max_size=1),
                st.floats(allow_nan=True, allow_infinity=True))
times = st.one_of(st.none(), st.just(MIN_TS), st.just(MAX_TS), st.just(MIN_TS - 1), st.just(MAX_TS + 0.5),
                  st.integers(min_value=0, max_value=10**10), st.floats(min_value=9e8, max_value=5e9),
                  st.just(math.inf), st.just(math.nan), odd)
frames = st.fixed_dictionaries(
    {"type": st.just("update")},
    optional={
        "chat_id": st.one_of(st.text(min_size=0, max_size=3), st.just("c" * MAX_ID_CHARS),
                             st.just("c" * (MAX_ID_CHARS + 1)), odd),
        "seq": st.one_of(st.integers(), odd),
        "draft": st.one_of(st.text(max_size=20), st.just("д" * (MAX_DRAFT_CHARS + 1)), odd),
        "caret": st.one_of(st.integers(min_value=-2, max_value=MAX_DRAFT_CHARS + 2), odd),
        "draft_started_at": times,
        "lang": st.just("ru"),  # any other field: not a keystroke, validated in full
    })


@settings(max_examples=600, deadline=None)
@given(frames)
def test_a_keystroke_is_read_as_the_full_validation_reads_it(data):
    fast = _keystroke(data)
    try:
        full = UpdateFrame.model_validate(data)
    except ValidationError:
        assert fast is None, data  # refused in full: never let through by the fast path
        return
    if fast is None:
        # only what is not a keystroke goes the long way — or a whole number written as a float where an
        # integer is meant («"seq": 0.0»): the full validation reads it as the integer, the fast reading takes
        # JSON's integers only (the extension sends no other) and leaves the rest to it
        whole_floats = [k for k in ("seq", "caret") if type(data.get(k)) is float]
        assert "lang" in data or "chat_id" not in data or whole_floats, data
        return
    for name in FIELDS:
        assert getattr(fast, name) == getattr(full, name), (name, data)
        assert type(getattr(fast, name)) is type(getattr(full, name)), (name, data)
    assert set(fast.model_fields_set) == set(full.model_fields_set)
    assert (fast.messages, fast.append, fast.now) == (full.messages, full.append, full.now)


def test_what_the_extension_sends_on_a_keystroke_takes_the_fast_path():
    frame = {"type": "update", "chat_id": "jivo-1", "seq": 9, "draft": "Здравствуйте", "caret": 12,
             "draft_started_at": 1_750_000_020.5}
    fast = _keystroke(frame)
    assert fast is not None and fast.draft_started_at == 1_750_000_020.5
    assert _keystroke({**frame, "draft_started_at": None}) is not None
    assert _keystroke({**frame, "draft_started_at": 1_750_000_020_500}) is None  # milliseconds: said in full
