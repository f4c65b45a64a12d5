// Where the panel goes. An adapter may name a dock — a place in the console's own layout, next to the reply
// box (`"dock": {"before": ".reply-box"}`) — and the panel joins that layout: the console makes room, nothing
// is covered. Without one (the generic adapter) the panel floats in free space beside the reply box: a spot
// that covers neither the editor, nor the newest message, nor a control or text of the console.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Place) return;

  const GAP = 8;
  const MAX_ELEMENTS = 6000; // a huge console is sampled, not walked whole, on each layout change
  const CONTROLS = "a[href], button, input, select, textarea, summary, label, [contenteditable=''], " +
    "[contenteditable='true'], [contenteditable='plaintext-only'], [role='button'], [role='link'], [role='tab'], " +
    "[role='menuitem'], [role='checkbox'], [role='switch'], [tabindex]:not([tabindex='-1'])";
  const MEDIA = new Set(["IMG", "SVG", "VIDEO", "CANVAS", "IFRAME", "OBJECT", "EMBED", "svg"]);

  function query(selector, root = document) {
    try {
      return root.querySelector(selector);
    } catch {
      return null;
    }
  }

  /** {el, where} — the console element the panel is inserted before or after — or null. */
  function dockAnchor(adapter, editor) {
    const spec = adapter && adapter.dock;
    if (!spec || !editor) return null;
    const where = spec.before ? "before" : spec.after ? "after" : null;
    const selector = spec.before || spec.after;
    if (!where) return null;
    let el = null;
    try {
      el = editor.closest(selector);
    } catch { /* a bad selector in an adapter must not break the page */ }
    el ||= query(selector);
    return el && el.isConnected ? { el, where } : null;
  }

  /** The scrolling box that shows the conversation (the message list or the nearest scroller above it). */
  function scrollerOf(el) {
    for (let node = el; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
      const oy = getComputedStyle(node).overflowY;
      if (oy === "auto" || oy === "scroll") return node;
    }
    return null;
  }

  /**
   * The reply box as the operator sees it: the editor, or the framed box around it (a card, a composer with a
   * border or its own background) when that frame is not much bigger — the panel goes beside the frame.
   */
  function frameOf(editor) {
    const own = editor.getBoundingClientRect();
    const vh = document.documentElement.clientHeight;
    let frame = own;
    let node = editor.parentElement;
    for (let depth = 0; node && node !== document.body && depth < 6; depth++, node = node.parentElement) {
      const r = node.getBoundingClientRect();
      if (r.width > own.width + 160 || r.height > Math.max(own.height + 300, vh * 0.6)) break;
      const cs = getComputedStyle(node);
      const framed = parseFloat(cs.borderLeftWidth) > 0 || parseFloat(cs.borderRightWidth) > 0 ||
        cs.boxShadow !== "none" || (NS.Theme.parseColor(cs.backgroundColor)?.[3] ?? 0) > 0.5;
      if (framed) frame = r;
    }
    return frame;
  }

  function intersects(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function inflate(r, d) {
    return { left: r.left - d, top: r.top - d, right: r.right + d, bottom: r.bottom + d };
  }

  function ownTextRects(el) {
    const out = [];
    for (let n = el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType !== Node.TEXT_NODE || !n.data.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      for (const r of range.getClientRects()) if (r.width && r.height) out.push(r);
    }
    return out;
  }

  /**
   * What the panel must not cover, as viewport rectangles: the editor, the newest message, every visible
   * control, text and picture of the console (not the coach's own hosts).
   */
  function obstacles({ editor, newest, own }) {
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    const view = { left: 0, top: 0, right: vw, bottom: vh };
    const out = [];
    if (editor) out.push(inflate(editor.getBoundingClientRect(), 4));
    if (newest) out.push(inflate(newest.getBoundingClientRect(), 4));
    const all = document.body ? document.body.getElementsByTagName("*") : [];
    const n = Math.min(all.length, MAX_ELEMENTS);
    for (let i = 0; i < n; i++) {
      const el = all[i];
      if (own.includes(el)) continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || !intersects(r, view)) continue;
      let control = false;
      try {
        control = el.matches(CONTROLS);
      } catch { /* never */ }
      if (control || MEDIA.has(el.tagName)) {
        if (el.checkVisibility?.({ visibilityProperty: true }) !== false) out.push(r);
      } else {
        for (const t of ownTextRects(el)) if (intersects(t, view)) out.push(t);
      }
    }
    return out;
  }

  /**
   * A free spot near the editor's rectangle for a box of one of `sizes` ({width, height}, widest first): beside
   * the editor, then above or below it, right-aligned first; at each place the widest size that fits. `prefer`
   * (the last spot) wins while it is still free, so the panel does not hop. Returns {left, top, width} or null.
   */
  function freeSpot(editorRect, sizes, blocked, prefer = null) {
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    const E = editorRect;
    const places = [
      (w, h) => ({ left: E.right + GAP, top: E.bottom - h }),
      (w, h) => ({ left: E.right + GAP, top: E.top }),
      (w, h) => ({ left: E.left - GAP - w, top: E.bottom - h }),
      (w, h) => ({ left: E.left - GAP - w, top: E.top }),
      (w, h) => ({ left: E.right - w, top: E.top - GAP - h }),
      (w, h) => ({ left: E.left, top: E.top - GAP - h }),
      (w, h) => ({ left: E.right - w, top: E.bottom + GAP }),
      (w, h) => ({ left: E.left, top: E.bottom + GAP }),
    ];
    const free = (left, top, w, h) => {
      const box = { left, top, right: left + w, bottom: top + h };
      if (box.left < GAP / 2 || box.top < GAP / 2 || box.right > vw - GAP / 2 || box.bottom > vh - GAP / 2) return false;
      return !blocked.some((o) => intersects(box, o));
    };
    if (prefer) {
      const size = sizes.find((s) => s.width === prefer.width);
      if (size && free(prefer.left, prefer.top, size.width, size.height)) return { ...prefer };
    }
    for (const place of places) {
      for (const { width: w, height: h } of sizes) {
        const p = place(w, h);
        const top = Math.max(GAP, Math.min(p.top, vh - h - GAP));
        if (free(p.left, top, w, h)) return { left: p.left, top, width: w };
      }
    }
    return null;
  }

  /** Where a box covers the least of what matters, when no spot is free (a tiny window). */
  function leastCovering(editorRect, size, blocked) {
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    const { width: w, height: h } = size;
    let best = null;
    for (let top = GAP; top <= vh - h - GAP; top += 16) {
      for (let left = GAP; left <= vw - w - GAP; left += 16) {
        const box = { left, top, right: left + w, bottom: top + h };
        let covered = 0;
        for (const o of blocked) {
          if (!intersects(box, o)) continue;
          covered += (Math.min(box.right, o.right) - Math.max(box.left, o.left)) *
            (Math.min(box.bottom, o.bottom) - Math.max(box.top, o.top));
        }
        const far = Math.abs(top + h / 2 - (editorRect.top + editorRect.height / 2)) / 1000;
        if (!best || covered + far < best.score) best = { left, top, score: covered + far };
      }
    }
    return best ? { left: best.left, top: best.top } : { left: GAP, top: GAP };
  }

  NS.Place = { dockAnchor, scrollerOf, frameOf, obstacles, freeSpot, leastCovering };
})();
