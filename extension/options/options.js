// Options: the service URL (loopback only), the token, the operator's language and how many remarks show at
// once, the shortcut into the panel, the enabled sites and the supervisor's own adapters.
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

async function load() {
  const s = await chrome.storage.local.get({ serviceUrl: DEFAULT_URL, token: "", sites: {}, customAdapters: [],
    hotkey: Hotkey.DEFAULT, uiLang: "", topRemarks: 3 });
  $("service-url").value = s.serviceUrl;
  $("ui-lang").value = s.uiLang;
  $("top-remarks").value = String(s.topRemarks);
  $("token").value = s.token;
  $("hotkey").value = s.hotkey;
  $("custom").value = s.customAdapters.length ? JSON.stringify(s.customAdapters, null, 2) : "";
  renderSites(s.sites);
  const info = await chrome.runtime.sendMessage({ type: "adapters" });
  $("builtin").textContent = info.builtin.map((a) => a.name).join(", ");
}

function renderSites(sites) {
  const ul = $("sites");
  ul.replaceChildren();
  const entries = [["http://127.0.0.1", true], ["http://localhost", true],
    ...Object.entries(sites).filter(([o]) => !isLoopback(o))];
  for (const [origin, on] of entries) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = `${origin}${on ? "" : " (выключен)"}`;
    li.append(name);
    if (!isLoopback(origin)) {
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
});

load();
