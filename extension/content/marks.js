// The flagged spans of the draft, underlined where the operator types: with the CSS Custom Highlight API in
// rich editors (the editor's DOM is never touched) and with a mirror layer over plain textareas. Where two
// remarks cover the same words, those words get a double underline, so overlapping spans can be told apart;
// the card at such a spot lists both. Also: which spans hold a caret, and where a span is on screen.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Marks) return;

  const NAMES = ["coach-error", "coach-warning", "coach-info", "coach-overlap", "coach-focus"];

  const HIGHLIGHT_CSS = `
    ::highlight(coach-error) { text-decoration: underline 2px #d93025; text-underline-offset: 3px;
      background-color: rgba(217, 48, 37, .08); }
    ::highlight(coach-warning) { text-decoration: underline 2px #e37400; text-underline-offset: 3px;
      background-color: rgba(227, 116, 0, .08); }
    ::highlight(coach-info) { text-decoration: underline 1px dotted #6b7682; text-underline-offset: 3px; }
    ::highlight(coach-overlap) { text-decoration: underline double 3px #b3261e; text-underline-offset: 3px;
      background-color: rgba(217, 48, 37, .14); }
    ::highlight(coach-focus) { background-color: rgba(227, 116, 0, .24); }
  `;

  // The mirror: a copy of the textarea's text, transparent, exactly over it, with <mark>s under the spans.
  const MIRROR_CSS = `
    .mirror { position: fixed; pointer-events: none; overflow: hidden; color: transparent; white-space: pre-wrap;
      overflow-wrap: break-word; z-index: 2147483645; margin: 0; }
    .mirror mark { color: transparent; background: rgba(227, 116, 0, .10); border-bottom: 2px solid #e37400;
      border-radius: 1px; }
    .mirror mark[data-severity="error"] { background: rgba(217, 48, 37, .10); border-bottom-color: #d93025; }
    .mirror mark[data-severity="info"] { background: transparent; border-bottom: 1px dotted #6b7682; }
    .mirror mark[data-overlap] { border-bottom: 3px double #b3261e; background: rgba(217, 48, 37, .14); }
    .mirror mark[data-focus] { background: rgba(227, 116, 0, .24); }
  `;

  const MIRROR_PROPS = ["font-family", "font-size", "font-weight", "font-style", "letter-spacing", "line-height",
    "text-transform", "word-spacing", "text-indent", "text-align", "direction", "tab-size", "padding-top",
    "padding-right", "padding-bottom", "padding-left", "border-top-width", "border-right-width",
    "border-bottom-width", "border-left-width", "box-sizing"];

  let sheet = null;
  function ensureStyles() {
    if (sheet || !globalThis.CSS?.highlights) return;
    sheet = new CSSStyleSheet();
    sheet.replaceSync(HIGHLIGHT_CSS);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  }

  function clearHighlights() {
    if (!globalThis.CSS?.highlights) return;
    for (const name of NAMES) globalThis.CSS.highlights.delete(name);
  }

  /**
   * The draft cut at every span boundary: [{start, end, spans}] in code points, only the pieces some span covers.
   * `spans` are warnings with start < end.
   */
  function segments(spans) {
    const cuts = [...new Set(spans.flatMap((w) => [w.start, w.end]))].sort((a, b) => a - b);
    const out = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [start, end] = [cuts[i], cuts[i + 1]];
      const covering = spans.filter((w) => w.start <= start && w.end >= end);
      if (covering.length) out.push({ start, end, spans: covering });
    }
    return out;
  }

  const RANK = { error: 0, warning: 1, info: 2 };
  const worst = (spans) => spans.reduce((a, b) => ((RANK[b.severity] ?? 3) < (RANK[a.severity] ?? 3) ? b : a));

  class Marks {
    /** `layer` is an element in the coach's own shadow root that holds the textarea mirror. */
    constructor(layer) {
      this.layer = layer;
      this.mirror = document.createElement("div");
      this.mirror.className = "mirror";
      this.mirror.hidden = true;
      this.mirror.setAttribute("aria-hidden", "true");
      const style = document.createElement("style");
      style.textContent = MIRROR_CSS;
      layer.append(style, this.mirror);
      this.editor = null;
      this.spans = [];
      this.focusKey = null;
      ensureStyles();
    }

    setEditor(editor) {
      this.editor = editor;
      this.spans = [];
      clearHighlights();
      this.mirror.hidden = true;
    }

    /** Underline these warnings (each with code-point start < end into the editor's current text). */
    paint(spans, focusKey = null) {
      this.spans = spans;
      this.focusKey = focusKey;
      const editor = this.editor;
      if (!editor || !editor.isConnected) return;
      if (NS.Editor.isTextControl(editor)) {
        clearHighlights();
        this.paintMirror(editor);
        return;
      }
      this.mirror.hidden = true;
      if (!globalThis.CSS?.highlights) return;
      clearHighlights();
      if (!spans.length) return;
      try {
        const model = new NS.Editor.TextModel(editor);
        const text = model.text;
        const range = (s, e) => model.range(NS.Editor.cpToU16(text, s), NS.Editor.cpToU16(text, e));
        const pieces = segments(spans);
        for (const sev of ["error", "warning", "info"]) {
          const mine = pieces.filter((p) => p.spans.length === 1 && p.spans[0].severity === sev);
          if (mine.length) globalThis.CSS.highlights.set(`coach-${sev}`, new Highlight(...mine.map((p) => range(p.start, p.end))));
        }
        const overlap = pieces.filter((p) => p.spans.length > 1);
        if (overlap.length) {
          const h = new Highlight(...overlap.map((p) => range(p.start, p.end)));
          h.priority = 1;
          globalThis.CSS.highlights.set("coach-overlap", h);
        }
        const focus = spans.find((w) => w._key === focusKey);
        if (focus) {
          const h = new Highlight(range(focus.start, focus.end));
          h.priority = 2;
          globalThis.CSS.highlights.set("coach-focus", h);
        }
      } catch { /* the editor re-rendered between reading and painting; the next update repaints */ }
    }

    paintMirror(ta) {
      const m = this.mirror;
      if (!this.spans.length) {
        m.hidden = true;
        return;
      }
      const cs = getComputedStyle(ta);
      for (const prop of MIRROR_PROPS) m.style.setProperty(prop, cs.getPropertyValue(prop));
      m.style.borderStyle = "solid";
      m.style.borderColor = "transparent";
      const text = ta.value;
      const E = NS.Editor;
      const parts = [];
      let at = 0;
      for (const piece of segments(this.spans)) {
        const s = E.cpToU16(text, piece.start);
        const e = E.cpToU16(text, piece.end);
        if (s < at) continue;
        parts.push(document.createTextNode(text.slice(at, s)));
        const mark = document.createElement("mark");
        mark.dataset.severity = worst(piece.spans).severity;
        mark.dataset.keys = piece.spans.map((w) => w._key).join(" ");
        if (piece.spans.length > 1) mark.dataset.overlap = "";
        if (piece.spans.some((w) => w._key === this.focusKey)) mark.dataset.focus = "";
        mark.textContent = text.slice(s, e);
        parts.push(mark);
        at = e;
      }
      parts.push(document.createTextNode(text.slice(at) + "\n"));
      m.replaceChildren(...parts);
      m.hidden = false;
      this.place();
    }

    /** Keep the mirror exactly over its textarea (scrolling, resizing). */
    place() {
      const ta = this.editor;
      if (!ta || this.mirror.hidden || !NS.Editor.isTextControl(ta)) return;
      const r = ta.getBoundingClientRect();
      Object.assign(this.mirror.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`,
        height: `${r.height}px` });
      this.mirror.scrollTop = ta.scrollTop;
      this.mirror.scrollLeft = ta.scrollLeft;
    }

    /** The painted spans that hold this caret (code points; a caret at either edge of a span counts). */
    at(caret) {
      if (caret == null) return [];
      return this.spans.filter((w) => w.start <= caret && caret <= w.end);
    }

    /** Where these spans are on screen: the box of the first line of their union, or null. */
    rectOf(spans) {
      const editor = this.editor;
      if (!editor || !spans.length) return null;
      const start = Math.min(...spans.map((w) => w.start));
      const end = Math.max(...spans.map((w) => w.end));
      try {
        if (NS.Editor.isTextControl(editor)) {
          const keys = new Set(spans.map((w) => w._key));
          const marks = [...this.mirror.querySelectorAll("mark")]
            .filter((m) => m.dataset.keys.split(" ").some((k) => keys.has(k)));
          const rects = marks.flatMap((m) => [...m.getClientRects()]);
          return rects[0] ? rects.reduce((a, b) => (b.top === rects[0].top ? union(a, b) : a), rects[0]) : null;
        }
        const model = new NS.Editor.TextModel(editor);
        const r = model.range(NS.Editor.cpToU16(model.text, start), NS.Editor.cpToU16(model.text, end));
        const rects = [...r.getClientRects()].filter((x) => x.width || x.height);
        return rects[0] || r.getBoundingClientRect();
      } catch {
        return null;
      }
    }

    clear() {
      this.spans = [];
      clearHighlights();
      this.mirror.hidden = true;
    }
  }

  function union(a, b) {
    const left = Math.min(a.left, b.left);
    const top = Math.min(a.top, b.top);
    const right = Math.max(a.right, b.right);
    const bottom = Math.max(a.bottom, b.bottom);
    return { left, top, right, bottom, width: right - left, height: bottom - top };
  }

  NS.Marks = Marks;
})();
