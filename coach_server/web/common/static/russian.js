// What the service's own pages (supervisor, trainer) say in Russian, whatever the service answered: its errors are
// worded in English for the API and the command line, and «Failed to fetch» says nothing to a supervisor. One place
// for the pages' number agreement (1 замечание, 2 замечания, 5 замечаний) too. Loaded before each page's script.
(() => {
  "use strict";

  /** Russian number agreement: plural(21, "чат", "чата", "чатов") → "чат"; 11–14 take the third form. */
  function plural(n, one, few, many) {
    const m10 = Math.abs(n) % 10;
    const m100 = Math.abs(n) % 100;
    if (m10 === 1 && m100 !== 11) return one;
    if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return few;
    return many;
  }

  const OFFLINE = "Нет связи с сервисом коуча. Запустите его на этом компьютере — coach serve (или make run) — и обновите страницу.";

  // The service's known messages (service/httpkit.py, web/*/routes.py), by their beginning.
  const KNOWN = [
    [/^this action needs the supervisor token/, "Нужен токен супервизора: войдите (кнопка «Войти» вверху справа; токен печатает coach token)."],
    [/^supervisor data is shown on this machine only/, "Эти данные показываются только на компьютере, где работает сервис, или с токеном супервизора."],
    [/^no rule /, "Такого правила нет: возможно, его файл удалили. Обновите страницу."],
    [/^the rule file changed since you opened it/, "Правило успели изменить в другом месте. Откройте его заново и повторите изменение."],
    [/^these rules were not loaded from a directory/, "Правила загружены не из папки: сохранять их некуда."],
    [/^this service follows the team node/, "Этот сервис берёт правила у узла команды — меняйте их там."],
    [/^the rule store is unavailable/, "Хранилище правил команды сейчас недоступно. Ничего не изменилось — попробуйте позже."],
    [/^the rule versions cannot be read/, "Версии правил сейчас не читаются (папка данных сервиса недоступна)."],
    [/^no rule versions are kept here/, "Версии правил здесь не ведутся: сервис берёт правила у узла команды."],
    [/^there is no rule set version/, "Такой версии правил нет."],
    [/^the corpus is larger than/, "Файл слишком большой для страницы: проверьте его командой coach audit или загрузите часть."],
    [/^the corpus is empty/, "Файл пустой: нужна выгрузка чатов, по одному чату на строку (docs/audit.md)."],
    [/^no chat could be read from the corpus/, "В файле не нашлось ни одного чата в нужном формате (docs/audit.md)."],
    [/^no corpus /, "Этого набора чатов уже нет: загрузите файл снова."],
    [/^no feedback store/, "У сервиса нет хранилища обратной связи: запустите его без --store none."],
    [/^the feedback store is unavailable/, "Хранилище обратной связи сейчас недоступно — попробуйте позже."],
    [/^no recorded conversations in this period/, "За этот период разговоров не записано: включите хранение текста."],
    [/^the proposed rules are not valid/, "В изменённом правиле ошибки — они отмечены в полях."],
    [/^since must be before until/, "Начало периода должно быть раньше конца."],
    [/^the request body is larger than/, "Слишком большой запрос."],
    [/^the request body did not arrive/, "Запрос не дошёл до сервиса вовремя — попробуйте снова."],
    [/^no scenario /, "Такого сценария нет (или в его файле ошибки)."],
  ];

  const BY_STATUS = {
    400: "Сервис не понял запрос. Обновите страницу и попробуйте снова.",
    401: "Нужен токен супервизора: войдите (кнопка «Войти» вверху справа).",
    403: "Сервис не разрешил это действие с этого компьютера.",
    404: "Не найдено — возможно, это уже удалили. Обновите страницу.",
    408: "Запрос не дошёл до сервиса вовремя — попробуйте снова.",
    409: "Не получилось: данные успели измениться. Обновите страницу и повторите.",
    413: "Слишком большой запрос.",
    422: "В изменении ошибки — они отмечены в полях.",
    503: "Сервис сейчас занят или его хранилище недоступно — попробуйте позже.",
  };

  /** A failed answer ({status, data}; status 0: no answer at all) in Russian, never the service's English. */
  function error(status, data) {
    if (!status) return OFFLINE;
    const message = data && data.error && data.error.message;
    if (message) {
      for (const [pattern, said] of KNOWN) if (pattern.test(message)) return said;
    }
    return BY_STATUS[status] || `Сервис ответил ошибкой (код ${status}). Подробности — в журнале сервиса.`;
  }

  globalThis.CoachRu = { plural, error, OFFLINE };
})();
