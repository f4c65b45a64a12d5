"""Hypothesis strategies shared by the fuzz tests: chat-like text, check requests (valid and broken),
arbitrary JSON, live frames. Deterministic (derandomized) and bounded, so the suite stays fast and stable."""
from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

NOW = 1_750_000_000.0

# One settings object for every fuzz test: the same examples on every run (CI), no deadline (the first
# check of a new word pays for its morphology), and few enough examples to keep the suite quick.
FUZZ = settings(derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# Rules the fuzzing found crashing (the engine skips a crashing rule and logs it); each is pinned by a strict
# xfail in test_fuzz_check.py. Remove an entry when its bug is fixed.
KNOWN_CRASHES: set[str] = set()


def unexpected_errors(log: str) -> list[str]:
    """ERROR lines of a service log other than the known rule crashes."""
    return [line for line in log.splitlines() if " ERROR " in line
            and not any(f"rule {rule} failed" in line for rule in KNOWN_CRASHES)]


PHRASES = [
    "Здравствуйте!", "Меня зовут Анна.", "Пройдите на сайт", "пожалуйста", "спс", "щас", "лол", "ОК", "Да",
    "Нет", "ПОЧЕМУ ТАК ДОЛГО", "не можем", "невозможно", "обратитесь позже", "ваш телефон?",
    "+7 (912) 345-67-89", "ivan@example.org", "https://example.ru/a?b=c", "Где мой заказ?", "ты", "вы",
    "Hello!", "click here", "we can't", "thx", "u", "Could you send your phone?", "Is it free?", "Sorry :(",
    "Могу ли я ещё чем-то помочь?", "До свидания", "Хорошего дня!", "ужасно", "?", "!!!", "...", "—",
    "ё", "Ё", "ʼ", "🙂", "\u200b", "\u0301", "\u202e", "\t", "\n", "  ", "ß", "İ", "ǅ", "١٢٣", "𝔸",
]

words = st.sampled_from(PHRASES)
chat_text = st.one_of(
    st.lists(words, max_size=12).map(" ".join),
    st.text(max_size=60),
    st.lists(st.one_of(words, st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяABCxyz .,?!-", max_size=12)),
             max_size=10).map(" ".join),
)
roles = st.sampled_from(["client", "operator", "system", "bot"])
timestamps = st.floats(min_value=NOW - 200_000, max_value=NOW + 60, allow_nan=False)


@st.composite
def messages(draw, max_size: int = 8):
    out = []
    ts = NOW - draw(st.integers(0, 100_000))
    for _ in range(draw(st.integers(0, max_size))):
        msg = {"role": draw(roles), "text": draw(chat_text)}
        if draw(st.booleans()):
            ts += draw(st.integers(0, 900))
            msg["ts"] = min(ts, NOW + 60)
        if draw(st.integers(0, 5)) == 0:
            msg["id"] = draw(st.text(max_size=20))
        out.append(msg)
    return out


@st.composite
def check_requests(draw):
    """Requests the service must accept: every optional field sometimes present."""
    draft = draw(chat_text)
    req: dict = {"draft": draft, "now": NOW}
    if draw(st.booleans()):
        req["messages"] = draw(messages())
    optional = {
        "draft_started_at": timestamps,
        "chat_id": st.text(min_size=1, max_size=30),
        "operator_name": st.one_of(st.sampled_from(["Анна", "Ivan", "Мария-Луиза", "", " ", " Анна Петрова "]),
                                   st.text(max_size=12)),
        "lang": st.sampled_from(["ru", "en"]),
        "caret": st.integers(0, len(draft)),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            req[name] = draw(strategy)
    if draw(st.integers(0, 3)) == 0:
        del req["now"]  # the server clock
        for m in req.get("messages", []):
            m.pop("ts", None)
        req.pop("draft_started_at", None)
    return req


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=20)

FIELDS = ["draft", "messages", "now", "draft_started_at", "chat_id", "operator_name", "lang", "caret"]


@st.composite
def broken_requests(draw):
    """A plausible request with some field (or a message's field) replaced by junk, or junk added."""
    req = draw(check_requests())
    how = draw(st.integers(0, 4))
    if how == 0:
        req[draw(st.sampled_from(FIELDS))] = draw(json_values)
    elif how == 1 and req.get("messages"):
        msg = draw(st.sampled_from(req["messages"]))
        msg[draw(st.sampled_from(["role", "text", "ts", "id", "extra"]))] = draw(json_values)
    elif how == 2:
        req[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    elif how == 3:
        req["messages"] = draw(json_values)
    else:
        req[draw(st.sampled_from(["now", "draft_started_at"]))] = draw(st.sampled_from(
            [NOW * 1000, NOW + 10_000, -1, 0, 1e308, 946_684_799.0]))
    return req
