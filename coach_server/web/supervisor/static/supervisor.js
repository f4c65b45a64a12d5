/* Operator Coach — supervisor page: rules (form generated from each rule kind's JSON schema, validation,
   back-test, save) and feedback stats. Plain JS, no build step; talks to /supervisor/api/ same-origin. */
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
};
const fmt = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("ru-RU"));
const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(0)}%`);
const percent = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)} %`);
const SEV = { error: "ошибка", warning: "предупреждение", info: "совет" };
const SHOW = { auto: "по точности", always: "всегда", never: "никогда" };
const CATEGORY_RU = { not_words: "приняло не слово за слово (аббревиатура, название, код, единица)",
  exempt: "случай, который описание правила разрешает", already_done: "оператор уже сделал то, о чём просит правило",
  misread: "неверно поняло разговор", channel: "в этом канале так можно", harmless: "формально верно, но придирка",
  other: "другое" };
const TRIGGER_RU = { main: "основное", clause: "фраза заглавными", long_run: "три слова и больше заглавными",
  sales_question: "контакт вместо ответа о товаре", brush_off: "отсылка на сайт вместо ответа",
  skipped_one: "ответил на один вопрос из нескольких", typed_unrelated: "вопрос «сколько/когда/где» без ответа",
  yes_no_unrelated: "вопрос «есть ли» без ответа", strong: "явные слова злости", shouting: "требование капсом",
  weak_signs: "несколько слабых признаков", bare: "голый отказ", formal_client: "клиент на «вы»",
  neutral_client: "тон клиента неизвестен", open_question: "прощание при открытом вопросе",
  no_anything_else: "прощание без «чем-то ещё помочь?»", neither: "нет ни приветствия, ни имени",
  no_greeting: "нет приветствия", no_name: "нет имени" };

// --- API -------------------------------------------------------------------------------------------------
const TOKEN_KEY = "operatorCoach.supervisorToken";
const api = {
  token: sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY) || "",
  async call(method, path, body, { raw = false, headers = {} } = {}) {
    const h = { ...headers };
    if (this.token) h["Authorization"] = `Bearer ${this.token}`;
    let payload;
    if (body !== undefined) {
      if (raw) payload = body;
      else { h["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    }
    let res;
    try {
      res = await fetch(path, { method, headers: h, body: payload });
    } catch {
      return { status: 0, ok: false, data: null };  // the service does not answer: said as CoachRu.OFFLINE
    }
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    return { status: res.status, ok: res.ok, data };
  },
};

const state = { rules: [], info: null, rule: null, form: null, original: null, backtest: null, btTimer: null,
  statsDays: 7, since: null, until: null };

function toast(text) {
  const t = $("#toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 3500);
}

// --- labels: the fields' Russian names come with the rule (labels_ru.toml); these are the common ones ----------
const LABELS = { enabled: "Включено", severity: "Важность", title: "Название", description: "Описание",
  show: "Показывать операторам", min_confidence: "Порог уверенности" };
const MEASURES = { sentences: "предложений", chars: "знаков", words: "слов", questions: "вопросов" };
// the rule kinds (checks/*.py), as the header names them
const KIND = { timer: "часы", lexicon: "список слов", metric: "мера длины", imperative: "просьба без «пожалуйста»",
  introduction: "приветствие и имя", empathy: "эмпатия", formality: "тон обращения", language: "язык ответа",
  links: "ссылки", question_coverage: "ответ на вопросы", repetition: "повтор шаблона", spelling: "опечатки",
  caps: "заглавные буквы", closing: "прощание", contact_request: "просьба контакта", deferral: "«напишите позже»",
  pattern: "шаблон текста" };
// the choices the kinds' settings offer (a timer's clock, a word list's mode), said in Russian
const CHOICES = { client_wait: "сколько клиент ждёт ответа", draft: "сколько оператор пишет ответ",
  client_silence: "сколько молчит клиент", any: "любое слово из списка", whole: "весь ответ из этих слов" };
// (the schema's own title is English: never shown; a field without a name shows its key, and fails a test)
const label = (key) => state.rule?.labels?.[key] || LABELS[key] || MEASURES[key] || key;

// --- the form, generated from JSON schema -----------------------------------------------------------------
function resolve(schema, defs) {
  if (!schema) return {};
  if (schema.$ref) return resolve(defs[schema.$ref.split("/").pop()], defs);
  if (schema.anyOf) {
    const other = schema.anyOf.filter((s) => s.type !== "null");
    const nullable = other.length < schema.anyOf.length;
    if (other.length === 1) return { ...resolve(other[0], defs), nullable, description: schema.description, title: schema.title, default: schema.default };
  }
  return schema;
}

const linesOf = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);

/* Every widget: {el, get(), path}. `fields` collects them by path for error messages. */
function widget(schema, value, path, defs, fields, key) {
  const s = resolve(schema, defs);
  const make = (node, get) => { const w = { el: node, get, path }; fields[path] = w; return w; };
  const onInput = () => onFormChange();
  if (s.type === "boolean") {
    const input = el("input", { type: "checkbox", "data-path": path, onchange: onInput });
    input.checked = !!value;
    return make(el("label", { class: "switch" }, input, el("span")), () => input.checked);
  }
  if (s.enum) {
    const select = el("select", { "data-path": path, onchange: onInput },
      s.nullable ? el("option", { value: "" }, "—") : null,
      s.enum.map((v) => el("option", { value: v }, (s.labels && s.labels[v]) || SEV[v] || CHOICES[v] || v)));
    select.value = value ?? "";
    return make(select, () => (select.value === "" && s.nullable ? null : select.value));
  }
  if (s.type === "integer" || s.type === "number") {
    const input = el("input", { type: "number", "data-path": path, step: s.type === "integer" ? "1" : "any",
      min: s.minimum ?? s.exclusiveMinimum, max: s.maximum ?? s.exclusiveMaximum, oninput: onInput });
    input.value = value ?? "";
    return make(input, () => {
      if (input.value.trim() === "") return s.nullable ? null : input.value;
      const n = Number(input.value);
      return Number.isFinite(n) ? n : input.value;  // a non-number goes to the server, which names the error
    });
  }
  if (s.type === "string") {
    const long = /^(message|suggestion|description)/.test(key || "") || (value && String(value).length > 70);
    const input = long
      ? el("textarea", { rows: Math.min(4, Math.max(2, Math.ceil(String(value || "").length / 90))), "data-path": path, oninput: onInput })
      : el("input", { type: "text", "data-path": path, oninput: onInput });
    input.value = value ?? "";
    return make(input, () => (input.value === "" && s.nullable ? null : input.value));
  }
  if (s.type === "array") {
    const items = resolve(s.items, defs);
    if (items.type === "object") return rowsWidget(items, value || [], path, defs, fields);
    if (items.type === "array") {
      const ta = el("textarea", { rows: Math.min(8, (value || []).length + 1), "data-path": path, oninput: onInput });
      ta.value = (value || []).map((g) => g.join(", ")).join("\n");
      return make(el("div", {}, ta, el("div", { class: "field-hint" }, "группа на строку, слова через запятую")),
        () => linesOf(ta.value).map((line) => line.split(",").map((w) => w.trim()).filter(Boolean)));
    }
    const ta = el("textarea", { rows: Math.min(10, Math.max(2, (value || []).length + 1)), "data-path": path });
    ta.value = (value || []).join("\n");
    const count = el("span", { class: "count" });
    const recount = () => { count.textContent = `${linesOf(ta.value).length} — по одному на строку`; };
    ta.addEventListener("input", () => { recount(); onInput(); });
    recount();
    return make(el("div", {}, ta, count), () => {
      const out = linesOf(ta.value);
      return items.type === "integer" || items.type === "number" ? out.map(Number) : out;
    });
  }
  if (s.type === "object") {
    const names = s.propertyNames && s.propertyNames.enum;
    const inner = resolve(s.additionalProperties, defs);
    if (names) {  // a value per known name, e.g. max = {sentences, chars, words, questions}
      const subs = names.map((name) => {
        const w = widget(inner, (value || {})[name], `${path}.${name}`, defs, fields, key);
        if (w.el.tagName === "INPUT" || w.el.tagName === "TEXTAREA") w.el.placeholder = "не задано";
        return { name, w };
      });
      const box = el("div", { class: "subfields", "data-path": path },
        subs.map(({ name, w }) => el("div", { "data-key": name }, el("label", {}, MEASURES[name] || label(name)), w.el)));
      return make(box, () => {
        const out = {};
        for (const { name, w } of subs) {
          const v = w.get();
          if (v !== null && v !== "" && !(Array.isArray(v) && !v.length)) out[name] = v;
        }
        return out;
      });
    }
    if (inner.type === "array") {  // key: a, b, c
      const ta = el("textarea", { rows: Math.min(10, Object.keys(value || {}).length + 1), "data-path": path, oninput: onInput });
      ta.value = Object.entries(value || {}).map(([k, v]) => `${k}: ${v.join(", ")}`).join("\n");
      return make(el("div", {}, ta, el("div", { class: "field-hint" }, "«слово: ответ, ответ» — по одному на строку")), () => {
        const out = {};
        for (const line of linesOf(ta.value)) {
          const i = line.indexOf(":");
          if (i < 0) { out[line] = []; continue; }
          out[line.slice(0, i).trim()] = line.slice(i + 1).split(",").map((w) => w.trim()).filter(Boolean);
        }
        return out;
      });
    }
    // key = value
    const ta = el("textarea", { rows: Math.min(10, Object.keys(value || {}).length + 1), "data-path": path, oninput: onInput });
    ta.value = Object.entries(value || {}).map(([k, v]) => `${k} = ${v}`).join("\n");
    return make(el("div", {}, ta, el("div", { class: "field-hint" }, "«слово = замена» — по одному на строку")), () => {
      const out = {};
      for (const line of linesOf(ta.value)) {
        const i = line.indexOf("=");
        if (i < 0) out[line] = "";
        else out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      return out;
    });
  }
  const input = el("input", { type: "text", "data-path": path, oninput: onInput });
  input.value = value === undefined || value === null ? "" : JSON.stringify(value);
  return make(input, () => { try { return JSON.parse(input.value); } catch { return input.value; } });
}

function rowsWidget(itemSchema, rows, path, defs, fields) {
  const props = Object.keys(itemSchema.properties || {});
  const tbody = el("tbody");
  const table = el("table", { class: "rows", "data-path": path },
    el("thead", {}, el("tr", {}, props.map((p) => el("th", {}, label(p, itemSchema.properties[p]))), el("th"))), tbody);
  const live = [];
  const addRow = (row) => {
    const entry = { cells: {} };
    const tr = el("tr");
    props.forEach((p) => {
      const i = live.length;
      const w = widget(itemSchema.properties[p], row[p], `${path}[${i}].${p}`, defs, fields, p);
      entry.cells[p] = w;
      tr.append(el("td", {}, w.el));
    });
    tr.append(el("td", {}, el("button", { class: "icon-btn", type: "button", title: "Удалить строку",
      onclick: () => { tbody.removeChild(tr); live.splice(live.indexOf(entry), 1); onFormChange(); } }, "×")));
    entry.tr = tr;
    live.push(entry);
    tbody.append(tr);
  };
  rows.forEach(addRow);
  const add = el("button", { class: "btn small", type: "button", onclick: () => {
    const last = live.length ? Object.fromEntries(props.map((p) => [p, live[live.length - 1].cells[p].get()])) : {};
    if (typeof last.after === "number") last.after += 60;
    addRow(last);
    onFormChange();
  } }, "+ строка");
  const w = { el: el("div", {}, table, el("div", { style: "margin-top:6px" }, add)), path,
    get: () => live.map((e) => Object.fromEntries(props.map((p) => [p, e.cells[p].get()]))) };
  fields[path] = w;
  return w;
}

// A field's hint: the service's Russian one (hints_ru.toml), else the schema's own description.
function fieldRow(key, schema, value, path, defs, fields, hint) {
  const s = resolve(schema, defs);
  const w = widget(schema, value, path, defs, fields, key);
  const holder = el("div", { class: "field-control", "data-field": path }, w.el);
  const text = hint || s.description;
  return { w, nodes: [
    el("div", { class: "field-label", "data-key": key }, el("b", {}, label(key, s)),
      text ? el("div", { class: "field-hint", "data-hint": key }, text) : null),
    holder] };
}

function section(title, schema, values, prefix, fields, open = true, hints = {}) {
  const defs = schema.$defs || {};
  const props = schema.properties || {};
  const grid = el("div", { class: "fields" });
  const widgets = {};
  for (const [key, prop] of Object.entries(props)) {
    const row = fieldRow(key, prop, values[key], `${prefix}.${key}`, defs, fields, hints[key]);
    widgets[key] = row.w;
    grid.append(...row.nodes);
  }
  const body = Object.keys(props).length ? grid : el("p", { class: "hint" }, "У правила этого вида нет настроек.");
  const card = prefix === "params"
    ? el("section", { class: "card", id: `sec-${prefix}` }, el("h2", {}, title), body)
    : el("details", { class: "card", id: `sec-${prefix}`, open }, el("summary", {}, title), body);
  return { card, get: () => Object.fromEntries(Object.entries(widgets).map(([k, w]) => [k, w.get()])) };
}

// --- rule list and editor ----------------------------------------------------------------------------------
async function loadState() {
  const { ok, data, status } = await api.call("GET", "/supervisor/api/state");
  if (!ok) { $("#editor").innerHTML = ""; $("#editor").append(el("div", { class: "notice err" }, CoachRu.error(status, data))); return; }
  state.info = data;
  state.rules = data.rules;
  if (api.token && !data.token_ok) {  // the token this tab kept is no longer this service's (a new one was made)
    api.token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    toast("Сохранённый токен больше не подходит — войдите снова, чтобы вносить изменения");
  }
  renderRuleList();
  renderStoreChip();
  renderSourceChip();
  renderToken();
}

const SOURCE_MODE = { files: "папка", store: "хранилище", follow: "узел команды" };

function sourceText(src) {
  if (!src) return "";
  const version = src.version ? `версия ${src.version}` : `набор ${src.digest}`;
  if (src.mode === "files") return `Правила из папки ${src.location}`;
  const where = src.mode === "store" ? `хранилища команды ${src.location}` : `узла команды ${src.location}`;
  if (src.state === "offline") {
    const kept = src.serving === "local" ? "действуют правила этого компьютера" : `действует последняя полученная: ${version}`;
    const lost = src.mode === "store" ? `хранилищем команды ${src.location}` : `узлом команды ${src.location}`;
    return `Нет связи с ${lost} — ${kept}. ${src.last_error || ""}`;
  }
  if (src.serving === "local") return `Из ${where}: там ещё нет правил — действуют правила этого компьютера`;
  return `Действует ${version} из ${where}${src.author ? ` · ${src.author}` : ""}${src.created_at ? ` · ${new Date(src.created_at * 1000).toLocaleString("ru-RU")}` : ""}`;
}

function renderSourceChip() {
  const chip = $("#source-chip");
  const src = state.info?.rules_source;
  if (!src) { chip.hidden = true; return; }
  chip.className = "chip " + (src.state === "online" ? "ok" : src.state === "offline" ? "bad" : "warn");
  chip.lastElementChild.textContent = `правила: ${src.mode === "store" ? "" : SOURCE_MODE[src.mode]}${src.version ? `${src.mode === "store" ? "" : " · "}версия ${src.version}` : ""}${src.state === "offline" ? " · нет связи" : ""}`;
  chip.title = sourceText(src);
}

function renderStoreChip() {
  const chip = $("#store-chip");
  const st = state.info?.store;
  chip.className = "chip " + (!st ? "warn" : st.connected ? "ok" : st.last_error ? "bad" : "warn");
  chip.lastElementChild.textContent = !st ? "без хранилища" : `хранилище: ${st.kind === "sqlite" ? "файл" : "база команды"}${st.pending ? ` · в очереди ${st.pending}` : ""}${st.last_error ? " · недоступно" : ""}`;
  chip.title = st ? `Хранилище обратной связи: ${st.location}${st.last_error ? " — сейчас недоступно" : ""}` : "Сервис запущен без хранилища обратной связи";
}

function renderToken() {
  const btn = $("#token-btn");
  const ok = state.info?.token_ok;
  btn.innerHTML = "";
  const who = state.info?.token_holder === "supervisor" ? "супервизор" : state.info?.token_holder || "";
  if (ok) btn.append(el("span", { class: "lock open" }), " Вошли: ", el("b", { id: "token-holder" }, who));
  else btn.append(el("span", { class: "lock" }), " Войти");
  btn.title = ok ? "Изменения разрешены: вы вошли с токеном супервизора. Нажмите, чтобы выйти" : "Только просмотр: войдите с токеном супервизора, чтобы сохранять правила";
  btn.setAttribute("aria-label", ok ? `Вошли как ${holderName(state.info.token_holder || "")}; выйти…` : "Войти с токеном супервизора");
}

function renderRuleList() {
  const q = $("#rule-search").value.trim().toLowerCase();
  const ul = $("#rule-list");
  ul.innerHTML = "";
  for (const r of state.rules) {
    if (q && !(`${r.id} ${r.title}`.toLowerCase().includes(q))) continue;
    ul.append(el("li", { class: `${r.enabled ? "" : "off"} ${state.rule?.id === r.id ? "active" : ""}`, "data-rule": r.id,
      onclick: () => openRule(r.id) },
      el("span", { class: "state", title: r.enabled ? "включено" : "выключено" }),
      el("div", {}, el("div", { class: "name" }, r.title), r.stale ? el("div", { class: "id" }, "ошибка в файле") : null),
      el("span", { class: `sev ${r.severity}` }, SEV[r.severity])));
  }
}

async function openRule(id) {
  if (state.form && isDirty() && !confirm("Изменения в текущем правиле не сохранены. Открыть другое?")) return;
  const { ok, data, status } = await api.call("GET", `/supervisor/api/rules/${encodeURIComponent(id)}`);
  if (!ok) { toast(CoachRu.error(status, data)); return; }
  state.rule = data;
  state.backtest = null;
  if ($("#view-rules").classList.contains("active")) history.replaceState(null, "", `#rule=${id}`);
  renderEditor();
  renderRuleList();
}

function renderEditor() {
  const doc = state.rule;
  const ed = $("#editor");
  ed.innerHTML = "";
  const fields = {};
  const common = {
    type: "object", properties: {
      enabled: { type: "boolean", description: "выключенное правило не проверяет ничего" },
      severity: { enum: ["info", "warning", "error"], description: "цвет подсказки и её место в списке" },
      title: { type: "string" },
      description: { type: "string", description: "зачем правило — для супервизоров и тренеров. Пороги пишите "
        + `в фигурных скобках — прочтут текущее значение: ${placeholderExample(doc.values.params)}` },
      show: { enum: ["auto", "always", "never"], labels: SHOW,
        description: "«по точности» — операторы видят подсказку, когда её измеренная уверенность не ниже порога; "
          + "«всегда» — видят в любом случае; «никогда» — правило работает тихо (видно в аудите и тренере)" },
      min_confidence: { type: "number", nullable: true, minimum: 0, maximum: 1,
        description: `порог уверенности этого правила, от 0 до 1; пусто — общий порог сервиса (${doc.precision ? doc.precision.min_confidence : "0.8"})` },
    },
  };
  const base = section("Основное", common, doc, "common", fields);
  base.card.querySelector("summary")?.remove();
  const baseCard = el("section", { class: "card" }, el("h2", {}, "Основное"), base.card.querySelector(".fields"));
  const hints = doc.hints || {};
  const params = section("Пороги и настройки", doc.schema.params, doc.values.params, "params", fields, true, hints.params);
  const ru = section("Русский: сообщения и списки слов", doc.schema.lang, doc.values.ru, "ru", fields, false, hints.lang);
  const en = section("Английский: сообщения и списки слов", doc.schema.lang, doc.values.en, "en", fields, false, hints.lang);
  const channels = channelsCard(doc, fields, params);
  state.form = { fields, get: () => ({ ...base.get(), params: params.get(), ru: ru.get(), en: en.get(),
    channels: channels.get() }) };
  // beside the description as written, the same as it reads, for a description with placeholders
  fields["common.description"].el.closest(".field-control").append(el("div", { class: "field-hint desc-preview",
    id: "description-preview", hidden: !doc.description.includes("{") }, el("b", {}, "Так прочтут: "), el("span", {}, doc.description_text)));
  ed.append(
    el("div", { class: "rule-head", "data-rule": doc.id }, el("div", { style: "flex:1" },
      el("h1", {}, doc.title),
      el("p", { class: "rule-desc", id: "rule-description", title: "Описание, как его прочтут: пороги — текущие" }, doc.description_text),
      el("div", { class: "meta" }, el("span", { class: "badge", "data-kind": doc.kind }, KIND[doc.kind] || "правило"),
        el("span", {}, `файл ${doc.file}`),
        el("span", {}, `примеры: ${doc.examples.invalid} ${plural(doc.examples.invalid, "нарушение", "нарушения", "нарушений")}, ${doc.examples.valid} ${plural(doc.examples.valid, "допустимый", "допустимых", "допустимых")}`),
        doc.stale ? el("span", { class: "badge stale" }, "файл сломан — действует прошлая версия") : null,
        doc.placeholders.length ? el("span", {}, "подстановки в сообщениях: ", doc.placeholders.map((p) => `{${p}}`).join(" ")) : null))),
    el("div", { id: "edit-notices" }),
    precisionCard(doc.precision), baseCard, params.card, channels.card, ru.card, en.card, backtestCard());
  state.original = JSON.stringify(state.form.get());
  $("#actionbar").hidden = false;
  updateStatus();
  loadRuleVerdicts(doc.id);
  loadStatusChanges(doc.id).then((changes) => {
    const box = $("#rule-status-changes");
    if (!box || state.rule?.id !== doc.id || !changes.length) return;
    box.append(el("p", { class: "muted" }, "Как оценки команды меняли показ (последние):"), ...changes.slice(0, 5).map(statusChangeNode));
  });
}

const isDirty = () => state.form && JSON.stringify(state.form.get()) !== state.original;

// What is measured of the rule: blind double labels of the sealed part (the project's figure), and the team's own
// verdicts on its chats, which update it (from 10 on a way of firing: the project's counts plus the team's). Why it
// is shown or quiet, with the arithmetic; the verdicts behind it; the pin («всегда» / «никогда»), saved with why.
function precisionCard(p) {
  const card = el("section", { class: "card", id: "precision" }, el("h2", {}, "Точность: проект и ваша команда"));
  const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)} %`);
  if (!p) return card;
  const team = p.team || { labels: 0, correct: 0 };
  card.append(el("p", {}, p.labels
    ? `Проект: верных ${p.correct} из ${p.labels} оценённых подсказок на чатах, на которых правило не настраивали (${pct(p.precision)}; с 95-процентной уверенностью не меньше ${pct(p.low)}). `
    : "Проект точность этого правила ещё не измерял. ",
  team.labels ? `Ваша команда: верных ${team.correct} из ${team.labels} (${pct(team.precision)}). ` : "Ваша команда это правило ещё не оценивала. ",
  `${p.shown ? "Операторы видят его подсказки" : "По умолчанию правило тихое: операторы его не видят"} — порог ${pct(p.min_confidence)}, показ — ${SHOW[p.show]}.`));
  const rows = p.triggers.filter((t) => t.labels || t.basis_labels || t.team_labels);
  if (rows.length) {
    card.append(el("table", { class: "stats", id: "precision-table" }, el("thead", {}, el("tr", {},
      el("th", {}, "Срабатывание"), el("th", {}, "Язык"), el("th", {}, "Проект"), el("th", {}, "Команда"), el("th", {}, "Уверенность"),
      el("th", {}, "Операторам"), el("th", {}, "Исправление"))),
    el("tbody", {}, rows.map((t) => el("tr", { "data-trigger": t.trigger, "data-lang": t.lang, "data-shown": String(t.shown) },
      el("td", {}, TRIGGER_RU[t.trigger] || t.trigger), el("td", {}, t.lang === "ru" ? "русский" : "английский"),
      el("td", { class: "num" }, t.labels ? `${t.correct} из ${t.labels}` : "—"),
      el("td", { class: "num" }, t.team_labels ? `${t.team_correct} из ${t.team_labels}` : "—"),
      el("td", { class: "num" }, pct(t.confidence)),
      el("td", {}, t.shown ? "показывается" : "тихо"), el("td", {}, t.fix_offered ? "предлагается" : "нет"))))));
    const why = rows.filter((t) => t.lang === "ru" || !rows.some((r) => r.trigger === t.trigger && r.lang === "ru")).map((t) => el("li", { "data-trigger": t.trigger }, triggerWhy(t, p)));
    card.append(el("ul", { class: "precision-why", id: "precision-why" }, why));
  }
  const cats = Object.entries(p.categories || {});
  if (cats.length) {
    card.append(el("p", {}, "Почему ошибалось в оценках проекта: ", cats.map(([k, n]) => `${CATEGORY_RU[k] || k} — ${n}`).join("; "), "."));
  }
  card.append(pinControls(p), el("div", { id: "rule-status-changes" }), el("div", { id: "rule-verdicts" }));
  card.append(el("p", { class: "muted" }, `Оценки проекта: два независимых человека, которые не писали правило, читали каждую подсказку в её разговоре; `
    + `считаются только совпавшие оценки. Измерено: ${p.measured || "—"}. Оценки команды — во вкладке «Проверка подсказок»; `
    + "отклонения операторов в расчёт не входят: они лишь ставят правило выше в очереди на проверку."));
  return card;
}

// Why a way of firing is shown or quiet, with the arithmetic: the Wilson lower bound of the counts that decide.
function triggerWhy(t, p) {
  const name = `«${TRIGGER_RU[t.trigger] || t.trigger}»`;
  const floor = percent(p.min_confidence);
  const pin = p.show !== "auto" ? ` Но показ закреплён: ${SHOW[p.show]}.` : "";
  if (t.basis === "team") {
    const prior = t.prior_labels ? `${t.prior_correct} верных из ${t.prior_labels} у проекта` : "у проекта оценок нет";
    return `${name}: ${prior} + ${t.team_correct} из ${t.team_labels} у команды = ${t.basis_correct} из ${t.basis_labels}; `
      + `нижняя граница ${percent(t.confidence)} ${t.confidence >= p.min_confidence ? "не ниже" : "ниже"} порога ${floor} → ${t.confidence >= p.min_confidence ? "показывается" : "тихо"}.${pin}`;
  }
  const teamNote = t.team_labels ? ` Оценок команды ${t.team_labels} — решать они начнут с ${t.team_decides}.` : "";
  if (t.basis === "unmeasured") return `${name}: оценок нет — тихо.${teamNote}${pin}`;
  return `${name}: по оценкам проекта ${t.basis_correct} верных из ${t.basis_labels}; нижняя граница ${percent(t.confidence)} `
    + `${(t.confidence || 0) >= p.min_confidence ? "не ниже" : "ниже"} порога ${floor} → ${(t.confidence || 0) >= p.min_confidence ? "показывается" : "тихо"}.${teamNote}${pin}`;
}

// A supervisor's pin: the rule file's `show`, saved like any save (a version, with who) and with why.
function pinControls(p) {
  const reason = el("input", { type: "text", id: "pin-reason", maxlength: 500, placeholder: "Почему (попадёт в историю)", autocomplete: "off" });
  const button = (show, text) => el("button", { class: `btn small${p.show === show ? " active" : ""}`, type: "button", "data-show": show,
    disabled: p.show === show, onclick: () => pinRule(show, reason.value) }, text);
  return el("div", { class: "pin", id: "pin" }, el("b", {}, "Закрепить: "),
    button("always", "показывать всегда"), button("never", "не показывать"), button("auto", "по точности"), reason);
}

async function pinRule(show, reason) {
  if (!state.info?.token_ok) { openTokenDialog(() => pinRule(show, reason)); return; }
  if (isDirty() && !confirm("В форме есть несохранённые изменения — закрепление сохранит только показ. Продолжить?")) return;
  const id = state.rule.id;
  const { status, data } = await api.call("PUT", `/supervisor/api/rules/${encodeURIComponent(id)}`,
    { show, reason: (reason || "").trim(), base_digest: state.rule.digest });
  if (status === 409) { toast(saveConflict(data)); return; }
  if (status !== 200) { toast(CoachRu.error(status, data)); return; }
  state.rule = data.rule;
  renderEditor();
  toast(show === "always" ? "Закреплено: операторы видят правило всегда" : show === "never" ? "Закреплено: правило тихое" : "Снова по точности");
  await loadState();
}

// Norms per channel (docs/rules.md, Channels): a messenger is answered within minutes, a post within the hour, an
// e-mail within a working day. For each channel other than a chat: whether the rule works there, and the settings
// it has of its own there — each one «как в чате» (the value above) unless it is set for the channel.
const CHANNEL_NAMES = { messenger: "Мессенджеры", social: "Соцсети", email: "Почта и обращения" };
function channelsCard(doc, fields, params) {
  const defs = doc.schema.params.$defs || {};
  const props = doc.schema.params.properties || {};
  const hints = doc.hints?.params || {};
  const parts = {};
  const card = el("details", { class: "card", id: "sec-channels", open: Object.values(doc.channels || {}).some((c) => Object.keys(c.params).length || c.enabled !== null) },
    el("summary", {}, "Нормы по каналам: мессенджеры, соцсети, почта"),
    el("p", { class: "hint" }, "В каждом канале правило работает с настройками чата, если здесь не задано своё значение. Отметьте настройку, чтобы задать её для канала."));
  for (const [channel, info] of Object.entries(doc.channels || {})) {
    const on = el("select", { "data-path": `channels.${channel}.enabled`, onchange: () => onFormChange() },
      el("option", { value: "" }, "как в чате"), el("option", { value: "true" }, "включено"), el("option", { value: "false" }, "выключено"));
    on.value = info.enabled === null ? "" : String(info.enabled);
    const grid = el("div", { class: "fields" });
    const own = {};
    for (const [key, prop] of Object.entries(props)) {
      const overridden = Object.prototype.hasOwnProperty.call(info.params, key);
      const path = `channels.${channel}.params.${key}`;
      const w = widget(prop, overridden ? info.params[key] : doc.values.params[key], path, defs, fields, key);
      const box = el("input", { type: "checkbox", "data-own": path, onchange: () => { holder.classList.toggle("inherited", !box.checked); onFormChange(); } });
      box.checked = overridden;
      const holder = el("div", { class: `field-control${overridden ? "" : " inherited"}`, "data-field": path }, w.el);
      own[key] = { box, w };
      grid.append(el("div", { class: "field-label" }, el("b", {}, label(key)),
        el("label", { class: "own" }, box, " своё значение для канала"),
        hints[key] ? el("div", { class: "field-hint" }, hints[key]) : null), holder);
    }
    const reads = el("div", { class: "field-hint channel-reads", "data-channel": channel },
      info.active ? `Так правило прочтут здесь: ${info.description_text}` : "В этом канале правило сейчас выключено.");
    card.append(el("section", { class: "channel", "data-channel": channel },
      el("h3", {}, CHANNEL_NAMES[channel] || channel), el("div", { class: "fields" },
        el("div", { class: "field-label" }, el("b", {}, "Правило в этом канале")), el("div", { class: "field-control" }, on)),
      grid, reads));
    parts[channel] = { on, own };
  }
  return { card, get: () => Object.fromEntries(Object.entries(parts).map(([channel, { on, own }]) => [channel, {
    enabled: on.value === "" ? null : on.value === "true",
    params: Object.fromEntries(Object.entries(own).filter(([, o]) => o.box.checked).map(([k, o]) => [k, o.w.get()])),
  }])) };
}

// The first number among the params, as a description placeholder: {steps[0].after}, {max.sentences}, {min_words}.
function placeholderExample(params) {
  const walk = (value, path) => {
    if (typeof value === "number") return path;
    if (Array.isArray(value)) return value.length ? walk(value[0], `${path}[0]`) : null;
    if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) { const found = walk(v, path ? `${path}.${k}` : k); if (found) return found; }
    }
    return null;
  };
  const path = walk(params || {}, "");
  return path ? `{${path}}` : "{имя_настройки}";
}

// The description (in the header, and under its field when it has placeholders) as readers will see it with
// the thresholds now in the form.
async function refreshDescription() {
  if (!state.form) return;
  const id = state.rule.id;
  const seq = (state.descSeq = (state.descSeq || 0) + 1);
  const { ok, data } = await api.call("POST", `/supervisor/api/rules/${encodeURIComponent(id)}/description`, editPayload());
  if (!ok || seq !== state.descSeq || state.rule?.id !== id) return;
  const node = $("#rule-description");
  if (!node) return;
  const own = (data.errors || []).filter((e) => e.field === "description");
  node.classList.toggle("stale", data.text === null);
  const preview = $("#description-preview");
  if (data.text !== null) { node.textContent = data.text; preview.lastChild.textContent = data.text; }
  preview.hidden = !String(state.form.fields["common.description"].get() || "").includes("{");
  node.title = own.length ? own.map((e) => e.problem_ru || e.problem).join("\n")
    : data.text === null ? "В полях ошибки: описание покажет новые пороги, когда их исправят" : "Описание, как его прочтут: пороги — текущие";
  const holder = state.form.fields["common.description"]?.el.closest(".field-control");
  holder?.querySelectorAll(".field-error").forEach((n) => n.remove());
  holder?.classList.toggle("invalid", own.length > 0);
  for (const e of own) holder?.append(el("div", { class: "field-error" }, `${label("description")}: ${e.problem_ru || e.problem}`));
}

// Before any save: which of the rule's examples the change affects, in Russian, as the form changes; a change
// that breaks one cannot be saved (the button says so).
async function refreshExamples() {
  if (!state.form || !isDirty()) { $("#edit-notices").innerHTML = ""; return; }
  const id = state.rule.id;
  const seq = (state.exSeq = (state.exSeq || 0) + 1);
  const { ok, data } = await api.call("POST", `/supervisor/api/rules/${encodeURIComponent(id)}/check`, editPayload());
  if (!ok || seq !== state.exSeq || state.rule?.id !== id || !data.ok) return;
  renderCheck(data);
  if (data.changed && !data.saveable) {
    updateStatus("Сохранить нельзя: изменение ломает примеры правила (подробности — над формой)", "err");
    $("#btn-save").disabled = true;
  }
}

function editPayload() {
  return { ...state.form.get(), base_digest: state.rule.digest };
}

function onFormChange() {
  updateStatus();
  clearErrors();
  clearTimeout(state.descTimer);
  state.descTimer = setTimeout(refreshDescription, 250);
  clearTimeout(state.exTimer);
  state.exTimer = setTimeout(refreshExamples, 500);
  if (state.backtest) {  // a back-test is on screen: keep its numbers current
    clearTimeout(state.btTimer);
    state.btTimer = setTimeout(runBacktest, 600);
  }
}

function updateStatus(text, cls) {
  const st = $("#edit-status");
  if (text) { st.textContent = text; st.className = `status ${cls || ""}`; return; }
  const dirty = isDirty();
  st.textContent = dirty ? "Есть несохранённые изменения" : "Без изменений";
  st.className = `status ${dirty ? "dirty" : ""}`;
  $("#btn-save").disabled = !dirty;
}

function clearErrors() {
  document.querySelectorAll(".field-error").forEach((n) => { if (n.id !== "token-error") n.remove(); });
  document.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
}

function showErrors(errors) {
  clearErrors();
  const fields = state.form.fields;
  const unplaced = [];
  for (const e of errors) {
    let path = e.field;
    if (["enabled", "severity", "title", "description", "show", "min_confidence"].includes(path)) path = `common.${path}`;
    let target = null;
    while (path) {  // the closest field the error belongs to: params.steps[1].after → params.steps
      if (fields[path]) { target = fields[path]; break; }
      const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
      if (cut <= 0) break;
      path = path.slice(0, cut);
    }
    const holder = target && target.el.closest(".field-control");
    if (holder) {
      holder.classList.add("invalid");
      holder.append(el("div", { class: "field-error" }, fieldSaid(e)));
      holder.closest("details")?.setAttribute("open", "");
    } else unplaced.push(e);
  }
  const notices = $("#edit-notices");
  notices.innerHTML = "";
  notices.append(el("div", { class: "notice err" }, `Правило не сохранено: ${errors.length} ${plural(errors.length, "ошибка", "ошибки", "ошибок")} (те же, что покажет coach rules check).`,
    unplaced.length ? el("ul", {}, unplaced.map((e) => el("li", {}, fieldSaid(e)))) : null));
  const first = document.querySelector(".invalid");
  if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
}

const { plural } = CoachRu;

// What a change does to the rule's own examples (the service says it in Russian, examples.py): those tied to
// a threshold in seconds follow it; one that would break stops the save (coach rules check must pass after it).
function renderExamples(examples) {
  const out = [];
  const of = (status) => (examples || []).filter((e) => e.status === status);
  const breaks = of("breaks"), follows = of("follows"), before = of("failed_before");
  if (breaks.length) {
    out.push(el("div", { class: "notice err", id: "examples-breaks" },
      `Сохранить нельзя: ${breaks.length} ${plural(breaks.length, "пример", "примера", "примеров")} правила ${plural(breaks.length, "перестанет", "перестанут", "перестанут")} выполняться. Выберите другое значение или сначала исправьте ${plural(breaks.length, "пример", "примеры", "примеры")} в файле правила:`,
      el("ul", {}, breaks.map((e) => el("li", {}, e.text)))));
  }
  if (follows.length) {
    out.push(el("div", { class: "notice ok", id: "examples-follow" },
      `${plural(follows.length, "Пример", "Примеры", "Примеры")} правила, ${plural(follows.length, "привязанный", "привязанные", "привязанные")} к порогу, ${plural(follows.length, "сдвинется", "сдвинутся", "сдвинутся")} вместе с ним (это видно в изменениях файла):`,
      el("ul", {}, follows.map((e) => el("li", {}, e.text)))));
  }
  if (before.length) {
    out.push(el("div", { class: "notice warn" }, "Уже сейчас не выполняются (сохранению не мешают):",
      el("ul", {}, before.map((e) => el("li", {}, e.text)))));
  }
  return out;
}

/** A field's error for the supervisor: the field's Russian name (its row, for a row of a list) and the problem. */
function fieldSaid(e) {
  const parts = String(e.field || "").match(/[A-Za-z_]+|\[\d+\]/g) || [];
  const names = parts.filter((p) => !p.startsWith("[") && !["params", "ru", "en", "common"].includes(p));
  const row = parts.find((p) => p.startsWith("["));
  const where = names.length ? label(names[names.length - 1]) : "правило";
  return `${where}${row ? `, строка ${Number(row.slice(1, -1)) + 1}` : ""}: ${e.problem_ru || e.problem}`;
}

function renderCheck(data) {
  const notices = $("#edit-notices");
  notices.innerHTML = "";
  notices.append(...renderExamples(data.examples));
  if (data.diff) {
    notices.append(el("details", { class: "card" }, el("summary", {}, "Что изменится в файле"), diffView(data.diff)));
  }
}

/** A refused save (409), said for a supervisor: someone saved first, or the rules are changed elsewhere. */
function saveConflict(data) {
  if (data?.error?.details?.some((d) => d.field === "base_digest")) {
    return "Не сохранено: правило успели изменить в другом месте (другой супервизор или правка файла). Откройте его заново и повторите изменение.";
  }
  if (state.info?.rules_source?.mode === "follow") return "Не сохранено: этот сервис берёт правила у узла команды — меняйте их там.";
  return "Не сохранено: правила здесь нельзя изменить (они загружены не из папки).";
}

function diffView(text) {
  const pre = el("pre", { class: "diff mono" });
  for (const line of text.split("\n")) {
    const cls = line.startsWith("+++") || line.startsWith("---") || line.startsWith("@@") ? "hdr" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "";
    pre.append(el("span", { class: cls }, line + "\n"));
  }
  return pre;
}

async function checkRule() {
  const { ok, data, status } = await api.call("POST", `/supervisor/api/rules/${state.rule.id}/check`, editPayload());
  if (!ok) { toast(CoachRu.error(status, data)); return false; }
  if (!data.ok) { showErrors(data.errors); updateStatus("Есть ошибки — исправьте отмеченные поля", "err"); return false; }
  clearErrors();
  renderCheck(data);
  if (data.changed && !data.saveable) {
    updateStatus("Сохранить нельзя: изменение ломает примеры правила (подробности — над формой)", "err");
    return false;
  }
  updateStatus(data.changed ? "Правило корректно — можно сохранять" : "Без изменений", data.changed ? "ok" : "");
  return true;
}

async function saveRule() {
  if (!state.info?.token_ok) { openTokenDialog(() => saveRule()); return; }
  $("#btn-save").disabled = true;
  updateStatus("Проверяю примеры правила…");
  // the page saves only what keeps the rule's own examples valid: `coach rules check` passes after every save
  const checked = await api.call("POST", `/supervisor/api/rules/${state.rule.id}/check`, editPayload());
  if (checked.ok && checked.data.ok && checked.data.changed && !checked.data.saveable) {
    clearErrors();
    renderCheck(checked.data);
    updateStatus("Не сохранено: изменение ломает примеры правила (подробности — над формой)", "err");
    return;
  }
  updateStatus("Сохраняю…");
  const reason = $("#save-reason").value.trim();
  const { status, data } = await api.call("PUT", `/supervisor/api/rules/${state.rule.id}`, { ...editPayload(), reason });
  if (status === 401) { state.info.token_ok = false; renderToken(); openTokenDialog(() => saveRule()); updateStatus(); return; }
  if (status === 422) { showErrors(data.errors || []); updateStatus("Не сохранено: есть ошибки", "err"); return; }
  if (status === 409) { updateStatus(saveConflict(data), "err"); return; }
  if (status === 503) { updateStatus("Не сохранено: хранилище правил команды недоступно. Попробуйте позже — ничего не потеряно.", "err"); return; }
  if (status !== 200) { updateStatus(`Не сохранено: сервис ответил ошибкой (код ${status})`, "err"); return; }
  state.rule = data.rule;
  $("#save-reason").value = "";
  // a check of the edit still on its way describes the form before the save: it must not clear what the save says
  clearTimeout(state.exTimer);
  state.exSeq = (state.exSeq || 0) + 1;
  const keepBacktest = !!state.backtest;
  renderEditor();
  renderCheck({ examples: data.examples, diff: data.diff });
  const mode = state.info?.rules_source?.mode;
  $("#edit-notices").prepend(el("div", { class: "notice ok" }, !data.saved ? "Изменений нет — файл не тронут."
    : mode === "store" ? `Сохранено: версия ${data.version} в хранилище команды. Правило действует сразу — на всех узлах и у всех подключённых расширений.`
    : `Сохранено в ${state.rule.file}. Правило действует сразу: подключённые расширения уже получили обновление.`));
  updateStatus(data.saved ? "Сохранено" : "Без изменений", "ok");
  toast(data.saved ? "Правило сохранено и применено" : "Изменений нет");
  await loadState();
  if (keepBacktest) runBacktest();
}

// --- back-test -------------------------------------------------------------------------------------------------
function backtestCard() {
  const info = state.info || {};
  const select = el("select", { id: "bt-corpus", onchange: () => { if (state.backtest) runBacktest(); } },
    el("option", { value: "scenarios" }, `Сценарии тренера (${info.scenarios ?? 0})`),
    el("option", { value: "recorded", disabled: !info.recorded_conversations },
      `Записанные разговоры (${info.recorded_conversations ?? 0})${info.store?.store_text ? "" : " — включите хранение текста"}`),
    (info.corpora || []).map((c) => el("option", { value: c.id }, `${c.name} — ${fmt(c.chats)} ${plural(c.chats, "чат", "чата", "чатов")}`)));
  const last = state.lastCorpus;
  if (last && [...select.options].some((o) => o.value === last && !o.disabled)) select.value = last;
  return el("section", { class: "card", id: "backtest" },
    el("h2", {}, "Проверка на чатах: что изменится, если сохранить"),
    el("p", { class: "hint", style: "margin-top:-6px" }, "Каждое сообщение оператора из корпуса проверяется так, как если бы его печатали в тот момент, — с текущими и с предложенными настройками."),
    el("div", { class: "bt-controls" }, select,
      el("button", { class: "btn", type: "button", onclick: () => { state.uploadFor = "backtest"; $("#corpus-file").click(); } }, "Загрузить выгрузку чатов…"),
      el("button", { class: "btn primary", type: "button", id: "bt-run", onclick: runBacktest }, "Проверить на чатах")),
    el("div", { id: "bt-result" }, state.backtest ? null : el("div", { class: "muted" }, "Измените порог и запустите проверку: здесь появятся числа по каждому правилу и примеры сообщений, которые изменятся.")));
}

async function uploadCorpus(file) {
  const text = await file.text();
  toast(`Загружаю ${file.name}…`);
  const { status, data } = await api.call("POST", `/supervisor/api/corpora?name=${encodeURIComponent(file.name)}`, text,
    { raw: true, headers: { "Content-Type": "application/x-ndjson" } });
  if (status !== 201) {
    toast(CoachRu.error(status, data));
    return;
  }
  state.lastCorpus = data.id;
  await loadState();
  if (state.uploadFor === "judging") {  // uploaded from «Проверка подсказок»: that is where it is judged
    state.uploadFor = null;
    judge.corpus = data.id;
    renderJudgeSetup();
    toast(`Загружено: ${fmt(data.chats)} ${plural(data.chats, "чат", "чата", "чатов")} — нажмите «Начать проверку»`);
    return;
  }
  const card = $("#backtest");
  if (card) card.replaceWith(backtestCard());
  toast(`Загружено: ${fmt(data.chats)} ${plural(data.chats, "чат", "чата", "чатов")}, ${fmt(data.operator_messages)} ${plural(data.operator_messages, "сообщение", "сообщения", "сообщений")} оператора` + (data.bad_lines ? `, пропущено строк: ${data.bad_lines}` : ""));
  if (data.bad_lines) {
    $("#bt-result").prepend(el("div", { class: "notice warn" }, `Строк пропущено: ${data.bad_lines}`,
      el("ul", {}, data.bad_line_examples.slice(0, 5).map((b) => el("li", {}, `строка ${b.line}: ${b.problem}`)))));
  }
  runBacktest();
}

async function runBacktest() {
  clearTimeout(state.btTimer);
  const corpus = $("#bt-corpus").value;
  state.lastCorpus = corpus;
  const out = $("#bt-result");
  const btn = $("#bt-run");
  btn.disabled = true;
  out.querySelector(".bt-running")?.remove();
  out.prepend(el("div", { class: "bt-running muted" }, el("span", { class: "spinner" }), " считаю…"));
  const seq = (state.btSeq = (state.btSeq || 0) + 1);
  const body = { corpus, rules: { [state.rule.id]: editPayload() } };
  delete body.rules[state.rule.id].base_digest;
  const { status, data } = await api.call("POST", "/supervisor/api/backtest", body);
  if (seq !== state.btSeq) return;  // a newer run is under way
  btn.disabled = false;
  out.innerHTML = "";
  if (status === 422) { showErrors(data.errors); out.append(el("div", { class: "notice err" }, "Проверка на чатах невозможна: в предложенном правиле ошибки.")); return; }
  if (status === 401) { out.append(needToken("Записанные разговоры — это тексты клиентов: нужен токен руководителя.", runBacktest)); return; }
  if (status !== 200) { out.append(el("div", { class: "notice err" }, CoachRu.error(status, data))); return; }
  state.backtest = data;
  renderBacktest(data);
}

function highlight(text, warnings) {
  const spans = (warnings || []).filter((w) => w.start !== null && w.end !== null && w.end > w.start).sort((a, b) => a.start - b.start);
  const node = el("div", { class: "draft" });
  let pos = 0;
  for (const w of spans) {
    if (w.start < pos) continue;
    node.append(text.slice(pos, w.start), el("mark", { class: w.severity }, text.slice(w.start, w.end)));
    pos = w.end;
  }
  node.append(text.slice(pos));
  return node;
}

function exampleNode(ex, kind) {
  const ws = kind === "gone" ? ex.before : ex.after;
  const ctx = ex.context.length ? ex.context[ex.context.length - 1] : null;
  return el("div", { class: `ex ${kind}` },
    ctx ? el("div", { class: "ctx" }, `${ctx.role === "client" ? "Клиент" : ctx.role === "operator" ? "Оператор" : ctx.role}: «${ctx.text.slice(0, 140)}»`) : null,
    highlight(ex.draft, ws),
    ws.map((w) => el("div", { class: "w" }, el("span", { class: `sev ${w.severity}` }, SEV[w.severity]), " ", w.message)),
    kind === "chg" ? el("div", { class: "w muted" }, "было: ", ex.before.map((w) => `${SEV[w.severity]} — ${w.message}`).join("; ")) : null,
    el("div", { class: "ctx", style: "margin-top:4px" }, [ex.chat_id ? `чат ${ex.chat_id}` : null, ex.line ? `строка ${ex.line}` : null, ex.operator].filter(Boolean).join(" · ")));
}

// The headline counts what the edited rule's row counts: operator messages it flags, now and with the edit.
function backtestHeadline(d, edited) {
  const now = d.edited_flagged.current, after = d.edited_flagged.proposed;
  const delta = after - now;
  const c = edited.length === 1 ? edited[0].changes : null;
  const who = edited.length === 1 ? `правило «${edited[0].title}»` : edited.length ? "изменённые правила" : "правила";
  const share = (n) => (d.messages ? ` · ${pct(n / d.messages)}` : "");
  return el("div", { class: "bt-head", id: "bt-summary" },
    el("div", { class: "bt-summary" },
      el("div", {}, el("b", { id: "bt-messages" }, fmt(d.messages)), `сообщений оператора в ${fmt(d.chats)} ${plural(d.chats, "чате", "чатах", "чатах")}`),
      el("div", {}, el("b", { id: "bt-flagged-current" }, fmt(now)), `помечает сейчас${share(now)}`),
      el("div", {}, el("b", { id: "bt-flagged-proposed" }, fmt(after)), `будет помечать${share(after)}`),
      el("div", {}, el("b", { id: "bt-delta", class: `delta ${delta > 0 ? "up" : delta < 0 ? "down" : "zero"}` }, delta > 0 ? `+${fmt(delta)}` : fmt(delta)),
        c ? `начнут помечаться ${fmt(c.newly_flagged)}, перестанут ${fmt(c.no_longer_flagged)}` : "разница")),
    el("p", { class: "hint", id: "bt-explain" },
      `«Помечает» — сколько сообщений оператора ${who} ${edited.length > 1 ? "отмечают" : "отмечает"} хотя бы одним замечанием: с сохранёнными настройками и с настройками из формы. `
      + "Таблица считает так же, по каждому правилу; сообщение с замечаниями двух правил стоит в обеих строках, поэтому строки не складываются в итог. "
      + `Хотя бы одно замечание любого правила: сейчас ${fmt(d.flagged.current)}, с изменением ${fmt(d.flagged.proposed)} из ${fmt(d.messages)}.`
      + (d.skipped ? ` Пропущено сообщений, которые сервис не смог проверить: ${fmt(d.skipped)}.` : ""),
      el("span", { class: "took" }, ` Посчитано за ${d.took_s.toFixed(2).replace(".", ",")} с`
        + (d.messages_per_s ? ` (${fmt(Math.round(d.messages_per_s))} сообщ./с${d.cached_baseline ? "; текущие правила — из кэша" : ""})` : "") + ".")));
}

function renderBacktest(d) {
  const out = $("#bt-result");
  out.innerHTML = "";
  const edited = d.rules.filter((r) => r.edited);
  out.append(backtestHeadline(d, edited));
  const table = el("table", { class: "data", id: "bt-table" },
    el("thead", {}, el("tr", {}, el("th", {}, "Правило"), el("th", { class: "n" }, "Помечает сейчас"), el("th", { class: "n" }, "С изменением"), el("th", { class: "n" }, "Разница"))),
    el("tbody", {}, d.rules.filter((r) => r.edited || r.current || r.proposed).map((r) => {
      const cls = r.delta > 0 ? "up" : r.delta < 0 ? "down" : "zero";
      return el("tr", { class: r.edited ? "edited" : "", "data-rule": r.rule },
        el("td", {}, r.title),
        el("td", { class: "n bt-current" }, fmt(r.current)),
        el("td", { class: "n bt-proposed" }, fmt(r.proposed)),
        el("td", { class: `n delta ${cls}` }, r.delta > 0 ? `+${fmt(r.delta)}` : fmt(r.delta)));
    })));
  out.append(table);
  for (const r of edited) {
    const c = r.changes;
    if (!c.newly_flagged && !c.no_longer_flagged && !c.changed) {
      out.append(el("p", { class: "muted" }, "С этими настройками ни одно сообщение корпуса не меняется."));
      continue;
    }
    out.append(el("div", { class: "examples" },
      el("div", {}, el("h3", {}, `Начнут помечаться: ${fmt(c.newly_flagged)}`), r.examples.newly_flagged.map((e) => exampleNode(e, "new"))),
      el("div", {}, el("h3", {}, `Перестанут помечаться: ${fmt(c.no_longer_flagged)}`), r.examples.no_longer_flagged.map((e) => exampleNode(e, "gone"))),
      c.changed ? el("div", { style: "grid-column: 1 / -1" }, el("h3", {}, `Изменится важность или текст: ${fmt(c.changed)}`), r.examples.changed.slice(0, 6).map((e) => exampleNode(e, "chg"))) : null));
  }
}

// --- token -------------------------------------------------------------------------------------------------
// The dialog has two states: signed out (a prompt and the token field, no «Выйти») and signed in (who, and
// «Выйти»). A token is kept only once the service says whose it is; a wrong one is said so in the dialog.
const holderName = (label) => (label === "supervisor" ? "супервизор (токен по умолчанию)" : label);

function openTokenDialog(then) {
  const dlg = $("#token-dialog");
  const signedIn = !!state.info?.token_ok;
  $("#token-signed-out").hidden = signedIn;
  $("#token-signed-in").hidden = !signedIn;
  $("#token-forget").hidden = !signedIn;
  $("#token-ok").hidden = signedIn;
  $("#token-cancel").textContent = signedIn ? "Закрыть" : "Отмена";
  $("#token-title").textContent = signedIn ? "Вы вошли" : "Вход для супервизора";
  $("#token-who").textContent = holderName(state.info?.token_holder || "");
  $("#token-error").textContent = "";
  $("#token-input").value = "";
  $("#token-input").removeAttribute("aria-invalid");
  state.afterSignIn = then || null;
  if (!dlg.open) dlg.showModal();
  (signedIn ? $("#token-cancel") : $("#token-input")).focus();
}

async function signIn(e) {
  e.preventDefault();  // the dialog stays open until the token is known to be right
  const input = $("#token-input");
  const token = input.value.trim();
  const fail = (text) => {
    $("#token-error").textContent = text;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    input.select();
  };
  if (!token) { fail("Вставьте токен: без него можно только смотреть."); return; }
  $("#token-ok").disabled = true;
  const prev = api.token;
  api.token = token;
  let reply;
  try { reply = await api.call("GET", "/supervisor/api/state"); } catch { reply = { status: 0, data: null }; }
  $("#token-ok").disabled = false;
  const data = reply.data;
  if (!data?.token_ok) {
    api.token = prev;
    if (!reply.status) fail("Сервис не отвечает — проверьте, что он запущен, и попробуйте снова.");
    else if (data?.token_status === "operator") fail("Это токен оператора: с ним расширение подключается к сервису, но правила менять нельзя. Нужен токен супервизора.");
    else if (reply.status === 200 || reply.status === 401 || reply.status === 403) fail("Токен не подошёл: у этого сервиса такого нет. Скопируйте его целиком из вывода coach token.");
    else fail(CoachRu.error(reply.status, data));
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  state.info = data;
  renderToken();
  $("#token-dialog").close();
  toast(`Вы вошли как ${holderName(data.token_holder || "")}: изменения разрешены`);
  const then = state.afterSignIn;
  state.afterSignIn = null;
  if (then) then();
}

function signOut() {
  api.token = "";
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
  $("#token-dialog").close();
  toast("Вы вышли: только просмотр");
  loadState().then(() => { if ($("#view-stats").classList.contains("active")) loadStats(); });
}

// What needs the token to be read says so, with the way to give it.
function needToken(why, then) {
  return el("div", { class: "notice err", id: "need-token" }, why, " ",
    el("button", { type: "button", class: "btn", onclick: () => openTokenDialog(then) }, "Ввести токен"));
}

// --- stats ----------------------------------------------------------------------------------------------------
async function loadStats() {
  const body = $("#stats-body");
  let since, until;
  if (state.statsDays === "custom") {
    since = state.since; until = state.until;
  } else {
    until = Date.now() / 1000 + 60;
    since = until - state.statsDays * 86400;
  }
  const { status, data } = await api.call("GET", `/supervisor/api/stats?since=${since}&until=${until}`);
  body.innerHTML = "";
  if (status === 401) {
    body.append(needToken("Статистика показывает, что отклоняли операторы (и тексты, если их хранение включено): нужен токен руководителя.", loadStats));
    return;
  }
  if (status !== 200) {
    body.append(el("div", { class: "notice err" }, CoachRu.error(status, data)));
    return;
  }
  renderStats(body, data, since, until);
  state.stored = data.stored;
  renderSettings(data.store, data.stored);
}

// The numbers as the service counts them (store/base.py `summarize`): shown = dismissed + applied + left, at
// every level — each rule, each operator, each day, the totals — and the dismissed share is of the shown.
const STAT_COLUMNS = [["shown", "Показано"], ["dismissed", "Отклонено"], ["applied", "Применено"], ["left", "Без действия"]];
const day = (unix) => new Date(unix * 1000).toISOString().slice(0, 10);
const dayLabel = (iso, year = true) => new Date(`${iso}T00:00:00Z`).toLocaleDateString("ru-RU",
  { timeZone: "UTC", day: "numeric", month: "long", ...(year ? { year: "numeric" } : {}) }).replace(/ г\.$/, "");

function statCells(counts) {
  const unrecorded = counts.shown_unrecorded
    ? el("sup", { class: "unrecorded", title: `из них ${fmt(counts.shown_unrecorded)} — показ не записан, известен по действию оператора` }, "*") : null;
  return [...STAT_COLUMNS.map(([k]) => el("td", { class: "n", "data-col": k }, fmt(counts[k]), k === "shown" ? unrecorded : null)),
    el("td", { "data-col": "dismiss_rate" }, rateBar(counts.dismiss_rate))];
}

function renderStats(body, data, since, until) {
  const t = data.totals;
  const first = day(since), last = day(Math.min(until, Date.now() / 1000) - 1);  // until is not in the period
  const period = first === last ? dayLabel(first) : `${dayLabel(first, first.slice(0, 4) !== last.slice(0, 4))} — ${dayLabel(last)}`;
  if (!t.shown) {
    body.append(el("div", { class: "card empty-period", id: "stats-empty" },
      el("h2", {}, "За этот период подсказок не показывали"),
      el("p", { class: "muted" }, `${period}: ни одной показанной, отклонённой или применённой подсказки — считать долю не из чего. `
        + "Выберите другой период; если операторы работали, проверьте, что расширение подключено к этому сервису.")));
    return;
  }
  body.append(el("div", { class: "cards" },
    el("div", { class: "kpi" }, el("b", { id: "kpi-shown" }, fmt(t.shown)), el("span", {}, "подсказок показано")),
    el("div", { class: "kpi" }, el("b", { id: "kpi-dismissed" }, fmt(t.dismissed)), el("span", {}, "отклонено")),
    el("div", { class: "kpi" }, el("b", { id: "kpi-applied" }, fmt(t.applied)), el("span", {}, "исправлений применено")),
    el("div", { class: "kpi" }, el("b", { id: "kpi-left" }, fmt(t.left)), el("span", {}, "без действия: оператор не отклонил и не применил")),
    el("div", { class: "kpi" }, el("b", { id: "kpi-rate" }, pct(t.dismiss_rate)), el("span", {}, "доля отклонённых: отклонено ÷ показано"))));
  const notes = [el("span", {}, `${period}: показано = отклонено + применено + без действия — в каждой строке, за каждый день и в итоге.`)];
  if (t.shown_unrecorded) {
    notes.push(el("span", { id: "stats-unrecorded" }, ` * У ${fmt(t.shown_unrecorded)} ${plural(t.shown_unrecorded, "отклонённой или применённой подсказки", "отклонённых или применённых подсказок", "отклонённых или применённых подсказок")} показ не записан `
      + "(расширение старой версии или показ до начала периода): они посчитаны показанными — отклонить можно только показанное."));
  }
  body.append(el("p", { class: "muted stats-note" }, notes));
  body.append(el("section", { class: "card" }, el("h2", {}, "По дням"), dayChart(fillDays(data.days, since, until))));
  const rows = data.rules;
  const head = el("tr", {}, el("th", {}, "Правило"), STAT_COLUMNS.map(([, name]) => el("th", { class: "n" }, name)), el("th", {}, "Доля отклонённых"));
  body.append(el("section", { class: "card" }, el("h2", {}, "По правилам"),
    el("table", { class: "data", id: "stats-table" },
      el("thead", {}, head),
      el("tbody", {}, rows.flatMap((r) => {
        const tr = el("tr", { "data-rule": r.rule },
          el("td", {}, el("a", { href: `#rule=${r.rule}`, onclick: (e) => { e.preventDefault(); switchView("rules"); openRule(r.rule); } }, r.title),
            r.often_dismissed ? el("div", {}, el("span", { class: "tag" }, "отклоняют чаще, чем в половине показов — стоит поправить")) : null),
          statCells(r));
        const detail = el("tr", { class: "detail" }, el("td", { colspan: 6 },
          el("details", {}, el("summary", { class: "muted" }, `по операторам (${r.operators.length})${r.examples.length ? " и отклонённые тексты" : ""}`),
            el("table", { class: "data operators" },
              el("thead", {}, el("tr", {}, el("th", {}, "Оператор"), STAT_COLUMNS.map(([, name]) => el("th", { class: "n" }, name)), el("th", {}, "Доля отклонённых"))),
              el("tbody", {}, r.operators.map((o) => el("tr", { "data-operator": o.operator || "" }, el("td", {}, o.operator || "—"), statCells(o))))),
            r.examples.map((x) => el("div", { class: "ex gone" }, x.text, el("div", { class: "ctx" }, `${x.operator || "—"} · ${new Date(x.ts * 1000).toLocaleString("ru-RU")}`))))));
        return [tr, detail];
      })),
      el("tfoot", {}, el("tr", { id: "stats-total" }, el("td", {}, "Всего"), statCells(t))))));
}

function rateBar(rate) {
  if (rate === null || rate === undefined) return el("span", { class: "muted" }, "—");
  const cls = rate >= 0.5 ? "high" : rate >= 0.3 ? "mid" : "";
  return el("div", { class: `rate ${cls}` }, el("div", { class: "bar" }, el("i", { style: `width:${Math.round(rate * 100)}%` })), el("span", {}, pct(rate)));
}

// Every day of the period on the axis (a day without events is a day of zeros, not a missing bar); the
// service counts days in UTC.
function fillDays(days, since, until) {
  const known = Object.fromEntries(days.map((d) => [d.day, d]));
  const first = Math.floor(since / 86400), last = Math.floor((Math.min(until, Date.now() / 1000 + 60) - 1) / 86400);
  if (last - first > 120) return days;
  const out = [];
  for (let n = first; n <= last; n++) {
    const iso = day(n * 86400);
    out.push(known[iso] || { day: iso, shown: 0, dismissed: 0, applied: 0, left: 0, shown_unrecorded: 0, dismiss_rate: null });
  }
  return out;
}

// A bar per day as tall as the warnings shown that day, split into what became of them.
const PARTS = [["dismissed", "#d14343", "отклонено"], ["applied", "#2f8f5b", "применено"], ["left", "#8fb3ef", "без действия"]];

function dayChart(days) {
  const W = 1060, H = 180, pad = 28, bw = Math.max(4, Math.min(40, (W - pad * 2) / days.length - 6));
  const max = Math.max(1, ...days.map((d) => d.shown));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Показанные подсказки по дням: отклонено, применено, без действия");
  const step = (W - pad * 2) / days.length;
  days.forEach((d, i) => {
    const x = pad + i * step + (step - bw) / 2;
    const g = document.createElementNS(ns, "g");
    g.setAttribute("data-day", d.day);
    g.setAttribute("data-shown", d.shown);
    const title = document.createElementNS(ns, "title");
    title.textContent = `${d.day}: показано ${d.shown} — отклонено ${d.dismissed}, применено ${d.applied}, без действия ${d.left}`;
    g.append(title);
    let y = H - 22;
    for (const [key, color] of PARTS) {
      const h = ((H - 40) * d[key]) / max;
      if (h <= 0) continue;
      y -= h;
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", x); r.setAttribute("y", y); r.setAttribute("width", bw); r.setAttribute("height", h); r.setAttribute("fill", color);
      r.setAttribute("data-part", key); r.setAttribute("data-count", d[key]);
      g.append(r);
    }
    svg.append(g);
    if (days.length <= 31 || i % Math.ceil(days.length / 20) === 0) {
      const tx = document.createElementNS(ns, "text");
      tx.setAttribute("x", x + bw / 2); tx.setAttribute("y", H - 6); tx.setAttribute("text-anchor", "middle");
      tx.textContent = d.day.slice(5);
      svg.append(tx);
    }
  });
  return el("div", {}, el("div", { class: "legend" }, el("span", {}, "высота столбика — показано за день:"),
    PARTS.map(([, color, name]) => el("span", {}, el("i", { style: `background:${color}` }), name))), svg);
}

// The store's counter says what it counts: the events it holds in all (a restart of the service changes nothing),
// by what they are — a showing is one remark on screen, however long the operator typed under it.
function renderSettings(store, stored) {
  const box = $("#store-text");
  if (!store) { $("#settings-card").hidden = true; return; }
  box.checked = !!store.store_text;
  const where = store.kind === "sqlite" ? `файл ${store.location}` : `общая база команды ${store.location}`;
  const parts = [`Хранилище: ${where}.`];
  if (stored) {
    const n = (k, one, few, many) => `${fmt(stored[k])} ${plural(stored[k], one, few, many)}`;
    parts.push(stored.total
      ? `В нём ${n("total", "событие", "события", "событий")}${stored.since ? ` с ${new Date(stored.since * 1000).toLocaleDateString("ru-RU")}` : ""}: `
        + `${n("shown", "показ", "показа", "показов")} подсказок (подсказка на экране — один показ, сколько бы оператор ни печатал под ней), `
        + `${n("dismissed", "отклонение", "отклонения", "отклонений")}, ${n("applied", "применение", "применения", "применений")}.`
      : "Событий в нём пока нет.");
  }
  if (store.pending) parts.push(`Ждут записи: ${fmt(store.pending)}.`);
  if (store.last_error) parts.push("Сейчас недоступно — события ждут в очереди и будут записаны, когда оно вернётся.");
  $("#store-info").textContent = parts.join(" ");
}

async function setStoreText(on) {
  if (!state.info?.token_ok) { $("#store-text").checked = !on; openTokenDialog(() => { $("#store-text").checked = on; setStoreText(on); }); return; }
  const { status, data } = await api.call("PUT", "/supervisor/api/settings", { store_text: on });
  if (status !== 200) { $("#store-text").checked = !on; toast(CoachRu.error(status, data)); return; }
  toast(on ? "Текст сообщений будет сохраняться (с маскировкой)" : "Текст сообщений больше не сохраняется");
  renderSettings(data.store, state.stored);
  loadState();
}

// --- history (the team store's versions, or the rules directory's own) ---------------------------------------------
const CHANGE = { added: "добавлен", removed: "удалён", modified: "изменён" };
const AUTHOR = { supervisor: "супервизор", setup: "установка" };
// summaries the service writes by itself (in English, as the CLI prints them); the page says them in Russian
const AUTO_SUMMARY = /^(rollback to version \d+|no changes|(\S+ (added|removed|modified))(, \S+ (added|removed|modified))*|(\d+ files? (added|removed|modified))(, \d+ files? (added|removed|modified))*)$/;

function versionSummary(v) {
  if (v.restores) return `восстанавливает версию ${v.restores}`;
  if (v.summary === "changed in the files") return `изменено в файлах правил, не на этой странице: ${v.changes.map((c) => c.file).join(", ")}`;
  if (!AUTO_SUMMARY.test(v.summary)) return v.summary;
  if (v.changes.length > 3) return `файлов: ${v.changes.length}`;
  return v.changes.map((c) => `${c.file} ${CHANGE[c.change] || c.change}`).join(", ") || "без изменений";
}

async function loadHistory(before) {
  const list = $("#history-list");
  const more = $("#history-more");
  if (!before) { list.innerHTML = ""; await loadState(); }
  $("#history-source").innerHTML = "";
  const src = state.info?.rules_source;
  if (src) $("#history-source").append(el("div", { class: `notice ${src.state === "offline" ? "err" : "ok"}`, id: "history-state" }, sourceText(src)));
  if (!state.info?.versioned) {
    more.hidden = true;
    list.append(el("div", { class: "notice warn", id: "history-none" }, src?.mode === "follow"
      ? "Этот сервис следует правилам узла команды: история версий и откат — на странице супервизора того узла."
      : "Правила загружены не из папки: их версии здесь не ведутся."));
    return;
  }
  if (state.info.versions_kind === "files") {
    list.append(el("p", { class: "muted", id: "history-files" }, "Версии папки правил хранятся рядом с данными сервиса: каждое сохранение здесь — новая версия; правку файлов вручную страница записывает отдельной версией при следующем сохранении или открытии истории. Откат возвращает файлы выбранной версии и тоже становится новой версией."));
  }
  const { status, data } = await api.call("GET", `/supervisor/api/versions?limit=20${before ? `&before=${before}` : ""}`);
  if (status !== 200) { list.append(el("div", { class: "notice err" }, status === 503 ? "Хранилище версий сейчас недоступно — попробуйте позже." : `Историю не удалось загрузить (код ${status}).`)); return; }
  const current = data.current.version;
  if (!data.versions.length && !before) list.append(el("p", { class: "muted" }, "Версий правил ещё нет."));
  for (const v of data.versions) list.append(versionNode(v, current));
  more.hidden = data.versions.length < 20;
  more.onclick = () => loadHistory(data.versions[data.versions.length - 1].version);
  if (!before) renderStatusHistory();
}

async function renderStatusHistory() {
  const box = $("#status-list");
  const changes = await loadStatusChanges(null);
  box.innerHTML = "";
  box.append(...(changes.length ? changes.map(statusChangeNode) : [el("p", { class: "muted", id: "status-none" }, "Оценки команды пока ничего не меняли: каждое правило показывается или молчит по оценкам проекта и своим настройкам.")]));
}

function versionNode(v, current) {
  const isCurrent = v.version === current;
  const node = el("div", { class: `version${isCurrent ? " current" : ""}`, "data-version": v.version },
    el("div", { class: "version-head" },
      el("span", { class: "num" }, `Версия ${v.version}`),
      isCurrent ? el("span", { class: "badge" }, "действует") : null,
      el("span", { class: "muted" }, new Date(v.created_at * 1000).toLocaleString("ru-RU")),
      el("span", {}, v.author ? AUTHOR[v.author] || v.author : "—"),
      el("span", { class: "muted" }, versionSummary(v)),
      v.reason ? el("span", { class: "reason" }, `почему: «${v.reason}»`) : null,
      el("span", { class: "spacer" }),
      isCurrent ? null : el("button", { class: "btn small", type: "button", onclick: () => rollbackTo(v.version) }, "Откатить к этой версии")));
  if (v.changes.length) {
    node.append(el("details", {}, el("summary", {}, `Изменения в файлах (${v.changes.length})`),
      v.changes.map((c) => el("div", {}, el("div", { class: "file" }, `${c.file} — ${CHANGE[c.change] || c.change}`), diffView(c.diff)))));
  }
  return node;
}

async function rollbackTo(version) {
  if (!state.info?.token_ok) { openTokenDialog(() => rollbackTo(version)); return; }
  if (!confirm(`Сделать действующими правила версии ${version}? Это будет новая версия; история сохранится.`)) return;
  const { status, data } = await api.call("POST", `/supervisor/api/versions/${version}/rollback`, {});
  if (status === 401) { state.info.token_ok = false; renderToken(); openTokenDialog(() => rollbackTo(version)); return; }
  if (status === 404) { toast(`Версии ${version} нет`); return; }
  if (status !== 200) { toast(`Откат не выполнен: сервис ответил ошибкой (код ${status})`); return; }
  toast(data.changed ? `Версия ${data.version}: снова действуют правила версии ${version}` : "Эти правила уже действуют");
  const open = state.rule?.id;
  state.form = null;  // the open rule is reloaded as it is now (its digest changed)
  await loadHistory();
  if (open) openRule(open);
}

// --- judging warnings («Проверка подсказок») ----------------------------------------------------------------------
// One warning at a time in its conversation; «верно» / «неверно» with a reason, from the keyboard; undo. What one
// supervisor judged is not shown to another (their verdicts are kept apart); their agreement is said below.
const CATEGORY_SHORT = { not_words: "не слово: аббревиатура, название, код, единица", exempt: "описание правила это разрешает",
  already_done: "оператор уже это сделал", misread: "правило не так поняло разговор", channel: "в этом канале так можно",
  harmless: "формально да, но придирка", other: "другое" };
const ROLE_RU = { client: "Клиент", operator: "Оператор", bot: "Бот", system: "Система" };
const LANG_RU = { ru: "русский", en: "английский", "*": "оба языка" };
const CHANNEL_RU = { chat: "чат на сайте", messenger: "мессенджер", social: "соцсети", email: "почта" };
const judge = { queue: null, pos: 0, undo: [], busy: false, wrongOpen: false, category: null };

function renderJudgeSetup() {
  const select = $("#judge-corpus");
  const info = state.info || {};
  const keep = select.value;
  select.innerHTML = "";
  select.append(el("option", { value: "recorded", disabled: !info.recorded_conversations },
    `Записанные разговоры (${fmt(info.recorded_conversations ?? 0)})${info.store?.store_text ? "" : " — включите хранение текста"}`),
  ...(info.corpora || []).map((c) => el("option", { value: c.id }, `${c.name} — ${fmt(c.chats)} ${plural(c.chats, "чат", "чата", "чатов")}`)));
  // who is judging: the name of the token's holder signs every verdict (one token per supervisor keeps two apart)
  const who = info.token_ok ? info.token_holder : null;
  $("#judge-who").textContent = !who ? "Оценки подписываются именем того, чей токен: войдите с токеном супервизора."
    : who === "supervisor" ? "Оценивает: супервизор с общим токеном. Чтобы оценки двух супервизоров считались отдельно и их согласие было видно, "
      + "выдайте каждому свой токен: coach token --add ИМЯ."
    : `Оценивает: ${who} — оценки подписаны этим именем; другой супервизор со своим токеном оценит те же подсказки отдельно.`;
  const wanted = judge.corpus || keep || state.lastCorpus;
  if (wanted && [...select.options].some((o) => o.value === wanted && !o.disabled)) select.value = wanted;
  else select.value = ([...select.options].find((o) => !o.disabled) || select.options[0]).value;
}

async function openJudging() {
  await loadState();
  renderJudgeSetup();
  const body = $("#judge-body");
  if (state.info?.team?.mode === "follow") {
    body.innerHTML = "";
    body.append(el("div", { class: "notice warn", id: "judge-follow" }, "Этот сервис берёт правила и оценки у узла команды: проверяйте подсказки на странице супервизора того узла."));
    return;
  }
  if (!state.info?.store) {
    body.innerHTML = "";
    body.append(el("div", { class: "notice warn" }, "У сервиса нет хранилища: оценкам негде храниться. Запустите его без --store none."));
    return;
  }
  if (!judge.queue) {
    body.innerHTML = "";
    body.append(el("p", { class: "muted", id: "judge-empty" }, "Выберите чаты и нажмите «Начать проверку»."));
  }
}

async function startJudging() {
  if (!state.info?.token_ok) { openTokenDialog(startJudging); return; }
  const corpus = $("#judge-corpus").value;
  const perRule = Math.max(1, Math.min(200, Number($("#judge-per-rule").value) || 20));
  const body = $("#judge-body");
  body.innerHTML = "";
  body.append(el("div", { class: "muted" }, el("span", { class: "spinner" }), " проверяю чаты и набираю подсказки…"));
  const { status, data } = await api.call("GET", `/supervisor/api/judging/queue?corpus=${encodeURIComponent(corpus)}&per_rule=${perRule}`);
  body.innerHTML = "";
  if (status === 401) { body.append(needToken("Оценки подписываются именем того, кто вошёл: нужен токен супервизора.", startJudging)); return; }
  if (status !== 200) { body.append(el("div", { class: "notice err" }, CoachRu.error(status, data))); return; }
  judge.queue = data;
  judge.corpus = data.corpus.id;
  judge.pos = data.items.findIndex((i) => !i.mine);
  if (judge.pos < 0) judge.pos = data.items.length;
  judge.undo = [];
  renderJudgeItem();
  loadJudgeSummary();
}

function judgeCounts() {
  const items = judge.queue?.items || [];
  return { total: items.length, mine: items.filter((i) => i.mine).length };
}

function markedDraft(item) {
  const node = el("div", { class: "draft judge-draft" });
  if (item.start !== null && item.end !== null && item.end > item.start) {
    node.append(item.draft.slice(0, item.start), el("mark", { class: item.severity }, item.draft.slice(item.start, item.end)), item.draft.slice(item.end));
  } else node.append(item.draft);
  return node;
}

function statusLine(item) {
  const conf = item.confidence === null ? "не измерена" : percent(item.confidence);
  return item.shown ? `Сейчас операторы видят это замечание (уверенность ${conf}).` : `Сейчас это замечание тихое: операторы его не видят (уверенность ${conf}).`;
}

function renderJudgeItem() {
  const body = $("#judge-body");
  body.innerHTML = "";
  judge.wrongOpen = false;
  judge.category = null;
  const items = judge.queue.items;
  const { total, mine } = judgeCounts();
  const progress = el("div", { class: "judge-progress", id: "judge-progress" },
    el("div", { class: "bar" }, el("i", { style: `width:${total ? Math.round((mine / total) * 100) : 0}%` })),
    el("span", {}, `Оценено вами: ${fmt(mine)} из ${fmt(total)} ${plural(total, "подсказки", "подсказок", "подсказок")} в очереди`));
  body.append(progress);
  if (judge.pos >= items.length) {
    body.append(el("div", { class: "notice ok", id: "judge-done" }, total
      ? "Очередь пройдена. Итоги и согласие — ниже; чтобы оценить ещё, увеличьте число подсказок на правило и начните снова."
      : "В этих чатах правила не сработали ни разу — оценивать нечего."),
    el("div", { class: "judge-buttons" }, el("button", { class: "btn", type: "button", id: "judge-undo", disabled: !judge.undo.length, onclick: undoVerdict }, "Отменить последнюю оценку (Я)")));
    return;
  }
  const item = items[judge.pos];
  const d = item.dismissals;
  const card = el("section", { class: "card judge-card", id: "judge-card", "data-item": item.item, "data-rule": item.rule, "data-trigger": item.trigger },
    el("div", { class: "judge-head" },
      el("span", { class: "num" }, `${judge.pos + 1} из ${fmt(items.length)}`),
      el("h2", {}, item.title),
      el("span", { class: "badge" }, `срабатывание: ${TRIGGER_RU[item.trigger] || item.trigger}`),
      el("span", { class: "badge" }, LANG_RU[item.lang] || item.lang),
      el("span", { class: "badge" }, CHANNEL_RU[item.channel] || item.channel),
      item.second_opinion ? el("span", { class: "badge second", title: "Другой супервизор уже оценил эту подсказку; его оценку не показываем, чтобы оценки были независимыми" }, "вторая оценка") : null,
      item.mine ? el("span", { class: `badge ${item.mine.verdict === "correct" ? "ok" : "bad"}` }, `ваша оценка: ${item.mine.verdict === "correct" ? "верно" : "неверно"}`) : null),
    el("p", { class: "muted judge-status" }, statusLine(item),
      d && d.shown ? ` Операторы отклоняют ${percent(d.rate)} показов этого правила (${fmt(d.dismissed)} из ${fmt(d.shown)} за 30 дней)${d.often ? " — поэтому оно в начале очереди" : ""}.` : ""),
    el("div", { class: "judge-conv" },
      item.earlier ? el("div", { class: "muted" }, `…ещё ${fmt(item.earlier)} ${plural(item.earlier, "сообщение", "сообщения", "сообщений")} раньше`) : null,
      item.context.map((m) => el("div", { class: `msg ${m.role}` }, el("span", { class: "who" }, ROLE_RU[m.role] || m.role), el("div", { class: "bubble" }, m.text))),
      el("div", { class: "msg operator judged" }, el("span", { class: "who" }, "Оператор — это сообщение"), markedDraft(item))),
    el("div", { class: "judge-warning" }, el("span", { class: `sev ${item.severity}` }, SEV[item.severity]), " ", el("b", {}, item.text),
      item.suggestion !== null && item.suggestion !== undefined ? el("div", { class: "muted" }, "Исправление: ", el("span", { class: "fix" }, item.suggestion || "(убрать)")) : null),
    el("p", { class: "hint" }, "Оценивайте само замечание: верно ли правило указало на это сообщение, по его описанию и в этом канале?"),
    el("div", { class: "judge-buttons" },
      el("button", { class: "btn ok", type: "button", id: "judge-right", onclick: () => giveVerdict("correct") }, "Верно (В)"),
      el("button", { class: "btn bad", type: "button", id: "judge-wrong", onclick: openWrong }, "Неверно (Н)"),
      el("button", { class: "btn", type: "button", id: "judge-skip", onclick: skipItem }, "Пропустить (Пробел)"),
      el("button", { class: "btn", type: "button", id: "judge-undo", disabled: !judge.undo.length, onclick: undoVerdict }, "Отменить последнюю оценку (Я)")),
    el("div", { class: "judge-why", id: "judge-why", hidden: true },
      el("div", { class: "muted" }, "Почему неверно? Цифра — причина, затем Enter (можно дописать своими словами):"),
      el("div", { class: "judge-cats" }, judge.queue.categories.map((c, i) => el("button", { class: "btn small cat", type: "button", "data-category": c, onclick: () => pickCategory(c) }, `${i + 1}. ${CATEGORY_SHORT[c] || CATEGORY_RU[c] || c}`))),
      el("div", { class: "judge-reason" },
        el("input", { type: "text", id: "judge-reason", maxlength: 500, placeholder: "Своими словами (необязательно)", autocomplete: "off" }),
        el("button", { class: "btn primary", type: "button", id: "judge-save-wrong", onclick: () => giveVerdict("wrong") }, "Сохранить (Enter)"))));
  body.append(card);
}

function openWrong() {
  judge.wrongOpen = true;
  $("#judge-why").hidden = false;
  $("#judge-wrong").classList.add("active");
}

function pickCategory(category) {
  judge.category = category;
  document.querySelectorAll("#judge-why .cat").forEach((b) => b.classList.toggle("active", b.dataset.category === category));
  $("#judge-reason").focus();
}

function skipItem() {
  if (!judge.queue || judge.pos >= judge.queue.items.length) return;
  judge.pos += 1;
  renderJudgeItem();
}

async function giveVerdict(verdict) {
  if (judge.busy || !judge.queue || judge.pos >= judge.queue.items.length) return;
  const item = judge.queue.items[judge.pos];
  const body = { corpus: judge.corpus, verdict };
  if (verdict === "wrong") {
    body.category = judge.category || "other";
    body.reason = ($("#judge-reason")?.value || "").trim();
  }
  judge.busy = true;
  const { status, data } = await api.call("PUT", `/supervisor/api/judging/verdicts/${item.item}`, body);
  judge.busy = false;
  if (status === 401) { state.info.token_ok = false; renderToken(); openTokenDialog(() => giveVerdict(verdict)); return; }
  if (status !== 200) { toast(status === 409 ? "Очередь устарела (сервис перезапущен или загружены другие чаты): начните проверку заново." : CoachRu.error(status, data)); return; }
  judge.undo.push({ pos: judge.pos, item: item.item, previous: item.mine });
  item.mine = { verdict, category: body.category || "", reason: body.reason || "" };
  sayStatusChanges(data.status_changes);
  judge.pos += 1;
  renderJudgeItem();
  scheduleJudgeSummary();
}

async function undoVerdict() {
  const last = judge.undo.pop();
  if (!last || judge.busy) { if (last) judge.undo.push(last); return; }
  const item = judge.queue.items[last.pos];
  judge.busy = true;
  const reply = last.previous
    ? await api.call("PUT", `/supervisor/api/judging/verdicts/${last.item}`, { corpus: judge.corpus, ...last.previous, category: last.previous.category || undefined })
    : await api.call("DELETE", `/supervisor/api/judging/verdicts/${last.item}`);
  judge.busy = false;
  if (reply.status !== 200) { judge.undo.push(last); toast(CoachRu.error(reply.status, reply.data)); return; }
  item.mine = last.previous;
  judge.pos = last.pos;
  sayStatusChanges(reply.data.status_changes);
  toast("Оценка отменена");
  renderJudgeItem();
  scheduleJudgeSummary();
}

// A verdict that moved a way of firing between shown and quiet is said at once, with the arithmetic.
function changeText(c, title) {
  const what = `«${TRIGGER_RU[c.trigger] || c.trigger}» правила «${title || c.title || c.rule}» (${LANG_RU[c.lang] || c.lang})`;
  const conf = c.confidence === null ? "не измерена" : percent(c.confidence);
  const figures = c.basis === "team"
    ? `проект ${c.prior ? `${c.prior[0]} верных из ${c.prior[0] + c.prior[1]}` : "не измерял"} + команда ${c.team[0]} из ${c.team[0] + c.team[1]} = ${c.count[0]} из ${c.count[0] + c.count[1]}`
    : `оценок команды ${c.team[0] + c.team[1]} — меньше ${c.team_decides}, решают оценки проекта: ${c.count[0]} из ${c.count[0] + c.count[1]}`;
  return `${c.shown ? "Теперь показывается" : "Теперь тихое"}: ${what}. ${figures}; нижняя граница ${conf} ${c.shown ? "не ниже" : "ниже"} порога ${percent(c.floor)}.`;
}

function sayStatusChanges(changes) {
  if (!changes || !changes.length) return;
  const title = state.rules.find((r) => r.id === changes[0].rule)?.title;
  const box = el("div", { class: `notice ${changes[0].shown ? "ok" : "warn"}`, id: "judge-moved" }, changes.map((c) => el("div", {}, changeText(c, title))));
  $("#judge-moved")?.remove();
  $("#judge-summary").before(box);
  toast(changes[0].shown ? "Замечание снова показывается операторам" : "Замечание стало тихим: операторы его больше не видят");
}

function scheduleJudgeSummary() {
  clearTimeout(judge.summaryTimer);
  judge.summaryTimer = setTimeout(loadJudgeSummary, 700);
}

async function loadJudgeSummary() {
  if (!judge.corpus) return;
  const box = $("#judge-summary");
  const { status, data } = await api.call("GET", `/supervisor/api/judging/summary?corpus=${encodeURIComponent(judge.corpus)}`);
  if (status !== 200) return;
  box.innerHTML = "";
  const card = el("section", { class: "card", id: "judge-agreement" }, el("h2", {}, "Итоги по этим чатам"));
  card.append(el("p", {}, data.supervisors.length
    ? `Оценили: ${data.supervisors.map((s) => `${holderName(s.name)} — ${fmt(s.judged)}`).join(", ")}. Совпавших оценок (или оценка одного): ${fmt(data.agreed)}; разошлись: ${fmt(data.disagreed)} — они не считаются.`
    : "Оценок пока нет."));
  if (data.pairs.length) {
    card.append(el("ul", { class: "judge-pairs" }, data.pairs.map((p) => el("li", { "data-pair": p.supervisors.join("+") },
      `${holderName(p.supervisors[0])} и ${holderName(p.supervisors[1])}: оценили одни и те же ${fmt(p.items)}, совпало ${fmt(p.agreed)} (${percent(p.agreed / p.items)}); `,
      el("b", { class: "kappa" }, `каппа Коэна ${p.kappa === null ? "—" : p.kappa.toFixed(2).replace(".", ",")}`),
      " — 1 значит полное согласие, 0 — не больше случайного."))));
  } else if (data.supervisors.length === 1) {
    card.append(el("p", { class: "muted" }, "Согласие покажется, когда те же подсказки оценит второй супервизор: у него они будут первыми в очереди."));
  }
  if (data.figures.length) {
    card.append(el("table", { class: "data", id: "judge-figures" },
      el("thead", {}, el("tr", {}, el("th", {}, "Правило"), el("th", {}, "Язык"), el("th", { class: "n" }, "Верно"), el("th", { class: "n" }, "Неверно"), el("th", { class: "n" }, "Точность"), el("th", { class: "n" }, "Не ниже (95 %)"))),
      el("tbody", {}, data.figures.map((f) => el("tr", { "data-rule": f.rule, "data-lang": f.lang },
        el("td", {}, state.rules.find((r) => r.id === f.rule)?.title || f.rule), el("td", {}, LANG_RU[f.lang] || f.lang),
        el("td", { class: "n" }, fmt(f.correct)), el("td", { class: "n" }, fmt(f.wrong)), el("td", { class: "n" }, percent(f.precision)), el("td", { class: "n" }, percent(f.precision_low)))))));
  }
  card.append(el("div", { class: "bt-controls" },
    el("button", { class: "btn", type: "button", id: "judge-export", onclick: () => exportLabels(false) }, "Выгрузить оценки команды"),
    el("button", { class: "btn", type: "button", id: "judge-export-mine", onclick: () => exportLabels(true) }, "Выгрузить только мои"),
    el("span", { class: "muted" }, "Файл разметки: команда coach quality report с ним по этим же чатам покажет те же числа.")));
  box.append(card);
}

async function exportLabels(mine) {
  const who = mine ? `&supervisor=${encodeURIComponent(judge.queue?.supervisor || "")}` : "";
  const res = await fetch(`/supervisor/api/judging/export?corpus=${encodeURIComponent(judge.corpus)}${who}`, { headers: { Authorization: `Bearer ${api.token}` } });
  if (!res.ok) { toast(CoachRu.error(res.status, null)); return; }
  const blob = await res.blob();
  const name = (res.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || "labels.jsonl";
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  toast("Файл оценок сохранён");
}

function judgingKeys(e) {
  if (!$("#view-judging").classList.contains("active") || !judge.queue || $("#token-dialog").open) return;
  if (e.altKey || e.metaKey) return;
  const key = (e.key || "").toLowerCase();
  const inReason = document.activeElement?.id === "judge-reason";
  if (judge.wrongOpen) {
    if (key === "enter") { e.preventDefault(); giveVerdict("wrong"); return; }
    if (key === "escape") { e.preventDefault(); judge.wrongOpen = false; $("#judge-why").hidden = true; $("#judge-wrong").classList.remove("active"); return; }
    if (!inReason && /^[1-9]$/.test(key)) {
      const c = judge.queue.categories[Number(key) - 1];
      if (c) { e.preventDefault(); pickCategory(c); }
      return;
    }
    if (inReason) return;
  }
  if (document.activeElement && ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) return;
  if (e.ctrlKey && e.code !== "KeyZ") return;
  // the keys where В, Н and Я are on a Russian keyboard (D, Y, Z on a Latin one): either layout works
  const code = e.code || "";
  if (key === "в" || code === "KeyD" || key === "1") { e.preventDefault(); giveVerdict("correct"); }
  else if (key === "н" || code === "KeyY" || key === "2") { e.preventDefault(); openWrong(); }
  else if (key === " " || key === "arrowright") { e.preventDefault(); skipItem(); }
  else if (key === "я" || code === "KeyZ" || key === "backspace") { e.preventDefault(); undoVerdict(); }
}

// The verdicts behind a rule's figure, with the messages (the token: they are what clients and operators wrote).
async function loadRuleVerdicts(ruleId) {
  const box = $("#rule-verdicts");
  if (!box) return;
  const { status, data } = await api.call("GET", `/supervisor/api/rules/${encodeURIComponent(ruleId)}/verdicts`);
  if (state.rule?.id !== ruleId) return;
  box.innerHTML = "";
  if (status === 401) { box.append(el("p", { class: "muted" }, "Оценки команды с текстами сообщений видны после входа с токеном супервизора.")); return; }
  if (status !== 200 || !data.items.length) { box.append(el("p", { class: "muted" }, "Команда ещё не оценивала это правило: откройте «Проверка подсказок».")); return; }
  box.append(el("details", { open: data.items.length <= 12 }, el("summary", {}, `Оценки команды: ${fmt(data.items.length)} ${plural(data.items.length, "подсказка", "подсказки", "подсказок")}`),
    data.items.map((x) => el("div", { class: `ex ${x.verdicts.every((v) => v.verdict === "wrong") ? "new" : x.verdicts.every((v) => v.verdict === "correct") ? "gone" : "chg"}`, "data-item": x.item },
      x.client ? el("div", { class: "ctx" }, `Клиент: «${x.client}»`) : null,
      el("div", { class: "draft" }, x.quote),
      el("div", { class: "ctx" }, `срабатывание: ${TRIGGER_RU[x.trigger] || x.trigger} · ${LANG_RU[x.lang] || x.lang}${x.agreed ? "" : " · оценки разошлись — не считается"}`),
      x.verdicts.map((v) => el("div", { class: "w" }, `${holderName(v.supervisor)}: ${v.verdict === "correct" ? "верно" : "неверно"}`
        + (v.category ? ` — ${CATEGORY_SHORT[v.category] || v.category}` : "") + (v.reason ? `: «${v.reason}»` : "")))))));
}

// The history of what operators see that the team's verdicts changed: when, who, why (the figures).
async function loadStatusChanges(ruleId) {
  const { status, data } = await api.call("GET", "/supervisor/api/status-changes?limit=50");
  if (status !== 200) return [];
  return ruleId ? data.changes.filter((c) => c.rule === ruleId) : data.changes;
}

function statusChangeNode(c) {
  return el("div", { class: `version status-change ${c.shown ? "shown" : "quiet"}`, "data-rule": c.rule, "data-trigger": c.trigger },
    el("div", { class: "version-head" },
      el("span", { class: "muted" }, new Date(c.ts * 1000).toLocaleString("ru-RU")),
      el("span", {}, holderName(c.author)),
      el("span", {}, changeText(c, c.title))));
}

// --- views and wiring -------------------------------------------------------------------------------------------
function switchView(name) {
  if (name !== "rules") history.replaceState(null, "", `#${name}`);
  else if (state.rule) history.replaceState(null, "", `#rule=${state.rule.id}`);
  document.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("active", b.dataset.view === name));
  document.querySelectorAll(".view").forEach((v) => v.classList.toggle("active", v.id === `view-${name}`));
  if (name === "stats") loadStats();
  if (name === "history") loadHistory();
  if (name === "judging") openJudging();
}

document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => switchView(b.dataset.view)));
$("#rule-search").addEventListener("input", renderRuleList);
$("#btn-check").addEventListener("click", checkRule);
$("#btn-save").addEventListener("click", saveRule);
$("#btn-backtest").addEventListener("click", () => { $("#backtest").scrollIntoView({ behavior: "smooth" }); runBacktest(); });
$("#btn-reset").addEventListener("click", () => { if (state.rule) { renderEditor(); state.backtest && runBacktest(); } });
$("#token-btn").addEventListener("click", () => openTokenDialog());
$("#token-form").addEventListener("submit", signIn);
$("#token-forget").addEventListener("click", signOut);
$("#token-cancel").addEventListener("click", () => $("#token-dialog").close());
$("#corpus-file").addEventListener("change", (e) => { const f = e.target.files[0]; e.target.value = ""; if (f) uploadCorpus(f); });
$("#period").addEventListener("click", (e) => {
  const b = e.target.closest("button");
  if (!b) return;
  document.querySelectorAll("#period button").forEach((x) => x.classList.toggle("active", x === b));
  if (b.dataset.days === "custom") { $("#custom-range").hidden = false; return; }
  $("#custom-range").hidden = true;
  state.statsDays = Number(b.dataset.days);
  loadStats();
});
$("#apply-range").addEventListener("click", () => {
  const s = $("#since-date").valueAsNumber, u = $("#until-date").valueAsNumber;
  if (!Number.isFinite(s) || !Number.isFinite(u)) { toast("Выберите обе даты"); return; }
  state.statsDays = "custom"; state.since = s / 1000; state.until = u / 1000 + 86400;
  loadStats();
});
$("#store-text").addEventListener("change", (e) => setStoreText(e.target.checked));
$("#judge-start").addEventListener("click", startJudging);
$("#judge-upload").addEventListener("click", () => { state.uploadFor = "judging"; $("#corpus-file").click(); });
document.addEventListener("keydown", judgingKeys);
window.addEventListener("hashchange", () => {
  const m = location.hash.match(/rule=([a-z0-9_]+)/);
  if (m && m[1] !== state.rule?.id) { switchView("rules"); openRule(m[1]); }
  else if (location.hash.includes("stats")) switchView("stats");
  else if (location.hash.includes("history")) switchView("history");
  else if (location.hash.includes("judging")) switchView("judging");
});
window.addEventListener("beforeunload", (e) => { if (isDirty()) { e.preventDefault(); e.returnValue = ""; } });

(async () => {
  await loadState();
  const m = location.hash.match(/rule=([a-z0-9_]+)/);
  const first = m ? m[1] : state.rules[0]?.id;
  if (first) openRule(first);
  if (location.hash.includes("stats")) switchView("stats");
  if (location.hash.includes("history")) switchView("history");
  if (location.hash.includes("judging")) switchView("judging");
})();
