// The toolbar popup: connection state, the adapter reading this tab, and the on/off switch for this site.
import { originPattern } from "../shared/sites.js";

const $ = (id) => document.getElementById(id);

/**
 * The tab the popup is about: the active tab (the toolbar was clicked there, which also lets the popup read
 * its address), or the one named by `?tab=<id>` when the popup page is opened for a tab directly (tests).
 */
async function activeTab() {
  const named = Number(new URLSearchParams(location.search).get("tab"));
  if (named) return chrome.tabs.get(named);
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab;
}

/** Where the service's rules come from, when it follows a team (`/healthz` → `rules_source`, docs/team.md). */
async function rulesSource(serviceUrl) {
  try {
    const r = await fetch(`${serviceUrl}/healthz`, { cache: "no-store" });
    return r.ok ? (await r.json()).rules_source || null : null;
  } catch {
    return null;
  }
}

function showRulesSource(src) {
  const row = $("rules-row");
  row.hidden = !src || src.mode === "files";
  if (row.hidden) return;
  const value = $("rules-source");
  const version = src.version ? `версия ${src.version}` : "";
  value.dataset.state = src.state;
  if (src.state !== "offline") value.textContent = `команды${version ? ` · ${version}` : ""}`;
  else if (src.serving === "local") value.textContent = "нет связи с командой — свои";
  else value.textContent = `офлайн — последняя ${version || "полученная"}`;
  value.title = `${src.location}${src.last_error ? `\n${src.last_error}` : ""}`;
}

// What the popup shows now ({tab, status}); the switch's change in flight, during which a refresh leaves the
// switch alone (it would show the old state while Chromium asks for the site's access); the last change or
// «Настроить эту консоль» that failed, said until the next try.
let current = null;
let changing = false;
let failure = "";

async function refresh() {
  const tab = await activeTab();
  const status = await chrome.runtime.sendMessage({ type: "status", tabId: tab?.id, url: tab?.url });
  if (changing) return current;
  const online = status.state === "online";
  $("state").dataset.state = status.state;
  $("state-text").textContent = online ? "на связи" : "офлайн";
  $("state").title = status.serviceUrl;
  $("version").textContent = status.service ? `сервис ${status.service.version} · правил ${status.service.rules}` : "";
  $("adapter").textContent = status.adapter ? status.adapter.name : status.enabled ? "не найдена" : "—";
  $("count").textContent = status.chat && online ? String(status.warnings) : "—";
  $("site").textContent = status.origin || "эта страница";
  $("picker").disabled = !status.web;
  const toggle = $("site-toggle");
  toggle.checked = !!status.enabled;
  // a site the administrator's policy enables stays on; Chromium still asks the operator once for access
  toggle.disabled = !status.web || status.siteManaged;
  $("site-row").classList.toggle("disabled", !status.web || status.siteManaged);
  $("site-row").title = status.siteManaged ? "Сайт включён администратором" : "";
  $("grant").hidden = !(status.siteManaged && !status.granted);
  // what a click acts on is what the switch shows now, not the status of an earlier refresh
  current = { tab, status };
  const hint = $("hint");
  hint.hidden = online && !failure;
  hint.textContent = online ? failure : `Сервис не отвечает по адресу ${status.serviceUrl}. Запустите «coach serve» — подсказки вернутся сами.`;
  showRulesSource(online ? await rulesSource(status.serviceUrl) : null);
  return current;
}

/**
 * Switch the coach on or off for this tab's site (the switch, or «Дать доступ» for a site the policy enables):
 * Chromium is asked for the site's access in the click itself (it grants host permissions only to a user
 * gesture); the once-a-second refresh waits meanwhile; a failure is said under the switch until the next try.
 */
async function setSite(enabled, { tab, status }) {
  changing = true;
  failure = "";
  try {
    if (enabled && !status.loopback && !await chrome.permissions.request({ origins: [originPattern(status.origin)] })) {
      return; // the operator said no: the switch shows the site as it is
    }
    const r = await chrome.runtime.sendMessage({ type: "set-site", origin: status.origin, enabled, tabId: tab.id });
    if (r && r.error) throw new Error(r.error);
  } catch (err) {
    failure = `Не удалось ${enabled ? "включить" : "выключить"} подсказки на этом сайте: ${err.message}`;
  } finally {
    changing = false;
    await refresh();
  }
}

$("site-toggle").addEventListener("change", (e) => setSite(e.target.checked, current));
$("grant").addEventListener("click", () => setSite(true, current));

// The supervisor's point-and-click adapter (content/picker.js) in this tab; the popup closes so the page can be
// clicked.
$("picker").addEventListener("click", async () => {
  const { tab } = current || (await refresh());
  failure = "";
  const r = await chrome.runtime.sendMessage({ type: "picker", tabId: tab.id });
  if (r && r.error) {
    // said under the switch until the next try, like a failed switch (the refresh keeps it)
    failure = `Не удалось открыть настройку на этой странице: ${r.error}`;
    await refresh();
    return;
  }
  window.close();
});

$("options").addEventListener("click", (e) => {
  e.preventDefault();
  chrome.runtime.openOptionsPage();
});

refresh();
setInterval(() => { if (!changing) refresh(); }, 1000);
