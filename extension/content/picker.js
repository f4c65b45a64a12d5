// «Настроить эту консоль»: the supervisor clicks the reply box, a client's message and an operator's; the picker
// proposes an adapter (content/infer.js), shows live what it reads from the page (the last messages with role and
// time, the draft), and saves it (the worker keeps it with the supervisor's own adapters), exports it as JSON,
// or takes a step again. Injected by the worker into the tab on the popup's button; everything it draws lives in
// its own shadow root. While a step waits for a click, the page's own handlers do not see the click.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Picker) {
    NS.Picker.open();
    return;
  }
  const A = NS.Adapter;
  const { Infer, Editor } = NS;

  const STEPS = [
    { key: "editor", title: "Поле ответа", ask: "Щёлкните поле, в котором оператор пишет ответ." },
    { key: "client", title: "Сообщение клиента", ask: "Щёлкните текст сообщения клиента." },
    { key: "operator", title: "Сообщение оператора", ask: "Щёлкните текст сообщения оператора." },
  ];
  const ROLE_NAMES = { client: "клиент", operator: "оператор", bot: "бот", system: "система" };
  const COLORS = { editor: "#2f6fde", client: "#d97706", operator: "#15803d" };
  const SWALLOW = ["pointerdown", "pointerup", "mousedown", "mouseup", "click", "dblclick", "auxclick", "contextmenu"];
  const LIVE_MS = 400;

  const CSS = `
    :host { all: initial; }
    .panel { position: fixed; bottom: 12px; right: 12px; z-index: 2147483647; width: 380px; max-height: 72vh;
      overflow: auto; box-sizing: border-box; background: #fff; color: #1f2328; border: 1px solid #d0d7de;
      border-radius: 10px; box-shadow: 0 8px 28px rgba(0,0,0,.18); font: 13px/1.45 system-ui, -apple-system,
      "Segoe UI", Roboto, Arial, sans-serif; padding: 12px 14px; }
    .panel.left { right: auto; left: 12px; }
    h2 { font-size: 14px; margin: 0 0 8px; display: flex; justify-content: space-between; align-items: center; }
    h2 button { font-size: 12px; }
    ol { margin: 0 0 8px; padding: 0; list-style: none; }
    li { display: flex; justify-content: space-between; align-items: center; gap: 8px; padding: 3px 0; }
    li .dot { width: 9px; height: 9px; border-radius: 50%; display: inline-block; margin-right: 6px; }
    li[data-state="waiting"] { font-weight: 600; }
    li[data-state="todo"] { color: #8a949e; }
    .ask { background: #fff8c5; border: 1px solid #eed888; border-radius: 6px; padding: 6px 8px; margin: 6px 0; }
    .problems { color: #b42318; margin: 6px 0; white-space: pre-line; }
    .notes { color: #57606a; font-size: 12px; margin: 6px 0; white-space: pre-line; }
    table { width: 100%; border-collapse: collapse; margin: 6px 0; font-size: 12px; table-layout: fixed; }
    td { padding: 3px 4px; border-top: 1px solid #eef0f3; vertical-align: top; overflow: hidden; text-overflow: ellipsis;
      white-space: nowrap; }
    td.role { width: 78px; font-weight: 600; } td.time { width: 72px; color: #57606a; }
    tr[data-role="client"] td.role { color: #b45309; } tr[data-role="operator"] td.role { color: #15803d; }
    tr[data-role="bot"] td.role { color: #6d28d9; } tr[data-role="system"] td.role { color: #57606a; }
    .draft { margin: 6px 0; } .draft span { color: #57606a; }
    label { display: block; margin: 8px 0 2px; color: #57606a; font-size: 12px; }
    input[type="text"] { width: 100%; box-sizing: border-box; font: inherit; padding: 4px 6px; border: 1px solid #d0d7de;
      border-radius: 6px; }
    .actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }
    button { font: inherit; padding: 4px 10px; border-radius: 6px; border: 1px solid #d0d7de; background: #f6f8fa;
      color: #1f2328; cursor: pointer; }
    button.primary { background: #1a7f4b; border-color: #1a7f4b; color: #fff; }
    button:disabled { opacity: .5; cursor: default; }
    textarea { width: 100%; box-sizing: border-box; height: 140px; font: 11px/1.35 ui-monospace, monospace; margin-top: 6px; }
    .status { margin-top: 8px; } .status.ok { color: #1a7f4b; } .status.bad { color: #b42318; }
    .box { position: fixed; z-index: 2147483646; pointer-events: none; border: 2px solid; border-radius: 4px;
      box-sizing: border-box; }
    .box span { position: absolute; top: -18px; left: -2px; font: 11px/16px system-ui, sans-serif; color: #fff;
      padding: 0 4px; border-radius: 3px; white-space: nowrap; }
    .hover { position: fixed; z-index: 2147483646; pointer-events: none; background: rgba(47,111,222,.12);
      outline: 2px dashed #2f6fde; }
  `;

  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    el.append(...children.filter((c) => c != null));
    return el;
  }

  function clock(ts) {
    return new Date(ts * 1000).toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" });
  }

  class Picker {
    constructor() {
      this.host = null;
      this.picks = {};
      this.step = null;
      this.proposal = null;
      this.saved = false;
      this.port = null;
      this.timer = null;
      this.onEvent = this.onEvent.bind(this);
      this.onMove = this.onMove.bind(this);
      this.onKey = this.onKey.bind(this);
    }

    open() {
      if (this.host && this.host.isConnected) return;
      this.host = h("div", { "data-coach-picker": "" });
      this.root = this.host.attachShadow({ mode: "open" });
      this.root.append(h("style", {}, CSS));
      this.layer = h("div", {});
      this.panel = h("div", { class: "panel", role: "dialog", "aria-label": "Настройка консоли" });
      this.root.append(this.layer, this.panel);
      document.documentElement.append(this.host);
      this.picks = {};
      this.proposal = null;
      this.saved = false;
      this.name = (document.title || location.host).slice(0, 80);
      addEventListener("keydown", this.onKey, true);
      this.timer = setInterval(() => this.refresh(), LIVE_MS);
      this.ask("editor");
    }

    close() {
      this.stopAsking();
      clearInterval(this.timer);
      removeEventListener("keydown", this.onKey, true);
      try {
        this.port?.disconnect();
      } catch { /* the extension went away */ }
      this.port = null;
      this.host?.remove();
      this.host = null;
    }

    // --- steps --------------------------------------------------------------------------------------------------
    ask(key) {
      this.step = key;
      this.saved = false;
      if (!this.asking) {
        for (const type of SWALLOW) addEventListener(type, this.onEvent, true);
        addEventListener("mousemove", this.onMove, true);
        this.asking = true;
      }
      this.render();
    }

    stopAsking() {
      if (this.asking) {
        for (const type of SWALLOW) removeEventListener(type, this.onEvent, true);
        removeEventListener("mousemove", this.onMove, true);
        this.asking = false;
      }
      this.step = null;
      this.hover = null;
    }

    ours(e) {
      return e.composedPath().includes(this.host);
    }

    target(e) {
      const el = e.composedPath()[0];
      return el && el.nodeType === Node.ELEMENT_NODE ? el : el?.parentElement || null;
    }

    candidate(el) {
      return this.step === "editor" ? Infer.editorRoot(el) || el : el;
    }

    onMove(e) {
      if (this.ours(e)) return;
      this.hover = this.candidate(this.target(e));
      this.drawBoxes();
    }

    onEvent(e) {
      if (!this.step || this.ours(e)) return;
      // the console must not act on a click that only points at something
      e.preventDefault();
      e.stopImmediatePropagation();
      if (e.type !== "click") return;
      const el = this.candidate(this.target(e));
      if (!el) return;
      if (this.step === "editor" && !Infer.editorRoot(el)) {
        this.problem = "Это не поле ввода: щёлкните туда, где оператор пишет ответ.";
        this.render();
        return;
      }
      this.problem = null;
      this.picks[this.step] = el;
      const next = STEPS.find((s) => !this.picks[s.key]);
      if (next) {
        this.ask(next.key);
        return;
      }
      this.stopAsking();
      this.propose();
    }

    onKey(e) {
      if (e.key !== "Escape" || !this.step) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      if (STEPS.every((s) => this.picks[s.key])) {
        this.stopAsking();
        this.render();
      } else {
        this.close();
      }
    }

    // --- the proposal -------------------------------------------------------------------------------------------
    propose() {
      const previous = this.proposal?.adapter;
      this.proposal = Infer.propose(this.picks, { name: this.name, id: previous?.id });
      this.render();
    }

    reading() {
      const adapter = this.proposal?.adapter;
      if (!adapter) return null;
      const editor = A.findEditor(adapter);
      const draft = editor ? Editor.read(editor).text : null;
      return { messages: A.readMessages(adapter), draft, editor, chat: A.chatId(adapter) };
    }

    refresh() {
      if (!this.host || !this.host.isConnected) {
        this.close();
        return;
      }
      if (this.proposal?.adapter) this.renderPreview();
      this.drawBoxes();
    }

    // --- saving and exporting -----------------------------------------------------------------------------------
    connect() {
      if (this.port) return this.port;
      try {
        this.port = chrome.runtime.connect({ name: "picker" });
      } catch {
        this.status("Расширение перезапущено: закройте окно настройки и откройте его снова.", false);
        return null;
      }
      this.port.onMessage.addListener((msg) => {
        if (msg.type !== "saved") return;
        this.saved = !msg.problems.length;
        const off = msg.siteEnabled === false
          ? " Подсказки на этом сайте пока выключены: включите их переключателем во всплывающем окне расширения." : "";
        this.status(this.saved ? `Сохранено: коуч читает эту консоль как «${msg.name}».${off}`
          : `Не сохранено: ${msg.problems.join("; ")}`, this.saved);
        this.render();
      });
      this.port.onDisconnect.addListener(() => {
        void chrome.runtime.lastError;
        this.port = null;
      });
      return this.port;
    }

    save() {
      const adapter = this.proposal?.adapter;
      if (!adapter) return;
      this.connect()?.postMessage({ type: "save", adapter });
    }

    exportJson() {
      const adapter = this.proposal?.adapter;
      if (!adapter) return;
      const blob = new Blob([`${JSON.stringify(adapter, null, 2)}\n`], { type: "application/json" });
      const a = h("a", { href: URL.createObjectURL(blob), download: `${adapter.id}.json` });
      this.root.append(a);
      a.click();
      a.remove();
      this.showJson = true;
      this.render();
    }

    status(text, ok) {
      this.statusText = text;
      this.statusOk = ok;
    }

    // --- drawing ------------------------------------------------------------------------------------------------
    render() {
      if (!this.panel) return;
      this.host.dataset.step = this.step || (this.proposal?.adapter ? "done" : "idle");
      const steps = h("ol", {}, ...STEPS.map((s) => {
        const state = this.step === s.key ? "waiting" : this.picks[s.key] ? "done" : "todo";
        return h("li", { "data-step": s.key, "data-state": state },
          h("span", {}, h("span", { class: "dot", style: `background:${COLORS[s.key]}` }), s.title,
            state === "done" ? " ✓" : ""),
          this.picks[s.key] && this.step !== s.key
            ? h("button", { type: "button", "data-action": `redo-${s.key}`, onclick: () => this.ask(s.key) }, "Заново")
            : null);
      }));
      const current = STEPS.find((s) => s.key === this.step);
      const parts = [
        h("h2", {}, "Настройка консоли",
          h("button", { type: "button", title: "Перенести окно на другую сторону", "data-action": "move",
            onclick: () => this.panel.classList.toggle("left") }, "⇄")),
        steps,
        current ? h("div", { class: "ask", "data-ask": current.key }, current.ask, " Esc — отменить.") : null,
        this.problem ? h("div", { class: "problems" }, this.problem) : null,
      ];
      const p = this.proposal;
      if (p && !this.step) {
        if (p.problems.length) parts.push(h("div", { class: "problems", "data-problems": "" }, p.problems.join("\n")));
        if (p.adapter) {
          this.preview = h("div", { "data-preview": "" });
          parts.push(h("label", {}, "Что коуч читает со страницы"), this.preview);
          const name = h("input", { type: "text", value: p.adapter.name, "data-field": "name",
            oninput: (e) => {
              this.name = e.target.value.trim() || p.adapter.name;
              p.adapter.name = this.name;
            } });
          parts.push(h("label", {}, "Название консоли"), name);
          parts.push(h("div", { class: "notes", "data-notes": "" }, p.notes.join("\n")));
        }
        parts.push(h("div", { class: "actions" },
          h("button", { type: "button", class: "primary", "data-action": "save", disabled: !p.adapter || p.problems.length > 0,
            onclick: () => this.save() }, "Сохранить"),
          h("button", { type: "button", "data-action": "export", disabled: !p.adapter, onclick: () => this.exportJson() },
            "Экспорт JSON"),
          h("button", { type: "button", "data-action": "close", onclick: () => this.close() }, "Закрыть")));
        if (this.showJson && p.adapter) {
          parts.push(h("textarea", { readonly: true, "data-json": "" }, JSON.stringify(p.adapter, null, 2)));
        }
      } else {
        parts.push(h("div", { class: "actions" },
          h("button", { type: "button", "data-action": "close", onclick: () => this.close() }, "Закрыть")));
      }
      if (this.statusText) {
        parts.push(h("div", { class: `status ${this.statusOk ? "ok" : "bad"}`, "data-status": this.statusOk ? "ok" : "bad",
          role: "status" }, this.statusText));
      }
      this.panel.replaceChildren(...parts.filter(Boolean));
      if (this.preview) this.renderPreview();
      this.drawBoxes();
    }

    renderPreview() {
      if (!this.preview || !this.preview.isConnected) return;
      const read = this.reading();
      if (!read) return;
      const last = read.messages.slice(-6);
      const rows = last.map((m) => {
        const time = m.exact != null ? clock(m.exact) : m.latest != null ? `до ${clock(m.latest)}` : "при появлении";
        return h("tr", { "data-role": m.role },
          h("td", { class: "role" }, ROLE_NAMES[m.role] || m.role),
          h("td", { class: "time", "data-time": m.exact ?? m.latest ?? "" }, time),
          h("td", { class: "text", title: m.text }, m.text.replace(/\s+/g, " ")));
      });
      this.preview.replaceChildren(
        h("div", { class: "notes", "data-count": read.messages.length },
          `Сообщений на странице: ${read.messages.length}${read.chat ? "" : " · диалог не определён"}`),
        rows.length ? h("table", {}, h("tbody", {}, ...rows)) : h("div", { class: "problems" }, "Ни одного сообщения не прочитано."),
        h("div", { class: "draft", "data-draft": read.draft ?? "" }, h("span", {}, "Черновик: "),
          read.editor ? read.draft || "(пусто)" : "поле ответа не найдено"));
    }

    drawBoxes() {
      if (!this.layer) return;
      const boxes = [];
      const box = (el, color, label, cls = "box") => {
        if (!el || !el.isConnected) return;
        const r = el.getBoundingClientRect();
        if (!r.width && !r.height) return;
        const b = h("div", { class: cls, style: `left:${r.left - 2}px;top:${r.top - 2}px;width:${r.width + 4}px;` +
          `height:${r.height + 4}px;${cls === "box" ? `border-color:${color}` : ""}` },
        label ? h("span", { style: `background:${color}` }, label) : null);
        boxes.push(b);
      };
      for (const s of STEPS) if (this.picks[s.key] && this.step !== s.key) box(this.picks[s.key], COLORS[s.key], s.title);
      if (this.step && this.hover) box(this.hover, COLORS[this.step], null, "hover");
      this.layer.replaceChildren(...boxes);
    }
  }

  const picker = new Picker();
  NS.Picker = picker;
  picker.open();
})();
