// The coaching next to the reply box, in Shadow DOM (the console's CSS cannot reach it, and it cannot reach the
// console). A one-line bar — the coach's state, the number of remarks, the «client waiting» chip and, folded,
// the top remark — over the list of remarks, open while the operator works in the reply box. The panel docks
// into the console's own layout where the adapter says so (see place.js) or floats in free space; a list that
// does not fit shows a count («ещё 2»), never a hidden scroll, and while the operator types it never shrinks
// (the size settles, animated, once they pause). A click on an underlined word — or the caret moved into
// one — opens a card at that spot. Keyboard: the shortcut (Alt+Shift+K) moves into the panel, Tab walks the
// remarks and their buttons, Enter acts, Escape goes back to the reply box with the caret where it was.
// Hooks for tests: `[data-coach-panel]` (state, adapter, theme, placement, updates), `li[data-rule]`,
// `[data-coach-chip]`, `[data-coach-card]` — see docs/extension.md.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Panel) return;

  const TEXT = {
    ru: {
      coach: "Коуч", apply: "Применить", dismiss: "Скрыть", waiting: "Клиент ждёт", offline: "коуч офлайн",
      offlineLong: "Сервис коуча недоступен. Набор и отправка работают как обычно; подсказки вернутся сами.",
      collapse: "Свернуть подсказки", expand: "Показать подсказки", clean: "замечаний нет",
      region: "Подсказки коуча", list: "Замечания к ответу", more: "ещё", back: "назад", fewer: "свернуть",
      moreText: "Показать полностью", lessText: "Свернуть текст", card: "Замечание к выделенному",
      applyAs: (s) => `Применить: ${s}`, dismissAs: (m) => `Скрыть: ${m}`,
      remarks: (n) => `${n} ${plural(n, "замечание", "замечания", "замечаний")}`,
      units: { s: "с", min: "мин" },
    },
    en: {
      coach: "Coach", apply: "Apply", dismiss: "Dismiss", waiting: "Client waiting", offline: "coach offline",
      offlineLong: "The coach service is unreachable. Typing and sending work as usual; hints come back by themselves.",
      collapse: "Collapse hints", expand: "Show hints", clean: "no remarks",
      region: "Coach hints", list: "Remarks on the reply", more: "more", back: "back", fewer: "fewer",
      moreText: "Show all", lessText: "Show less", card: "Remark on the marked words",
      applyAs: (s) => `Apply: ${s}`, dismissAs: (m) => `Dismiss: ${m}`,
      remarks: (n) => `${n} ${n === 1 ? "remark" : "remarks"}`,
      units: { s: "s", min: "min" },
    },
  };

  /** Russian number agreement: 1 замечание, 2 замечания, 5 замечаний, 21 замечание, 11 замечаний. */
  function plural(n, one, few, many) {
    const m10 = n % 10;
    const m100 = n % 100;
    if (m10 === 1 && m100 !== 11) return one;
    if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return few;
    return many;
  }

  /**
   * The panel's order: the client's wait first (it is the one that cannot wait), then by severity, timer
   * remarks before the others of their severity, then by place in the draft. Remarks on the same words with
   * the same fix (fixes.py merges overlapping fixes into one) are one group: their messages together, one fix.
   */
  function urgency(w) {
    return [w.clock === "client_wait" ? 0 : 1, SEVERITY.indexOf(w.severity), w.clock ? 0 : 1, w.start ?? -1];
  }

  function byUrgency(a, b) {
    const x = urgency(a);
    const y = urgency(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
  }

  function sameWords(a, b) {
    return a.start != null && a.end != null && a.start === b.start && a.end === b.end && a.end > a.start &&
      (a.suggestion == null || b.suggestion == null || a.suggestion === b.suggestion);
  }

  const SEVERITY = ["error", "warning", "info"];
  const TYPING_HOLD_MS = 700; // after the last keystroke the panel may shrink again (animated)
  const ANIM_MS = 160;
  const FLOAT_WIDTHS = [360, 300, 240];

  const PANEL_CSS = `
    :host { all: initial; }
    :host, .card {
      --bg: #ffffff; --fg: #1f2328; --muted: #57606a; --border: #d8dde3; --bar: #f6f8fa; --hover: #f3f5f8;
      --sep: #eef0f3; --ring: #0969da; --shadow: 0 6px 24px rgba(15, 23, 42, .10), 0 1px 3px rgba(15, 23, 42, .08);
      --warn: #a85200; --err: #c5221f; --info: #5f6b77; --on-badge: #ffffff;
      --chip: #eef1f4; --chip-fg: #3d4652; --amber: #fff4e0; --amber-fg: #7a4100; --amber-line: #f3c27a;
      --red: #fde8e7; --red-fg: #a3140c; --red-line: #f2a7a2;
      --apply: #1a7f4b; --apply-fg: #ffffff; --ins: #0b6b3a; --del: #6e7781; --ok: #1a9e5c;
    }
    :host([data-theme="dark"]), :host([data-theme="dark"]) .card {
      --bg: #1c2128; --fg: #e6edf3; --muted: #9ea8b3; --border: #3d444d; --bar: #22272e; --hover: #262c34;
      --sep: #2d333b; --ring: #58a6ff; --shadow: 0 6px 24px rgba(0, 0, 0, .45), 0 1px 3px rgba(0, 0, 0, .35);
      --warn: #f0a040; --err: #ff7b72; --info: #9ea8b3; --on-badge: #1c2128;
      --chip: #2d333b; --chip-fg: #c9d1d9; --amber: #3b2a10; --amber-fg: #f0b75e; --amber-line: #7a5218;
      --red: #3d1c1c; --red-fg: #ff9b94; --red-line: #7d2b27;
      --apply: #3fb950; --apply-fg: #0d1117; --ins: #7ee2a8; --del: #9ea8b3; --ok: #3fb950;
    }
    * { box-sizing: border-box; }
    .wrap { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
      color: var(--fg); overflow: hidden; container-type: inline-size; }
    @container (max-width: 320px) {
      .chip .label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
    }
    .wrap[data-placement="float"] { position: fixed; z-index: 2147483646; top: 0; left: 0; border-radius: 10px;
      pointer-events: none; }
    .wrap[data-placement="dock"] { position: relative; margin: 0 0 6px; }
    .panel { pointer-events: auto; background: var(--bg); border: 1px solid var(--border); border-radius: 10px;
      box-shadow: var(--shadow); overflow: hidden; }
    .wrap[data-placement="dock"] .panel { box-shadow: none; }
    .bar { display: flex; align-items: center; gap: 8px; padding: 5px 8px 5px 10px; min-height: 32px;
      background: var(--bar); white-space: nowrap; cursor: default; }
    .panel[data-open="true"] .bar { border-bottom: 1px solid var(--sep); }
    .brand { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; font-size: 12px; color: var(--fg); }
    .dot { width: 7px; height: 7px; border-radius: 50%; background: var(--ok); flex: none; }
    :host([data-coach-state="offline"]) .dot { background: var(--info); }
    .summary { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; color: var(--muted); font-size: 12px; }
    .spacer { flex: 1; }
    .count { font-size: 11px; font-weight: 700; color: var(--on-badge); background: var(--warn); border-radius: 9px;
      padding: 1px 7px; }
    .count[data-level="error"] { background: var(--err); }
    .count[data-level="info"] { background: var(--info); }
    .chip { display: inline-flex; align-items: center; gap: 5px; font-size: 12px; font-variant-numeric: tabular-nums;
      border-radius: 12px; padding: 2px 9px; background: var(--chip); color: var(--chip-fg); white-space: nowrap; }
    .chip[data-level="amber"] { background: var(--amber); color: var(--amber-fg); box-shadow: inset 0 0 0 1px var(--amber-line); }
    .chip[data-level="red"] { background: var(--red); color: var(--red-fg); box-shadow: inset 0 0 0 1px var(--red-line); }
    .chip svg { width: 12px; height: 12px; }
    button { font: inherit; }
    .icon-btn { all: unset; cursor: pointer; color: var(--muted); min-width: 24px; height: 24px; display: inline-grid;
      place-items: center; border-radius: 6px; font-size: 13px; }
    .icon-btn:hover { background: var(--hover); color: var(--fg); }
    :focus-visible, li:focus { outline: 2px solid var(--ring); outline-offset: -2px; }
    ul { list-style: none; margin: 0; padding: 2px 0; }
    li { display: grid; grid-template-columns: 3px minmax(0, 1fr) auto; gap: 9px; padding: 7px 8px 7px 10px;
      align-items: start; border-radius: 6px; }
    li + li { border-top: 1px solid var(--sep); }
    li:hover, li:focus-within { background: var(--hover); }
    li[hidden] { display: none; }
    .sev { width: 3px; align-self: stretch; border-radius: 2px; background: var(--warn); }
    li[data-severity="error"] .sev, .entry[data-severity="error"] .sev { background: var(--err); }
    li[data-severity="info"] .sev, .entry[data-severity="info"] .sev { background: var(--info); }
    .body { min-width: 0; }
    .msg { color: var(--fg); display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
    li[aria-expanded="true"] .msg { -webkit-line-clamp: unset; display: block; }
    .more { all: unset; cursor: pointer; color: var(--muted); font-size: 12px; text-decoration: underline dotted;
      text-underline-offset: 2px; }
    .more:focus-visible { outline: 2px solid var(--ring); }
    .fix { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 4px 8px;
      margin-top: 4px; }
    .preview { flex: 1 1 150px; color: var(--muted); font-size: 12px; min-width: 0; overflow-wrap: break-word; }
    .preview ins { text-decoration: none; color: var(--ins); font-weight: 600; }
    .preview del { color: var(--del); }
    .apply { all: unset; cursor: pointer; font-size: 12px; font-weight: 600; color: var(--apply-fg);
      background: var(--apply); padding: 2px 10px; border-radius: 6px; white-space: nowrap; flex: none; }
    .apply:hover { filter: brightness(1.08); }
    .apply:focus-visible { outline: 2px solid var(--ring); outline-offset: 1px; }
    .rest { all: unset; display: block; width: 100%; box-sizing: border-box; cursor: pointer; padding: 6px 12px;
      color: var(--muted); font-size: 12px; border-top: 1px solid var(--sep); text-align: right; }
    .rest:hover, .rest-back:hover { background: var(--hover); color: var(--fg); }
    .restrow { display: flex; border-top: 1px solid var(--sep); }
    .restrow .rest { border-top: 0; }
    .rest-back { all: unset; cursor: pointer; padding: 6px 12px; color: var(--muted); font-size: 12px; white-space: nowrap; }
    .rest-back:focus-visible, .rest:focus-visible { outline: 2px solid var(--ring); outline-offset: -2px; }
    li[data-joined] { border-top: 0; padding-top: 0; }
    .offline { padding: 8px 12px; color: var(--muted); font-size: 12px; white-space: normal; }
    .hidden, [hidden] { display: none !important; }
    .card { position: fixed; z-index: 2147483647; width: 360px; max-width: calc(100vw - 16px); background: var(--bg);
      color: var(--fg); border: 1px solid var(--border); border-radius: 10px; box-shadow: var(--shadow);
      font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; padding: 2px 0; }
    .card .msg { -webkit-line-clamp: unset; display: block; } /* a card says it all */
    .entry { display: grid; grid-template-columns: 3px minmax(0, 1fr) auto; gap: 9px; padding: 8px 8px 8px 10px; }
    .entry + .entry { border-top: 1px solid var(--sep); }
  `;

  const CLOCK_SVG = `<svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.6" aria-hidden="true">
    <circle cx="8" cy="8" r="6.2"/><path d="M8 4.6V8l2.3 1.6" stroke-linecap="round"/></svg>`;

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

  /** A wait as the service words it (checks/base.py format_duration): «45 с», «1 мин 4 с», "2 min". */
  function formatDuration(seconds, lang) {
    const total = Math.max(0, Math.floor(seconds));
    const min = Math.floor(total / 60);
    const sec = total % 60;
    const u = (TEXT[lang] || TEXT.ru).units;
    if (!min) return `${sec} ${u.s}`;
    return sec ? `${min} ${u.min} ${sec} ${u.s}` : `${min} ${u.min}`;
  }

  /** A remark's text now: a timer remark is re-worded from its clock, so it matches the chip second by second. */
  function messageOf(w, lang, now = Date.now() / 1000) {
    if (w.template && w.since != null) return w.template.split("{wait}").join(formatDuration(now - w.since, lang));
    return w.message;
  }

  /** Up to two words of `text` from `at` on (or before `at`, backwards), with "…" when more follows. */
  function context(text, at, forward) {
    if (forward) {
      const rest = text.slice(at);
      const m = /^\s*\S+(?:\s+\S+)?/u.exec(rest);
      if (!m) return "";
      return m[0] + (rest.slice(m[0].length).trim() ? "…" : "");
    }
    const head = text.slice(0, at);
    const m = /(?:\S+\s+)?\S+\s*$/u.exec(head);
    if (!m) return "";
    return (head.slice(0, head.length - m[0].length).trim() ? "…" : "") + m[0];
  }

  class Panel {
    constructor({ onApply, onDismiss, onEscape, adapter }) {
      this.onApply = onApply;
      this.onDismiss = onDismiss;
      this.onEscape = onEscape;
      this.adapter = adapter;
      this.lang = "ru";
      this.state = "online";
      this.warnings = [];
      this.timers = {};
      this.draft = "";
      this.editor = null;
      this.collapsed = false; // the operator folded the list
      this.pinned = false; // the operator opened it on demand (no need to be in the reply box)
      this.focused = false;
      this.first = 0; // the first group shown when they do not all fit («ещё N ›» pages on)
      this.topRemarks = 3; // groups shown before «ещё N» (Options)
      this.showAll = false; // the operator opened the rest
      this.groups = []; // [[index of a warning, …], …] in the panel's order
      this.expanded = new Set(); // remarks whose whole text is shown
      this.hoverKey = null;
      this.card = null; // {keys, caret}
      this.holdUntil = 0;
      this.held = 0;
      this.height = 0;
      this.spot = null;
      this.blocked = null;
      this.theme = null;
      this.lastWait = null; // {since, level} of the last «client waiting» remark, for the chip while offline
      this.updates = 0;
      this.tickTimer = null;
      this.settleTimer = null;
      this.pointerDown = false;

      this.host = el("coach-panel", { "data-coach-panel": true, "data-coach-state": "online",
        "data-adapter": adapter && adapter.id, "data-coach-updates": "0" });
      this.root = this.host.attachShadow({ mode: "open" });
      this.wrap = el("div", { class: "wrap" });
      this.root.append(el("style", {}, PANEL_CSS), this.wrap);

      // The underline mirror and the card float over the page from a host of their own in <body>: `fixed`
      // inside a docked host would follow any transform of the console's layout.
      this.overlay = el("coach-overlay", { "data-coach-overlay": true });
      this.overlay.style.cssText = "all: initial; position: fixed; top: 0; left: 0; width: 0; height: 0; z-index: 2147483646;";
      this.oroot = this.overlay.attachShadow({ mode: "open" });
      this.cardEl = el("div", { class: "card", "data-coach-card": true, role: "group", hidden: true });
      const layer = el("div");
      this.oroot.append(el("style", {}, PANEL_CSS), layer, this.cardEl);
      this.marks = new NS.Marks(layer);

      for (const root of [this.root, this.oroot]) {
        // Mouse clicks never take the focus away from the reply box (the keyboard may walk in on purpose).
        root.addEventListener("mousedown", (e) => e.preventDefault());
        root.addEventListener("click", (e) => this.click(e));
        root.addEventListener("keydown", (e) => this.key(e));
        root.addEventListener("mouseover", (e) => this.hover(e));
        root.addEventListener("mouseout", (e) => this.hover(e, true));
        root.addEventListener("focusin", (e) => this.hover(e));
      }
      this.onFocusChange = () => setTimeout(() => this.focusChanged(), 0);
      this.onPointer = (e) => {
        this.pointerDown = e.type === "pointerdown";
        if (!this.pointerDown) this.onFocusChange();
      };
      document.addEventListener("focusin", this.onFocusChange, true);
      document.addEventListener("focusout", this.onFocusChange, true);
      document.addEventListener("pointerdown", this.onPointer, true);
      document.addEventListener("pointerup", this.onPointer, true);

      // scrolling and resizing move what the panel must not cover: look again, at most once a frame
      this.onScroll = (e) => {
        if (e && e.type === "scroll" && this.host.contains?.(e.target)) return;
        this.marks.place();
        if (this.relayoutQueued) return;
        this.relayoutQueued = true;
        requestAnimationFrame(() => {
          this.relayoutQueued = false;
          this.blocked = null;
          this.layout();
          if (this.card) this.placeCard();
        });
      };
      addEventListener("scroll", this.onScroll, { capture: true, passive: true });
      addEventListener("resize", this.onScroll, { passive: true });
      this.resizeObserver = new ResizeObserver((entries) => {
        if (entries.some((x) => x.target === this.host)) this.anchorConversation();
        this.marks.place();
        if (this.placement === "float" && entries.some((x) => x.target === this.editor)) this.onScroll();
      });
      this.resizeObserver.observe(this.host);
    }

    t(key) {
      return (TEXT[this.lang] || TEXT.ru)[key];
    }

    // --- what the content script tells the panel ------------------------------------------------------
    /** The operator's language (the panel and the remarks: the service words them in it) and how many to show. */
    setPrefs({ uiLang, topRemarks }) {
      this.lang = uiLang === "en" ? "en" : "ru";
      this.topRemarks = Math.max(1, Number(topRemarks) || 3);
      this.render();
    }

    setEditor(editor) {
      if (editor === this.editor) return;
      if (this.editor) this.resizeObserver.unobserve(this.editor);
      this.editor = editor;
      this.focused = this.editorFocused();
      this.marks.setEditor(editor);
      this.spot = null;
      this.blocked = null;
      this.theme = null;
      this.closeCard();
      if (editor) this.resizeObserver.observe(editor);
      this.render();
    }

    setState(state) {
      this.state = state === "online" ? "online" : "offline";
      if (this.state === "offline") {
        // the remarks are stale; the chip keeps counting from the times the extension knows (setTimers)
        this.setWarnings([]);
        this.closeCard();
      }
      this.host.setAttribute("data-coach-state", this.state);
      this.render();
    }

    show({ warnings, timers, draft }) {
      const seen = new Map();
      const sorted = (warnings || []).map((w) => {
        const base = w._id ?? `${w.rule}:${w.start ?? ""}:${w.end ?? ""}`;
        const n = (seen.get(base) || 0) + 1;
        seen.set(base, n);
        return { ...w, _key: n > 1 ? `${base}:${n}` : base };
      });
      this.setWarnings(sorted);
      this.timers = timers || {};
      this.draft = draft ?? this.draft;
      const level = this.waitLevel();
      if (level !== "calm") this.lastWait = { since: this.timers.client_waiting_since, level };
      const keys = new Set(this.warnings.map((w) => w._key));
      if (this.card) this.card.keys = this.card.keys.filter((k) => keys.has(k));
      this.updates += 1;
      this.host.setAttribute("data-coach-updates", String(this.updates));
      this.render();
    }

    /** The remarks in the panel's order, in groups: a remark joins an earlier one on the same words. */
    setWarnings(list) {
      const groups = [];
      for (const w of [...list].sort(byUrgency)) {
        const g = groups.find((group) => sameWords(group[0], w));
        if (g) g.push(w);
        else groups.push([w]);
      }
      this.warnings = groups.flat();
      let i = 0;
      this.groups = groups.map((g) => g.map(() => i++));
    }

    /** Timers known without the service (it is away): the chip keeps counting. */
    setTimers(timers) {
      this.timers = timers || {};
      this.render();
    }

    /** The draft changed: spans that no longer hold their text stop being underlined at once. */
    draftChanged(draft) {
      this.draft = draft;
      this.paintSpans();
    }

    /** The operator is typing: hold the panel's size, close a card, settle once they pause. */
    typing() {
      this.holdUntil = Date.now() + TYPING_HOLD_MS;
      this.closeCard();
      clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => this.layout(), TYPING_HOLD_MS + 20);
    }

    /** The console's page changed (a message came, a layout moved): recompute where the panel may go. */
    invalidate() {
      this.blocked = null;
    }

    // --- state of the operator's attention ----------------------------------------------------------------
    editorFocused() {
      const a = document.activeElement;
      return !!(this.editor && a && (a === this.editor || this.editor.contains(a)));
    }

    focusInside() {
      return !!(this.root.activeElement || this.oroot.activeElement);
    }

    focusChanged() {
      if (this.pointerDown) return; // a click is under way: never move the layout under the pointer
      const focused = this.editorFocused();
      if (focused === this.focused) return;
      this.focused = focused;
      if (focused) this.pinned = false;
      this.render();
    }

    isOpen() {
      return this.state === "online" && !this.collapsed && this.warnings.length > 0 &&
        (this.focused || this.pinned || this.focusInside());
    }

    waitingSeconds() {
      const since = this.timers.client_waiting_since;
      return since == null ? null : Date.now() / 1000 - since;
    }

    chipLevel() {
      if (this.state !== "online") {
        const since = this.timers.client_waiting_since;
        return this.lastWait && since != null && Math.abs(this.lastWait.since - since) < 1 ? this.lastWait.level : "calm";
      }
      return this.waitLevel();
    }

    /** How late the answer is: the service says so in `timers` even after the operator dismissed the remark. */
    waitLevel() {
      const told = this.timers.client_wait_severity;
      const wait = this.warnings.find((w) => w.clock === "client_wait");
      const severity = told !== undefined ? told : wait ? wait.severity : null;
      if (!severity || this.timers.client_waiting_since == null) return "calm";
      return severity === "error" ? "red" : "amber";
    }

    // --- drawing --------------------------------------------------------------------------------------------
    mount() {
      const anchor = NS.Place.dockAnchor(this.adapter, this.editor);
      const placement = anchor ? "dock" : "float";
      // (the list's place is read before docking takes room from it)
      this.trackConversation(anchor ? this.scroller() : null);
      if (anchor) {
        const { el: a, where } = anchor;
        const placed = where === "before" ? a.previousElementSibling === this.host : a.nextElementSibling === this.host;
        if (!placed) a[where](this.host);
        const cs = getComputedStyle(a);
        this.host.style.cssText = `all: initial; display: block; margin: 0 ${cs.marginRight} 0 ${cs.marginLeft};`;
      } else if (this.host.parentNode !== (document.body || document.documentElement)) {
        (document.body || document.documentElement).append(this.host);
        this.host.style.cssText = "all: initial; display: block; position: fixed; top: 0; left: 0; width: 0; height: 0; z-index: 2147483646;";
      }
      if (!this.overlay.isConnected) (document.body || document.documentElement).append(this.overlay);
      this.placement = placement;
      this.host.setAttribute("data-placement", placement);
      this.wrap.dataset.placement = placement;
      if (!this.theme || Date.now() - this.themeAt > 1000) {
        this.theme = NS.Theme.detect(this.editor && this.editor.parentElement);
        this.themeAt = Date.now();
        this.host.setAttribute("data-theme", this.theme);
        this.overlay.setAttribute("data-theme", this.theme);
      }
    }

    render() {
      const active = this.editor && this.editor.isConnected;
      if (!active) {
        this.wrap.replaceChildren();
        this.marks.clear();
        this.closeCard();
        this.scheduleTick(false);
        return;
      }
      this.mount();
      if (this.placement === "dock" && this.tracked) {
        this.noteListPlace(); // where the conversation is, before the new content moves it (see layout)
        this.noted = true;
      }
      const refocus = this.focusedControl();
      const online = this.state === "online";
      const count = online ? this.warnings.length : 0;
      const waiting = this.waitingSeconds();
      const open = this.isOpen();
      if (this.first >= this.groups.length || !this.showAll) this.first = 0;

      const panel = el("section", { class: "panel", role: "region", "aria-label": this.t("region"),
        "data-open": String(open) });
      panel.append(this.bar(count, waiting, open));
      if (!online) {
        panel.append(el("div", { class: "offline", role: "status" }, this.t("offlineLong")));
      } else if (count) {
        const ul = el("ul", { role: "list", "aria-label": this.t("list"), hidden: !open });
        for (const [g, members] of this.groups.entries()) {
          // the group's fix once, under its last message (a fix the remarks share, fixes.py)
          const fixer = members.find((i) => this.warnings[i].suggestion != null) ?? null;
          members.forEach((i, k) => ul.append(this.item(this.warnings[i], i, {
            group: g, joined: k > 0, fixer: k === members.length - 1 ? fixer : null })));
        }
        panel.append(ul, el("div", { class: "restrow", hidden: true },
          el("button", { class: "rest-back", "data-action": "back", hidden: true }),
          el("button", { class: "rest", "data-action": "page", hidden: true })));
      }
      this.wrap.replaceChildren(panel);
      this.layout();
      this.restoreFocus(refocus);
      this.paintSpans();
      if (this.card) this.renderCard();
      this.scheduleTick(waiting != null || this.warnings.some((w) => w.template));
    }

    bar(count, waiting, open) {
      const online = this.state === "online";
      const bar = el("div", { class: "bar", "data-action": count && !open ? "toggle" : null,
        title: online ? null : this.t("offlineLong") });
      bar.append(el("span", { class: "brand" }, el("span", { class: "dot" }),
        online ? this.t("coach") : this.t("offline")));
      if (count) {
        const top = this.warnings[0].severity;
        bar.append(el("span", { class: "count", "data-level": top, "aria-label": `${count}` }, String(count)));
      }
      if (waiting != null) bar.append(this.chip(waiting));
      if (count && !open) {
        bar.append(el("span", { class: "summary", "data-timer": this.warnings[0].template ? 0 : null },
          messageOf(this.warnings[0], this.lang)));
      } else if (online && !count && waiting == null) {
        bar.append(el("span", { class: "summary" }, this.t("clean")));
      } else {
        bar.append(el("span", { class: "spacer" }));
      }
      if (count) {
        bar.append(el("button", { class: "icon-btn toggle", "data-action": "toggle", "aria-expanded": String(open),
          "aria-label": open ? this.t("collapse") : this.t("expand"), title: open ? this.t("collapse") : this.t("expand") },
        open ? "▾" : "▴"));
      }
      return bar;
    }

    chip(waiting) {
      const chip = el("span", { class: "chip", "data-coach-chip": true, "data-level": this.chipLevel() });
      chip.innerHTML = CLOCK_SVG;
      chip.append(el("span", { class: "label" }, `${this.t("waiting")} `), el("span", { class: "time" }, mmss(waiting)));
      return chip;
    }

    item(w, index, { group, joined, fixer }) {
      const text = messageOf(w, this.lang);
      const expanded = this.expanded.has(w._key);
      const body = el("div", { class: "body" },
        el("div", { class: "msg", "data-timer": w.template ? index : null }, text));
      body.append(el("button", { class: "more", "data-action": "more", "data-index": index, hidden: true,
        "aria-expanded": String(expanded), "aria-label": expanded ? this.t("lessText") : this.t("moreText") },
      expanded ? `${this.t("lessText")} ▴` : `${this.t("more")} ▾`));
      const fix = fixer != null ? this.fix(this.warnings[fixer], fixer) : null;
      if (fix) body.append(fix);
      const dismiss = el("button", { class: "icon-btn dismiss", "data-action": "dismiss", "data-index": index,
        title: this.t("dismiss"), "aria-label": this.t("dismissAs")(text) }, "✕");
      return el("li", { role: "listitem", tabindex: "0", "data-rule": w.rule, "data-severity": w.severity,
        "data-index": index, "data-key": w._key, "data-group": group, "data-joined": joined || null,
        "aria-expanded": String(expanded) },
      el("span", { class: "sev" }), body, dismiss);
    }

    /** The fix in its sentence: «~~Пройдите~~ → Пройдите, пожалуйста, на сайт…», then Apply when it still fits. */
    fix(w, index) {
      if (w.suggestion == null) return null;
      const hasSpan = w.start != null && w.end != null;
      const preview = el("span", { class: "preview" });
      if (hasSpan && this.spanHolds(w)) {
        // a window onto the draft as it would read after Apply: the words around the fix are the draft's own
        const E = NS.Editor;
        const s = E.cpToU16(this.draft, w.start);
        const e = E.cpToU16(this.draft, w.end);
        const flagged = this.draft.slice(s, e);
        if (flagged.trim()) preview.append(el("del", {}, flagged.trim()), " → ");
        const before = s === e ? context(this.draft, s, false) : "";
        const after = context(this.draft, e, true);
        let ins = w.suggestion;
        if (!before) ins = ins.replace(/^\s+/u, "");
        if (!after) ins = ins.replace(/\s+$/u, "");
        preview.append("«", before.replace(/^\s+/u, ""), el("ins", {}, ins), after.replace(/\s+$/u, ""), "»");
      } else {
        preview.append("«", el("ins", {}, w.suggestion.trim()), "»");
      }
      const fix = el("div", { class: "fix" }, preview);
      if (hasSpan && this.spanHolds(w)) {
        fix.append(el("button", { class: "apply", "data-action": "apply", "data-index": index,
          "aria-label": this.t("applyAs")(preview.textContent) }, this.t("apply")));
      }
      return fix;
    }

    flagged(w) {
      const E = NS.Editor;
      return this.draft.slice(E.cpToU16(this.draft, w.start), E.cpToU16(this.draft, w.end));
    }

    spanHolds(w) {
      if (w.start == null || w.end == null) return false;
      return w._text == null || this.flagged(w) === w._text;
    }

    spans() {
      if (this.state !== "online") return [];
      return this.warnings.filter((w) => w.start != null && w.end != null && w.end > w.start && this.spanHolds(w));
    }

    paintSpans() {
      if (!this.editor || !this.editor.isConnected) return;
      this.marks.paint(this.spans(), this.hoverKey);
    }

    // --- size and place --------------------------------------------------------------------------------------
    layout(again = true) {
      const panel = this.wrap.firstElementChild;
      if (!panel || !this.editor || !this.editor.isConnected) return;
      const ul = panel.querySelector("ul");
      const rest = panel.querySelector(".restrow");
      const open = !!ul && !ul.hidden;
      // the conversation's distance from its bottom, as the operator sees it now: the measuring below resizes
      // the list (and may clamp its scroll); it is put back at the end
      const list = this.placement === "dock" ? this.tracked : null;
      if (list && !this.noted) this.noteListPlace();
      this.noted = false;
      this.wrap.style.minHeight = ""; // measured as it is; the hold while typing is put back in holdSize
      let budget = Infinity;
      if (this.placement === "dock") {
        // what the message list can spare, seen with the bar alone (nothing of the console squeezed yet)
        if (open) ul.hidden = true;
        if (rest) rest.hidden = true;
        budget = this.dockBudget();
        if (open) ul.hidden = false;
        this.wrap.style.transform = "";
        this.wrap.style.width = "";
      } else {
        this.wrap.style.width = `${this.spot ? this.spot.width : FLOAT_WIDTHS[0]}px`;
      }
      const items = open ? [...ul.children] : [];
      for (const li of items) li.hidden = false;
      if (rest) rest.hidden = true;
      this.markClamped(items);
      // groups are shown whole: the first `topRemarks` of them, the rest behind «ещё N» (paged when they do not fit)
      const groups = open ? this.groups : [];
      const heights = groups.map((g) => g.reduce((a, i) => a + items[i].getBoundingClientRect().height, 0));
      const bar = panel.querySelector(".bar").getBoundingClientRect().height;
      const offline = panel.querySelector(".offline");
      const base = bar + (offline ? offline.getBoundingClientRect().height : 0) + 2 + (items.length ? 4 : 0);
      const restH = 30;
      const row = (k) => this.first + k < groups.length || this.first > 0 ||
        (this.showAll && groups.length > this.topRemarks);
      const fits = (k) => base + heights.slice(this.first, this.first + k).reduce((a, b) => a + b, 0) +
        (row(k) ? restH : 0);
      let shown = Math.min(groups.length - this.first, this.showAll ? Infinity : this.topRemarks);
      if (this.placement === "dock") {
        while (shown > 0 && fits(shown) > budget) shown -= 1;
      } else {
        const measuredAt = this.wrapWidth();
        ({ shown } = this.placeFloat(fits, shown));
        // the heights were measured at another width: measure once more at the chosen one
        if (again && Math.abs(this.spot.width - measuredAt) > 1) return this.layout(false);
      }
      groups.forEach((g, k) => {
        for (const i of g) items[i].hidden = k < this.first || k >= this.first + shown;
      });
      if (rest && open && row(shown)) this.restRow(rest, groups, shown);
      this.holdSize(panel);
      if (list) this.anchorConversation();
      this.marks.place();
      return undefined;
    }

    /** Under the list: «ещё N ▾» opens the rest; opened, «ещё N ›» / «‹ назад» page, «свернуть ▴» closes it. */
    restRow(row, groups, shown) {
      const after = groups.slice(this.first + shown).reduce((a, g) => a + g.length, 0);
      const back = row.querySelector(".rest-back");
      const next = row.querySelector(".rest");
      row.hidden = false;
      back.hidden = !(this.showAll && this.first > 0);
      back.textContent = `‹ ${this.t("back")}`;
      next.hidden = false;
      if (!this.showAll) {
        next.textContent = `${this.t("more")} ${after} ▾`;
        next.dataset.action = "open-rest";
        next.setAttribute("aria-label", `${this.t("more")} ${this.t("remarks")(after)}`);
      } else if (after > 0) {
        next.textContent = `${this.t("more")} ${after} ›`;
        next.dataset.action = "page";
        next.setAttribute("aria-label", `${this.t("more")} ${this.t("remarks")(after)}`);
      } else if (this.first === 0) {
        next.textContent = `${this.t("fewer")} ▴`;
        next.dataset.action = "fewer";
        next.setAttribute("aria-label", next.textContent);
      } else {
        next.hidden = true;
      }
    }

    /** Long remarks are cut to two lines: those get a «ещё ▾» that shows the rest. */
    markClamped(items) {
      for (const li of items) {
        const msg = li.querySelector(".msg");
        const more = li.querySelector(".more");
        const expanded = li.getAttribute("aria-expanded") === "true";
        more.hidden = !expanded && msg.scrollHeight <= msg.clientHeight + 1;
      }
    }

    /** While typing the panel never shrinks; once the operator pauses it settles to its size, animated. */
    holdSize(panel) {
      const natural = panel.getBoundingClientRect().height;
      const typing = Date.now() < this.holdUntil;
      const before = this.height;
      if (typing) {
        this.held = Math.max(this.held, natural, before);
        this.wrap.style.minHeight = `${this.held}px`;
        this.height = this.held;
        return;
      }
      this.wrap.style.minHeight = "";
      this.held = 0;
      this.height = natural;
      if (before && Math.abs(before - natural) > 1 && this.wrap.animate) {
        this.wrap.animate([{ height: `${before}px` }, { height: `${natural}px` }],
          { duration: ANIM_MS, easing: "ease-out" });
      }
    }

    /** Docked: the panel may take what the message list can spare, keeping room for its newest message. */
    dockBudget() {
      const scroller = this.scroller();
      if (!scroller) return Math.max(120, document.documentElement.clientHeight * 0.4);
      const newest = this.newest();
      const keep = Math.max(96, (newest ? newest.getBoundingClientRect().height : 0) + 32);
      return this.host.getBoundingClientRect().height + scroller.clientHeight - keep;
    }

    /** Floating: the largest part of the list that fits a free spot; {shown}. */
    placeFloat(fits, total) {
      const editorRect = NS.Place.frameOf(this.editor);
      if (!this.blocked) {
        this.blocked = NS.Place.obstacles({ editor: this.editor, newest: this.newest(), own: [this.host, this.overlay] });
      }
      const vw = document.documentElement.clientWidth;
      const widths = FLOAT_WIDTHS.map((w) => Math.min(w, vw - 16));
      const held = Date.now() < this.holdUntil ? this.held : 0;
      for (let shown = total; shown >= 0; shown--) {
        const sizes = widths.map((w) => ({ width: w, height: Math.max(fits(shown), shown === total ? held : 0) }));
        const spot = NS.Place.freeSpot(editorRect, sizes, this.blocked, this.spot);
        if (spot) {
          this.moveTo(spot);
          return { shown };
        }
      }
      const w = widths[widths.length - 1];
      const spot = NS.Place.leastCovering(editorRect, { width: w, height: fits(0) }, this.blocked);
      this.moveTo({ ...spot, width: w });
      return { shown: 0 };
    }

    wrapWidth() {
      return this.wrap.getBoundingClientRect().width || FLOAT_WIDTHS[0];
    }

    moveTo(spot) {
      this.spot = spot;
      this.wrap.style.width = `${spot.width}px`;
      this.wrap.style.transform = `translate(${Math.round(spot.left)}px, ${Math.round(spot.top)}px)`;
    }

    scroller() {
      const spec = this.adapter && this.adapter.messages;
      if (!spec) return null;
      const root = NS.Adapter.messageRoot(this.adapter);
      return root ? NS.Place.scrollerOf(root.lastElementChild || root) || NS.Place.scrollerOf(root) : null;
    }

    newest() {
      return this.adapter && this.adapter.messages ? NS.Adapter.newestItem(this.adapter) : null;
    }

    /**
     * Docked, the panel takes its room from the message list above it. The list keeps its distance from the
     * bottom (where the newest message is) whatever the panel's size: what the operator saw at the bottom of
     * the conversation stays in view.
     */
    trackConversation(s) {
      if (s === this.tracked) return;
      this.tracked?.removeEventListener("scroll", this.onListScroll);
      this.tracked = s;
      if (!s) return;
      // the scroll event of our own anchoring comes a frame later, when the list may have been resized again:
      // read then, it would move the conversation up by the difference (it is not the operator's scroll)
      this.onListScroll ??= (event) => {
        const t = this.tracked;
        if (!t) return;
        if (event && this.anchoredTop != null && Math.abs(t.scrollTop - this.anchoredTop) < 1) return;
        this.anchoredTop = null;
        this.fromBottom = t.scrollHeight - t.scrollTop - t.clientHeight;
      };
      this.onListScroll();
      s.addEventListener("scroll", this.onListScroll, { passive: true });
    }

    /**
     * Reads where the conversation is, unless the panel is changing size: then the list has just been resized
     * and not yet put back (the resize observer does that after this frame's layout), and the reading would
     * move the conversation up by the difference, a little more on every frame of the animation.
     */
    noteListPlace() {
      if (this.wrap.getAnimations().length) return;
      this.onListScroll();
    }

    anchorConversation() {
      const s = this.placement === "dock" ? this.tracked : null;
      if (!s || this.fromBottom == null) return;
      s.scrollTop = s.scrollHeight - s.clientHeight - this.fromBottom;
      this.anchoredTop = s.scrollTop;
    }

    // --- the card at an underlined spot ----------------------------------------------------------------------
    /** The caret is in underlined words (a click, or the keyboard moved it there): show their card. */
    cardAt(caret) {
      const spans = this.marks.at(caret);
      if (!spans.length || this.state !== "online") {
        this.closeCard();
        return;
      }
      this.card = { keys: spans.map((w) => w._key), caret };
      this.renderCard();
    }

    renderCard() {
      const list = this.card ? this.warnings.filter((w) => this.card.keys.includes(w._key)) : [];
      if (!list.length) {
        this.closeCard();
        return;
      }
      const entries = list.map((w) => {
        const index = this.warnings.indexOf(w);
        const text = messageOf(w, this.lang);
        const body = el("div", { class: "body" }, el("div", { class: "msg", "data-timer": w.template ? index : null }, text));
        const fix = this.fix(w, index);
        if (fix) body.append(fix);
        return el("div", { class: "entry", "data-rule": w.rule, "data-severity": w.severity, "data-key": w._key },
          el("span", { class: "sev" }), body,
          el("button", { class: "icon-btn dismiss", "data-action": "dismiss", "data-index": index,
            title: this.t("dismiss"), "aria-label": this.t("dismissAs")(text) }, "✕"));
      });
      const refocus = this.focusedControl();
      this.cardEl.replaceChildren(...entries);
      this.cardEl.setAttribute("aria-label", this.t("card"));
      this.cardEl.hidden = false;
      this.placeCard();
      this.restoreFocus(refocus);
    }

    placeCard() {
      if (!this.card || this.cardEl.hidden) return;
      const spans = this.spans().filter((w) => this.card.keys.includes(w._key));
      const r = this.marks.rectOf(spans);
      if (!r) return;
      const vw = document.documentElement.clientWidth;
      const vh = document.documentElement.clientHeight;
      const box = this.cardEl.getBoundingClientRect();
      const left = Math.max(8, Math.min(r.left, vw - box.width - 8));
      let top = r.bottom + 6;
      if (top + box.height > vh - 8) top = Math.max(8, r.top - 6 - box.height);
      Object.assign(this.cardEl.style, { left: `${Math.round(left)}px`, top: `${Math.round(top)}px` });
    }

    closeCard() {
      this.card = null;
      this.cardEl.hidden = true;
      this.cardEl.replaceChildren();
    }

    cardOpen() {
      return !!this.card;
    }

    // --- keyboard --------------------------------------------------------------------------------------------
    /** Focus the first remark (the card's first button when a card is open). Returns false when there is none. */
    focusFirst() {
      if (this.card) {
        const b = this.cardEl.querySelector("button");
        if (b) {
          b.focus();
          return true;
        }
      }
      if (this.state === "online" && this.warnings.length) {
        this.pinned = true;
        this.collapsed = false;
        this.render();
        const li = this.wrap.querySelector("li:not([hidden])");
        if (li) {
          li.focus();
          return true;
        }
      }
      const bar = this.wrap.querySelector(".toggle");
      if (bar) {
        bar.focus();
        return true;
      }
      return false;
    }

    focusables(scope) {
      return [...scope.querySelectorAll("li[tabindex], button")].filter((n) => !n.hidden && !n.closest("[hidden]") &&
        n.getClientRects().length > 0);
    }

    key(e) {
      e.stopPropagation(); // the console's own shortcuts never see keys meant for the coach
      const inCard = this.cardEl.contains(e.target);
      const scope = inCard ? this.cardEl : this.wrap;
      const list = this.focusables(scope);
      const at = list.indexOf(e.target);
      if (e.key === "Escape") {
        e.preventDefault();
        this.closeCard();
        this.pinned = false;
        this.onEscape();
      } else if (e.key === "Tab") {
        e.preventDefault();
        if (!list.length) return;
        const next = (at + (e.shiftKey ? -1 : 1) + list.length) % list.length;
        list[at < 0 ? 0 : next].focus();
      } else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && e.target.matches?.("li")) {
        e.preventDefault();
        const lis = list.filter((n) => n.matches("li"));
        const i = lis.indexOf(e.target) + (e.key === "ArrowDown" ? 1 : -1);
        if (lis[i]) lis[i].focus();
      } else if ((e.key === "Enter" || e.key === " ") && e.target.matches?.("li")) {
        e.preventDefault();
        this.toggleText(e.target.getAttribute("data-key"));
      }
    }

    /** What has the keyboard focus inside the coach, to find it again after a redraw. */
    focusedControl() {
      const a = this.root.activeElement || this.oroot.activeElement;
      if (!a) return null;
      const holder = a.closest("[data-key]");
      return { key: holder && holder.getAttribute("data-key"), action: a.getAttribute("data-action"),
        index: Number(holder?.getAttribute("data-index") ?? -1), inCard: this.cardEl.contains(a) };
    }

    restoreFocus(was) {
      if (!was) return;
      const scope = was.inCard && !this.cardEl.hidden ? this.cardEl : this.wrap;
      const holder = was.key ? scope.querySelector(`[data-key="${CSS.escape(was.key)}"]`) : null;
      let target = holder && (was.action ? holder.querySelector(`[data-action="${was.action}"]`) : holder);
      if (!target && !was.key && was.action) target = scope.querySelector(`[data-action="${was.action}"]`);
      if (!target || target.hidden) {
        // the remark went away (dismissed, fixed): the next one, else back to the reply box
        const lis = [...this.wrap.querySelectorAll("li:not([hidden])")];
        target = lis[Math.min(Math.max(was.index, 0), lis.length - 1)] || null;
      }
      if (target) target.focus({ preventScroll: true });
      else this.onEscape();
    }

    toggleText(key) {
      if (!key) return;
      if (this.expanded.has(key)) this.expanded.delete(key);
      else this.expanded.add(key);
      this.render();
    }

    // --- mouse -----------------------------------------------------------------------------------------------
    click(e) {
      const target = e.target.closest?.("[data-action]");
      if (!target) return;
      const action = target.getAttribute("data-action");
      if (action === "toggle") {
        const open = this.isOpen();
        this.collapsed = open;
        this.pinned = !open;
        this.render();
      } else if (["page", "back", "open-rest", "fewer"].includes(action)) {
        const shownGroups = new Set([...this.wrap.querySelectorAll("li:not([hidden])")].map((li) => li.dataset.group));
        if (action === "open-rest") {
          this.showAll = true;
          this.first = 0;
          this.render();
          // no more fit than before: the click shows the rest itself (a page on), «‹ назад» goes back
          const now = new Set([...this.wrap.querySelectorAll("li:not([hidden])")].map((li) => li.dataset.group));
          if (now.size <= shownGroups.size && shownGroups.size < this.groups.length) this.first = shownGroups.size;
        } else if (action === "fewer") {
          this.showAll = false;
          this.first = 0;
        } else if (action === "back") {
          this.first = 0;
        } else {
          this.first = Math.min(this.groups.length - 1, this.first + Math.max(1, shownGroups.size));
        }
        this.render();
        if (e.detail === 0) this.wrap.querySelector("li:not([hidden])")?.focus(); // from the keyboard
      } else if (action === "more") {
        this.toggleText(target.closest("li")?.getAttribute("data-key"));
      } else {
        const w = this.warnings[Number(target.getAttribute("data-index"))];
        if (!w) return;
        if (action === "apply") {
          this.closeCard();
          // one fix for the group: each of its remarks is applied
          const group = this.groups.find((g) => g.includes(this.warnings.indexOf(w))) || [];
          const others = group.map((i) => this.warnings[i]).filter((x) => x !== w && x.suggestion === w.suggestion);
          this.onApply(w, others);
        } else if (action === "dismiss") {
          this.setWarnings(this.warnings.filter((x) => x !== w));
          if (this.card) this.card.keys = this.card.keys.filter((k) => k !== w._key);
          this.render();
          this.onDismiss(w);
        }
      }
    }

    hover(e, out = false) {
      const holder = e.target.closest?.("[data-key]");
      const key = out || !holder ? null : holder.getAttribute("data-key");
      if (key === this.hoverKey) return;
      this.hoverKey = key;
      this.paintSpans();
    }

    // --- the clock -------------------------------------------------------------------------------------------
    scheduleTick(on) {
      if (on && !this.tickTimer) {
        this.tickTimer = setInterval(() => this.tick(), 1000);
      } else if (!on && this.tickTimer) {
        clearInterval(this.tickTimer);
        this.tickTimer = null;
      }
    }

    /** Once a second: the chip's time and every timer remark's wording, without a redraw. */
    tick() {
      const waiting = this.waitingSeconds();
      for (const root of [this.root, this.oroot]) {
        const time = root.querySelector("[data-coach-chip] .time");
        if (time && waiting != null) time.textContent = mmss(waiting);
        for (const msg of root.querySelectorAll("[data-timer]")) {
          const w = this.warnings[Number(msg.getAttribute("data-timer"))];
          if (w) msg.textContent = messageOf(w, this.lang);
        }
      }
    }

    destroy() {
      this.scheduleTick(false);
      clearTimeout(this.settleTimer);
      document.removeEventListener("focusin", this.onFocusChange, true);
      document.removeEventListener("focusout", this.onFocusChange, true);
      document.removeEventListener("pointerdown", this.onPointer, true);
      document.removeEventListener("pointerup", this.onPointer, true);
      removeEventListener("scroll", this.onScroll, { capture: true });
      removeEventListener("resize", this.onScroll);
      this.resizeObserver.disconnect();
      this.tracked?.removeEventListener("scroll", this.onListScroll);
      this.marks.clear();
      this.host.remove();
      this.overlay.remove();
    }
  }

  NS.Panel = Panel;
})();
