// The service worker: one WebSocket per browser to the local coach service (/v1/live, docs/live-protocol.md),
// shared by every console tab. Content scripts connect over ports and send what they read; the worker keeps
// each chat's state, resends it when the socket or the worker itself comes back, routes the warnings to the
// tabs showing that chat, and keeps the toolbar badge. Settings and first-seen message times live in
// chrome.storage, so a worker that Chromium stopped after 30 s idle wakes up knowing everything it needs.
import { SERVICE_HOSTS, hostOf, isLoopback, originPattern } from "./shared/sites.js";

// uiLang: the language of the panel and the remarks ("" — the browser's own); topRemarks: shown before «ещё N»
const DEFAULTS = { serviceUrl: "http://127.0.0.1:8765", token: "", sites: {}, customAdapters: [],
  hotkey: "Alt+Shift+K", uiLang: "", topRemarks: 3 };
// What IT may preset by policy (chrome.storage.managed, schema in managed_schema.json): it wins over what the
// operator set, and the options page shows it locked.
const MANAGED_KEYS = ["serviceUrl", "token", "tokenFile", "sites", "hotkey"];
// The service's adapters (its --adapters directory, or its team node's) are asked for when the socket says
// hello and again at most this often while a console is open (an unchanged set costs a 304).
const SERVICE_ADAPTERS_MS = 60_000;
const BACKOFF_MS = [250, 500, 1000, 2000, 3000, 5000];
// Heartbeat: while a console is open a ping goes out every HEARTBEAT_MS (socket traffic also keeps an MV3
// worker alive). No frame for STALL_MS after a ping: the service is gone (stopped, frozen, shutting down)
// and the tabs are told «offline» — at most ~1.4 s after it fell silent; the first frame after that puts
// it back online. A socket silent for DEAD_MS is dropped and dialled again; so is a connection that has
// not said hello after CONNECT_MS.
const HEARTBEAT_MS = 300;
const STALL_MS = 1000;
const DEAD_MS = 6000;
const CONNECT_MS = 3000;
const TICK_MS = 100;
const CONTENT_FILES = chrome.runtime.getManifest().content_scripts[0].js;
const SITES_SCRIPT_ID = "coach-enabled-sites";

let settings = null;
let managed = {}; // the policy's values, as set
let adaptersCache = null;
let serviceAdapters = null; // {digest, adapters} from the service, kept in chrome.storage.local
let serviceAdaptersAt = 0;
let ws = null;
let wsState = "offline";
let serviceInfo = null;
let reach = {}; // rule id → how far typing may still change its remark (hello → rule_traits)
let attempt = 0;
let reconnectTimer = null;
let lastAttempt = 0;
let heartbeatTimer = null;
let socketReady = false; // this socket said hello (a stall can end without a new one)
let lastFrameAt = 0;
let lastPingAt = 0;
let pingSentAt = null; // the oldest ping not yet followed by any frame
let socketOpenedAt = 0;
let seq = 0;
const ports = new Map(); // port → {tabId, origin, chatId, adapter}
const chats = new Map(); // chat id → {state, ports: Set<port>, lastSeq, warnings}
const diagnostics = { errors: 0, last: null, connects: 0, instance: crypto.randomUUID(), startedAt: Date.now() };

self.addEventListener("error", (e) => note(e.message));
self.addEventListener("unhandledrejection", (e) => note(e.reason && e.reason.message || String(e.reason)));

function note(message) {
  diagnostics.errors += 1;
  diagnostics.last = String(message).slice(0, 300);
}

// --- settings -------------------------------------------------------------------------------------------
// One read of the settings per worker, shared by every caller: two reads in flight could finish in either
// order, and an older one landing last would undo a change `storage.onChanged` had already applied.
let settingsRead = null;

function loadSettings() {
  if (!settingsRead) {
    settingsRead = readSettings().catch((e) => {
      settingsRead = null; // the next caller tries again
      throw e;
    });
  }
  return settingsRead;
}

async function readSettings() {
  const local = await chrome.storage.local.get(Object.keys(DEFAULTS));
  // the policy as this browser session last read it: Chromium's first read of managed storage takes seconds
  // (the policy is loaded then), and nothing may wait for that — it is read again below, in the background
  managed = (await chrome.storage.session.get({ managedSeen: {} })).managedSeen;
  settings = { ...DEFAULTS, ...local, ...managedSettings(local) };
  if (!managedRead) managedRead = rereadManaged().catch((e) => note(e.message));
  return settings;
}

let managedRead = null;

/** Read the policy again and apply what changed (a new service address reconnects, new sites are enabled). */
async function rereadManaged() {
  const next = await readManaged();
  await chrome.storage.session.set({ managedSeen: next });
  if (JSON.stringify(next) === JSON.stringify(managed)) return;
  const before = { ...settings };
  managed = next;
  const local = await chrome.storage.local.get(Object.keys(DEFAULTS));
  settings = { ...DEFAULTS, ...local, ...managedSettings(local) };
  if (before.serviceUrl !== settings.serviceUrl || before.token !== settings.token) restartSocket();
  await syncSiteScripts();
  for (const [port, info] of ports) safePost(port, { type: "toggle", enabled: siteEnabled(info.origin) });
  if (before.hotkey !== settings.hotkey) for (const port of ports.keys()) safePost(port, { type: "prefs", ...prefs() });
}

/** The policy's values that are usable (a schema-valid but wrong value — a service beyond this machine, a site
 *  that is not an origin — is left out and counted as a problem in the diagnostics). */
async function readManaged() {
  let raw = {};
  try {
    raw = (await chrome.storage.managed.get(MANAGED_KEYS)) || {};
  } catch { /* no policy support here (a browser without it): nothing is managed */ }
  const out = {};
  for (const key of MANAGED_KEYS) {
    const value = raw[key];
    if (value == null) continue;
    if (key === "serviceUrl" && !(typeof value === "string" && SERVICE_HOSTS.has(hostOf(value)))) {
      note(`policy serviceUrl ${JSON.stringify(value)} ignored: the service runs on this machine (127.0.0.1, localhost)`);
      continue;
    }
    if (key === "sites") {
      const origins = (Array.isArray(value) ? value : []).map(originOf).filter(Boolean);
      if (origins.length) out.sites = origins;
      continue;
    }
    if (typeof value === "string") out[key] = value;
  }
  return out;
}

function originOf(value) {
  try {
    const url = new URL(String(value));
    return /^https?:$/.test(url.protocol) ? url.origin : null;
  } catch {
    return null;
  }
}

/** Settings as the policy makes them: its values replace the operator's; its sites are on, beside the operator's. */
function managedSettings(local) {
  const out = {};
  for (const [key, value] of Object.entries(managed)) {
    if (key === "sites") out.sites = { ...(local.sites || {}), ...Object.fromEntries(value.map((o) => [o, true])) };
    else if (key in DEFAULTS) out[key] = value;
  }
  return out;
}

function siteManaged(origin) {
  return !!managed.sites && managed.sites.includes(origin);
}

/** The operator's language: the setting, else the browser's (Russian for ru, and for uk, be, kk, whose
 * operators read Russian; English otherwise). The service words remarks in it (`ui_lang`). */
function uiLang() {
  if (settings.uiLang === "ru" || settings.uiLang === "en") return settings.uiLang;
  const browser = (chrome.i18n?.getUILanguage?.() || "ru").toLowerCase().split(/[-_]/)[0];
  return ["ru", "uk", "be", "kk"].includes(browser) ? "ru" : "en";
}

/** What a tab needs to draw the coach the operator's way. */
function prefs() {
  return { hotkey: settings.hotkey, uiLang: uiLang(), topRemarks: Number(settings.topRemarks) || 3, reach };
}

function siteEnabled(origin) {
  const explicit = settings.sites[origin];
  return explicit != null ? !!explicit : isLoopback(origin);
}

function isServiceOrigin(origin) {
  try {
    const page = new URL(origin);
    const service = new URL(settings.serviceUrl || DEFAULTS.serviceUrl);
    return isLoopback(page.origin) && isLoopback(service.origin) && page.port === service.port;
  } catch {
    return false;
  }
}

function serviceSocketUrl() {
  const url = new URL(settings.serviceUrl || DEFAULTS.serviceUrl);
  if (!SERVICE_HOSTS.has(url.hostname)) return null; // the coach only ever talks to a service on this machine
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = url.pathname.replace(/\/+$/, "") + "/v1/live";
  url.search = "";
  url.hash = "";
  // the service's guard accepts the supervisor token on the upgrade (a browser cannot set headers there)
  if (settings.token) url.searchParams.set("access_token", settings.token);
  return url.toString();
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "managed") {
    // the policy changed: its values win over the operator's
    loadSettings().then(rereadManaged).catch((e) => note(e.message));
    return;
  }
  if (area !== "local") return;
  (async () => {
    await loadSettings();
    for (const [key, { newValue }] of Object.entries(changes)) {
      if (key in DEFAULTS && !(key in managed)) settings[key] = newValue ?? DEFAULTS[key];
    }
    if (changes.sites && managed.sites) settings.sites = managedSettings({ sites: changes.sites.newValue || {} }).sites;
    if (changes.customAdapters) await pushAdapters();
    if (changes.serviceUrl && !("serviceUrl" in managed)) restartSocket();
    if (changes.sites) {
      await syncSiteScripts();
      for (const [port, info] of ports) safePost(port, { type: "toggle", enabled: siteEnabled(info.origin) });
    }
    if (changes.hotkey || changes.uiLang || changes.topRemarks) {
      for (const port of ports.keys()) safePost(port, { type: "prefs", ...prefs() });
    }
    // the remarks are worded anew in the operator's language
    if (changes.uiLang && wsState === "online") for (const [chatId, chat] of chats) sendFull(chatId, chat);
  })().catch((e) => note(e.message));
});

// --- adapters ---------------------------------------------------------------------------------------------
const PICKER_FILES = ["content/adapter.js", "content/editor.js", "content/infer.js", "content/picker.js"];
const SIDES = ["left", "right", "center"];

function adapterProblems(a) {
  const problems = [];
  if (!a || typeof a !== "object" || Array.isArray(a)) return ["an adapter is a JSON object"];
  if (!a.id || typeof a.id !== "string") problems.push("id: a short name is required");
  else if (!/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(a.id)) problems.push(`id ${JSON.stringify(a.id)}: lowercase letters, digits, «-», «_», «.»`);
  if (!a.editor) problems.push("editor: a selector for the reply box is required");
  if (!a.fallback && !(a.match && (a.match.url || a.match.dom))) problems.push("match: give url patterns or dom selectors");
  const regexes = [...[].concat(a.match?.url || []), a.conversation?.url].filter(Boolean);
  for (const r of regexes) {
    try {
      new RegExp(r);
    } catch (e) {
      problems.push(`bad pattern ${JSON.stringify(r)}: ${e.message}`);
    }
  }
  if (a.dock != null && !(typeof a.dock === "object" && (typeof a.dock.before === "string" ||
    typeof a.dock.after === "string"))) {
    problems.push('dock: {"before": "<selector>"} or {"after": "<selector>"}');
  }
  if (a.channel != null && !(["chat", "messenger", "social", "email"].includes(a.channel) ||
    (typeof a.channel === "object" && (a.channel.selector || a.channel.url)))) {
    problems.push('channel: "chat", "messenger", "social", "email", or {"selector", "attr", "map"}');
  }
  for (const [i, rule] of (Array.isArray(a.messages?.roles) ? a.messages.roles : []).entries()) {
    if (!rule || typeof rule !== "object") {
      problems.push(`messages.roles[${i}]: an object like {"role": "client", "is": "<selector>"}`);
      continue;
    }
    if (!["client", "operator", "system", "bot", "skip"].includes(rule.role)) {
      problems.push(`messages.roles[${i}]: unknown role ${JSON.stringify(rule.role)}`);
    }
    if (rule.side != null && !SIDES.includes(rule.side)) problems.push(`messages.roles[${i}].side: "left", "right" or "center"`);
    if (rule.has != null && typeof rule.has !== "string" && !(typeof rule.has === "object" && typeof rule.has.selector === "string")) {
      problems.push(`messages.roles[${i}].has: a selector, or {"selector", "text"}`);
    }
  }
  if (a.messages != null && (typeof a.messages !== "object" || typeof a.messages.item !== "string")) {
    problems.push("messages.item: a selector for one message is required");
  }
  return problems;
}

/** Keep an adapter among the supervisor's own (the picker's «Сохранить», an import): a new id is added, a known one
 *  replaced. Returns the problems that kept it out. */
async function keepAdapter(adapter) {
  const problems = adapterProblems(adapter);
  if (problems.length) return problems;
  await loadSettings();
  const list = (settings.customAdapters || []).filter((a) => a && a.id !== adapter.id);
  await chrome.storage.local.set({ customAdapters: [adapter, ...list] });
  return [];
}

async function builtinAdapters() {
  const index = await (await fetch(chrome.runtime.getURL("adapters/index.json"))).json();
  const out = [];
  for (const file of index.adapters) {
    out.push(await (await fetch(chrome.runtime.getURL(`adapters/${file}`))).json());
  }
  return out;
}

/**
 * The supervisor's own adapters (the picker, the options page) first, then the service's (a team node's), then
 * the shipped ones; an id found earlier replaces the same id later. The fallback (any text box) comes last.
 */
async function adapters() {
  if (adaptersCache) return adaptersCache;
  await loadSettings();
  const usable = (list) => (list || []).filter((a) => adapterProblems(a).length === 0);
  const ids = new Set();
  const layers = [usable(settings.customAdapters), usable((await loadServiceAdapters()).adapters), await builtinAdapters()]
    .map((layer) => layer.filter((a) => !ids.has(a.id))).map((layer) => {
      for (const a of layer) ids.add(a.id);
      return layer;
    });
  const all = [...layers.flat().filter((a) => !a.fallback), ...layers.flat().filter((a) => a.fallback)];
  adaptersCache = all;
  return all;
}

/** Tell every open console tab the adapters changed (it picks its adapter again). */
async function pushAdapters() {
  adaptersCache = null;
  const list = await adapters();
  for (const [port, info] of ports) {
    safePost(port, { type: "config", enabled: siteEnabled(info.origin),
      adapters: list.filter((a) => !(a.fallback && isServiceOrigin(info.origin))), state: wsState,
      ...prefs() });
  }
}

async function loadServiceAdapters() {
  if (!serviceAdapters) {
    serviceAdapters = (await chrome.storage.local.get({ serviceAdapters: { digest: "", adapters: [] } })).serviceAdapters;
  }
  return serviceAdapters;
}

/** Ask the service for its adapters (`GET /v1/adapters`, docs/extension.md); kept, so they work offline too. */
async function refreshServiceAdapters() {
  serviceAdaptersAt = Date.now();
  await loadSettings();
  const known = await loadServiceAdapters();
  const url = new URL(settings.serviceUrl || DEFAULTS.serviceUrl);
  if (!SERVICE_HOSTS.has(url.hostname)) return;
  const headers = known.digest ? { "If-None-Match": `"${known.digest}"` } : {};
  if (settings.token) headers["X-Coach-Token"] = settings.token;
  let body;
  try {
    const r = await fetch(`${url.origin}${url.pathname.replace(/\/+$/, "")}/v1/adapters`, { headers, cache: "no-store" });
    if (r.status === 304 || r.status === 404 || !r.ok) return; // unchanged, or a service from before adapters
    body = await r.json();
  } catch {
    return; // the service is away: the adapters it gave last stay
  }
  if (!body || typeof body.digest !== "string" || body.digest === known.digest) return;
  serviceAdapters = { digest: body.digest, adapters: (body.adapters || []).filter((a) => adapterProblems(a).length === 0) };
  await chrome.storage.local.set({ serviceAdapters });
  await pushAdapters();
}

// --- content scripts on the sites the operator enabled -------------------------------------------------------
// One at a time: the popup's switch and the storage change it causes both ask for a sync, and two
// overlapping registrations of the same script id fail.
let siteSync = Promise.resolve();
function syncSiteScripts() {
  siteSync = siteSync.catch(() => {}).then(registerSiteScripts);
  return siteSync;
}

async function registerSiteScripts() {
  await loadSettings();
  const wanted = [];
  for (const [origin, on] of Object.entries(settings.sites)) {
    if (!on || isLoopback(origin)) continue;
    const pattern = originPattern(origin);
    if (pattern && await chrome.permissions.contains({ origins: [pattern] })) wanted.push(pattern);
  }
  const [existing] = await chrome.scripting.getRegisteredContentScripts({ ids: [SITES_SCRIPT_ID] });
  // changed in place, never unregistered and registered again: a page loading in between would miss the script
  if (!wanted.length) {
    if (existing) await chrome.scripting.unregisterContentScripts({ ids: [SITES_SCRIPT_ID] });
    return;
  }
  const script = { id: SITES_SCRIPT_ID, matches: wanted, js: CONTENT_FILES, runAt: "document_idle", allFrames: false,
    persistAcrossSessions: true };
  if (!existing) await chrome.scripting.registerContentScripts([script]);
  else if (JSON.stringify([existing.matches, existing.js]) !== JSON.stringify([wanted, CONTENT_FILES])) {
    await chrome.scripting.updateContentScripts([script]); // other sites, or the extension's files after an update
  }
}

const resyncSiteScripts = () => syncSiteScripts().catch((e) => note(e.message));
chrome.runtime.onInstalled.addListener(resyncSiteScripts);
chrome.runtime.onStartup.addListener(resyncSiteScripts);
// A site's access reaches this worker on its own schedule: the popup's chrome.permissions.request can resolve
// before the worker's chrome.permissions.contains sees the grant, and the operator can also grant or take it
// back in Chromium's own settings. Each change syncs again, so the site's script follows the access it has.
chrome.permissions.onAdded.addListener(resyncSiteScripts);
chrome.permissions.onRemoved.addListener(resyncSiteScripts);

// --- the socket -----------------------------------------------------------------------------------------------
function ensureSocket() {
  if (ws || !settings) return;
  if (reconnectTimer) {
    // something needs the service now: do not sit out a long backoff
    if (Date.now() - lastAttempt < 1000) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
  }
  const url = serviceSocketUrl();
  if (!url) {
    setWsState("offline");
    return;
  }
  lastAttempt = Date.now();
  diagnostics.connects += 1;
  let socket;
  try {
    socket = new WebSocket(url);
  } catch (e) {
    note(e.message);
    scheduleReconnect();
    return;
  }
  ws = socket;
  socketReady = false;
  socketOpenedAt = Date.now();
  pingSentAt = null;
  startHeartbeat();
  socket.onmessage = (event) => {
    if (ws !== socket) return;
    lastFrameAt = Date.now();
    pingSentAt = null;
    try {
      onFrame(JSON.parse(event.data));
    } catch (e) {
      note(e.message);
    }
  };
  // any close — the service's clean 1001 on shutdown, a refused or reset connection — is «offline» at once
  socket.onclose = () => {
    if (ws === socket) lostSocket();
  };
  socket.onerror = () => { /* onclose follows; a refused connection is the normal "service is down" */ };
}

/** The socket is gone (closed, or silent past DEAD_MS): offline now, dial again with backoff. */
function lostSocket() {
  const old = ws;
  ws = null;
  socketReady = false;
  serviceInfo = null;
  if (old) {
    old.onclose = old.onmessage = null;
    try {
      old.close();
    } catch { /* already closed */ }
  }
  setWsState("offline");
  stopHeartbeat();
  scheduleReconnect();
}

function restartSocket() {
  lostSocket();
  attempt = 0;
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  if (ports.size) ensureSocket();
}

function scheduleReconnect() {
  if (reconnectTimer || !ports.size) return;
  const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
  attempt += 1;
  reconnectTimer = setTimeout(() => {
    reconnectTimer = null;
    ensureSocket();
  }, delay);
}

function setWsState(next) {
  if (wsState === next) return;
  wsState = next;
  for (const port of ports.keys()) safePost(port, { type: "status", state: next });
  if (next !== "online") {
    for (const info of ports.values()) setBadge(info.tabId, []);
    // the remarks are stale now, but the «client waiting» clock is not: the tabs keep counting from the
    // times of the conversation the worker already has
    for (const [chatId, chat] of chats) {
      chat.warnings = [];
      postTimers(chatId, chat);
    }
  }
}

function send(frame) {
  if (ws && ws.readyState === WebSocket.OPEN && wsState === "online") {
    ws.send(JSON.stringify(frame));
    return true;
  }
  ensureSocket();
  return false;
}

function startHeartbeat() {
  if (!heartbeatTimer) heartbeatTimer = setInterval(heartbeat, TICK_MS);
}

function stopHeartbeat() {
  clearInterval(heartbeatTimer);
  heartbeatTimer = null;
}

function heartbeat() {
  const socket = ws;
  if (!socket) return stopHeartbeat();
  const now = Date.now();
  if (socketReady && now - serviceAdaptersAt > SERVICE_ADAPTERS_MS) refreshServiceAdapters().catch((e) => note(e.message));
  if (!socketReady) {
    if (now - socketOpenedAt > CONNECT_MS) lostSocket(); // accepted but never answered: try again
    return;
  }
  if (pingSentAt != null) {
    if (now - pingSentAt > DEAD_MS) return lostSocket();
    if (now - pingSentAt > STALL_MS) setWsState("offline");
    return;
  }
  if (!ports.size || now - lastPingAt < HEARTBEAT_MS || socket.readyState !== WebSocket.OPEN) return;
  try {
    socket.send('{"type":"ping"}');
    lastPingAt = pingSentAt = now;
  } catch { /* onclose follows */ }
}

function onFrame(frame) {
  if (frame.type === "hello") {
    serviceInfo = { version: frame.version, rules: frame.rules, protocol: frame.protocol };
    reach = Object.fromEntries(Object.entries(frame.rule_traits || {}).map(([id, t]) => [id, t.reach]));
    for (const port of ports.keys()) safePost(port, { type: "prefs", ...prefs() });
    attempt = 0;
    socketReady = true;
    goOnline();
    refreshServiceAdapters().catch((e) => note(e.message));
    return;
  }
  if (socketReady && wsState !== "online") goOnline(); // a stall is over: the service answers again
  if (frame.type === "warnings") {
    const chat = chats.get(frame.chat_id);
    if (!chat) return;
    if (frame.ref != null && frame.ref < chat.lastSeq) return; // an answer to a draft the operator has left
    chat.warnings = frame.warnings;
    // the draft and caret this answer was made for: the latest sent (an answer to an older one was dropped above)
    const out = { type: "warnings", chat_id: frame.chat_id, warnings: frame.warnings, timers: frame.timers,
      lang: frame.lang, reason: frame.reason, draft: chat.state.draft || "", caret: chat.state.caret ?? null };
    // (the badge counts what the tab's panel shows — it holds back what typing may still change: "on-screen")
    for (const port of chat.ports) safePost(port, out);
  } else if (frame.type === "error") {
    note(`${frame.code}: ${frame.error && frame.error.message}`);
    if (frame.code === "unknown_chat" && frame.chat_id && chats.has(frame.chat_id)) {
      sendFull(frame.chat_id, chats.get(frame.chat_id));
    }
  }
}

function goOnline() {
  setWsState("online");
  // the service may have missed what changed meanwhile (or never had it): every open chat again, in full
  for (const [chatId, chat] of chats) if (chat.ports.size) sendFull(chatId, chat);
}

// --- chats ---------------------------------------------------------------------------------------------------
async function seenTimes(chatId) {
  const key = `seen:${chatId}`;
  return { key, map: (await chrome.storage.session.get(key))[key] || {} };
}

/** The service's messages: exact times where the console shows them, else when first seen (kept across reloads). */
async function timedMessages(chatId, list) {
  const { key, map } = await seenTimes(chatId);
  let changed = false;
  const out = [];
  const now = Date.now() / 1000;
  for (const m of list || []) {
    let seen = map[m.key];
    if (seen == null || (m.seen != null && m.seen < seen)) {
      seen = m.seen ?? now;
      map[m.key] = seen;
      changed = true;
    }
    let ts = m.exact ?? Math.min(seen, m.latest ?? Infinity);
    if (!Number.isFinite(ts) || ts > now + 60) ts = Math.min(seen, now);
    const msg = { role: m.role, text: m.text, ts };
    if (m.id) msg.id = String(m.id);
    out.push(msg);
  }
  if (changed) {
    const keys = Object.keys(map);
    if (keys.length > 3000) for (const k of keys.slice(0, keys.length - 3000)) delete map[k];
    await chrome.storage.session.set({ [key]: map });
  }
  return out;
}

/**
 * While the service is away: when the client's oldest unanswered message was written, from the times this
 * worker already has (bots and system notes are no answer, as for the service's own clock).
 */
function localTimers(chat) {
  const messages = chat.state.messages;
  let after = 0;
  messages.forEach((m, i) => {
    if (m.role === "operator") after = i + 1;
  });
  const pending = messages.slice(after).filter((m) => m.role === "client" && Number.isFinite(m.ts)).map((m) => m.ts);
  return { client_waiting_since: pending.length ? Math.min(...pending) : null, client_silent_since: null };
}

function postTimers(chatId, chat) {
  for (const port of chat.ports) safePost(port, { type: "timers", chat_id: chatId, timers: localTimers(chat) });
}

function chatFor(chatId) {
  let chat = chats.get(chatId);
  if (!chat) {
    chat = { state: { messages: [], draft: "" }, ports: new Set(), lastSeq: 0, warnings: [] };
    chats.set(chatId, chat);
  }
  return chat;
}

function attach(port, chatId) {
  const info = ports.get(port);
  if (info.chatId && info.chatId !== chatId) detach(port, info.chatId);
  info.chatId = chatId;
  const chat = chatFor(chatId);
  chat.ports.add(port);
  return chat;
}

function detach(port, chatId) {
  const chat = chats.get(chatId);
  if (!chat) return;
  chat.ports.delete(port);
  if (!chat.ports.size) {
    chats.delete(chatId);
    send({ type: "forget", chat_id: chatId });
  }
}

function sendFull(chatId, chat) {
  const s = chat.state;
  chat.lastSeq = ++seq;
  // a chat whose conversation the adapter cannot read: the service runs only the draft's own rules
  send({ type: "update", chat_id: chatId, seq: chat.lastSeq, append: false, messages: s.messages,
    draft: s.draft || "", caret: s.caret ?? null, draft_started_at: s.draft_started_at ?? null,
    operator_name: s.operator_name ?? null, lang: s.lang ?? null, ui_lang: uiLang(), channel: s.channel ?? null,
    scope: s.text_only ? "text" : "all" });
}

// Drafts go out as the tabs send them (a keystroke after a pause at once), within a budget that keeps the
// socket well under the service's frame limit (30 a second, docs/live-protocol.md) however fast someone
// types: past it, a chat's drafts wait a few ms and only the latest goes.
const DRAFT_BURST = 12;
const DRAFTS_PER_S = 20;
let draftTokens = DRAFT_BURST;
let draftRefill = Date.now();
let draftTimer = null;
const draftsDue = new Set();

function sendDraft(chatId) {
  draftsDue.add(chatId);
  flushDrafts();
}

function flushDrafts() {
  const now = Date.now();
  draftTokens = Math.min(DRAFT_BURST, draftTokens + ((now - draftRefill) / 1000) * DRAFTS_PER_S);
  draftRefill = now;
  for (const chatId of [...draftsDue]) {
    if (draftTokens < 1) break;
    draftsDue.delete(chatId);
    const chat = chats.get(chatId);
    if (!chat) continue;
    draftTokens -= 1;
    chat.lastSeq = ++seq;
    send({ type: "update", chat_id: chatId, seq: chat.lastSeq, draft: chat.state.draft, caret: chat.state.caret,
      draft_started_at: chat.state.draft_started_at });
  }
  if (draftsDue.size && !draftTimer) {
    draftTimer = setTimeout(() => {
      draftTimer = null;
      flushDrafts();
    }, Math.ceil(((1 - draftTokens) / DRAFTS_PER_S) * 1000));
  }
}

function sameMessage(a, b) {
  return a.role === b.role && a.text === b.text && a.ts === b.ts && (a.id ?? null) === (b.id ?? null);
}

async function onPortMessage(port, msg) {
  const info = ports.get(port);
  if (!info) return;
  switch (msg.type) {
    case "hello": {
      await loadSettings();
      try {
        info.origin = new URL(msg.href).origin;
      } catch {
        info.origin = port.sender?.origin || "";
      }
      // the service's own pages (supervisor, trainer) are not consoles: only a specific adapter (the demo
      // console) applies there, never the any-text-box fallback
      const list = (await adapters()).filter((a) => !(a.fallback && isServiceOrigin(info.origin)));
      safePost(port, { type: "config", enabled: siteEnabled(info.origin), adapters: list, state: wsState,
        ...prefs() });
      ensureSocket();
      break;
    }
    case "active":
      info.adapter = msg.adapter ? { id: msg.adapter, name: msg.name } : null;
      break;
    case "chat": {
      const chat = attach(port, msg.chat_id);
      chat.state = { messages: await timedMessages(msg.chat_id, msg.messages), draft: msg.draft || "",
        caret: msg.caret ?? null, draft_started_at: msg.draft_started_at ?? null,
        operator_name: msg.operator_name || null, lang: msg.lang || null, channel: msg.channel || null,
        text_only: !!msg.text_only };
      if (wsState !== "online") postTimers(msg.chat_id, chat);
      sendFull(msg.chat_id, chat);
      break;
    }
    case "messages": {
      const chat = chats.get(msg.chat_id);
      if (!chat || !chat.ports.has(port)) return;
      const next = await timedMessages(msg.chat_id, msg.messages);
      const prev = chat.state.messages;
      const grows = next.length > prev.length && prev.every((m, i) => sameMessage(m, next[i]));
      chat.state.messages = next;
      if (wsState !== "online") postTimers(msg.chat_id, chat);
      chat.lastSeq = ++seq;
      send(grows ? { type: "update", chat_id: msg.chat_id, seq: chat.lastSeq, append: true,
        messages: next.slice(prev.length) }
        : { type: "update", chat_id: msg.chat_id, seq: chat.lastSeq, messages: next });
      break;
    }
    case "draft": {
      const chat = chats.get(msg.chat_id);
      if (!chat || !chat.ports.has(port)) return;
      Object.assign(chat.state, { draft: msg.draft || "", caret: msg.caret ?? null,
        draft_started_at: msg.draft_started_at ?? null });
      sendDraft(msg.chat_id);
      break;
    }
    case "feedback":
      if (!chats.has(msg.chat_id)) return;
      send({ type: "feedback", chat_id: msg.chat_id, action: msg.action, rule: msg.rule,
        severity: msg.severity || null, text: msg.text || null, seq: ++seq });
      break;
    case "leave":
      if (info.chatId === msg.chat_id) {
        detach(port, msg.chat_id);
        info.chatId = null;
        setBadge(info.tabId, []);
      }
      break;
    case "on-screen": // what the panel shows now: the badge says the same
      if (info.chatId === msg.chat_id) {
        info.onScreen = Array.isArray(msg.warnings) ? msg.warnings : [];
        setBadge(info.tabId, info.onScreen);
      }
      break;
    case "problem":
      note(`content: ${msg.where}: ${msg.message}`);
      break;
  }
}

function safePost(port, msg) {
  try {
    port.postMessage(msg);
  } catch { /* the tab went away */ }
}

// The picker (content/picker.js) in a tab: it saves the adapter it proposes through this port.
chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== "picker") return;
  port.onMessage.addListener((msg) => {
    if (msg.type !== "save") return;
    let origin = "";
    try {
      origin = new URL(port.sender?.url || "").origin;
    } catch { /* no address: say nothing about the site */ }
    keepAdapter(msg.adapter).then((problems) => safePost(port, { type: "saved", problems, name: msg.adapter?.name,
      siteEnabled: origin ? siteEnabled(origin) : true }),
    (e) => safePost(port, { type: "saved", problems: [e.message], name: null }));
  });
});

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== "coach") return;
  const info = { tabId: port.sender?.tab?.id ?? null, origin: "", chatId: null, adapter: null,
    queue: Promise.resolve() };
  ports.set(port, info);
  port.onMessage.addListener((msg) => {
    // one at a time and in order: a draft must never overtake the conversation it belongs to
    info.queue = info.queue.then(() => onPortMessage(port, msg)).catch((e) => note(e.message));
  });
  port.onDisconnect.addListener(() => {
    void chrome.runtime.lastError;
    const info = ports.get(port);
    ports.delete(port);
    if (info && info.chatId) detach(port, info.chatId);
    if (info && info.tabId != null) setBadge(info.tabId, []);
  });
  loadSettings().then(ensureSocket).catch((e) => note(e.message));
});

// --- badge -------------------------------------------------------------------------------------------------
function setBadge(tabId, warnings) {
  if (tabId == null) return;
  const n = warnings.length;
  const top = warnings.some((w) => w.severity === "error") ? "#d93025"
    : warnings.some((w) => w.severity === "warning") ? "#e37400" : "#6b7682";
  chrome.action.setBadgeText({ tabId, text: n ? String(n) : "" }).catch(() => {});
  if (n) chrome.action.setBadgeBackgroundColor({ tabId, color: top }).catch(() => {});
}

// --- popup, options and tests ----------------------------------------------------------------------------
function portsOfTab(tabId) {
  return [...ports].filter(([, info]) => info.tabId === tabId);
}

async function handleRequest(msg) {
  await loadSettings();
  switch (msg.type) {
    case "status": {
      ensureSocket();
      let origin = "";
      try {
        origin = msg.url ? new URL(msg.url).origin : "";
      } catch { /* chrome:// pages and the like */ }
      const tab = portsOfTab(msg.tabId)[0]?.[1];
      const chat = tab && tab.chatId ? chats.get(tab.chatId) : null;
      const pattern = /^https?:/.test(origin) && !isLoopback(origin) ? originPattern(origin) : null;
      return { state: wsState, service: serviceInfo, serviceUrl: settings.serviceUrl, origin,
        web: /^https?:/.test(origin), enabled: origin ? siteEnabled(origin) : false, loopback: isLoopback(origin),
        adapter: tab ? tab.adapter : null, chat: !!(tab && tab.chatId),
        warnings: tab && tab.onScreen ? tab.onScreen.length : chat ? chat.warnings.length : 0,
        siteManaged: siteManaged(origin),
        granted: pattern ? await chrome.permissions.contains({ origins: [pattern] }).catch(() => false) : true };
    }
    case "set-site": {
      if (!msg.enabled && siteManaged(msg.origin)) return { error: "this site is enabled by the administrator's policy" };
      const sites = { ...(await chrome.storage.local.get({ sites: {} })).sites, [msg.origin]: !!msg.enabled };
      await chrome.storage.local.set({ sites });
      settings.sites = managed.sites ? managedSettings({ sites }).sites : sites;
      await syncSiteScripts();
      const tabPorts = portsOfTab(msg.tabId);
      if (msg.enabled && !tabPorts.length && msg.tabId != null) {
        await chrome.scripting.executeScript({ target: { tabId: msg.tabId }, files: CONTENT_FILES });
      }
      for (const [port, info] of ports) {
        if (info.origin === msg.origin) safePost(port, { type: "toggle", enabled: !!msg.enabled });
      }
      return { ok: true };
    }
    case "adapters": {
      const builtin = await builtinAdapters();
      const custom = (settings.customAdapters || []).map((a) => ({ adapter: a, problems: adapterProblems(a) }));
      const service = (await loadServiceAdapters()).adapters.map((a) => ({ id: a.id, name: a.name }));
      return { builtin: builtin.map((a) => ({ id: a.id, name: a.name })), custom, service };
    }
    case "keep-adapters": {
      // an import on the options page: every adapter checked, then all of them kept, or none
      const problems = (msg.adapters || []).flatMap((a) => adapterProblems(a).map((p) => `${a && a.id || "?"}: ${p}`));
      if (problems.length) return { problems };
      for (const a of [...msg.adapters].reverse()) await keepAdapter(a);
      return { problems: [] };
    }
    case "managed":
      return { managed: await readManaged() };
    case "check-adapter":
      return { problems: adapterProblems(msg.adapter) };
    case "picker":
      // the popup's «Настроить эту консоль»: the toolbar click granted this tab (activeTab)
      await chrome.scripting.executeScript({ target: { tabId: msg.tabId }, files: PICKER_FILES });
      return { ok: true };
    case "diagnostics":
      return { ...diagnostics, state: wsState, ports: ports.size, chats: chats.size, service: serviceInfo };
    default:
      return { error: `unknown request ${msg.type}` };
  }
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  // only the extension's own pages (popup, options); content scripts talk over their port
  if (sender.id !== chrome.runtime.id || !String(sender.url || "").startsWith(chrome.runtime.getURL(""))) return false;
  handleRequest(msg).then(sendResponse, (e) => {
    note(e.message);
    sendResponse({ error: e.message });
  });
  return true;
});

loadSettings().catch((e) => note(e.message));

// For tests and for a look from DevTools: `coachDiagnostics()` in the worker's console.
globalThis.coachChats = () => Object.fromEntries([...chats].map(([id, c]) => [id, { ...c.state,
  tabs: [...c.ports].map((p) => ports.get(p)?.tabId), warnings: c.warnings.map((w) => w.rule) }]));
globalThis.coachDiagnostics = () => ({ ...diagnostics, state: wsState, ports: ports.size, chats: chats.size,
  service: serviceInfo, chatIds: [...chats.keys()], serviceUrl: settings?.serviceUrl ?? null,
  uiLang: settings?.uiLang ?? null, managedKeys: Object.keys(managed) });
