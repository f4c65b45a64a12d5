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

  /** The reply box. With `editor_focus` (the generic adapter, consoles with several chats side by side) only
   *  the text box the operator is in, or was in last. */
  function findEditor(adapter, doc = document, lastFocused = null) {
    const found = findEditorNow(adapter, doc, lastFocused);
    if (found) lastEditors.set(adapter, found);
    return found;
  }

  function findEditorNow(adapter, doc, lastFocused) {
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

  // The reply box each adapter found last: an adapter with `scope` (a console showing several chats at once,
  // each with its own reply box) reads the conversation inside the scope element around it.
  const lastEditors = new WeakMap();

  /** Where the adapter's conversation lives: the document, or with `scope` the element of that selector around
   *  the reply box found last (null while there is none). */
  function scopeOf(adapter, doc = document) {
    if (!adapter.scope) return doc;
    const editor = lastEditors.get(adapter);
    if (!editor || !editor.isConnected || editor.ownerDocument !== (doc.ownerDocument || doc)) return null;
    try {
      return editor.closest(adapter.scope);
    } catch {
      return null;
    }
  }

  function editableRoot(el) {
    let root = el;
    while (root.parentElement && root.parentElement.isContentEditable) root = root.parentElement;
    return root;
  }

  const CHANNELS = ["chat", "messenger", "social", "email"];

  /** The conversation's channel (docs/extension.md): a fixed name, or a value read from the page and looked up
   *  in `map` ("whatsapp" → "messenger"); anything else is no channel (the service then assumes a chat). */
  function channelOf(spec, doc = document) {
    if (spec == null) return null;
    let value = valueOf(spec, doc);
    if (value != null && spec && typeof spec === "object" && spec.map) value = spec.map[value] ?? spec.map[value.toLowerCase()] ?? null;
    return CHANNELS.includes(value) ? value : null;
  }

  /** A value described by data: {url: "re(1)"} | {selector, attr?, pattern?} | {page: true} | "literal";
   *  `pattern` keeps group 1 (else the whole match) of a regular expression on what the selector gave. */
  function valueOf(spec, doc = document) {
    if (spec == null) return null;
    if (typeof spec === "string") return spec;
    if (spec.page) return location.pathname;
    if (spec.url) {
      const m = regex(spec.url)?.exec(where());
      return m ? (m[1] ?? m[0]) : null;
    }
    if (spec.selector) {
      const el = doc && query(doc, spec.selector);
      if (!el) return null;
      let v = spec.attr ? el.getAttribute(spec.attr) : el.textContent;
      if (v && spec.pattern) {
        const m = regex(spec.pattern)?.exec(v);
        v = m ? (m[1] ?? m[0]) : null;
      }
      return v && v.trim() ? v.trim() : null;
    }
    return null;
  }

  /** The service's chat id: adapter, host and the console's own id, or null when no conversation is open. */
  function chatId(adapter, doc = document) {
    const scope = scopeOf(adapter, doc);
    if (!scope) return null;
    const value = valueOf(adapter.conversation, scope);
    if (!value) return null;
    return `${adapter.id}:${location.host}:${value}`.slice(0, 200);
  }

  /** `has`: a selector an item contains, or {selector, text}: such an element whose own text matches `text`
   *  (a role tag «Bot», a badge) — the text of one element, not of the whole message. */
  function hasMatch(item, has) {
    if (typeof has === "string") return !!query(item, has);
    if (!has || typeof has !== "object" || !has.selector) return false;
    const re = has.text != null ? regex(has.text) : null;
    if (has.text != null && !re) return false;
    return queryAll(item, has.selector).some((el) => !re || re.test((el.textContent || "").trim()));
  }

  /**
   * Which side of the message list a message stands on — "left", "right" or "center" — from where its bubble
   * (its text element, else the item) sits between the list's edges: the one difference between the client's
   * and the operator's messages that survives a console's hashed class names. null when either has no box.
   */
  function sideOf(item, bubble, root) {
    const box = (bubble || item).getBoundingClientRect();
    const frame = (root && root.nodeType === Node.ELEMENT_NODE ? root : item.parentElement || item).getBoundingClientRect();
    if (!box.width || !frame.width) return null;
    const left = box.left - frame.left;
    const right = frame.right - box.right;
    if (Math.abs(left - right) <= Math.max(8, frame.width * 0.06)) return "center";
    return left > right ? "right" : "left";
  }

  function roleOf(item, roles, bubble = null, root = null) {
    let side;
    for (const rule of roles) {
      if (rule.is && !elMatches(item, rule.is)) continue;
      if (rule.has && !hasMatch(item, rule.has)) continue;
      if (rule.text) {
        const re = regex(rule.text);
        if (!re || !re.test(item.textContent || "")) continue;
      }
      if (rule.side) {
        if (side === undefined) side = sideOf(item, bubble, root);
        if (side !== rule.side) continue;
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
    const sec = m[3] != null ? Number(m[3]) + 0.999 : 59.999; // the end of that second, or of that minute
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
    let raw = null;
    if (spec.attr) {
      raw = el.getAttribute(spec.attr);
      if (raw) {
        // Unix s/ms or ISO 8601 only: Date.parse guesses at local formats («21.12.2026, 14:32») and guesses wrong
        const n = Number(raw);
        const ms = Number.isFinite(n) ? (n > 1e11 ? n : n * 1000)
          : /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw.trim()) ? Date.parse(raw.trim()) : NaN;
        if (Number.isFinite(ms)) return { exact: ms / 1000, latest: null };
      }
    }
    // a clock in the attribute (a tooltip «12/30/2024 2:32 PM») when it is not a full date, else in the text
    if (spec.clock) return { exact: null, latest: clockLatest(raw) ?? clockLatest(el.textContent) };
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
    const root = listRoot(adapter, doc);
    if (!root) return [];
    const roles = list(spec.roles);
    const quoteSelectors = list(spec.quote);
    const seen = new Map();
    const out = [];
    for (const item of queryAll(root, spec.item)) {
      const quotes = quoteSelectors.flatMap((sel) => queryAll(item, sel));
      const textEl = textElement(item, spec, quotes);
      const role = roleOf(item, roles, textEl, root);
      if (role === "skip") continue;
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
    const root = spec && spec.item ? listRoot(adapter, doc) : null;
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

  /** The message list (`messages.root` inside the adapter's scope), or the scope itself. */
  function listRoot(adapter, doc = document) {
    const scope = scopeOf(adapter, doc);
    if (!scope) return null;
    return adapter.messages.root ? query(scope, adapter.messages.root) : scope;
  }

  function messageRoot(adapter, doc = document) {
    const spec = adapter.messages;
    if (!spec) return null;
    const root = listRoot(adapter, doc);
    return root && root.nodeType === Node.DOCUMENT_NODE ? root.body : root;
  }

  NS.Adapter = { fits, pick, fallback, findEditor, chatId, readMessages, newestItem, messageRoot, valueOf, channelOf,
    clockLatest, list, query, queryAll, visible, editableRoot, roleOf, sideOf, textElement }; // from query on: infer.js
})();
