"""The problems of an edited rule as the supervisor's form says them: in Russian.

A rule file's problems are worded in English once, where they are found (pydantic, the rule loader, the
description's placeholders) — that is what `coach rules check` prints and the API returns as `problem`. The page
is Russian, so each error it gets also carries `problem_ru`: the same problem, translated by the patterns below
(the values it names kept as they are). A problem no pattern knows is said generally, never in English.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Said = str | Callable[[re.Match[str]], str]

_RAW: list[tuple[str, Said]] = [
    (r"^Input should be greater than or equal to (\S+)", lambda m: f"должно быть не меньше {m[1]}"),
    (r"^Input should be greater than (\S+)", lambda m: f"должно быть больше {m[1]}"),
    (r"^Input should be less than or equal to (\S+)", lambda m: f"должно быть не больше {m[1]}"),
    (r"^Input should be less than (\S+)", lambda m: f"должно быть меньше {m[1]}"),
    (r"^Input should be a valid integer", "нужно целое число"),
    (r"^Input should be a valid number", "нужно число"),
    (r"^Input should be a finite number", "нужно обычное число"),
    (r"^Input should be a valid string", "нужен текст"),
    (r"^Input should be a valid boolean", "нужно «да» или «нет»"),
    (r"^Input should be a valid (list|array)", "нужен список"),
    (r"^Input should be a valid dictionary", "нужна таблица значений"),
    (r"^String should have at least (\d+) characters?", lambda m: "не может быть пустым" if m[1] == "1"
     else f"нужно не меньше {m[1]} знаков"),
    (r"^String should have at most (\d+) characters?", lambda m: f"не длиннее {m[1]} знаков"),
    (r"^List should have at least (\d+) items?", lambda m: "нужна хотя бы одна строка" if m[1] == "1"
     else f"нужно не меньше {m[1]} строк"),
    (r"^must be one of (.+); got (.+)$",
     lambda m: f"выберите одно из значений: {m[1].replace(' or ', ' или ')} (сейчас {m[2]})"),
    (r"^required field is missing|^Field required", "обязательное поле"),
    (r"^unknown field", "такого поля нет (проверьте написание)"),
    (r"^(\w+) must be in increasing order of '(\w+)'", "ступени должны идти по возрастанию времени"),
    (r"^unknown placeholder (.+?)(;|$)", lambda m: f"подстановка {m[1]} этому правилу неизвестна"),
    (r"^bad message template", "в тексте непарная фигурная скобка: подстановки пишутся как {имя}"),
    (r"^placeholder \{(.+)\} is not a plain name", lambda m: f"{{{m[1]}}} — не имя подстановки"),
    (r"^\{(.+?)\}: (\S+) has no '(\w+)'; it has: (.+)$",
     lambda m: f"{{{m[1]}}}: в настройках нет «{m[3]}» (есть: {m[4]})"),
    (r"^\{(.+?)\}: (\S+) has no value for '(\w+)'", lambda m: f"{{{m[1]}}}: значение «{m[3]}» не задано"),
    (r"^\{(.+?)\}: (\S+) has (\d+) rows", lambda m: f"{{{m[1]}}}: строк всего {m[3]} (счёт с нуля)"),
    (r"^\{(.+?)\}: (\S+) has no rows", lambda m: f"{{{m[1]}}}: строк нет"),
    (r"^\{(.+?)\}: (\S+) is a single value", lambda m: f"{{{m[1]}}}: это одно значение, у него нет частей"),
    (r"^\{(.+?)\}: (\S+) is not a list of rows", lambda m: f"{{{m[1]}}}: это не список строк"),
    (r"^\{(.+?)\} is a table: name one of its values, e\.g\. (\{.+\})",
     lambda m: f"{{{m[1]}}} — таблица: назовите одно её значение, например {m[2]}"),
    (r"^\{(.+?)\} is not a path into params", lambda m: f"{{{m[1]}}} — не путь к настройке: пишите {{имя}}, "
                                                         "{имя.ключ} или {имя[0].ключ}"),
    (r"^a lone '(.)' at character (\d+)", lambda m: f"одиночная скобка «{m[1]}» (знак {m[2]}): подстановка — "
                                                     "{имя}, сама скобка — {{ или }}"),
    (r"^not valid TOML", "файл правила не читается (ошибка синтаксиса): исправьте его в редакторе"),
    (r"^the file cannot be edited from the form", "файл правила сломан, форма не может его изменить: "
                                                  "исправьте его в редакторе"),
]
_PATTERNS = [(re.compile(pattern), said) for pattern, said in _RAW]


def problem_ru(problem: str) -> str:
    """One problem in Russian."""
    for pattern, said in _PATTERNS:
        m = pattern.search(problem)
        if m:
            return said(m) if callable(said) else said
    return "значение не подходит (подробности покажет coach rules check)"


def with_russian(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors as the API gives them, each with `problem_ru` beside its `problem`."""
    return [{**e, "problem_ru": problem_ru(str(e.get("problem", "")))} for e in errors]
