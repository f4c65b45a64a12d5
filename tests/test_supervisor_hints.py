"""The supervisor's form is Russian, and so is the hint under every field: `hints_ru.toml` holds one for every
field of every rule kind (a new field without one fails here, and so does a hint left for a field that is gone)."""
from __future__ import annotations

import re

from coach_server.checks import KINDS
from coach_server.web.supervisor import hints


def test_every_field_of_every_kind_has_a_russian_hint():
    assert hints.missing() == [], "add these to coach_server/web/supervisor/hints_ru.toml"


def test_no_hint_is_left_for_a_field_that_is_gone():
    assert hints.unused() == [], "remove or rename these in coach_server/web/supervisor/hints_ru.toml"


def test_the_hints_are_russian_and_cover_the_form_of_each_kind():
    for kind, check in KINDS.items():
        given = hints.hints(kind)
        assert set(given["params"]) == set(check.Params.model_fields), kind
        assert set(given["lang"]) == set(check.Lang.model_fields), kind
        for section in given.values():
            for field, text in section.items():
                assert re.search("[а-яё]", text, re.IGNORECASE), f"{kind}.{field}: {text!r} is not Russian"


def test_every_field_has_a_russian_name_on_the_form():
    assert hints.missing_labels() == [], "add these to coach_server/web/supervisor/labels_ru.toml"
    for kind in KINDS:
        for field, name in hints.labels(kind).items():
            assert re.search("[а-яё]", name, re.IGNORECASE), f"{kind}.{field}: {name!r} is not Russian"
            assert not re.search(r"\b[a-z]{3,}\b", name), f"{kind}.{field}: {name!r} has an English word"
