"""The word-level rules (typo, slang, caps, negative_phrasing, language_mismatch) and the language
identification they rely on, on the kinds of text that made them wrong on real chats: IT jargon, pasted logs,
brand names, agents' initials, social-media shorthand, refusals that already offer an alternative. Written in
our own words, modelled on the false positives labelled in quality/labels.jsonl."""
from __future__ import annotations

import pytest

from coach_server.text import corrections, translit
from coach_server.text.analysis import TextFacts

NOW = 1_750_000_000.0


def check(coach, draft, client=None, *, channel=None, lang=None):
    messages = [{"role": "operator", "text": "Здравствуйте! Меня зовут Анна." if (lang or "ru") == "ru"
                 else "Hello! I'm Anna.", "ts": NOW - 300}]
    if client is not None:
        messages.append({"role": "client", "text": client, "ts": NOW - 30})
    request = {"draft": draft, "messages": messages, "now": NOW}
    if channel:
        request["channel"] = channel
    return coach.check(request)


def spans(result, rule):
    return [w for w in result.warnings if w.rule == rule]


# --- typo ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("draft", [
    "Проверили логи: токен был отозван, создайте новый в админке.",
    "Вебхук отключится, если ваш сервер отдаёт невалидный сертификат.",
    "Используйте шорткод и кастомный шаблон, чекбокс согласия появится сам.",
    "Мы сделаем апдейт дашборда, а рекурренты настроите в личном кабинете.",
    "Пришлите, пожалуйста, ссылку на тикет — передам в рекрутмент.",
    "Форму можно вывести с пом. функции, а для орг. вопросов пишите на почту.",
    "Оплата через ЮKassa и CloudPayments работает.",
])
def test_typo_leaves_jargon_brands_and_abbreviations_alone(coach, draft):
    assert spans(check(coach, draft), "typo") == []


@pytest.mark.parametrize("draft, word, fix", [
    ("Скажите, она уже была устрановлена раньше?", "устрановлена", "установлена"),
    ("Его можно увидеть в списке, натроив фильтр по статусу.", "натроив", "настроив"),
    ("Мы шлём уведомление, что вебхук октключен.", "октключен", "отключен"),
    ("Результат функциии можно отфильтровать.", "функциии", "функции"),
    ("Не раскажете подробнее, как вы используете API?", "раскажете", "расскажете"),
])
def test_typo_finds_russian_slips_with_a_clear_correction(coach, draft, word, fix):
    found = spans(check(coach, draft), "typo")
    assert [(draft[w.start:w.end], w.suggestion) for w in found] == [(word, fix)]


@pytest.mark.parametrize("draft, word, fix", [
    ("Please check your accout settings and try again.", "accout", "account"),
    ("We recommend that you send us feeback so our team can look into it.", "feeback", "feedback"),
    ("Make sure you're fully signed in, then try the recovvery mode.", "recovvery", "recovery"),
])
def test_typo_finds_english_slips_outside_the_list(coach, draft, word, fix):
    found = spans(check(coach, draft, "My account is locked, can you help?", lang="en"), "typo")
    assert [(draft[w.start:w.end], w.suggestion) for w in found] == [(word, fix)]


@pytest.mark.parametrize("draft", [
    "Thanks for reaching out, Hameedullah! Your V-Bucks will show up soon.",  # a name, a product
    "Check the settings in helpdesk_config.json and the /api/v2/tickets route.",  # code and paths
    "We'll be here for anything else ^KM",  # an agent's initials
    "Follow us at @gamingsupport and use #fixit for updates.",  # handles and hashtags
])
def test_typo_leaves_english_names_codes_and_signatures_alone(coach, draft):
    assert spans(check(coach, draft, "My account is locked, can you help?", lang="en"), "typo") == []


def test_a_borrowing_sounds_like_its_english_source():
    assert translit.english_source("токена") is not None  # token
    assert translit.english_source("невалидный") == "valid"
    assert translit.english_source("устрановлена") is None
    assert corrections.russian_correction("кастомный") is None
    assert corrections.english_correction("tiktoks") is None  # an inflection, not a slip


# --- slang -----------------------------------------------------------------------------------------------------
def test_ok_is_business_russian_not_slang(coach):
    assert spans(check(coach, "Ок, спасибо, передам разработчикам."), "slang") == []


@pytest.mark.parametrize("draft", [
    "Over 1k subscribers are needed for the Community tab.",
    "Free accounts for K-12 schools are available. ^NP",
    "Give us a shout if you have other questions /KK",
])
def test_numbers_grades_and_initials_are_not_slang(coach, draft):
    assert spans(check(coach, draft, "How do I enable the tab?", lang="en"), "slang") == []


def test_social_shorthand_is_fine_on_social_but_not_in_chat(coach):
    draft = "Can you pls share a few details here? Thx"
    assert spans(check(coach, draft, "The app crashes", lang="en", channel="social"), "slang") == []
    assert [w.suggestion for w in spans(check(coach, draft, "The app crashes", lang="en"), "slang")] == \
        ["please", "Thanks"]
    assert spans(check(coach, "We'll keep u posted.", "Any news?", lang="en", channel="social"), "slang")


# --- caps ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("draft", [
    "Because of COVID-19 some stores are closed.",
    "Restore the BIOS settings to defaults and press CTRL+ALT+DEL.",
    "BHIM is not developed by us; please contact its developer.",
    "Open Help > Contact form > I STILL NEED HELP and we'll reply.",
    "Click the \"DOWNLOAD NOW\" button at the top.",
])
def test_caps_leaves_acronyms_keys_names_menus_and_titles_alone(coach, draft):
    assert spans(check(coach, draft, "It doesn't work", lang="en"), "caps") == []


def test_caps_leaves_units_and_headings_alone_but_not_shouting(coach):
    assert spans(check(coach, "Память 16 ГБ, экран 1080p."), "caps") == []
    assert spans(check(coach, "ДОСТАВКА\nЗаказ приедет в пятницу."), "caps") == []
    assert spans(check(coach, "Я ВАМ УЖЕ ОТВЕТИЛА"), "caps")
    assert spans(check(coach, "YOUR ORDER IS CANCELLED.", "Where is it?", lang="en"), "caps")
    # one word in capitals is a status or emphasis; a run of nouns is a name
    assert spans(check(coach, "Your order is CANCELLED.", "Where is it?", lang="en"), "caps") == []
    assert spans(check(coach, "Выберите ОПЛАТА ПРИ ПОЛУЧЕНИИ в корзине."), "caps") == []


# --- negative_phrasing ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("draft, client", [
    ("While we can't help with billing here, you can reach us at the link below.", "I was charged twice"),
    ("We are unable to assist with mortgages over social media. Please call us.", "Mortgage relief?"),
    ("Sorry to hear you're unable to log in. Try resetting the password.", "Can't log in"),
    ("Сейчас отключить это невозможно, но мы готовы добавить такую опцию.", "Как отключить письма?"),
    ("Если у вас не получится войти, пришлите скриншот.", "Не могу войти"),
])
def test_negative_phrasing_spares_alternatives_other_subjects_and_policies(coach, draft, client):
    lang = "ru" if any("а" <= c <= "я" for c in draft.lower()) else "en"
    assert spans(check(coach, draft, client, lang=lang), "negative_phrasing") == []


def test_negative_phrasing_still_flags_a_bare_refusal(coach):
    assert spans(check(coach, "Sorry, that is not possible.", "Can I move my account?", lang="en"),
                 "negative_phrasing")
    assert spans(check(coach, "К сожалению, мы не можем вам помочь.", "Подскажите по настройке"),
                 "negative_phrasing")


# --- language identification and language_mismatch ---------------------------------------------------------
@pytest.mark.parametrize("text, language", [
    ("Hola, ¿cuándo llega mi pedido? Lo necesito para mañana.", "other"),
    ("注文はいつ届きますか？", "other"),
    ("Дякую, все працює, але є ще питання.", "other"),
    ("privet, skolko stoit dostavka v kazan?", "ru"),
    ("Can you check my order please?", "en"),
    ("link", None),
    ("Не отправляется заказ\nЛог:\n[2020-03-01 14:30:18] [ordersCreate] Order is not loaded\n"
     "[2020-03-01 14:30:19] [ordersEdit] Not found", "ru"),
    ("Ошибка:\nstdClass Object ( [errors] => Array ( [0] => not_found ) )", "ru"),
])
def test_language_of_a_text(text, language):
    assert TextFacts(text).language == language


def test_a_pasted_english_log_keeps_the_chat_russian(coach):
    client = ("Заказ не выгружается\n[2019-04-17 06:56:57] [ordersCreate] Order is not loaded\n"
              "[2019-04-17 06:56:57] Customer with externalId=355 not found.")
    result = check(coach, "Настройте, пожалуйста, статус для брошенных заказов.", client)
    assert spans(result, "language_mismatch") == []
    assert result.lang == "ru"  # warnings stay worded in Russian


def test_another_language_is_never_taken_for_russian(coach):
    spanish = "Hola, ¿cuándo llega mi pedido? Lo necesito para mañana."
    result = check(coach, "Hello! Your order arrives on Friday.", spanish, lang="en")
    assert spans(result, "language_mismatch") == []
    assert result.lang == "en"


def test_a_short_english_reply_is_not_misread(coach):
    result = check(coach, "Thanks, Anna! Go Pack go!", "Go Pack go! Nicely done.", lang="en")
    assert spans(result, "language_mismatch") == []


def test_language_mismatch_still_flags_a_real_switch(coach):
    assert spans(check(coach, "Hello! How can I help you?", "Здравствуйте, сколько стоит доставка?"),
                 "language_mismatch")
    assert spans(check(coach, "Да, доставляем в Германию.", "Hi, do you ship to Germany?", lang="en"),
                 "language_mismatch")
