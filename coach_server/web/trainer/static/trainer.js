/* Operator Coach — trainer page: step through a scenario (each operator message with the warnings it gets and
   why), the bad and the good version side by side, and a "your turn" box checked live with POST /v1/check. */
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
};
const SEV = { error: "ошибка", warning: "предупреждение", info: "совет" };
const QUIET_WHY = "Тихое замечание: его точность на реальных чатах не подтверждена (или ниже порога), поэтому операторам в консоли оно не показывается. Тренер показывает все правила.";
const ROLE = { client: "Клиент", operator: "Оператор", bot: "Бот", system: "Система" };
const mmss = (s) => `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

const T = { allRules: {}, list: [], situation: null, loaded: {}, mode: "bad", times: [], pos: 0, playing: null, shown: new Set(),
  turn: null };

async function getJSON(path) {
  let res;
  try {
    res = await fetch(path);
  } catch {
    throw new Error(CoachRu.OFFLINE);
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new Error(CoachRu.error(res.status, data));
  return data;
}

// --- list -------------------------------------------------------------------------------------------------
async function loadList() {
  const data = await getJSON("/trainer/api/scenarios");
  try {  // every rule's title and "why", for the warnings a trainee's own reply gets
    for (const r of (await getJSON("/v1/rules")).rules) T.allRules[r.id] = { title: r.title, description: r.description };
  } catch { /* titles are a nicety: the warnings still show */ }
  T.list = data.scenarios;
  const bySituation = new Map();
  for (const s of T.list) {
    if (!bySituation.has(s.situation)) bySituation.set(s.situation, {});
    bySituation.get(s.situation)[s.version] = s;
  }
  const box = $("#scenario-list");
  box.innerHTML = "";
  box.append(el("div", { class: "muted", style: "margin: 2px 4px 10px" }, `Ситуаций: ${bySituation.size} · сценариев: ${T.list.length}`));
  for (const [situation, v] of bySituation) {
    const any = v.bad || v.good;
    box.append(el("div", { class: "situation", "data-situation": situation, onclick: () => openSituation(situation) },
      el("h3", {}, (v.bad || v.good).title),
      el("div", { class: "versions" }, v.bad ? el("span", { class: "pill bad" }, "плохо") : null,
        v.good ? el("span", { class: "pill good" }, "хорошо") : null, el("span", { class: "pill lang" }, { ru: "рус.", en: "англ." }[any.lang] || any.lang))));
  }
  if (data.errors.length) box.append(el("div", { class: "notice err" }, "Файлы с ошибками:", el("ul", {}, data.errors.map((e) => el("li", {}, `${e.file}: ${e.field}: ${e.problem}`)))));
  const m = location.hash.match(/s=([\w-]+)/);
  const first = m ? T.list.find((s) => s.id === m[1]) : T.list[0];
  if (first) openSituation(first.situation, first.version);
}

async function openSituation(situation, version) {
  stop();
  const versions = T.list.filter((s) => s.situation === situation);
  const seq = (T.loadSeq = (T.loadSeq || 0) + 1);
  const loaded = {};
  for (const s of versions) loaded[s.version] = await getJSON(`/trainer/api/scenarios/${encodeURIComponent(s.id)}`);
  if (seq !== T.loadSeq) return;  // another situation was chosen meanwhile
  T.situation = situation;
  T.loaded = loaded;
  T.mode = version && T.loaded[version] ? version : T.loaded.bad ? "bad" : "good";
  document.querySelectorAll(".situation").forEach((n) => n.classList.toggle("active", n.dataset.situation === situation));
  renderStage();
}

// --- stage --------------------------------------------------------------------------------------------------
function panesShown() {
  if (T.mode === "both") return ["bad", "good"].filter((v) => T.loaded[v]);
  return [T.mode];
}

function renderStage() {
  const stage = $("#stage");
  const main = T.loaded[T.mode] || T.loaded.bad || T.loaded.good;
  history.replaceState(null, "", `#s=${main.id}`);
  const times = new Set([0]);
  for (const v of panesShown()) for (const s of T.loaded[v].steps) times.add(s.at);
  T.times = [...times].sort((a, b) => a - b);
  T.pos = 0;
  T.shown = new Set();
  stage.innerHTML = "";
  stage.append(
    el("div", { class: "stage-head" }, el("h1", { id: "scenario-title" }, main.title), el("p", {}, main.summary),
      main.source ? el("p", { style: "font-size:12.5px" }, `Источник: ${main.source}`) : null),
    el("div", { class: "controls" },
      el("div", { class: "seg", id: "mode" },
        T.loaded.bad ? el("button", { "data-mode": "bad", class: T.mode === "bad" ? "active" : "", onclick: () => setMode("bad") }, "Плохая версия") : null,
        T.loaded.good ? el("button", { "data-mode": "good", class: T.mode === "good" ? "active" : "", onclick: () => setMode("good") }, "Хорошая версия") : null,
        T.loaded.bad && T.loaded.good ? el("button", { "data-mode": "both", class: T.mode === "both" ? "active" : "", onclick: () => setMode("both") }, "Рядом") : null),
      el("button", { class: "btn", id: "btn-restart", onclick: () => { stop(); go(0); } }, "↺ Сначала"),
      el("button", { class: "btn", id: "btn-back", onclick: () => { stop(); go(T.pos - 1); } }, "◀ Назад"),
      el("button", { class: "btn primary", id: "btn-step", onclick: () => { stop(); go(T.pos + 1); } }, "Шаг ▶"),
      el("button", { class: "btn", id: "btn-play", onclick: togglePlay }, "▶ Играть"),
      el("button", { class: "btn", id: "btn-all", onclick: () => { stop(); go(T.times.length - 1); } }, "Весь разговор"),
      el("span", { class: "clock", id: "clock", title: "время от начала разговора" }, "00:00")),
    el("div", { class: `panes ${panesShown().length > 1 ? "two" : ""}`, id: "panes" },
      panesShown().map((v) => el("section", { class: "pane", "data-version": v },
        el("div", { class: "pane-title" }, el("span", { class: `pill ${v}` }, v === "bad" ? "плохо" : "хорошо"), T.loaded[v].title),
        el("div", { class: "chat" })))),
    el("div", { id: "turn-slot" }));
  go(0);
}

function setMode(mode) {
  stop();
  T.mode = mode;
  renderStage();
}

function go(pos) {
  T.pos = Math.max(0, Math.min(T.times.length - 1, pos));
  const now = T.times[T.pos];
  $("#clock").textContent = mmss(now);
  for (const v of panesShown()) renderPane(v, now);
  $("#btn-step").disabled = T.pos >= T.times.length - 1;
  $("#btn-back").disabled = T.pos === 0;
  renderTurn();
}

function renderPane(version, now) {
  const sc = T.loaded[version];
  const chat = document.querySelector(`.pane[data-version="${version}"] .chat`);
  chat.innerHTML = "";
  for (const step of sc.steps) {
    if (step.at > now) break;
    const key = `${version}:${step.index}`;
    const fresh = !T.shown.has(key);
    T.shown.add(key);
    chat.append(stepNode(sc, step, fresh));
  }
  if (!chat.children.length) chat.append(el("div", { class: "muted" }, "Разговор ещё не начался."));
  const last = chat.lastElementChild;
  if (last && last.scrollIntoView && T.playing) last.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function stepNode(sc, step, fresh) {
  if (step.role === "checkpoint") {
    return el("div", { class: `checkpoint ${fresh ? "new" : ""}`, "data-index": step.index },
      el("div", {}, `${mmss(step.at)} — оператор молчит. Что в этот момент показывает коуч:`),
      review(sc, step));
  }
  const flagged = step.warnings && step.warnings.length;
  const hasError = flagged && step.warnings.some((w) => w.severity === "error");
  const cls = ["msg", step.role, fresh ? "new" : "", step.role === "operator" ? (flagged ? "flagged" : "clean") : "", hasError ? "has-error" : ""].join(" ");
  return el("div", { class: cls, "data-index": step.index },
    el("div", { class: "who" }, `${step.role === "operator" ? sc.operator : ROLE[step.role] || step.role} · ${mmss(step.at)}${step.typing ? ` · печатал ${Math.round(step.typing)} с` : ""}`),
    el("div", { class: "bubble" }, step.role === "operator" ? highlight(step.text, step.warnings) : step.text),
    step.role === "operator" ? review(sc, step) : null);
}

function highlight(text, warnings) {
  const frag = document.createDocumentFragment();
  const spans = (warnings || []).filter((w) => w.start !== null && w.end !== null && w.end > w.start).sort((a, b) => a.start - b.start);
  let pos = 0;
  for (const w of spans) {
    if (w.start < pos) continue;
    frag.append(text.slice(pos, w.start), el("mark", { class: w.severity, title: w.message }, text.slice(w.start, w.end)));
    pos = w.end;
  }
  frag.append(text.slice(pos));
  return frag;
}

function review(sc, step) {
  const ws = step.warnings || [];
  const box = el("div", { class: "review" });
  if (!ws.length) box.append(el("div", { class: "ok" }, step.role === "checkpoint" ? "Коуч молчит: всё в порядке." : "✓ Без замечаний"));
  const seen = new Set();
  for (const w of ws) {
    const rule = sc.rules[w.rule] || {};
    const first = !seen.has(w.rule);
    seen.add(w.rule);
    box.append(el("div", { class: "warn-item", "data-rule": w.rule },
      el("span", { class: `sev ${w.severity}` }, SEV[w.severity]),
      w.quiet ? el("span", { class: "quiet", title: QUIET_WHY }, "тихое") : null,
      el("details", {}, el("summary", {}, el("b", {}, rule.title || w.rule), " — ", w.message,
        w.suggestion ? el("span", { class: "muted" }, ` → «${w.suggestion}»`) : null),
        first && rule.description ? el("div", { class: "why" }, rule.description) : null)));
  }
  const missing = (step.expect || []).filter((r) => !ws.some((w) => w.rule === r));
  if (missing.length) box.append(el("div", { class: "expect-miss" }, `Сценарий ждёт, но коуч не сказал: ${missing.join(", ")}`));
  if (step.note) box.append(el("div", { class: "note" }, step.note));
  return box;
}

// --- playing ----------------------------------------------------------------------------------------------------
function togglePlay() {
  if (T.playing) { stop(); return; }
  if (T.pos >= T.times.length - 1) go(0);
  $("#btn-play").textContent = "⏸ Пауза";
  const tick = () => {
    if (T.pos >= T.times.length - 1) { stop(); return; }
    const gap = (T.times[T.pos + 1] - T.times[T.pos]) / 10;  // ten times faster than life
    T.playing = setTimeout(() => { go(T.pos + 1); tick(); }, Math.max(600, Math.min(4000, gap * 1000)));
  };
  T.playing = -1;
  tick();
}

function stop() {
  if (T.playing) clearTimeout(T.playing);
  T.playing = null;
  const b = $("#btn-play");
  if (b) b.textContent = "▶ Играть";
}

// --- your turn ---------------------------------------------------------------------------------------------------
function renderTurn() {
  const slot = $("#turn-slot");
  if (!slot) return;
  if (T.mode === "both") { slot.innerHTML = ""; T.turn = null; return; }
  const sc = T.loaded[T.mode];
  const now = T.times[T.pos];
  const next = sc.steps.find((s) => s.at > now && s.role !== "checkpoint");
  const key = `${sc.id}@${now}`;
  if (T.turn && T.turn.key === key) return;
  if (T.turn) clearInterval(T.turn.timer);
  slot.innerHTML = "";
  T.turn = null;
  const history = sc.steps.filter((s) => s.at <= now && s.role !== "checkpoint")
    .map((s) => ({ role: s.role, text: s.text, ts: sc.start + s.at }));
  const lastRole = history.length ? history[history.length - 1].role : null;
  const nextIsOperator = !!next && next.role === "operator";
  if (!nextIsOperator && lastRole !== "client" && lastRole !== "bot") return;  // nobody is waiting for an answer
  const ta = el("textarea", { id: "turn-input", placeholder: "Напишите ответ клиенту так, как написали бы вы…", rows: 3 });
  const live = el("div", { class: "live", id: "turn-live" }, el("div", { class: "muted" }, "Подсказки появятся, пока вы печатаете — как в расширении."));
  const chip = el("span", { class: "wait-chip", id: "wait-chip" });
  const result = el("div", { class: "turn-result", id: "turn-result" });
  const turn = { key, sc, now, history, next, ta, live, chip, result, opened: performance.now(), firstKey: null, seq: 0, timer: null };
  T.turn = turn;
  slot.append(el("section", { class: "turn", id: "turn" },
    el("h2", {}, "Ваш ход", chip),
    el("p", { class: "muted", style: "margin:0 0 8px" }, next && next.role === "operator"
      ? "Ответьте вместо оператора. Часы идут: сколько вы печатаете, столько ждёт клиент."
      : "Что бы вы написали сейчас? Часы идут: сколько вы печатаете, столько ждёт клиент."),
    ta, live,
    el("div", { style: "margin-top:10px;display:flex;gap:8px" },
      el("button", { class: "btn primary", id: "turn-send", onclick: () => finishTurn(turn) }, "Отправить"),
      el("button", { class: "btn", onclick: () => { ta.value = ""; turn.firstKey = null; check(turn); } }, "Очистить")),
    result));
  ta.addEventListener("input", () => {
    if (turn.firstKey === null && ta.value.trim()) turn.firstKey = performance.now();
    clearTimeout(turn.debounce);
    turn.debounce = setTimeout(() => check(turn), 150);
  });
  turn.timer = setInterval(() => { updateChip(turn); if (ta.value.trim()) check(turn); }, 1000);
  updateChip(turn);
}

function turnClock(turn) {
  return turn.sc.start + turn.now + (performance.now() - turn.opened) / 1000;
}

function updateChip(turn) {
  const pending = [];
  for (let i = turn.history.length - 1; i >= 0; i--) {
    if (turn.history[i].role === "operator") break;
    if (turn.history[i].role === "client") pending.unshift(turn.history[i]);
  }
  if (!pending.length) { turn.chip.textContent = ""; turn.chip.className = "wait-chip"; return; }
  const waited = turnClock(turn) - pending[0].ts;
  turn.chip.textContent = `клиент ждёт ${mmss(waited)}`;
  turn.chip.className = `wait-chip ${waited >= 120 ? "err" : waited >= 60 ? "warn" : ""}`;
}

async function check(turn, final = false) {
  const seq = ++turn.seq;
  const draft = turn.ta.value;
  const now = turnClock(turn);
  const body = { draft, messages: turn.history, now, operator_name: turn.sc.operator,
    draft_started_at: turn.firstKey !== null ? turn.sc.start + turn.now + (turn.firstKey - turn.opened) / 1000 : null,
    caret: final ? null : turn.ta.selectionEnd, ui_lang: "ru" };  // the trainer reads Russian, whatever the chat
  let data;
  try {
    let res;
    try {
      res = await fetch("/v1/check", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ...body, include_quiet: true }) });
    } catch {
      throw new Error(CoachRu.OFFLINE);
    }
    data = await res.json().catch(() => null);
    if (!res.ok) throw new Error(CoachRu.error(res.status, data));
  } catch (e) {
    turn.live.innerHTML = "";
    turn.live.append(el("div", { class: "notice err" }, `Проверка не удалась: ${e.message}`));
    return null;
  }
  if (seq !== turn.seq) return data;
  renderLive(turn, draft, data.warnings);
  return data;
}

function renderLive(turn, draft, warnings) {
  const box = turn.live;
  box.innerHTML = "";
  if (!draft.trim() && !warnings.length) { box.append(el("div", { class: "muted" }, "Подсказки появятся, пока вы печатаете.")); return; }
  if (draft.trim()) box.append(el("div", { class: "preview" }, highlight(draft, warnings)));
  if (!warnings.length) { box.append(el("div", { class: "review" }, el("div", { class: "ok" }, "✓ Коуч доволен этим ответом"))); return; }
  const list = el("div", { class: "review", id: "turn-warnings" });
  for (const w of warnings) {
    const rule = turn.sc.rules[w.rule] || T.allRules[w.rule];
    list.append(el("div", { class: "warn-item", "data-rule": w.rule },
      el("span", { class: `sev ${w.severity}` }, SEV[w.severity]),
      w.quiet ? el("span", { class: "quiet", title: QUIET_WHY }, "тихое") : null,
      el("span", {}, rule ? el("b", {}, `${rule.title} — `) : el("code", {}, `${w.rule} `), w.message,
        w.suggestion !== null && w.suggestion !== undefined && w.start !== null
          ? el("button", { class: "btn small apply", onclick: () => applySuggestion(turn, w) }, `Исправить: «${w.suggestion.trim() || "убрать"}»`) : null)));
  }
  box.append(list);
}

function applySuggestion(turn, w) {
  const v = turn.ta.value;
  turn.ta.value = v.slice(0, w.start) + w.suggestion + v.slice(w.end);
  turn.ta.focus();
  check(turn);
}

async function finishTurn(turn) {
  if (!turn.ta.value.trim()) { turn.ta.focus(); return; }
  clearInterval(turn.timer);
  const data = await check(turn, true);
  if (!data) return;
  const r = turn.result;
  r.innerHTML = "";
  const n = data.warnings.length;
  r.append(el("div", { class: `notice ${n ? "warn" : "ok"}` }, n
    ? `Отправлено с замечаниями: ${n}. Посмотрите подсказки выше — что бы вы поправили?`
    : "Отправлено — замечаний нет."));
  if (turn.next && turn.next.role === "operator") {
    r.append(el("div", { class: "muted", style: "margin:8px 0 4px" }, `В сценарии «${turn.sc.version === "bad" ? "плохо" : "хорошо"}» оператор написал:`),
      stepNode(turn.sc, turn.next, false));
  }
}

window.addEventListener("hashchange", () => {
  const m = location.hash.match(/s=([\w-]+)/);
  const s = m && T.list.find((x) => x.id === m[1]);
  const shown = T.loaded[T.mode] || {};
  if (s && s.id !== shown.id) openSituation(s.situation, s.version);
});
loadList().catch((e) => { $("#scenario-list").innerHTML = ""; $("#scenario-list").append(el("div", { class: "notice err" }, e.message)); });
