"""Precision: the kinds of false warnings found by reading real chats (issue 9, quality/labels.jsonl), each
rewritten here in our own words — they must stay silent — beside what the rules must still catch.

The real messages stay in the development corpus; `tests/test_quality_labels.py` replays the labels on them."""
from __future__ import annotations

import pytest

NOW = 1_750_000_000.0
C, OP = "client", "operator"


def chat(*turns):
    out = []
    n = len(turns)
    for i, (role, text) in enumerate(turns):
        out.append({"role": role, "text": text, "ts": NOW - 10 * (n - i)})
    return out


GREETED = [(OP, "Здравствуйте! Меня зовут Анна.")]
GREETED_EN = [(OP, "Hello! I'm Sam from the support team.")]


def fired(coach, rule, draft, turns=(), channel=None, caret=None):
    request = {"draft": draft, "messages": chat(*turns), "now": NOW}
    if channel:
        request["channel"] = channel
    if caret is not None:
        request["caret"] = caret
    return [w for w in coach.check(request, only=[rule]).warnings if w.rule == rule]


SILENT = [
    # --- missing_please: homonyms, abbreviations, names, advice, pointers, governed verbs ------------------------
    ("missing_please", "Мы пришли к выводу, что дело в настройках банка.", GREETED),
    ("missing_please", "Пришли к выводу, что дело в настройках банка.", GREETED),
    ("missing_please", "Не нашли ошибок в вашем запросе.", GREETED),
    ("missing_please", "Перешли на новую версию в прошлом месяце.", GREETED),
    ("missing_please", "Когда вы оплатите заказ, получите чек на почту.", GREETED),
    ("missing_please", "Это ограничение банка, т. е. изменить его мы не можем.", GREETED),
    ("missing_please", "Способов несколько, напр. через личный кабинет.", GREETED),
    ("missing_please", "Платёжные системы: Хронопей, ЮKassa, CloudPayments.", GREETED),
    ("missing_please", "Попробуйте перезагрузить приложение.", GREETED),
    ("missing_please", "Если хотите, оставьте номер — перезвоню через час.", GREETED),
    ("missing_please", "Сообщите, если понадобится помощь.", GREETED),
    ("missing_please", "Check out our guide for what to do next: https://help.example.com/steps", GREETED_EN),
    ("missing_please", "Take a look at this article: https://help.example.com/a", GREETED_EN),
    ("missing_please", "Try these steps to reset your password: https://help.example.com/reset", GREETED_EN),
    ("missing_please", "Keep in mind that the refund takes five days.", GREETED_EN),
    ("missing_please", "You can go to Settings and tap Reset.", GREETED_EN),
    ("missing_please", "I'd recommend clearing the cache and then check the issue again.", GREETED_EN),
    ("missing_please", "Please send us an email and we'll help. Remember to attach your receipt.", GREETED_EN),
    ("missing_please", "Give us a shout if anything else comes up!", GREETED_EN),
    ("missing_please", "Visit https://help.example.com for more info.", GREETED_EN),
    ("missing_please", "Ответ пришёл на эту почту - email", GREETED),
    # --- unanswered_question: answered in other words, requests for help, rhetorical, clarifying ----------------
    ("unanswered_question", "Sorry, you can't transfer a character between consoles.",
     GREETED_EN + [(C, "can you help me move my character to another console?")]),
    ("unanswered_question", "We don't have any information about that album yet.",
     GREETED_EN + [(C, "where is the new album?")]),
    ("unanswered_question", "Try restarting the app and updating it to the latest version.",
     GREETED_EN + [(C, "My app keeps crashing. Can you help?")]),
    ("unanswered_question", "Which device are you using? And what does the error say?",
     GREETED_EN + [(C, "Is there a fix for the crash?")]),
    ("unanswered_question", "К сожалению, такой возможности пока нет.",
     GREETED + [(C, "Можно ли поменять дату доставки?")]),
    ("unanswered_question", "Уточните, пожалуйста, номер заказа — посмотрю.",
     GREETED + [(C, "Когда привезут заказ?")]),
    ("unanswered_question", "Пришлите, пожалуйста, скриншот ошибки на support@example.com, разберёмся.",
     GREETED + [(C, "В чём может быть проблема?")]),
    ("unanswered_question", "Извините, заказ уже в пути и будет сегодня.",
     GREETED + [(C, "Вы издеваетесь?! Сколько можно ждать?!")]),
    ("unanswered_question", "Прошу прощения за задержку, уже смотрю.", GREETED + [(C, "Вы тут?")]),
    ("unanswered_question", "Our servers are up; the slowdown was fixed an hour ago.",
     GREETED_EN + [(C, "When I open the app it says network error.")]),
    ("unanswered_question", "2/3 Then open Settings and reinstall the driver.",
     GREETED_EN + [(C, "How long will the update take?")]),
    # --- early_contact_request: devices, channels, instructions, checking --------------------------------------
    ("early_contact_request", "На телефоне откройте настройки и включите уведомления.",
     [(C, "Не приходят уведомления")]),
    ("early_contact_request", "Введите номер телефона в поле «Телефон» и нажмите «Получить код».",
     [(C, "Как подтвердить телефон?")]),
    ("early_contact_request", "Напишите, пожалуйста, ваш e-mail, чтобы я нашла заказ.", [(C, "Где мой заказ?")]),
    ("early_contact_request", "Without revealing your email address, tell us the exact error you see.",
     [(C, "I can't log in")]),
    ("early_contact_request", "Please contact our phone support team, they will help.", [(C, "My printer broke")]),
    ("early_contact_request", "Could you share the email address associated with the account so we can look into it?",
     [(C, "My account is locked")]),
    ("early_contact_request", "Пришлите, пожалуйста, ссылку на сайт на эту почту: support@example.com",
     [(C, "Не работает оплата на сайте")]),
    # --- ignored_emotion: punctuation alone, problem reports, acknowledgements ---------------------------------
    ("ignored_emotion", "Доставка будет завтра.", GREETED + [(C, "А когда доставка??? Завтра сможете?!")]),
    ("ignored_emotion", "Проверьте, пожалуйста, настройки API.",
     GREETED + [(C, "Не работает API, ошибка 500 при загрузке JSON через POST")]),
    ("ignored_emotion", "Here's how to fix it.", GREETED_EN + [(C, "Wow!! It finally works!!")]),
    ("ignored_emotion", "That's not what we want to hear. Let's fix it together.",
     GREETED_EN + [(C, "This is the worst service ever")]),
    ("ignored_emotion", "Let's reset the BIOS first.",  # capitals the screen shows, words of a quoted error
     GREETED_EN + [(C, "Since the update it keeps showing BOOT DEVICE NOT FOUND")]),
    ("ignored_emotion", "Проверим настройки.", GREETED + [(C, "На экране пишет ДОСТУП ЗАПРЕЩЁН, что делать")]),
    ("ignored_emotion", "Try another browser.",
     GREETED_EN + [(C, "I still get “payment failed, please try again” on checkout")]),
    # a calm question in the words of an angry demand, and words with a calm other sense
    ("ignored_emotion", "Да, можно, деньги вернутся за 10 дней.", GREETED + [(C, "Можно вернуть деньги?")]),
    ("ignored_emotion", "Такой кабель есть у нас в каталоге.", GREETED + [(C, "Где можно достать такой кабель?")]),
    ("ignored_emotion", "Go to Settings and tap Reset.",
     GREETED_EN + [(C, "Sorry if this is a stupid question, how do I reset it?")]),
    ("ignored_emotion", "Your parcel arrives on Monday.", GREETED_EN + [(C, "I hate to bother you, where is my parcel?")]),
    # --- link_only: forms, answers, explanations before -------------------------------------------------------
    ("link_only", "Please send us an email at https://help.example.com/requests/new", GREETED_EN),
    ("link_only", "Yes! Here is how: https://help.example.com/join", GREETED_EN),
    ("link_only", "Заполните, пожалуйста, заявку по ссылке: https://example.com/form", GREETED),
    # --- too_long: courtesy, reactions, link labels, signatures -------------------------------------------------
    ("too_long", "Hmm, that's odd. Try reinstalling the app, then restart your phone. Let us know how it goes!",
     GREETED_EN),
    ("too_long", "Sorry to hear that! The refund is on its way and should arrive by Friday. More info: "
                 "https://help.example.com/refunds ^JS", GREETED_EN),
    ("too_long", "Спасибо за ожидание! Доставка займёт два дня. Стоимость — 300 рублей. Обращайтесь, если будут вопросы!",
     GREETED),
    # --- premature_closing and come_back_later -------------------------------------------------------------------
    ("premature_closing", "We will take good care of it and keep you posted.", GREETED_EN + [(C, "Can you fix my order?")]),
    ("come_back_later", "The payment service is down, please try the purchase again later.", GREETED_EN),
    ("come_back_later", "Попробуйте оплатить позже, сейчас банк не отвечает.", GREETED),
    # --- formality_mismatch: past tenses and abbreviations are no ты-forms ------------------------------------
    ("formality_mismatch", "К сожалению, не нашли кандидата с таким номером.", GREETED + [(C, "Добрый день, подскажите")]),
    ("formality_mismatch", "Были ли платежи через СР раньше?", GREETED + [(C, "Здравствуйте, не проходят платежи")]),
    # --- unanswered_question: a yes said by echoing the question's verb -----------------------------------
    ("unanswered_question", "В наличии, привезём завтра.", GREETED + [(C, "А синий есть? и когда привезёте?")]),
    ("unanswered_question", "Доставляем, курьер будет в пятницу.", GREETED + [(C, "Доставляете в Казань? Когда будет?")]),
    # --- caps: a label beside the word for it is what the screen says ----------------------------------------
    ("caps", "Нажмите кнопку ОПЛАТИТЬ внизу страницы.", GREETED),
    ("caps", "Then click SAVE CHANGES, or press the RESET button.", GREETED_EN),
    # --- negative_phrasing: a double negation or an idiom of empathy is no refusal ------------------------
    ("negative_phrasing", "Не могу не согласиться, отличный выбор!", GREETED + [(C, "Хороший вариант?")]),
    ("negative_phrasing", "Невозможно представить, как это неприятно. Сейчас всё исправим.", GREETED),
    ("negative_phrasing", "We can't thank you enough for your patience!", GREETED_EN),
    # --- early_contact_request: the contact is the client's problem; link_only: the link was asked for ------
    ("early_contact_request", "Давайте проверим. Уточните, на какой номер отправляете код?",
     GREETED + [(C, "у меня не приходит смс с кодом")]),
    ("early_contact_request", "What's the email address on the account?", GREETED_EN + [(C, "I can't log in")]),
    ("link_only", "Вот ссылка на оплату: https://pay.example.ru/12345", GREETED + [(C, "скиньте ссылку на оплату")]),
    ("link_only", "Here you go: https://shop.example.com/size-guide", GREETED_EN + [(C, "got a link to the size guide?")]),
    # --- no_introduction: a conversation whose start is not on screen ---------------------------------------
    ("no_introduction", "Рада была помочь! Хорошего дня!", [(C, "Спасибо большое, всё понятно!")]),
    ("no_introduction", "Thanks for waiting, your refund is on its way.", [(C, "ok, thank you")]),
]

STILL_CAUGHT = [
    ("unanswered_question", "Есть в наличии!", GREETED + [(C, "А синий есть? и когда привезёте?")]),
    ("no_introduction", "Доставка стоит 300 рублей.", [(C, "Спасибо! А сколько стоит доставка?")]),
    ("missing_please", "Пройдите на сайт и посмотрите условия.", GREETED),
    ("missing_please", "Перешлите мне файл.", GREETED),
    ("missing_please", "Send us a screenshot of the error.", GREETED_EN),
    ("missing_please", "Go to our website and click Apply.", GREETED_EN),
    ("unanswered_question", "Доставка стоит 300 рублей.",
     GREETED + [(C, "Сколько стоит доставка? И можно ли оплатить картой?")]),
    ("unanswered_question", "We are open every day from nine.", GREETED_EN + [(C, "Do you have parking?")]),
    ("early_contact_request", "Оставьте, пожалуйста, ваш номер телефона, менеджер перезвонит.",
     [(C, "Сколько стоит тур в Турцию?")]),
    ("early_contact_request", "Please leave your phone number.", [(C, "How much is a week in Antalya?")]),
    ("ignored_emotion", "Номер заказа?", GREETED + [(C, "Вы издеваетесь? Третий день жду!!!")]),
    ("ignored_emotion", "Your order ships tomorrow.", GREETED_EN + [(C, "This is a joke. You never answer!!")]),
    ("ignored_emotion", "Please submit a ticket.", GREETED_EN + [(C, "you useless bastards, fix my account")]),
    ("ignored_emotion", "Мы проверим заказ.", GREETED + [(C, "Я ПИШУ ВАМ УЖЕ ТРЕТИЙ РАЗ")]),
    ("ignored_emotion", "Номер заказа?", GREETED + [(C, "Верните деньги! Вы меня уже достали")]),
    ("ignored_emotion", "We will check.", GREETED_EN + [(C, "Worst service ever. I hate this company")]),
    ("link_only", "Please refer to: https://help.example.com/article/123", GREETED_EN),
    ("too_long", "Доставка в Казань занимает два дня. Стоимость доставки 300 рублей. Оплатить можно картой "
                 "или наличными. Также есть самовывоз из пункта выдачи.", GREETED),
    ("premature_closing", "Спасибо за обращение, до свидания!", GREETED + [(C, "ок")]),
    ("formality_mismatch", "Посмотри в личном кабинете.", GREETED + [(C, "Здравствуйте, где мой заказ?")]),
]


@pytest.mark.parametrize("rule, draft, turns", SILENT, ids=[f"{c[0]}-{i}" for i, c in enumerate(SILENT)])
def test_stays_silent(coach, rule, draft, turns):
    got = fired(coach, rule, draft, turns)
    assert got == [], [(w.message, draft[w.start:w.end] if w.start is not None else None) for w in got]


@pytest.mark.parametrize("rule, draft, turns", STILL_CAUGHT,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(STILL_CAUGHT)])
def test_still_caught(coach, rule, draft, turns):
    assert fired(coach, rule, draft, turns)


def test_one_warning_per_message_at_the_first_order(coach):
    # (a numbered list of steps instructs and is not judged — issue 17's blind labels; plain sentences are)
    draft = "Зайдите в личный кабинет. Откройте раздел «Заказы». Нажмите «Вернуть»."
    [w] = fired(coach, "missing_please", draft, GREETED)
    assert draft[w.start:w.end] == "Зайдите"


def test_a_curt_reply_to_an_upset_client_is_flagged_once_sent_not_while_typed(coach):
    turns = GREETED + [(C, "Это безобразие, третий день жду!!!")]
    assert fired(coach, "ignored_emotion", "Фамилия?", turns)
    assert not fired(coach, "ignored_emotion", "Фамилия", turns, caret=7)


def silent(coach, client, operator):
    turns = [{"role": C, "text": client, "ts": NOW - 400}, {"role": OP, "text": operator, "ts": NOW - 300}]
    return "client_silent" in [w.rule for w in coach.check({"draft": "", "messages": turns, "now": NOW}).warnings]


@pytest.mark.parametrize("client, operator, asked", [
    ("Когда будет поступление?", "Минутку, уточню у склада.", "Уточните, пожалуйста, номер заказа."),
    ("ок, жду", "Проверяю, пару минут.", "Оформить заказ?"),
    ("Where is my order?", "Let me check that for you.", "What's the order number?"),
])
def test_client_silent_not_while_the_client_waits_for_the_operator(coach, client, operator, asked):
    assert not silent(coach, client, operator)
    assert silent(coach, client, asked)  # asked and got no answer: time to check in


def test_client_silent_not_after_the_client_said_they_will_write_themselves(coach):
    assert not silent(coach, "Хорошо, подумаю и напишу", "Конечно, пишите!")
    assert not silent(coach, "Ok, I'll think about it", "Sure, take your time!")
