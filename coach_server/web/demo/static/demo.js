// The demo console: a small operator console that behaves like a vendor's. Several conversations, the open chat,
// a reply box that sends on Enter, per-chat drafts, and a "client writes" box so a trainer can play the
// client. It knows nothing about the coach: the extension reads it through its adapter like any console.
(() => {
  "use strict";

  const COLORS = ["#0ea5e9", "#f97316", "#8b5cf6", "#10b981", "#ef4444", "#eab308"];
  const params = new URLSearchParams(location.search);
  // The console's theme: ?theme=dark|light, else the operator's prefers-color-scheme, followed live.
  const dark = matchMedia("(prefers-color-scheme: dark)");
  const theme = () => {
    const asked = params.get("theme");
    document.documentElement.dataset.theme = ["dark", "light"].includes(asked) ? asked : dark.matches ? "dark" : "light";
  };
  theme();
  dark.addEventListener("change", theme);
  const now = () => Date.now();
  let nextId = 1;

  function msg(role, text, agoSeconds) {
    return { id: `m${nextId++}`, role, text, at: now() - agoSeconds * 1000 };
  }

  const chats = params.get("seed") === "empty" ? [] : [
    { id: "c-1001", name: "Мария Соколова", channel: "Сайт · bank.example", messages: [
      msg("system", "Клиент открыл чат со страницы «Кредитные карты»", 30),
      msg("client", "Здравствуйте! Какие у вас есть кредитные карты?", 20),
    ] },
    { id: "c-1002", name: "Игорь Петров", channel: "Сайт · shop.example", messages: [
      msg("client", "Добрый день, я оформил заказ 12345", 400),
      msg("operator", "Здравствуйте! Меня зовут Анна. Сейчас посмотрю ваш заказ.", 380),
      msg("client", "Где мой заказ? Уже неделю жду!!!", 95),
    ] },
    { id: "c-1003", name: "John Carter", channel: "Сайт · shop.example, клиент пишет по-английски", messages: [
      msg("bot", "Hi! An operator will join you shortly.", 12),
      msg("client", "Hi, do you ship to Germany?", 10),
    ] },
  ];
  const drafts = new Map();
  const unread = new Map();
  let active = null;

  const $ = (id) => document.getElementById(id);
  const list = $("dc-conv-list");
  const thread = $("dc-thread");
  // the channel the trainer plays (?channel=messenger|social|email): the demo adapter reads it from here, and the
  // console says which norms the coach holds the operator to there (the service's /demo/api/norms)
  thread.dataset.channel = params.get("channel") || "";
  showNorms(thread.dataset.channel);
  const messagesEl = $("dc-messages");
  const reply = $("dc-reply");

  async function showNorms(channel) {
    if (!channel) return;
    try {
      const res = await fetch(`/demo/api/norms?channel=${encodeURIComponent(channel)}`);
      if (!res.ok) return;
      const data = await res.json();
      $("dc-norms-title").textContent = `Канал: ${data.name} — нормы коуча здесь другие (${data.rules.length})`;
      $("dc-norms-list").replaceChildren(...data.rules.map((r) => {
        const li = document.createElement("li");
        li.dataset.rule = r.id;
        const b = document.createElement("b");
        b.textContent = r.title;
        li.append(b, r.active ? ` — ${r.text}` : " — в этом канале не проверяется");
        return li;
      }));
      $("dc-norms").hidden = false;
    } catch { /* the console works without the service: the norms are a trainer's note */ }
  }

  function hhmm(ms) {
    const d = new Date(ms);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }

  function initials(name) {
    return name.split(/\s+/).map((p) => p[0]).join("").slice(0, 2).toUpperCase();
  }

  function renderList() {
    list.replaceChildren();
    chats.forEach((chat, i) => {
      const last = chat.messages[chat.messages.length - 1];
      const li = document.createElement("li");
      li.className = `dc-conv${chat === active ? " is-active" : ""}`;
      li.dataset.id = chat.id;
      const avatar = document.createElement("span");
      avatar.className = "dc-conv-avatar";
      avatar.style.background = COLORS[i % COLORS.length];
      avatar.textContent = initials(chat.name);
      const mid = document.createElement("div");
      const name = document.createElement("div");
      name.className = "dc-conv-name";
      name.textContent = chat.name;
      const preview = document.createElement("div");
      preview.className = "dc-conv-preview";
      preview.textContent = last ? last.text : "Новый диалог";
      mid.append(name, preview);
      const right = document.createElement("div");
      right.className = "dc-conv-time";
      right.textContent = last ? hhmm(last.at) : "";
      const n = unread.get(chat.id) || 0;
      if (n && chat !== active) {
        const badge = document.createElement("div");
        badge.className = "dc-unread";
        badge.textContent = String(n);
        right.append(badge);
      }
      li.append(avatar, mid, right);
      li.addEventListener("click", () => open(chat.id));
      list.append(li);
    });
  }

  function renderMessage(m) {
    const wrap = document.createElement("div");
    wrap.className = `dc-msg dc-msg--${{ client: "in", operator: "out", bot: "bot", system: "system" }[m.role]}`;
    wrap.dataset.msgId = m.id;
    const text = document.createElement("div");
    text.className = "dc-msg-text";
    text.textContent = m.text;
    const meta = document.createElement("div");
    meta.className = "dc-msg-meta";
    const time = document.createElement("time");
    time.dateTime = new Date(m.at).toISOString();
    time.textContent = hhmm(m.at);
    const who = { client: active.name, operator: "Анна", bot: "Бот", system: "" }[m.role];
    meta.append(who ? `${who} · ` : "", time);
    wrap.append(text, meta);
    return wrap;
  }

  function renderThread() {
    if (!active) {
      thread.dataset.conversationId = "";
      $("dc-client-name").textContent = "Нет открытого диалога";
      $("dc-client-meta").textContent = "";
      messagesEl.replaceChildren(Object.assign(document.createElement("div"), { className: "dc-empty",
        textContent: "Выберите диалог слева или создайте новый" }));
      return;
    }
    thread.dataset.conversationId = active.id;
    $("dc-client-name").textContent = active.name;
    $("dc-client-meta").textContent = active.channel;
    messagesEl.replaceChildren(...active.messages.map(renderMessage));
    messagesEl.scrollTop = messagesEl.scrollHeight;
  }

  function open(id) {
    const chat = chats.find((c) => c.id === id) || null;
    if (active) drafts.set(active.id, reply.value);
    active = chat;
    if (chat) unread.set(chat.id, 0);
    reply.value = chat ? drafts.get(chat.id) || "" : "";
    if (chat && location.hash !== `#chat=${chat.id}`) history.replaceState(null, "", `#chat=${chat.id}`);
    renderList();
    renderThread();
    reply.focus();
  }

  function post(role, text) {
    if (!active || !text.trim()) return;
    const m = msg(role, text.trim(), 0);
    active.messages.push(m);
    messagesEl.append(renderMessage(m));
    messagesEl.querySelector(".dc-empty")?.remove();
    messagesEl.scrollTop = messagesEl.scrollHeight;
    renderList();
  }

  $("dc-composer").addEventListener("submit", (e) => {
    e.preventDefault();
    post("operator", reply.value);
    reply.value = "";
    reply.dispatchEvent(new Event("input", { bubbles: true }));
    reply.focus();
  });

  reply.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("dc-composer").requestSubmit();
    }
  });

  $("dc-trainer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("dc-client-input");
    post("client", input.value);
    input.value = "";
  });

  $("dc-new-chat").addEventListener("click", () => {
    const n = chats.length + 1;
    const chat = { id: `c-${2000 + nextId++}`, name: `Клиент ${n}`, channel: "Сайт · демо", messages: [] };
    chats.unshift(chat);
    open(chat.id);
  });

  $("dc-close").addEventListener("click", () => {
    if (!active) return;
    const i = chats.indexOf(active);
    chats.splice(i, 1);
    drafts.delete(active.id);
    active = null;
    open(chats[0] ? chats[0].id : null);
  });

  const fromHash = /#chat=([\w-]+)/.exec(location.hash);
  open(fromHash && chats.some((c) => c.id === fromHash[1]) ? fromHash[1] : chats[0] ? chats[0].id : null);
  // the conversation list shows times; keep them fresh like a real console does
  setInterval(renderList, 30_000);
})();
