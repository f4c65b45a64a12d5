"""Masking before text is stored (issue 11, case 7): card numbers (Luhn, any grouping), phones hidden with
zero-width characters or mixed separators, any e-mail-like token — and in linear time on any text
(case 2: masking ran a second per message on hostile text). Log lines are scrubbed in linear time too."""
from __future__ import annotations

import random
import re
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach_server.service.logsafe import scrub
from coach_server.store.mask import luhn, mask_personal

from .strategies import FUZZ


def card_number(rng: random.Random, length: int = 16) -> str:
    body = [rng.randrange(10) for _ in range(length - 1)]
    for check in range(10):
        digits = "".join(map(str, body + [check]))
        if luhn(digits):
            return digits
    raise AssertionError("unreachable")


def test_luhn():
    assert luhn("4111111111111111") and luhn("79927398713") and not luhn("4111111111111112")


@pytest.mark.parametrize("text, masked", [
    ("4111 1111 1111 1111", "•••• •••• •••• 1111"),
    ("карта 4111-1111-1111-1111, срок 12/25", "карта ••••-••••-••••-1111, срок 12/25"),
    ("4111111111111111", "••••••••••••1111"),
    ("41111111 11111111", "•••••••• ••••1111"),
    ("карта:4111.1111.1111.1111!", "карта:••••.••••.••••.1111!"),
    ("Amex 3782 822463 10005", "Amex •••• •••••• •0005"),  # 15 digits, 4-6-5
    ("4111 1111 1111 1111 2025", "•••• •••• •••• •••• ••25"),  # the card, then the rest as a number
])
def test_cards_in_any_grouping(text, masked):
    assert mask_personal(text) == masked


@pytest.mark.parametrize("text, masked", [
    ("+7 (912) 345-67-89", "+• (•••) •••-••-89"),
    ("8 912\u200b345\u200b67\u200b89", "• ••••••••89"),  # zero-width spaces between the groups
    ("8\u200d9\u200d1\u200d2\u200d3\u200d4\u200d5\u200d6\u200d7\u200d8\u200d9", "•••••••••89"),
    ("+7.912.345.67.89", "+•.•••.•••.••.89"),
    ("8/912/345/67/89", "•/•••/•••/••/89"),
    ("8 - 912 - 345 - 67 - 89", "• - ••• - ••• - •• - 89"),
    ("тел: 8(912)3456789", "тел: •(•••)•••••89"),
])
def test_obfuscated_phones(text, masked):
    assert mask_personal(text) == masked


@pytest.mark.parametrize("text, masked", [
    ("anna.smith@example.co.uk", "•••@•••.uk"),
    ("пишите на user@localhost.", "пишите на •••@•••."),
    ("(ivan@mail.ru)", "(•••@•••.ru)"),
    ("mailto:a@b.ru?subject=hi", "mailto:•••@•••.ru?subject=hi"),
    ("x@y.z+q@r.s", "•••@•••@•••"),
    ("почта: иван@почта.рф", "почта: •••@•••.рф"),
    ("root@[127.0.0.1]", "•••@•••"),
])
def test_any_email_like_token(text, masked):
    assert mask_personal(text) == masked


@pytest.mark.parametrize("text", ["заказ 12345", "12.05.2025", "с 10:00 до 18:00", "1 500 000 рублей", "2–3 дня",
                                  "@anna спасибо", "1234 5678 9012 3456", "версия 1.2.3"])
def test_what_is_not_personal_stays(text):
    assert mask_personal(text) == text  # (a 16-digit number failing the Luhn check is no card)


@st.composite
def messages_with_secrets(draw):
    rng = random.Random(draw(st.integers(0, 1 << 30)))
    card = card_number(rng, draw(st.sampled_from([13, 15, 16, 19])))
    sep = draw(st.sampled_from(["", " ", "-", ".", "\u00a0", "\u200b", " \u200b"]))
    size = draw(st.sampled_from([4, 3, 5, 8]))
    grouped = sep.join(card[i:i + size] for i in range(0, len(card), size))
    phone_digits = "9" + "".join(str(rng.randrange(10)) for _ in range(9))
    phone_sep = draw(st.sampled_from([" ", "-", ".", "\u200b", " - ", "/"]))
    phone = "+7" + phone_sep + phone_sep.join([phone_digits[:3], phone_digits[3:6], phone_digits[6:8],
                                                phone_digits[8:]])
    email = draw(st.sampled_from(["ivan", "a.b+c", "Анна", "x_y"])) + "@" + draw(
        st.sampled_from(["mail.ru", "localhost", "почта.рф", "sub.example.co.uk"]))
    words = draw(st.lists(st.sampled_from(["Здравствуйте", "карта", "мой", "номер", ":", ",", "и", "почта", "("]),
                          max_size=6))
    parts = [*words, grouped, *words[:2], phone, email, *words[2:]]
    rng.shuffle(parts)
    return " ".join(parts), card, phone_digits, email


@settings(FUZZ, max_examples=400)
@given(messages_with_secrets())
def test_no_card_phone_or_address_survives(case):
    text, card, phone_digits, email = case
    masked = mask_personal(text)
    digits_only = re.sub(r"\D", "", masked)
    assert card[:-4] not in digits_only
    assert phone_digits[:-2] not in digits_only
    assert email not in masked and "@" in masked


# --- linear on hostile text -------------------------------------------------------------------------------
HOSTILE = {
    "@ and letters": "@" + "a" * 19_999,
    "letters and @": "a" * 19_999 + "@",
    "many @": "a@" * 10_000,
    "one token of @ and dots": "a@b." * 5_000,
    "digits": "1" * 20_000,
    "spaced digits": "1 " * 10_000,
    "dashed digits": "1-" * 10_000,
    "cards glued": "4111111111111111" * 1_250,
    "digits and letters": "1a" * 10_000,
    "zero-width": "\u200b" * 20_000,
}


def _within(fn, seconds: float):
    box: list = []
    thread = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return box[0]


@pytest.mark.parametrize("name", HOSTILE)
def test_masking_and_scrubbing_are_linear(name):
    text = HOSTILE[name]
    masked = _within(lambda: mask_personal(text), 5.0)  # a second and more a message before
    assert len(masked) <= 3 * len(text)  # «a@b» becomes «•••@•••»
    _within(lambda: scrub(text), 5.0)
