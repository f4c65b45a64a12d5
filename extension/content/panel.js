// The coaching next to the reply box: a Shadow DOM panel (the console's CSS cannot reach it, and it cannot
// reach the console), the "client waiting" chip, and the flagged spans of the draft underlined — with the
// CSS Custom Highlight API in rich editors (no DOM change the editor could trip over) and with a mirror
// layer over plain textareas. Hooks for tests: the host carries `data-coach-panel` and
// `data-coach-state="online|offline"`; each warning item `data-rule="<rule id>"`.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Panel) return;

  const TEXT = {
    ru: {
      coach: "Коуч", apply: "Применить", dismiss: "Скрыть", waiting: "Клиент ждёт", offline: "коуч офлайн",
      offlineLong: "Сервис коуча недоступен. Набор и отправка работают как обычно; подсказки вернутся сами.",
      collapse: "Свернуть", expand: "Показать подсказки", clean: "Замечаний нет",
    },
    en: {
      coach: "Coach", apply: "Apply", dismiss: "Dismiss", waiting: "Client waiting", offline: "coach offline",
      offlineLong: "The coach service is unreachable. Typing and sending work as usual; hints come back by themselves.",
      collapse: "Collapse", expand: "Show hints", clean: "No remarks",
    },
  };

  const SEVERITY_RANK = { error: 0, warning: 1, info: 2 };

  const PANEL_CSS = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .wrap { position: fixed; z-index: 2147483646; top: 0; left: 0; width: 360px; max-width: calc(100vw - 16px);
      font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
      color: #1f2328; pointer-events: none; }
    .card { pointer-events: auto; background: #fff; border: 1px solid #d8dde3; border-radius: 10px;
      box-shadow: 0 6px 24px rgba(15, 23, 42, .10), 0 1px 3px rgba(15, 23, 42, .08); overflow: hidden; }
    .head { display: flex; align-items: center; gap: 8px; padding: 7px 10px; border-bottom: 1px solid #eef0f3;
      background: #fafbfc; min-height: 34px; }
    .brand { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; font-size: 12px; color: #3d4652;
      letter-spacing: .01em; }
    .dot { width: 7px; height: 7px; border-radius: 50%; background: #1a9e5c; flex: none; }
    :host([data-coach-state="offline"]) .dot { background: #9aa3ad; }
    .spacer { flex: 1; }
    .count { font-size: 11px; font-weight: 600; color: #fff; background: #e37400; border-radius: 9px; padding: 1px 7px; }
    .count[data-level="error"] { background: #d93025; }
    .count[data-level="info"] { background: #6b7682; }
    .chip { display: inline-flex; align-items: center; gap: 5px; font-size: 12px; font-variant-numeric: tabular-nums;
      border-radius: 12px; padding: 2px 9px; background: #eef1f4; color: #3d4652; white-space: nowrap; }
    .chip[data-level="amber"] { background: #fff4e0; color: #8a4b00; box-shadow: inset 0 0 0 1px #f3c27a; }
    .chip[data-level="red"] { background: #fde8e7; color: #a3140c; box-shadow: inset 0 0 0 1px #f2a7a2; }
    .chip svg { width: 12px; height: 12px; }
    .icon-btn { all: unset; cursor: pointer; color: #6b7682; width: 22px; height: 22px; display: inline-grid;
      place-items: center; border-radius: 6px; font-size: 13px; }
    .icon-btn:hover { background: #eceff3; color: #1f2328; }
    ul { list-style: none; margin: 0; padding: 4px 0; max-height: 280px; overflow-y: auto; }
    li { display: grid; grid-template-columns: 3px minmax(0, 1fr) auto; gap: 9px; padding: 7px 8px 7px 10px; align-items: start; }
    li + li { border-top: 1px solid #f1f3f5; }
    li:hover { background: #f8f9fb; }
    .bar { width: 3px; align-self: stretch; border-radius: 2px; background: #e37400; }
    li[data-severity="error"] .bar { background: #d93025; }
    li[data-severity="info"] .bar { background: #8a96a3; }
    .body { min-width: 0; }
    .msg { color: #1f2328; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
    li:hover .msg { -webkit-line-clamp: unset; }
    .fix { display: flex; align-items: center; justify-content: space-between; gap: 8px; margin-top: 4px; }
    .sugg { color: #57606a; font-size: 12px; min-width: 0; }
    .sugg q { quotes: "«" "»"; color: #0b6b3a; font-weight: 500; }
    .sugg s { color: #8a96a3; }
    .apply { all: unset; cursor: pointer; font-size: 12px; font-weight: 600; color: #fff; background: #1a7f4b;
      padding: 2px 10px; border-radius: 6px; white-space: nowrap; flex: none; }
    .apply:hover { background: #136a3d; }
    .offline { display: none; padding: 8px 12px; color: #57606a; font-size: 12px; }
    :host([data-coach-state="offline"]) .offline { display: block; }
    :host([data-coach-state="offline"]) ul { display: none; }
    .pill { pointer-events: auto; display: inline-flex; align-items: center; gap: 6px; float: right; cursor: pointer;
      background: #fff; border: 1px solid #d8dde3; border-radius: 12px; padding: 2px 9px 2px 7px;
      box-shadow: 0 1px 3px rgba(15, 23, 42, .08); font-size: 11px; color: #57606a; user-select: none; }
    .pill .count { padding: 0 6px; }
    .hidden { display: none !important; }
    .mirror { position: fixed; pointer-events: none; overflow: hidden; color: transparent; white-space: pre-wrap;
      overflow-wrap: break-word; z-index: 2147483645; }
    .mirror mark { color: transparent; background: rgba(227, 116, 0, .10); border-bottom: 2px solid #e37400;
      border-radius: 1px; }
    .mirror mark[data-severity="error"] { background: rgba(217, 48, 37, .10); border-bottom-color: #d93025; }
    .mirror mark[data-severity="info"] { background: transparent; border-bottom-color: #8a96a3; }
  `;

  const CLOCK_SVG = `<svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.6" aria-hidden="true">
    <circle cx="8" cy="8" r="6.2"/><path d="M8 4.6V8l2.3 1.6" stroke-linecap="round"/></svg>`;

  let highlightSheet = null;
  function ensureHighlightStyles() {
    if (highlightSheet || !globalThis.CSS?.highlights) return;
    highlightSheet = new CSSStyleSheet();
    highlightSheet.replaceSync(`
      ::highlight(coach-error) { text-decoration: underline 2px #d93025; text-underline-offset: 3px;
        background-color: rgba(217, 48, 37, .08); }
      ::highlight(coach-warning) { text-decoration: underline 2px #e37400; text-underline-offset: 3px;
        background-color: rgba(227, 116, 0, .08); }
      ::highlight(coach-info) { text-decoration: underline 1px dotted #6b7682; text-underline-offset: 3px; }
      ::highlight(coach-focus) { background-color: rgba(227, 116, 0, .22); }
    `);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, highlightSheet];
  }

  function clearHighlights() {
    if (!globalThis.CSS?.highlights) return;
    for (const name of ["coach-error", "coach-warning", "coach-info", "coach-focus"]) globalThis.CSS.highlights.delete(name);
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c != null) node.append(c);
    return node;
  }

  function mmss(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${String(m).padStart(2, "0")}:${ss}`;
  }

  class Panel {
    constructor({ onApply, onDismiss, adapterId }) {
      this.onApply = onApply;
      this.onDismiss = onDismiss;
      this.lang = "ru";
      this.state = "online";
      this.warnings = [];
      this.timers = {};
      this.draft = "";
      this.editor = null;
      this.collapsed = false;
      this.focused = false; // the card opens while the operator is in the reply box (or points at it)
      this.hovered = false;
      this.tickTimer = null;

      this.host = el("div", { "data-coach-panel": true, "data-coach-state": "online", "data-adapter": adapterId });
      this.root = this.host.attachShadow({ mode: "open" });
      const style = el("style");
      style.textContent = PANEL_CSS;
      this.wrap = el("div", { class: "wrap" });
      this.mirror = el("div", { class: "mirror hidden", "aria-hidden": "true" });
      this.root.append(style, this.mirror, this.wrap);

      // Buttons never take the focus away from the reply box.
      this.root.addEventListener("mousedown", (e) => e.preventDefault());
      this.root.addEventListener("click", (e) => this.click(e));
      this.root.addEventListener("mouseover", (e) => this.hover(e));
      this.root.addEventListener("mouseout", (e) => this.hover(e, true));

      this.wrap.addEventListener("pointerenter", () => this.setHovered(true));
      this.wrap.addEventListener("pointerleave", () => this.setHovered(false));
      this.onFocusChange = () => setTimeout(() => {
        const focused = this.editorFocused();
        if (focused !== this.focused) {
          this.focused = focused;
          this.render();
        }
      }, 0);
      document.addEventListener("focusin", this.onFocusChange, true);
      document.addEventListener("focusout", this.onFocusChange, true);

      this.reposition = this.reposition.bind(this);
      addEventListener("scroll", this.reposition, { capture: true, passive: true });
      addEventListener("resize", this.reposition, { passive: true });
      this.resizeObserver = new ResizeObserver(this.reposition);
      ensureHighlightStyles();
    }

    editorFocused() {
      const a = document.activeElement;
      return !!(this.editor && a && (a === this.editor || this.editor.contains(a)));
    }

    setHovered(on) {
      if (on === this.hovered) return;
      this.hovered = on;
      this.render();
    }

    t(key) {
      return (TEXT[this.lang] || TEXT.ru)[key];
    }

    mount() {
      if (!this.host.isConnected) (document.body || document.documentElement).append(this.host);
    }

    setEditor(editor) {
      if (editor === this.editor) return;
      if (this.editor) {
        this.resizeObserver.unobserve(this.editor);
        this.editor.removeEventListener("scroll", this.reposition);
      }
      this.editor = editor;
      this.focused = this.editorFocused();
      clearHighlights();
      if (editor) {
        this.resizeObserver.observe(editor);
        editor.addEventListener("scroll", this.reposition, { passive: true });
      }
      this.render();
    }

    setState(state) {
      this.state = state === "online" ? "online" : "offline";
      if (this.state === "offline") {
        // hints from before the break are stale; fresh ones come with the service
        this.warnings = [];
        this.timers = {};
      }
      this.host.setAttribute("data-coach-state", this.state);
      this.render();
    }

    show({ warnings, timers, lang, draft }) {
      this.warnings = [...(warnings || [])].sort((a, b) =>
        (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3));
      this.timers = timers || {};
      if (lang === "ru" || lang === "en") this.lang = lang;
      this.draft = draft ?? this.draft;
      this.render();
    }

    /** The draft changed: flagged spans that no longer hold their text stop being underlined at once. */
    draftChanged(draft) {
      this.draft = draft;
      this.paintSpans();
    }

    waitingSeconds() {
      const since = this.timers.client_waiting_since;
      return since == null ? null : Date.now() / 1000 - since;
    }

    chipLevel() {
      const slow = this.warnings.find((w) => w.rule === "slow_reply");
      if (!slow) return "calm";
      return slow.severity === "error" ? "red" : "amber";
    }

    render() {
      this.mount();
      const active = this.editor && this.editor.isConnected;
      this.wrap.classList.toggle("hidden", !active);
      this.wrap.replaceChildren();
      if (!active) {
        this.mirror.classList.add("hidden");
        clearHighlights();
        return;
      }
      const waiting = this.state === "online" ? this.waitingSeconds() : null;
      const count = this.state === "online" ? this.warnings.length : 0;
      const top = this.warnings[0]?.severity || "info";
      const quiet = this.state === "online" && !count && waiting == null;
      const open = !this.collapsed && (this.focused || this.hovered);

      if (quiet || !open || this.state !== "online") {
        // offline is a small grey pill, never a card in the operator's way
        const pill = el("div", { class: "pill", "data-action": "expand",
          title: this.state === "online" ? this.t("expand") : this.t("offlineLong") },
          el("span", { class: "dot" }), this.state === "online" ? this.t("coach") : this.t("offline"));
        if (count) pill.append(el("span", { class: "count", "data-level": top }, String(count)));
        if (waiting != null) pill.append(this.chip(waiting));
        this.wrap.append(pill);
      } else {
        const head = el("div", { class: "head" },
          el("span", { class: "brand" }, el("span", { class: "dot" }),
            this.state === "online" ? this.t("coach") : this.t("offline")));
        if (waiting != null) head.append(this.chip(waiting));
        head.append(el("span", { class: "spacer" }));
        if (count) head.append(el("span", { class: "count", "data-level": top, title: String(count) }, String(count)));
        head.append(el("button", { class: "icon-btn", "data-action": "collapse", title: this.t("collapse"),
          "aria-label": this.t("collapse") }, "–"));
        const ul = el("ul", { role: "list" });
        for (const [i, w] of this.warnings.entries()) ul.append(this.item(w, i));
        const card = el("div", { class: "card", role: "complementary", "aria-label": this.t("coach") }, head, ul,
          el("div", { class: "offline" }, this.t("offlineLong")));
        this.wrap.append(card);
      }
      this.paintSpans();
      this.reposition();
      this.scheduleTick(waiting != null);
    }

    chip(waiting) {
      const chip = el("span", { class: "chip", "data-coach-chip": true, "data-level": this.chipLevel() });
      chip.innerHTML = CLOCK_SVG;
      chip.append(`${this.t("waiting")} `, el("span", { class: "time" }, mmss(waiting)));
      return chip;
    }

    item(w, index) {
      const body = el("div", { class: "body" }, el("div", { class: "msg", title: w.message }, w.message));
      const hasSpan = w.start != null && w.end != null;
      const canApply = hasSpan && w.suggestion != null && this.spanHolds(w);
      if (w.suggestion != null) {
        const sugg = el("span", { class: "sugg" });
        const before = hasSpan ? this.flagged(w).trim() : "";
        if (before) sugg.append(el("s", {}, before), " → ");
        sugg.append(el("q", {}, w.suggestion.trim()));
        const fix = el("div", { class: "fix" }, sugg);
        if (canApply) {
          fix.append(el("button", { class: "apply", "data-action": "apply", "data-index": index }, this.t("apply")));
        }
        body.append(fix);
      }
      const dismiss = el("button", { class: "icon-btn", "data-action": "dismiss", "data-index": index,
        title: this.t("dismiss"), "aria-label": this.t("dismiss") }, "✕");
      return el("li", { "data-rule": w.rule, "data-severity": w.severity, "data-index": index },
        el("span", { class: "bar" }), body, dismiss);
    }

    flagged(w) {
      const E = NS.Editor;
      const s = E.cpToU16(this.draft, w.start);
      const e = E.cpToU16(this.draft, w.end);
      return this.draft.slice(s, e);
    }

    spanHolds(w) {
      if (w.start == null || w.end == null) return false;
      return w._text == null || this.flagged(w) === w._text;
    }

    click(e) {
      const target = e.target.closest?.("[data-action]");
      if (!target) return;
      const action = target.getAttribute("data-action");
      if (action === "collapse") {
        this.collapsed = true;
        this.render();
      } else if (action === "expand") {
        this.collapsed = false;
        this.render();
      } else {
        const w = this.warnings[Number(target.getAttribute("data-index"))];
        if (!w) return;
        if (action === "apply") this.onApply(w);
        if (action === "dismiss") {
          this.warnings = this.warnings.filter((x) => x !== w);
          this.render();
          this.onDismiss(w);
        }
      }
    }

    hover(e, out = false) {
      if (!globalThis.CSS?.highlights || !this.editor || NS.Editor.isTextControl(this.editor)) return;
      const li = e.target.closest?.("li[data-index]");
      globalThis.CSS.highlights.delete("coach-focus");
      if (out || !li) return;
      const w = this.warnings[Number(li.getAttribute("data-index"))];
      if (!w || !this.spanHolds(w) || w.end <= w.start) return;
      try {
        globalThis.CSS.highlights.set("coach-focus", new Highlight(...NS.Editor.ranges(this.editor, [w])));
      } catch { /* the editor changed under us */ }
    }

    spans() {
      if (this.state !== "online") return [];
      return this.warnings.filter((w) => w.start != null && w.end != null && w.end > w.start && this.spanHolds(w));
    }

    paintSpans() {
      const editor = this.editor;
      if (!editor || !editor.isConnected) return;
      const spans = this.spans();
      if (NS.Editor.isTextControl(editor)) {
        clearHighlights();
        this.paintMirror(editor, spans);
        return;
      }
      this.mirror.classList.add("hidden");
      if (!globalThis.CSS?.highlights) return;
      clearHighlights();
      try {
        for (const sev of ["error", "warning", "info"]) {
          const mine = spans.filter((w) => w.severity === sev);
          if (mine.length) globalThis.CSS.highlights.set(`coach-${sev}`, new Highlight(...NS.Editor.ranges(editor, mine)));
        }
      } catch { /* the editor re-rendered between reading and painting; the next update repaints */ }
    }

    paintMirror(ta, spans) {
      const m = this.mirror;
      if (!spans.length) {
        m.classList.add("hidden");
        return;
      }
      const cs = getComputedStyle(ta);
      for (const prop of ["font-family", "font-size", "font-weight", "font-style", "letter-spacing", "line-height",
        "text-transform", "word-spacing", "text-indent", "text-align", "direction", "tab-size", "padding-top",
        "padding-right", "padding-bottom", "padding-left", "border-top-width", "border-right-width",
        "border-bottom-width", "border-left-width", "box-sizing"]) {
        m.style.setProperty(prop, cs.getPropertyValue(prop));
      }
      m.style.borderStyle = "solid";
      m.style.borderColor = "transparent";
      const text = ta.value;
      const E = NS.Editor;
      const parts = [];
      let at = 0;
      const ordered = [...spans].sort((a, b) => a.start - b.start);
      for (const w of ordered) {
        const s = E.cpToU16(text, w.start);
        const e = E.cpToU16(text, w.end);
        if (s < at) continue;
        parts.push(document.createTextNode(text.slice(at, s)));
        parts.push(el("mark", { "data-severity": w.severity }, text.slice(s, e)));
        at = e;
      }
      parts.push(document.createTextNode(text.slice(at) + "\n"));
      m.replaceChildren(...parts);
      m.classList.remove("hidden");
      this.placeMirror();
    }

    placeMirror() {
      const ta = this.editor;
      if (!ta || this.mirror.classList.contains("hidden")) return;
      const r = ta.getBoundingClientRect();
      Object.assign(this.mirror.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`,
        height: `${r.height}px` });
      this.mirror.scrollTop = ta.scrollTop;
      this.mirror.scrollLeft = ta.scrollLeft;
    }

    reposition() {
      const editor = this.editor;
      if (!editor || !editor.isConnected) return;
      const r = editor.getBoundingClientRect();
      const vw = document.documentElement.clientWidth || innerWidth;
      const vh = document.documentElement.clientHeight || innerHeight;
      const width = Math.min(360, vw - 16);
      const box = this.wrap.getBoundingClientRect();
      const height = box.height || 40;
      let left = Math.min(Math.max(8, r.right - width), vw - width - 8);
      let top = r.top - height - 8;
      if (top < 8) top = Math.min(r.bottom + 8, vh - height - 8);
      this.wrap.style.transform = `translate(${Math.round(left)}px, ${Math.round(Math.max(8, top))}px)`;
      this.wrap.style.width = `${width}px`;
      this.placeMirror();
    }

    scheduleTick(on) {
      if (on && !this.tickTimer) {
        this.tickTimer = setInterval(() => {
          const waiting = this.waitingSeconds();
          const time = this.root.querySelector("[data-coach-chip] .time");
          if (waiting == null || !time) return;
          time.textContent = mmss(waiting);
        }, 1000);
      } else if (!on && this.tickTimer) {
        clearInterval(this.tickTimer);
        this.tickTimer = null;
      }
    }

    destroy() {
      this.scheduleTick(false);
      document.removeEventListener("focusin", this.onFocusChange, true);
      document.removeEventListener("focusout", this.onFocusChange, true);
      removeEventListener("scroll", this.reposition, { capture: true });
      removeEventListener("resize", this.reposition);
      this.resizeObserver.disconnect();
      clearHighlights();
      this.host.remove();
    }
  }

  NS.Panel = Panel;
  NS.mmss = mmss;
})();
