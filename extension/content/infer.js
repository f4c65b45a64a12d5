// Proposing an adapter from three clicks (the picker, content/picker.js): the reply box, a client's message and
// an operator's. What it writes must survive a re-render and a new build of the console, whose class names are
// often hashes: it prefers stable attributes and ARIA roles, then the page's structure, and uses a class only
// when its name is made of words. Roles are told apart by what differs between the two messages: an attribute,
// the side of the list they stand on, something one of them contains, a class. Everything it proposes is checked
// on the page before it is offered (the two examples must read as what they are).
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Infer) return;
  const A = NS.Adapter;

  // --- what in the DOM is stable ---------------------------------------------------------------------------------
  // classes that say a state (selected, new, hovered…): they come and go on the same message
  const STATE = /(^|[-_])(new|unread|read|seen|selected|active|hover|hovered|focus|focused|highlight|highlighted|editing|pending|open|opened|visible|hidden|show|shown|animat\w*|fade\w*|enter\w*|leave\w*|last|first|odd|even|loading|sending|sent|failed|error)([-_]|$)/i;
  const VOWEL = /[aeiouаеёиоуыэюя]/i;
  const FRAMEWORK = /^(css|sc|jsx|emotion|svelte|tw|_ngcontent|_nghost|ng-tns|data-v)-/;
  // attributes that never identify a kind of element (they vary per element or per moment)
  const IGNORED_ATTRS = new Set(["class", "style", "id", "href", "src", "srcset", "tabindex", "title", "alt", "width",
    "height", "dir", "lang", "aria-labelledby", "aria-describedby", "aria-controls", "aria-owns", "aria-activedescendant",
    "aria-hidden", "aria-busy", "aria-selected", "aria-expanded", "aria-pressed", "aria-checked", "aria-posinset",
    "aria-setsize", "aria-rowindex", "aria-live", "aria-atomic", "draggable", "spellcheck", "autocomplete", "value",
    "datetime", "rows", "cols", "for", "loading", "decoding", "data-reactid", "data-testid-hash"]);

  function cssString(value) {
    return `'${String(value).replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\a ")}'`;
  }

  /** A word-made part of a name: «message», «Bubble», «ProseMirror», «rcx», «4»; not «kF9sd», «bdVaJa», «xkqzt». */
  function wordy(part) {
    if (/^\d{1,3}$/.test(part)) return true;
    if (/^\p{Ll}{1,3}$/u.test(part) || /^\p{Lu}{2,5}$/u.test(part)) return true; // «in», «rcx», «btn», «UI»
    if (/^\p{Ll}+$/u.test(part) || /^\p{Lu}\p{Ll}+$/u.test(part)) return pronounceable(part);
    // CamelCase made of words: every hump a word of three letters or more («ProseMirror», «MessageInReply»)
    const humps = part.match(/\p{Lu}?\p{Ll}+|\p{Lu}+(?!\p{Ll})/gu);
    return !!humps && humps.join("") === part && humps.every((h) => h.length >= 2 && pronounceable(h))
      && humps.filter((h) => h.length < 3).length <= 1;
  }

  /** A word a person would write: a vowel, and never four consonants in a row («ykdzpa», «xkqzt» are hashes). */
  function pronounceable(word) {
    return VOWEL.test(word) && !/[^aeiouаеёиоуыэюя]{4}/i.test(word);
  }

  /** A value that names a kind (a role, a direction, "message") rather than one element (an id, a hash). */
  function categorical(value) {
    const v = String(value).trim();
    if (!v || v.length > 40 || /\d{3,}/.test(v)) return false;
    return v.split(/[\s_:./-]+/).filter(Boolean).every((p) => wordy(p) || /^(true|false)$/.test(p));
  }

  /** An id-like value: it names one element (a message id, a uuid, a hash). */
  function idLike(value) {
    const v = String(value || "");
    if (/\d{2,}/.test(v) || /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(v)) return true;
    return v.length >= 10 && /^[A-Za-z0-9_-]+$/.test(v) && /[A-Z]/.test(v) && /[a-z]/.test(v);
  }

  /**
   * The selectors a class token can give: itself when made of words (`.message-in`), the stable part of a CSS
   * module's name (`[class*='Message_bubble__']` for «Message_bubble__3xYz1»), or none for a hash.
   */
  function classSelectors(token) {
    if (!token || token.length > 48 || FRAMEWORK.test(token) || STATE.test(token)) return [];
    const module = /^([A-Za-z][A-Za-z0-9]*_[A-Za-z][A-Za-z0-9-]*__)[A-Za-z0-9_-]{4,}$/.exec(token);
    if (module) return [`[class*=${cssString(module[1])}]`];
    const parts = token.split(/[-_]+/).filter(Boolean);
    if (!parts.length || !parts.every(wordy)) return [];
    // a CSS-in-JS part anywhere («rcx-css-ykdzpa»), or a generated counter at the end («makeStyles-root-12»)
    if (parts.some((p) => /^(css|sc|jss|emotion|styled)$/i.test(p))) return [];
    if (parts.length >= 3 && /^\d+$/.test(parts[parts.length - 1])) return [];
    return [`.${CSS.escape(token)}`];
  }

  function tagOf(el) {
    return el.tagName.toLowerCase();
  }

  /**
   * Selectors that may name `el` without a hash, most stable first: a stable id, attributes and roles with a
   * value that names a kind, attributes present with per-element values, word-made classes, the tag.
   * `{attrs: false}` leaves out attribute forms, `{tag: false}` the bare tag.
   */
  function selectorsFor(el, { tag = true, ids = true, presence = true } = {}) {
    const t = tagOf(el);
    const out = [];
    if (ids && el.id && !idLike(el.id) && el.id.split(/[-_]+/).every(wordy)) out.push(`#${CSS.escape(el.id)}`);
    const attrs = [...el.attributes].filter((a) => !IGNORED_ATTRS.has(a.name) && !a.name.startsWith("on"));
    // roles and data attributes first: they are what a console's own tests and a11y rely on
    attrs.sort((a, b) => rank(a.name) - rank(b.name));
    for (const a of attrs) {
      if (a.value !== "" && categorical(a.value)) out.push(`${t}[${a.name}=${cssString(a.value)}]`);
    }
    if (presence) {
      for (const a of attrs) if (a.name.startsWith("data-") || a.name === "contenteditable") out.push(`${t}[${a.name}]`);
    }
    for (const token of el.classList) for (const sel of classSelectors(token)) out.push(`${t}${sel}`);
    if (tag) out.push(t);
    return [...new Set(out)];
  }

  function rank(name) {
    if (name === "role") return 0;
    if (/^data-(qa|test|testid|cy|e2e)/.test(name)) return 1;
    if (name === "name" || name === "type") return 2;
    if (name.startsWith("data-")) return 3;
    if (name.startsWith("aria-")) return 4;
    return 5;
  }

  function firstVisible(root, selector) {
    return A.queryAll(root, selector).find(A.visible) || null;
  }

  // --- structure -----------------------------------------------------------------------------------------------
  function lca(a, b) {
    const up = new Set();
    for (let e = a; e; e = e.parentElement) up.add(e);
    for (let e = b; e; e = e.parentElement) if (up.has(e)) return e;
    return null;
  }

  /** The child of `ancestor` on the way down to `el`. */
  function childToward(ancestor, el) {
    let e = el;
    while (e && e.parentElement !== ancestor) e = e.parentElement;
    return e;
  }

  /** `tag:nth-of-type(k)` of `el` among its siblings (the bare tag when it is the only one of its kind). */
  function step(el) {
    const t = tagOf(el);
    const same = [...el.parentElement.children].filter((c) => c.tagName === el.tagName);
    return same.length === 1 ? t : `${t}:nth-of-type(${same.indexOf(el) + 1})`;
  }

  /** A selector for `target` unique in the document: its own stable selector, else the nearest ancestor with one
   *  and the structural path down from it (`[role='main'] > div:nth-of-type(2) > div`). */
  function uniqueSelector(target, doc = document) {
    for (const sel of selectorsFor(target, { tag: false, presence: false })) {
      if (A.queryAll(doc, sel).length === 1) return sel;
    }
    const path = [];
    for (let e = target; e && e !== doc.documentElement; e = e.parentElement) {
      const parent = e.parentElement;
      if (!parent) break;
      path.unshift(step(e));
      if (parent === doc.body) return `body > ${path.join(" > ")}`;
      for (const sel of selectorsFor(parent, { tag: false, presence: false })) {
        if (A.queryAll(doc, sel).length === 1) {
          const full = `${sel} > ${path.join(" > ")}`;
          if (A.queryAll(doc, full)[0] === target) return full;
        }
      }
    }
    return null;
  }

  // --- the reply box ---------------------------------------------------------------------------------------------
  function editorRoot(el) {
    if (!el) return null;
    if (NS.Editor.isTextControl(el)) return el;
    const editable = el.closest("[contenteditable]:not([contenteditable='false'])");
    return editable ? A.editableRoot(editable) : null;
  }

  function editorSelectors(editor, doc = document) {
    const found = selectorsFor(editor, { presence: false }).filter((sel) => firstVisible(doc, sel) === editor);
    if (!found.length) {
      const unique = uniqueSelector(editor, doc);
      if (unique) found.push(unique);
    }
    return found.slice(0, 2);
  }

  // --- messages --------------------------------------------------------------------------------------------------
  const CLOCK = /^\s*(?:[^\d\s]{1,12}\s+)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?\s?[Mm]\.?)?\s*$/;
  const CLOCK_INSIDE = /\b\d{1,2}:\d{2}\b/; // a tooltip «03.03.2025, 14:32:45»
  const TIME_ATTRS = ["datetime", "data-time", "data-timestamp", "data-ts", "data-date", "title"];
  const PARAGRAPHS = new Set(["P", "UL", "OL", "PRE", "BLOCKQUOTE", "H1", "H2", "H3", "H4", "H5", "H6", "TABLE"]);

  function parseableTime(raw) {
    if (!raw) return false;
    const v = raw.trim();
    return /^\d{10}(\d{3})?$/.test(v) || /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v);
  }

  /** The element with a message's time: a <time>, an element with a machine-readable time attribute, or a leaf
   *  showing a clock («14:03», «3:21 PM»). */
  function timeElementIn(item, exclude = null) {
    const inside = (el) => exclude && exclude !== item && exclude.contains(el);
    const times = A.queryAll(item, "time").filter((el) => !inside(el));
    if (times.length) return times[0];
    for (const el of A.queryAll(item, "*")) {
      if (inside(el)) continue;
      for (const name of TIME_ATTRS) {
        if (parseableTime(el.getAttribute(name))) return el;
      }
    }
    return A.queryAll(item, "*").find((el) => !inside(el) && el.children.length === 0 && CLOCK.test(el.textContent || ""))
      || A.queryAll(item, "[title]").find((el) => !inside(el) && CLOCK_INSIDE.test(el.getAttribute("title")))
      || null;
  }

  /**
   * The element holding a message's own text, from where the supervisor clicked: up from the click while the
   * parent adds nothing but more of the same text (paragraphs of one message), never taking in the time.
   */
  function textContainer(target, item, timeEl) {
    let cur = target.nodeType === Node.TEXT_NODE ? target.parentElement : target;
    if (!cur || cur === item || !item.contains(cur)) return item;
    if (timeEl && cur.contains(timeEl)) return cur === item ? item : cur;
    while (cur.parentElement && cur.parentElement !== item) {
      const parent = cur.parentElement;
      if (timeEl && parent.contains(timeEl)) break;
      const same = (parent.textContent || "").trim() === (cur.textContent || "").trim();
      // more paragraphs of the same message (not a header beside it: only text blocks count as paragraphs)
      const paragraphs = PARAGRAPHS.has(cur.tagName) && [...parent.children].every((c) => PARAGRAPHS.has(c.tagName)) &&
        [...parent.childNodes].every((n) => n.nodeType !== Node.TEXT_NODE || !n.data.trim());
      if (!same && !paragraphs) break;
      cur = parent;
    }
    return cur;
  }

  /** Selectors (inside an item) that find `el`: its own stable ones, then its path from the item. */
  function innerSelectors(el, item) {
    const out = selectorsFor(el, { ids: false });
    const path = [];
    for (let e = el; e && e !== item; e = e.parentElement) path.unshift(e);
    if (path.length) {
      out.push(`:scope > ${path.map(step).join(" > ")}`);
      out.push(`:scope > ${path.map(tagOf).join(" > ")}`);
      out.push(path.map(tagOf).join(" "));
    }
    return [...new Set(out)];
  }

  /** The first selector that finds, in each item, the element given for it. */
  function commonInner(pairs) {
    const [first] = pairs;
    for (const sel of innerSelectors(first.el, first.item)) {
      if (pairs.every(({ item, el }) => A.textElement(item, { text: sel }, []) === el)) return sel;
    }
    return null;
  }

  /** The elements that hold just the message's text: the container and its descendants with the same text. */
  function sameText(container, target) {
    const text = (container.textContent || "").trim();
    const out = [];
    for (let e = target.nodeType === Node.TEXT_NODE ? target.parentElement : target; e; e = e.parentElement) {
      if ((e.textContent || "").trim() === text) out.unshift(e);
      if (e === container) break;
    }
    return out.length ? out : [container];
  }

  /**
   * A selector for the message's own text, alike in both examples: a stable one of any element that holds just
   * the text (a word-made class like `.prose-bubble` may sit a level or two below the container), else the
   * container's path from the item.
   */
  function textSelector(examples) {
    const [first] = examples;
    const holds = (item, chain, sel) => chain.includes(A.textElement(item, { text: sel }, []));
    // the innermost element that holds just the text first: it is the text itself, not a bubble around it that
    // may also hold a quote in other messages
    for (const el of [...first.chain].reverse()) {
      for (const sel of selectorsFor(el, { ids: false, tag: false })) {
        if (examples.every(({ item, chain }) => holds(item, chain, sel))) return sel;
      }
    }
    return commonInner(examples.map(({ item, chain }) => ({ item, el: chain[0] })));
  }

  /** Where a message quotes another (a reply's preview), the quote's element: a <blockquote>, or an element named
   *  for it (quote, reply, cite) around an earlier match of the text selector than the message's own. */
  function quoteSelector(items, textSel) {
    const found = new Set();
    for (const item of items) {
      const matches = A.queryAll(item, textSel);
      for (const m of matches.slice(0, -1)) {
        for (let e = m; e && e !== item; e = e.parentElement) {
          if (e.tagName === "BLOCKQUOTE") {
            found.add("blockquote");
            continue;
          }
          const named = selectorsFor(e, { ids: false, tag: false, presence: false })
            .filter((sel) => /quot|repl|cite|parent/i.test(sel));
          if (named.length) found.add(named[0]);
        }
      }
    }
    return [...found];
  }

  /** The item selector for two messages (children of their common ancestor). */
  function itemSelector(list, ci, oi) {
    const both = selectorsFor(ci, { ids: false, tag: false }).filter((s) => selectorsFor(oi, { ids: false }).includes(s));
    // the structure before a bare tag: the list's own children, then any such tag inside it
    const candidates = ci.tagName === oi.tagName ? [...both, `:scope > ${tagOf(ci)}`, tagOf(ci)] : both;
    for (const sel of candidates) {
      const found = A.queryAll(list, sel);
      if (!found.includes(ci) || !found.includes(oi)) continue;
      if (found.some((a) => found.some((b) => a !== b && a.contains(b)))) continue; // a group around messages
      return sel;
    }
    return null;
  }

  /** The list's selector: the common ancestor itself when it has a stable name, else the nearest ancestor with one
   *  that holds no other matches of the item selector, else a structural path. */
  function listSelector(list, itemSel, doc = document) {
    const structural = itemSel.startsWith(":scope");
    const count = A.queryAll(list, itemSel).length;
    for (let e = list; e && e !== doc.body; e = e.parentElement) {
      for (const sel of selectorsFor(e, { tag: false, presence: false })) {
        if (A.queryAll(doc, sel)[0] !== e) continue;
        if (e === list) return sel;
        if (!structural && A.queryAll(e, itemSel).length === count) return sel;
      }
    }
    return uniqueSelector(list, doc);
  }

  // --- roles -----------------------------------------------------------------------------------------------------
  const ROLE_WORDS = [
    ["skip", /note|private|internal|whisper|hidden/i],
    ["bot", /bot|auto|robot|assistant|template/i],
    ["system", /system|event|info|activity|notice|status|service/i],
    ["operator", /agent|operator|outgoing|out|own|self|me|staff|user_agent|sent/i],
    ["client", /client|customer|visitor|contact|guest|incoming|in|user/i],
  ];

  /** The features a message has outside its text: selectors of its descendants (attribute forms and tags that are
   *  not inline text), to tell which kind of message has something the other has not. */
  function features(item, text) {
    const out = new Set();
    for (const d of A.queryAll(item, "*")) {
      if (text && text !== item && text.contains(d)) continue;
      for (const sel of selectorsFor(d, { ids: false })) {
        if (/^(a|b|i|u|s|em|strong|span|p|br|div|code|small|sup|sub|mark|ul|ol|li)$/.test(sel)) continue;
        out.add(sel);
      }
    }
    return out;
  }

  function attrRules(ci, oi) {
    const names = new Set([...ci.getAttributeNames(), ...oi.getAttributeNames()]);
    for (const name of [...names].sort((a, b) => rank(a) - rank(b))) {
      if (IGNORED_ATTRS.has(name) || name.startsWith("on")) continue;
      const vc = ci.getAttribute(name);
      const vo = oi.getAttribute(name);
      if (vc === vo) continue;
      if (vc != null && vo != null) {
        if (!categorical(vc) || !categorical(vo)) continue;
        return { how: `атрибут ${name}`, rules: [{ role: "client", is: `[${name}=${cssString(vc)}]` },
          { role: "operator", is: `[${name}=${cssString(vo)}]` }], attr: name };
      }
      if (!name.startsWith("data-") && !name.startsWith("aria-") && name !== "role") continue;
      const [has, other] = vo != null ? ["operator", "client"] : ["client", "operator"];
      return { how: `атрибут ${name}`, rules: [{ role: has, is: `[${name}]` }, { role: other, is: `:not([${name}])` }] };
    }
    return null;
  }

  function featureRules(ci, oi, textC, textO) {
    const fc = features(ci, textC);
    const fo = features(oi, textO);
    const onlyO = [...fo].filter((s) => !fc.has(s) && !A.query(ci, s));
    const onlyC = [...fc].filter((s) => !fo.has(s) && !A.query(oi, s));
    const best = (list) => list.find((s) => s.includes("[")) || list.find((s) => !s.includes(".")) || list[0] || null;
    const so = best(onlyO);
    const sc = best(onlyC);
    if (!so && !sc) return null;
    const rules = [];
    if (so) rules.push({ role: "operator", has: so });
    if (sc) rules.push({ role: "client", has: sc });
    if (!sc) rules.push({ role: "client", is: `:not(:has(${so}))` });
    else if (!so) rules.push({ role: "operator", is: `:not(:has(${sc}))` });
    return { how: `есть только у ${so ? "оператора" : "клиента"}: ${so || sc}`, rules };
  }

  function classRules(ci, oi) {
    const stable = (el) => new Set([...el.classList].flatMap(classSelectors));
    const cc = stable(ci);
    const co = stable(oi);
    const onlyC = [...cc].filter((s) => !co.has(s));
    const onlyO = [...co].filter((s) => !cc.has(s));
    if (!onlyC.length && !onlyO.length) return null;
    const rules = [];
    if (onlyO.length) rules.push({ role: "operator", is: onlyO[0] });
    if (onlyC.length) rules.push({ role: "client", is: onlyC[0] });
    if (!onlyC.length) rules.push({ role: "client", is: `:not(${onlyO[0]})` });
    if (!onlyO.length) rules.push({ role: "operator", is: `:not(${onlyC[0]})` });
    return { how: `класс ${onlyO[0] || onlyC[0]}`, rules };
  }

  /** Other values of a role attribute on the page («bot», «note»): their role from the value's words. */
  function moreValues(attr, root, itemSel, known) {
    const out = [];
    const seen = new Set(known);
    for (const item of A.queryAll(root, itemSel)) {
      const v = item.getAttribute(attr);
      if (v == null || seen.has(v) || !categorical(v)) continue;
      seen.add(v);
      const role = ROLE_WORDS.find(([, re]) => re.test(v))?.[0];
      if (role === "skip" || role === "bot" || role === "system") out.push({ role, is: `[${attr}=${cssString(v)}]` });
    }
    return out;
  }

  // --- the page's address ----------------------------------------------------------------------------------------
  function escapeRe(s) {
    return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }

  /** From the address: a pattern for `match.url` and where the conversation's id is (`conversation.url`): the
   *  last part of the path, query or hash that looks like an id («/c/7f3e…», «?chat=4821», «#/dialog/88»). */
  function urlSpec(loc = location) {
    const tokens = (loc.pathname + loc.search + loc.hash).split(/([/?#&=])/);
    const sep = (t) => /^[/?#&=]$/.test(t);
    const esc = (t) => (t && !sep(t) && idLike(t) ? "[^/?#&]+" : escapeRe(t));
    let last = -1;
    tokens.forEach((t, i) => {
      if (t && !sep(t) && idLike(t)) last = i;
    });
    if (last < 0) return { match: `^${escapeRe(loc.pathname)}`, conversation: { page: true }, byPage: true };
    const head = tokens.slice(0, last).map(esc).join("");
    const before = tokens.slice(Math.max(0, last - 3), last).map(esc).join("");
    return { match: `^${head}[^/?#&]+`, conversation: { url: `${before}([^/?#&]+)` } };
  }

  function slug(text) {
    return String(text).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "console";
  }

  // --- the proposal ----------------------------------------------------------------------------------------------
  /**
   * An adapter from the three picks: {editor, client, operator} are the elements clicked. Returns {adapter,
   * notes, problems}: `notes` say (in Russian) how each part was found, `problems` what could not be.
   */
  function propose(picks, { doc = document, name = null, id = null } = {}) {
    const problems = [];
    const notes = [];
    const editor = editorRoot(picks.editor);
    if (!editor) problems.push("Поле ответа: щёлкните туда, где оператор пишет ответ (поле ввода).");
    if (!picks.client || !picks.operator) problems.push("Нужны сообщение клиента и сообщение оператора.");
    if (problems.length) return { adapter: null, notes, problems };
    if (picks.client === picks.operator || picks.client.contains(picks.operator) || picks.operator.contains(picks.client)) {
      return { adapter: null, notes, problems: ["Сообщения клиента и оператора — это один и тот же элемент: выберите два разных сообщения."] };
    }
    const editorSel = editorSelectors(editor, doc);
    if (!editorSel.length) problems.push("Поле ответа не удалось описать без меняющихся классов.");

    const list = lca(picks.client, picks.operator);
    const ci = childToward(list, picks.client);
    const oi = childToward(list, picks.operator);
    const itemSel = list && ci && oi ? itemSelector(list, ci, oi) : null;
    if (!itemSel) {
      problems.push("Не удалось найти общий вид у двух сообщений: выберите сообщения из одного списка.");
      return { adapter: null, notes, problems };
    }
    const rootSel = listSelector(list, itemSel, doc);
    if (!rootSel) problems.push("Список сообщений не удалось описать.");
    notes.push(`Список: ${rootSel}; сообщение: ${itemSel}`);

    const timeC = timeElementIn(ci);
    const timeO = timeElementIn(oi);
    const textC = textContainer(picks.client, ci, timeC);
    const textO = textContainer(picks.operator, oi, timeO);
    let textSel = null;
    if (textC !== ci || textO !== oi) {
      textSel = textSelector([{ item: ci, chain: sameText(textC, picks.client) },
        { item: oi, chain: sameText(textO, picks.operator) }]);
      if (!textSel) notes.push("Текст: целиком из сообщения (у текста нет общего признака).");
      else notes.push(`Текст: ${textSel}`);
    }

    const spec = { root: rootSel, item: itemSel };
    if (textSel) {
      spec.text = textSel;
      const quote = quoteSelector(A.queryAll(list, itemSel), textSel);
      if (quote.length) {
        spec.quote = quote;
        notes.push(`Цитаты (не текст клиента): ${quote.join(", ")}`);
      }
    }

    // message ids: an attribute every message has with a value of its own
    const all = A.queryAll(list, itemSel);
    for (const name of ci.getAttributeNames().sort((a, b) => Number(!/id|key/i.test(b)) - Number(!/id|key/i.test(a)))) {
      if (name === "class" || name === "style") continue;
      const values = all.map((el) => el.getAttribute(name));
      if (values.every((v) => v && idLike(v)) && new Set(values).size === values.length && all.length > 1) {
        spec.id = { attr: name };
        break;
      }
    }

    const times = [[ci, timeC], [oi, timeO]].filter(([, t]) => t);
    if (times.length) {
      const sel = commonInner(times.map(([item, el]) => ({ item, el })));
      const el = times[0][1];
      if (sel) {
        const time = { selector: sel };
        const attr = TIME_ATTRS.find((a) => parseableTime(el.getAttribute(a)))
          || (!CLOCK.test(el.textContent || "") && CLOCK_INSIDE.test(el.getAttribute("title") || "") ? "title" : null);
        if (attr) time.attr = attr;
        if (!attr || !parseableTime(el.getAttribute(attr))) time.clock = true;
        spec.time = time;
        notes.push(`Время: ${sel}${attr ? ` (${attr})` : " — время суток"}`);
      }
    } else {
      notes.push("Время: не показано — коуч засекает, когда сообщение появилось.");
    }

    // roles: an attribute, the side, something only one has, a class
    const root = A.query(doc, rootSel) || list;
    // the side is measured on what the adapter will read as the text (the whole message when there is no text
    // selector: then a full-width row tells nothing)
    const bubbleC = A.textElement(ci, spec, []) || ci;
    const bubbleO = A.textElement(oi, spec, []) || oi;
    const how = attrRules(ci, oi) || sideRules(ci, oi, bubbleC, bubbleO, root) || featureRules(ci, oi, textC, textO) ||
      classRules(ci, oi);
    if (!how) {
      problems.push("Не видно, чем сообщение клиента отличается от сообщения оператора: выберите другие два сообщения.");
      return { adapter: null, notes, problems };
    }
    const roles = [...how.rules];
    if (how.attr) roles.unshift(...moreValues(how.attr, list, itemSel, [ci.getAttribute(how.attr), oi.getAttribute(how.attr)]));
    roles.push({ role: "system" });
    spec.roles = roles;
    notes.push(`Роли: ${how.how}`);

    const url = urlSpec(doc.defaultView ? doc.defaultView.location : location);
    if (url.byPage) notes.push("Разговор: по адресу страницы (в адресе нет номера диалога).");
    const host = (doc.defaultView ? doc.defaultView.location : location).host;
    const adapter = {
      id: id || `custom-${slug(host.replace(/:\d+$/, ""))}`,
      name: name || (doc.title || host).slice(0, 80),
      about: `Настроен щелчками на ${host} ${new Date().toISOString().slice(0, 10)}.`,
      match: { url: [url.match], dom: [rootSel, editorSel[0]].filter(Boolean) },
      editor: editorSel.length > 1 ? editorSel : editorSel[0],
      conversation: url.conversation,
      messages: spec,
    };

    // the examples must read as what they are
    const rC = A.roleOf(ci, roles, bubbleC, root);
    const rO = A.roleOf(oi, roles, bubbleO, root);
    if (rC !== "client") problems.push(`Сообщение клиента читается как «${rC}»: выберите другие сообщения.`);
    if (rO !== "operator") problems.push(`Сообщение оператора читается как «${rO}»: выберите другие сообщения.`);
    return { adapter, notes, problems };
  }

  function sideRules(ci, oi, textC, textO, root) {
    const sc = A.sideOf(ci, textC === ci ? null : textC, root);
    const so = A.sideOf(oi, textO === oi ? null : textO, root);
    if (!sc || !so || sc === so) return null;
    const rules = [{ role: "client", side: sc }, { role: "operator", side: so }];
    if (sc !== "center" && so !== "center") rules.push({ role: "system", side: "center" });
    const name = { left: "слева", right: "справа", center: "по центру" };
    return { how: `клиент ${name[sc]}, оператор ${name[so]}`, rules };
  }

  NS.Infer = { propose, editorRoot, selectorsFor, classSelectors, categorical, idLike, urlSpec, uniqueSelector,
    timeElementIn, textContainer };
})();
