"""Rules on phrasings their own examples do not show: each case is a draft in a conversation and whether
the rule must flag it. Written the way operators and clients really write (lowercase, no «?», slang,
mixed scripts), so the rules are tested on language, not on their examples."""
from __future__ import annotations

import pytest

NOW = 1_750_000_000.0
C, O, B = "client", "operator", "bot"


def chat(*turns):
    """(role, text[, seconds ago]) → messages, spaced in time unless given."""
    out = []
    n = len(turns)
    for i, turn in enumerate(turns):
        role, text, *ago = turn
        out.append({"role": role, "text": text, "ts": NOW - (ago[0] if ago else 10 * (n - i))})
    return out


GREETED = [(O, "Здравствуйте! Меня зовут Анна.", 200)]
GREETED_EN = [(O, "Hello! My name is Anna.", 200)]

CASES = [
    # --- missing_please ----------------------------------------------------------------------------
    ("missing_please", "Перейдите по ссылке и заполните анкету.", GREETED, True),
    ("missing_please", "Напишите номер заказа.", GREETED, True),
    ("missing_please", "Скиньте фото чека", GREETED, True),
    ("missing_please", "Для оформления возврата заполните заявление в личном кабинете.", GREETED, True),
    ("missing_please", "Проверьте папку «Спам».", GREETED, True),
    ("missing_please", "Ожидайте звонка курьера.", GREETED, True),
    ("missing_please", "Обратитесь в отделение банка с паспортом.", GREETED, True),
    ("missing_please", "Подскажите номер заказа.", GREETED, True),
    ("missing_please", "Пришлите, пожалуйста, фото чека.", GREETED, False),
    ("missing_please", "Можете прислать фото чека?", GREETED, False),
    ("missing_please", "Давайте проверим ваш заказ.", GREETED, False),
    ("missing_please", "Не переживайте, всё решим.", GREETED, False),
    ("missing_please", "Простите за неудобства!", GREETED, False),
    ("missing_please", "Обращайтесь, если будут вопросы.", GREETED, False),
    ("missing_please", "Обратите внимание: акция действует до пятницы.", GREETED, False),
    ("missing_please", "Вы можете оформить заказ на сайте.", GREETED, False),
    ("missing_please", "Могли бы вы прислать фото?", GREETED, False),
    ("missing_please", "Я вам перезвоню через 5 минут.", GREETED, False),
    ("missing_please", "Спасибо, что подождали!", GREETED, False),
    ("missing_please", "Click the link below.", GREETED_EN, True),
    ("missing_please", "Send us a screenshot of the error.", GREETED_EN, True),
    ("missing_please", "Just refresh the page.", GREETED_EN, True),
    ("missing_please", "Restart the app and try again.", GREETED_EN, True),
    ("missing_please", "Please restart the app.", GREETED_EN, False),
    ("missing_please", "Could you send us a screenshot?", GREETED_EN, False),
    ("missing_please", "Check-in starts at 2 pm.", GREETED_EN, False),
    ("missing_please", "Note: delivery is free this week.", GREETED_EN, False),
    ("missing_please", "Thank you for waiting!", GREETED_EN, False),
    # --- slang ----------------------------------------------------------------------------------------
    ("slang", "ок, щас гляну", GREETED, True),
    ("slang", "Спасибки за ожидание!", GREETED, True),
    ("slang", "Инфа есть на сайте.", GREETED, True),
    ("slang", "Хорошо, сейчас посмотрю.", GREETED, False),
    ("slang", "Укажите, пожалуйста, ИНН организации.", GREETED, False),
    ("slang", "np, we'll fix it", GREETED_EN, True),
    ("slang", "No problem, we'll fix it.", GREETED_EN, False),
    # --- caps -------------------------------------------------------------------------------------------
    ("caps", "ЗАКАЗ ОТМЕНЁН", GREETED, True),
    ("caps", "Это ОЧЕНЬ важно.", GREETED, False),  # one word is emphasis, not shouting
    ("caps", "ЭТО ОЧЕНЬ ВАЖНО, прочитайте.", GREETED, True),
    ("caps", "Нужны ИНН и КПП организации.", GREETED, False),
    ("caps", "Оплатить можно через СБП.", GREETED, False),
    ("caps", "Ваш промокод SUMMER даёт скидку 10%.", GREETED, False),
    ("caps", "Код подтверждения: AB12CD.", GREETED, False),
    ("caps", "Your order is CANCELLED.", GREETED_EN, False),  # a status in capitals
    ("caps", "YOUR ORDER IS CANCELLED.", GREETED_EN, True),
    ("caps", "Please do NOT share your PIN.", GREETED_EN, False),
    ("caps", "Open MY ACCOUNT and then ORDER HISTORY.", GREETED_EN, False),  # names: nouns, no clause
    ("caps", "We accept PDF and JPG files.", GREETED_EN, False),
    # --- monosyllabic ------------------------------------------------------------------------------------
    ("monosyllabic", "Нет, к сожалению.", GREETED + [(C, "А синий есть?")], True),
    ("monosyllabic", "Угу", GREETED + [(C, "Вы получили фото?")], True),
    ("monosyllabic", "Yes.", GREETED_EN + [(C, "Do you ship to Spain?")], True),
    ("monosyllabic", "Нет, синего нет, но есть тёмно-синий.", GREETED + [(C, "А синий есть?")], False),
    # --- negative_phrasing -------------------------------------------------------------------------------
    ("negative_phrasing", "Мы не можем гарантировать доставку в срок.", GREETED, True),
    ("negative_phrasing", "К сожалению, это невозможно.", GREETED, True),
    ("negative_phrasing", "Не могу найти ваш заказ.", GREETED, True),
    ("negative_phrasing", "Вы не можете войти в личный кабинет?", GREETED, False),
    ("negative_phrasing", "Не могли бы вы прислать номер заказа?", GREETED, False),
    ("negative_phrasing", "Не получается войти? Попробуйте сбросить пароль.", GREETED, False),
    ("negative_phrasing", "We cannot change the delivery address now.", GREETED_EN, True),
    ("negative_phrasing", "We can change the delivery address until noon.", GREETED_EN, False),
    # --- ignored_emotion -----------------------------------------------------------------------------------
    ("ignored_emotion", "Ваш заказ передан курьеру.", GREETED + [(C, "Я уже третий день жду!!!")], True),
    ("ignored_emotion", "Номер заказа подскажите.", GREETED + [(C, "Вы издеваетесь? Где мой заказ")], True),
    ("ignored_emotion", "Заказ будет завтра.", GREETED + [(C, "Очень недоволен вашим сервисом")], True),
    ("ignored_emotion", "Заказ будет завтра.", GREETED + [(C, "я буду жаловаться")], True),
    ("ignored_emotion", "Понимаю ваше недовольство. Заказ будет завтра.", GREETED + [(C, "Это ужас!!!")], False),
    ("ignored_emotion", "Мне очень жаль, что так вышло. Заказ будет завтра.", GREETED + [(C, "Кошмар какой-то")],
     False),
    ("ignored_emotion", "Заказ будет завтра.", GREETED + [(C, "Подскажите, когда будет заказ?")], False),
    ("ignored_emotion", "Your order ships tomorrow.", GREETED_EN + [(C, "I'm very disappointed with your service")],
     True),
    ("ignored_emotion", "I'm so sorry about this. Your order ships tomorrow.",
     GREETED_EN + [(C, "This is unacceptable!")], False),
    # --- come_back_later -------------------------------------------------------------------------------------
    ("come_back_later", "Попробуйте позже.", GREETED, True),
    ("come_back_later", "Сейчас никого нет, пишите завтра.", GREETED, True),
    ("come_back_later", "Обратитесь в рабочее время.", GREETED, True),
    ("come_back_later", "Свяжитесь с нами позднее.", GREETED, True),
    ("come_back_later", "Я уточню у менеджера и напишу вам в течение часа.", GREETED, False),
    ("come_back_later", "Оставьте номер, перезвоним завтра утром.", GREETED, False),
    ("come_back_later", "Please call back tomorrow.", GREETED_EN, True),
    ("come_back_later", "Come back later, the manager is out.", GREETED_EN, True),
    ("come_back_later", "I'll check with the manager and get back to you within an hour.", GREETED_EN, False),
    # --- early_contact_request ----------------------------------------------------------------------------------
    ("early_contact_request", "Как вас зовут и какой у вас номер телефона?",
     [(C, "Сколько стоит покраска бампера?")], True),
    ("early_contact_request", "Напишите ваш email, пришлём каталог.", [(C, "Какие у вас есть диваны?")], True),
    ("early_contact_request", "Назовите, пожалуйста, телефон, запишу вас на завтра.",
     [(C, "Хочу записаться на ТО")], False),
    ("early_contact_request", "Назовите, пожалуйста, номер договора.", [(C, "Не проходит платёж")], False),
    ("early_contact_request", "What's your phone number?", [(C, "How much is a sofa delivery?")], True),
    ("early_contact_request", "Sure, I'll call you. What's your number?", [(C, "Can you call me back?")], False),
    # --- unanswered_question --------------------------------------------------------------------------------------
    ("unanswered_question", "Извините за ожидание, заказ уже в пути.", GREETED + [(C, "Сколько можно ждать?!")], False),
    ("unanswered_question", "Да, конечно.", GREETED + [(C, "Можно вопрос?")], False),
    ("unanswered_question", "Доставка бесплатная.", GREETED + [(C, "сколько стоит доставка")], False),
    ("unanswered_question", "Размер 42 есть.", GREETED + [(C, "Есть 42 размер? А в каком цвете?")], True),
    ("unanswered_question", "Размер 42 есть в чёрном и синем.", GREETED + [(C, "Есть 42 размер? А в каком цвете?")],
     False),
    ("unanswered_question", "We open at 9 am.", GREETED_EN + [(C, "When do you open? Do you have parking?")], True),
    # --- typo ------------------------------------------------------------------------------------------------------
    ("typo", "Здраствуйте! Чем могу помочь?", [], True),
    ("typo", "Сейчaс проверю.", GREETED, True),  # Latin «a» inside a Russian word
    ("typo", "Заказ будет в пятницу, курьер позвонит.", GREETED, False),
    ("typo", "Передам Светлане Игоревне, она перезвонит.", GREETED, False),
    ("typo", "Пришлём трек-номер в WhatsApp.", GREETED, False),
    ("typo", "Заказ доставит СДЭК, пункт выдачи на Ленина 5.", GREETED, False),
    # --- language_mismatch -------------------------------------------------------------------------------------------
    ("language_mismatch", "Здравствуйте! Да, доставка есть.", [(C, "privet, skolko stoit dostavka v kazan?")], False),
    ("language_mismatch", "Yes, we deliver to Kazan.", [(C, "Здравствуйте, доставляете в Казань?")], True),
    ("language_mismatch", "OK", [(C, "Здравствуйте, доставляете в Казань?")], False),
    # --- premature_closing --------------------------------------------------------------------------------------------
    ("premature_closing", "Спасибо за обращение, до свидания!", GREETED + [(C, "ок, понял")], True),
    ("premature_closing", "Спасибо, что выбрали нас! Хорошего дня!", GREETED + [(C, "Спасибо большое!")], False),
    ("premature_closing", "Thanks for contacting us, bye!", GREETED_EN + [(C, "ok")], True),
    # --- formality_mismatch --------------------------------------------------------------------------------------------
    ("formality_mismatch", "Привет! 300 рублей.", [(C, "сколько стоит доставка")], True),
    ("formality_mismatch", "Давай я проверю.", [(C, "Здравствуйте, где мой заказ?")], True),
    ("formality_mismatch", "Здравствуйте! Давайте я проверю.", [(C, "Здравствуйте, где мой заказ?")], False),
    # --- question_burst -------------------------------------------------------------------------------------------------
    ("question_burst", "Как вас зовут? Какой город? Дата поездки?", [(C, "Хочу тур")], True),
    ("question_burst", "Как вас зовут и откуда вы?", [(C, "Хочу тур")], False),
    # --- link_only --------------------------------------------------------------------------------------------------------
    ("link_only", "https://shop.ru/delivery", GREETED, True),
    ("link_only", "Смотрите: shop.ru/delivery", GREETED, True),
    ("link_only", "Курьер привезёт за 2 дня, самовывоз — бесплатно: shop.ru/delivery", GREETED, False),
]


@pytest.mark.parametrize("rule, draft, turns, flagged", CASES,
                         ids=[f"{c[0]}-{i}-{'bad' if c[3] else 'ok'}" for i, c in enumerate(CASES)])
def test_rule_behaviour(coach, rule, draft, turns, flagged):
    result = coach.check({"draft": draft, "messages": chat(*turns), "now": NOW}, only=[rule])
    got = [w for w in result.warnings if w.rule == rule]
    assert bool(got) == flagged, [(w.message, draft[w.start:w.end] if w.start is not None else None) for w in got]


def test_answer_then_goodbye_is_still_too_early(coach):
    messages = chat(*GREETED, (C, "Сколько стоит доставка?"))
    draft = "Доставка 300 рублей. Хорошего дня!"
    [w] = coach.check({"draft": draft, "messages": messages, "now": NOW}, only=["premature_closing"]).warnings
    assert draft[w.start:w.end] == "Хорошего дня"
    assert "ещё" in w.message  # ask whether they need anything else, not "answer the question"


def test_client_left_stops_the_clocks(coach):
    messages = chat((C, "Есть доставка в Казань?", 400), (O, "Да, 300 рублей.", 390),
                    ("system", "Посетитель закрыл окно чата", 380))
    result = coach.check({"draft": "", "messages": messages, "now": NOW}, only=["client_silent", "slow_reply"])
    assert result.warnings == []


@pytest.mark.parametrize("question, draft, flagged", [
    ("какие документы нужны для возврата", "Нужен паспорт и чек.", False),
    ("Где вы находитесь?", "Мы на Ленина, 5, второй этаж.", False),
    ("Где вы находитесь?", "Работаем с 9 до 18 без выходных.", False),  # a number: could be the address
    ("Где вы находитесь?", "Работаем без выходных, приходите!", True),
    ("Что нужно для возврата?", "Паспорт и чек.", False),
    ("Есть парковка?", "Мы работаем с 9 до 18.", True),
    ("Как к вам проехать? И до скольки вы работаете?", "Работаем до 20:00.", True),
    ("Во сколько открываетесь?", "Работаем с 9 утра.", False),
])
def test_unanswered_question_judges_meaning(coach, question, draft, flagged):
    messages = chat(*GREETED, (C, question))
    got = coach.check({"draft": draft, "messages": messages, "now": NOW}, only=["unanswered_question"]).warnings
    assert bool(got) == flagged, [w.message for w in got]


@pytest.mark.parametrize("draft, name, flagged", [
    ("Добрый день! На связи Мария, менеджер салона.", None, False),
    ("Здравствуйте, это Ольга из «ТурБюро».", None, False),
    ("Здравствуйте! Менеджер Анна на связи.", "Анна Петрова", False),
    ("Здравствуйте! Чем могу помочь?", None, True),
    ("Доставка есть.", "Анна", True),
    ("Hi there, Anna here. How can I help?", None, False),
    ("Good afternoon! You're chatting with Tom from Acme.", None, False),
    ("Hi! How can I help?", None, True),
])
def test_introduction_variants(coach, draft, name, flagged):
    got = coach.check({"draft": draft, "messages": chat((C, "Здравствуйте")), "now": NOW, "operator_name": name},
                      only=["no_introduction"]).warnings
    assert bool(got) == flagged, [w.message for w in got]


@pytest.mark.parametrize("draft, flagged", [
    ("Обратитесь позже, через 2 часа менеджер будет на месте.", False),
    ("Напишите завтра в 10 утра, менеджер ответит.", False),
    ("Напишите завтра, менеджер ответит.", True),
])
def test_deferral_with_a_time_is_fine(coach, draft, flagged):
    got = coach.check({"draft": draft, "messages": chat(*GREETED), "now": NOW}, only=["come_back_later"]).warnings
    assert bool(got) == flagged
    assert not coach.rule_failures.get("come_back_later")


def test_yes_after_a_greeting_answers_a_yes_no_question(coach):
    messages = chat((C, "здравствуйте а размер м на платье в горошек есть?"))
    draft = "Здравствуйте! Я Катя. Да, М есть, а вот S закончился."
    assert coach.check({"draft": draft, "messages": messages, "now": NOW}, only=["unanswered_question"]).warnings == []


def test_greeting_and_name_are_not_sentences_of_a_long_reply(coach):
    draft = "Добрый день! Меня зовут Олег. Замена масла — 1 500 ₽ за работу, масло можно своё. Записать вас на субботу?"
    assert coach.check({"draft": draft, "now": NOW}, only=["too_long"]).warnings == []
    draft = "Здравствуйте! Меня зовут Кирилл. Куда хотите поехать? На какие даты? Сколько вас будет? Какой бюджет?"
    assert [w.rule for w in coach.check({"draft": draft, "now": NOW}, only=["too_long"]).warnings] == ["too_long"]
