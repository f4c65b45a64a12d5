// Options: the service URL (loopback only), the token, the operator's language and how many remarks show at
// once, the shortcut into the panel, the enabled sites and the supervisor's own adapters (export, import, publish
// to the team). What the administrator's policy presets is shown locked.
import { SERVICE_HOSTS, isLoopback, originPattern } from "../shared/sites.js";

const $ = (id) => document.getElementById(id);
const DEFAULT_URL = "http://127.0.0.1:8765";
const { Hotkey } = globalThis.__operatorCoach; // content/hotkey.js, loaded by options.html

function show(id, text, ok) {
  const el = $(id);
  el.textContent = text;
  el.className = `result ${ok === true ? "ok" : ok === false ? "bad" : ""}`;
}

function normalizeUrl(raw) {
  const url = new URL(raw.trim() || DEFAULT_URL);
  if (!/^https?:$/.test(url.protocol)) throw new Error("нужен адрес http://…");
  if (!SERVICE_HOSTS.has(url.hostname)) throw new Error("сервис коуча работает на этом компьютере: 127.0.0.1 или localhost");
  return url.origin + url.pathname.replace(/\/+$/, "");
}

// What the administrator's policy sets (chrome.storage.managed, managed_schema.json): shown, locked.
let managed = {};

async function load() {
  const s = await chrome.storage.local.get({ serviceUrl: DEFAULT_URL, token: "", sites: {}, customAdapters: [],
    hotkey: Hotkey.DEFAULT, uiLang: "", topRemarks: 3 });
  ({ managed } = await chrome.runtime.sendMessage({ type: "managed" }));
  $("service-url").value = managed.serviceUrl ?? s.serviceUrl;
  $("token").value = managed.token ?? s.token;
  $("hotkey").value = managed.hotkey ?? s.hotkey;
  $("ui-lang").value = s.uiLang;
  $("top-remarks").value = String(s.topRemarks);
  $("service-url").disabled = "serviceUrl" in managed;
  $("token").disabled = "token" in managed;
  $("hotkey").disabled = "hotkey" in managed;
  $("save").disabled = "serviceUrl" in managed && "token" in managed;
  $("managed-note").hidden = !Object.keys(managed).length;
  $("token-file").hidden = !managed.tokenFile;
  $("token-file").textContent = managed.tokenFile ? `Токен этого компьютера лежит в файле ${managed.tokenFile}.` : "";
  renderSites(s.sites);
  await renderAdapters();
}

async function renderAdapters() {
  const info = await chrome.runtime.sendMessage({ type: "adapters" });
  $("builtin").textContent = info.builtin.map((a) => a.name).join(", ");
  $("service-adapters-row").hidden = !info.service.length;
  $("service-adapters").textContent = info.service.map((a) => a.name || a.id).join(", ");
  const custom = info.custom.map((c) => c.adapter);
  $("custom").value = custom.length ? JSON.stringify(custom, null, 2) : "";
  $("custom-empty").hidden = custom.length > 0;
  $("custom-list").replaceChildren(...info.custom.map(({ adapter, problems }) => adapterItem(adapter, problems, custom)));
}

function button(text, action, onclick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.dataset.action = action;
  b.addEventListener("click", onclick);
  return b;
}

/** One of the supervisor's adapters: export it (the same JSON the picker saves), publish it to the service's
 *  team adapters, or remove it. */
function adapterItem(adapter, problems, all) {
  const li = document.createElement("li");
  li.dataset.adapter = adapter.id;
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = adapter.name || adapter.id;
  const id = document.createElement("span");
  id.className = "id";
  id.textContent = adapter.id;
  name.append(id);
  const result = document.createElement("span");
  result.className = "result";
  result.setAttribute("role", "status");
  if (problems.length) {
    result.className = "result bad";
    result.textContent = `Не используется: ${problems.join("; ")}`;
  }
  li.append(name,
    button("Экспорт", "export", () => download(adapter)),
    button("Опубликовать для команды", "publish", () => publish(adapter, result)),
    button("Удалить", "delete", async () => {
      await chrome.storage.local.set({ customAdapters: all.filter((a) => a.id !== adapter.id) });
      await renderAdapters();
    }),
    result);
  return li;
}

function download(adapter) {
  const blob = new Blob([`${JSON.stringify(adapter, null, 2)}\n`], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${adapter.id}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** `PUT /v1/adapters/<id>` on the service: it serves the adapter to every operator who follows it. */
async function publish(adapter, result) {
  const s = await chrome.storage.local.get({ serviceUrl: DEFAULT_URL, token: "" });
  const url = managed.serviceUrl ?? s.serviceUrl;
  const token = managed.token ?? s.token;
  const show = (text, ok) => {
    result.textContent = text;
    result.className = `result ${ok ? "ok" : "bad"}`;
  };
  try {
    const r = await fetch(`${url}/v1/adapters/${encodeURIComponent(adapter.id)}`, { method: "PUT",
      headers: { "Content-Type": "application/json", ...(token ? { "X-Coach-Token": token } : {}) },
      body: JSON.stringify(adapter) });
    const body = await r.json().catch(() => ({}));
    const why = body.error ? body.error.message : `HTTP ${r.status}`;
    if (r.ok) show("Опубликован: сервис раздаёт его операторам команды.", true);
    else if (r.status === 401) show("Нужен токен руководителя (поле «Токен» выше).", false);
    else if (r.status === 409 && /follows/.test(why)) show("Этот сервис следует за узлом команды: опубликуйте адаптер там.", false);
    else if (r.status === 409) show("Сервис запущен без каталога адаптеров: coach serve --adapters КАТАЛОГ.", false);
    else show(`Не опубликован: ${why}`, false);
  } catch (e) {
    show(`Нет связи с сервисом: ${e.message}`, false);
  }
}

/** Import: a file with one adapter or an array of them (the JSON the picker exports); kept only if all are right. */
$("import").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file) return;
  let list;
  try {
    list = JSON.parse(await file.text());
  } catch (err) {
    show("import-result", `${file.name}: это не JSON (${err.message})`, false);
    return;
  }
  list = Array.isArray(list) ? list : [list];
  const r = await chrome.runtime.sendMessage({ type: "keep-adapters", adapters: list });
  if (r.problems.length) {
    show("import-result", `${file.name}: ${r.problems.join("\n")}`, false);
    return;
  }
  show("import-result", `Импортировано адаптеров: ${list.length}`, true);
  await renderAdapters();
});

function renderSites(sites) {
  const ul = $("sites");
  ul.replaceChildren();
  const fromPolicy = managed.sites || [];
  const entries = [["http://127.0.0.1", true], ["http://localhost", true],
    ...fromPolicy.filter((o) => !isLoopback(o)).map((o) => [o, true]),
    ...Object.entries(sites).filter(([o]) => !isLoopback(o) && !fromPolicy.includes(o))];
  for (const [origin, on] of entries) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = `${origin}${on ? "" : " (выключен)"}${fromPolicy.includes(origin) ? " — задан администратором" : ""}`;
    li.append(name);
    if (!isLoopback(origin) && !fromPolicy.includes(origin)) {
      const remove = document.createElement("button");
      remove.textContent = "Убрать";
      remove.addEventListener("click", async () => {
        const current = (await chrome.storage.local.get({ sites: {} })).sites;
        delete current[origin];
        await chrome.storage.local.set({ sites: current });
        await chrome.permissions.remove({ origins: [originPattern(origin)] }).catch(() => {});
        renderSites(current);
      });
      li.append(remove);
    }
    ul.append(li);
  }
}

async function check(url, token) {
  const headers = token ? { "X-Coach-Token": token } : {};
  let r;
  try {
    r = await fetch(`${url}/healthz`, { headers, cache: "no-store" });
  } catch {
    // the browser says only "Failed to fetch": nothing answers at that address
    throw new Error("сервис не отвечает. Запустите его на этом компьютере (coach serve или make run) и проверьте адрес");
  }
  const body = await r.json().catch(() => null);
  if (r.status === 401 || r.status === 403) throw new Error("сервис не принял токен: возьмите его из «coach token»");
  if (!r.ok) throw new Error(`сервис ответил ошибкой (код ${r.status})`);
  return body;
}

$("save").addEventListener("click", async () => {
  try {
    const url = normalizeUrl($("service-url").value);
    $("service-url").value = url;
    await chrome.storage.local.set({ serviceUrl: url, token: $("token").value.trim() });
    show("service-result", "Сохранено", true);
  } catch (e) {
    show("service-result", e.message, false);
  }
});

$("check").addEventListener("click", async () => {
  try {
    const url = normalizeUrl($("service-url").value);
    const h = await check(url, $("token").value.trim());
    show("service-result", `На связи: версия ${h.version}, правил ${h.rules}`, true);
  } catch (e) {
    show("service-result", `Нет связи: ${e.message}`, false);
  }
});

$("ui-lang").addEventListener("change", async () => {
  await chrome.storage.local.set({ uiLang: $("ui-lang").value });
  show("prefs-result", "Сохранено", true);
});

$("top-remarks").addEventListener("change", async () => {
  await chrome.storage.local.set({ topRemarks: Number($("top-remarks").value) });
  show("prefs-result", "Сохранено", true);
});

// The shortcut field records the keys pressed in it (Alt+Shift+K); Backspace puts the default back.
$("hotkey").addEventListener("keydown", async (e) => {
  if (e.key === "Tab") return;
  e.preventDefault();
  if (e.key === "Backspace" || e.key === "Delete") {
    $("hotkey").value = Hotkey.DEFAULT;
  } else {
    const combo = Hotkey.fromEvent(e);
    if (!combo) {
      if (!["Alt", "Shift", "Control", "Meta"].includes(e.key)) {
        show("hotkey-result", "Нужна клавиша с Alt, Ctrl или ⌘ (например, Alt+Shift+K)", false);
      }
      return;
    }
    $("hotkey").value = combo;
  }
  await chrome.storage.local.set({ hotkey: $("hotkey").value });
  show("hotkey-result", `Сохранено: ${$("hotkey").value}`, true);
});

$("save-adapters").addEventListener("click", async () => {
  let list;
  try {
    const raw = $("custom").value.trim();
    list = raw ? JSON.parse(raw) : [];
    if (!Array.isArray(list)) list = [list];
  } catch (e) {
    show("adapters-result", `Это не JSON: ${e.message}`, false);
    return;
  }
  const problems = [];
  for (const a of list) {
    const r = await chrome.runtime.sendMessage({ type: "check-adapter", adapter: a });
    for (const p of r.problems) problems.push(`${a && a.id || "?"}: ${p}`);
  }
  if (problems.length) {
    show("adapters-result", problems.join("\n"), false);
    return;
  }
  await chrome.storage.local.set({ customAdapters: list });
  show("adapters-result", `Сохранено адаптеров: ${list.length}`, true);
  await renderAdapters();
});

load();
