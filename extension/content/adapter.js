// Reading a console through an adapter: adapters are data (adapters/*.json, or ones a supervisor adds in the
// options page) — selectors and patterns that say where the reply box is, where the messages are, who wrote
// each one and which conversation is open. This file is the code for what data cannot say: matching,
// reading text and times, and the first-seen clock for consoles that show no exact time.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Adapter) return;

  const ROLES = new Set(["client", "operator", "system", "bot", "skip"]);

  function list(value) {
    if (value == null) return [];
    return Array.isArray(value) ? value : [value];
  }

  function regex(pattern) {
    try {
      return new RegExp(pattern);
    } catch {
      return null;
    }
  }

  function query(root, selector) {
    try {
      return root.querySelector(selector);
    } catch {
      return null; // a bad selector in an adapter file must not break the page
    }
  }

  function queryAll(root, selector) {
    try {
      return Array.from(root.querySelectorAll(selector));
    } catch {
      return [];
    }
  }

  function elMatches(el, selector) {
    try {
      return el.matches(selector);
    } catch {
      return false;
    }
  }

  function where() {
    return location.pathname + location.search + location.hash;
  }

  /** Does this (non-fallback) adapter fit the page: any URL pattern matches and every DOM signature exists. */
  function fits(adapter, doc = document) {
    if (adapter.fallback) return false;
    const match = adapter.match || {};
    const urls = list(match.url);
    if (urls.length && !urls.some((p) => regex(p)?.test(where()))) return false;
    const dom = list(match.dom);
    return dom.every((sel) => query(doc, sel));
  }

  function pick(adapters, doc = document) {
    return adapters.find((a) => fits(a, doc)) || null;
  }

  function fallback(adapters) {
    return adapters.find((a) => a.fallback) || null;
  }

  function visible(el) {
    return !!el && el.isConnected && (el.offsetWidth > 0 || el.offsetHeight > 0 || el.getClientRects().length > 0);
  }

  /** The reply box. With `editor_focus` (the generic adapter) only the text box the operator is in. */
  function findEditor(adapter, doc = document, lastFocused = null) {
    const selectors = list(adapter.editor);
    if (adapter.editor_focus) {
      const candidates = [doc.activeElement, lastFocused];
      for (const el of candidates) {
        if (!el || !NS.Editor.isEditable(el)) continue;
        const root = el.isContentEditable && !NS.Editor.isTextControl(el) ? editableRoot(el) : el;
        if (selectors.some((sel) => elMatches(root, sel)) && visible(root)) return root;
      }
      return null;
    }
    for (const sel of selectors) {
      const found = queryAll(doc, sel).find(visible);
      if (found) return found;
    }
    return null;
  }

  function editableRoot(el) {
    let root = el;
    while (root.parentElement && root.parentElement.isContentEditable) root = root.parentElement;
    return root;
  }

  /** A value described by data: {url: "re(1)"} | {selector, attr?} | {page: true} | "literal". */
  const CHANNELS = ["chat", "messenger", "social", "email"];

  /** The conversation's channel (docs/extension.md): a fixed name, or a value read from the page and looked up
   *  in `map` ("whatsapp" → "messenger"); anything else is no channel (the service then assumes a chat). */
  function channelOf(spec, doc = document) {
    if (spec == null) return null;
    let value = valueOf(spec, doc);
    if (value != null && spec && typeof spec === "object" && spec.map) value = spec.map[value] ?? spec.map[value.toLowerCase()] ?? null;
    return CHANNELS.includes(value) ? value : null;
  }

  function valueOf(spec, doc = document) {
    if (spec == null) return null;
    if (typeof spec === "string") return spec;
    if (spec.page) return location.pathname;
    if (spec.url) {
      const m = regex(spec.url)?.exec(where());
      return m ? (m[1] ?? m[0]) : null;
    }
    if (spec.selector) {
      const el = query(doc, spec.selector);
      if (!el) return null;
      const v = spec.attr ? el.getAttribute(spec.attr) : el.textContent;
      return v && v.trim() ? v.trim() : null;
    }
    return null;
  }

  /** The service's chat id: adapter, host and the console's own id, or null when no conversation is open. */
  function chatId(adapter, doc = document) {
    const value = valueOf(adapter.conversation, doc);
    if (!value) return null;
    return `${adapter.id}:${location.host}:${value}`.slice(0, 200);
  }

  function roleOf(item, roles) {
    for (const rule of roles) {
      if (rule.is && !elMatches(item, rule.is)) continue;
      if (rule.has && !query(item, rule.has)) continue;
      if (rule.text) {
        const re = regex(rule.text);
        if (!re || !re.test(item.textContent || "")) continue;
      }
      return ROLES.has(rule.role) ? rule.role : "system";
    }
    return "system";
  }

  function textOf(el) {
    // innerText keeps line breaks (<br>, paragraphs) as the operator sees them
    const text = (el.innerText ?? el.textContent ?? "").replace(/\u00a0/g, " ");
    return text.replace(/[ \t]+\n/g, "\n").trim();
  }

  /**
   * A time of day in text ("12:34", "3:21 PM", "Nov 23, 3:21 PM") as the latest moment it can stand for
   * (the end of that minute, today or — when that is in the future — yesterday), in Unix seconds.
   */
  function clockLatest(text, now = Date.now()) {
    const m = /(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp])?\.?\s*[Mm]?\.?/.exec(text || "");
    if (!m) return null;
    let h = Number(m[1]);
    const min = Number(m[2]);
    const sec = m[3] != null ? Number(m[3]) : 59.999;
    if (m[4]) {
      const pm = m[4].toLowerCase() === "p";
      if (h === 12) h = pm ? 12 : 0;
      else if (pm) h += 12;
    }
    if (h > 23 || min > 59) return null;
    const d = new Date(now);
    d.setHours(h, min, 0, 0);
    let t = d.getTime() + sec * 1000;
    if (t > now + 60_000) t -= 86_400_000;
    return t / 1000;
  }

  /** {exact, latest}: an exact time from an attribute, or the latest moment a shown time of day allows. */
  function timeOf(item, spec) {
    if (!spec) return { exact: null, latest: null };
    const el = spec.selector ? query(item, spec.selector) : item;
    if (!el) return { exact: null, latest: null };
    if (spec.attr) {
      const raw = el.getAttribute(spec.attr);
      if (raw) {
        const n = Number(raw);
        const ms = Number.isFinite(n) ? (n > 1e11 ? n : n * 1000) : Date.parse(raw);
        if (Number.isFinite(ms)) return { exact: ms / 1000, latest: null };
      }
    }
    if (spec.clock) return { exact: null, latest: clockLatest(el.textContent) };
    return { exact: null, latest: null };
  }

  /**
   * The element with a message's own text: the first `text` match that is not inside a quote of another
   * message (`messages.quote` — a reply shows the message it answers, and that is not this message's text).
   */
  function textElement(item, spec, quotes) {
    if (!spec.text) return item;
    return queryAll(item, spec.text).find((el) => !quotes.some((q) => q.contains(el))) || null;
  }

  /** The text of `el` without the quotes inside it (line breaks where the reader sees them). */
  function ownText(el, quotes) {
    const inside = quotes.filter((q) => q !== el && el.contains(q));
    if (!inside.length) return textOf(el);
    let out = "";
    const walk = (node) => {
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (c.nodeType === Node.TEXT_NODE) out += c.data.replace(/\s+/g, " ");
        if (c.nodeType !== Node.ELEMENT_NODE || inside.includes(c)) continue;
        if (c.tagName === "BR") {
          out += "\n";
          continue;
        }
        const block = !getComputedStyle(c).display.startsWith("inline");
        if (block) out += "\n";
        walk(c);
        if (block) out += "\n";
      }
    };
    walk(el);
    return out.replace(/\u00a0/g, " ").replace(/ *\n[\n ]*/g, "\n").trim();
  }

  /**
   * The visible conversation, oldest first: [{key, id, role, text, exact, latest}]. `key` identifies a
   * message across re-renders: the console's id, else role + text + which repetition of it.
   */
  function readMessages(adapter, doc = document) {
    const spec = adapter.messages;
    if (!spec || !spec.item) return [];
    const root = spec.root ? query(doc, spec.root) : doc;
    if (!root) return [];
    const roles = list(spec.roles);
    const quoteSelectors = list(spec.quote);
    const seen = new Map();
    const out = [];
    for (const item of queryAll(root, spec.item)) {
      const role = roleOf(item, roles);
      if (role === "skip") continue;
      const quotes = quoteSelectors.flatMap((sel) => queryAll(item, sel));
      const textEl = textElement(item, spec, quotes);
      if (!textEl) continue;
      const text = ownText(textEl, quotes);
      if (!text) continue;
      const id = spec.id ? valueOfItem(item, spec.id) : null;
      let key = id ? `${id}|${role}` : null;
      if (!key) {
        const base = `${role}|${text}`;
        const n = (seen.get(base) || 0) + 1;
        seen.set(base, n);
        key = `${base}|${n}`;
      }
      const { exact, latest } = timeOf(item, spec.time);
      out.push({ key, id, role, text: text.slice(0, 20000), exact, latest });
    }
    return out.slice(-2000);
  }

  /** The newest message element on screen (the panel must leave it visible), or null. */
  function newestItem(adapter, doc = document) {
    const spec = adapter.messages;
    const root = spec && spec.item ? (spec.root ? query(doc, spec.root) : doc) : null;
    if (!root) return null;
    const items = queryAll(root, spec.item);
    for (let i = items.length - 1; i >= 0; i--) if (visible(items[i])) return items[i];
    return null;
  }

  function valueOfItem(item, spec) {
    const el = spec.selector ? query(item, spec.selector) : item;
    if (!el) return null;
    const v = spec.attr ? el.getAttribute(spec.attr) : el.textContent;
    return v && v.trim() ? v.trim().slice(0, 200) : null;
  }

  function messageRoot(adapter, doc = document) {
    const spec = adapter.messages;
    if (!spec) return null;
    return spec.root ? query(doc, spec.root) : doc.body;
  }

  NS.Adapter = { fits, pick, fallback, findEditor, chatId, readMessages, newestItem, messageRoot, valueOf, channelOf,
    clockLatest, list };
})();
