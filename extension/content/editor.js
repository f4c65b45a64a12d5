// The reply box as text: read the draft and the caret, map offsets to the DOM, and edit it the way a user
// would (focus, select, insertText) so that the console's own editor — a textarea, a React-controlled
// field, ProseMirror, Slate — sees the change. Offsets exchanged with the service are Unicode code points
// (Python string indexes); the DOM counts UTF-16 units, so every offset is converted at the border.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Editor) return;

  const BLOCKS = new Set(["P", "DIV", "LI", "UL", "OL", "H1", "H2", "H3", "H4", "H5", "H6", "BLOCKQUOTE", "PRE",
    "TABLE", "TR", "SECTION", "ARTICLE", "HEADER", "FOOTER", "FIGURE"]);
  const SKIP = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "IMG", "SVG", "VIDEO", "AUDIO", "CANVAS"]);

  // --- code points <-> UTF-16 ------------------------------------------------------------------------
  function u16ToCp(text, u16) {
    let cp = 0;
    for (let i = 0; i < u16 && i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      cp++;
    }
    return cp;
  }

  function cpToU16(text, cp) {
    let i = 0;
    for (let n = 0; n < cp && i < text.length; n++) {
      const c = text.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
    }
    return i;
  }

  function isTextControl(el) {
    return el instanceof HTMLTextAreaElement ||
      (el instanceof HTMLInputElement && /^(text|search|)$/i.test(el.type || ""));
  }

  function isEditable(el) {
    return !!el && (isTextControl(el) || el.isContentEditable);
  }

  // --- contenteditable as text ------------------------------------------------------------------------
  // Text nodes in order; a block boundary or a <br> is one "\n" (ProseMirror's trailing <br> in an empty
  // paragraph is not text). `segs` maps each text node to its UTF-16 range in `text`.
  class TextModel {
    constructor(root) {
      this.root = root;
      this.text = "";
      this.segs = [];
      this.pendingBreak = false;
      this.walk(root);
    }

    newline() {
      if (this.text) this.pendingBreak = true;
    }

    flushBreak() {
      if (this.pendingBreak) {
        this.text += "\n";
        this.pendingBreak = false;
      }
    }

    walk(node) {
      for (let child = node.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === Node.TEXT_NODE) {
          const data = child.data;
          if (!data) continue;
          this.flushBreak();
          this.segs.push({ node: child, start: this.text.length, end: this.text.length + data.length });
          this.text += data;
        } else if (child.nodeType === Node.ELEMENT_NODE) {
          const tag = child.tagName;
          if (SKIP.has(tag)) continue;
          if (tag === "BR") {
            if (child.classList.contains("ProseMirror-trailingBreak") || !child.nextSibling && child.parentNode !== this.root &&
                BLOCKS.has(child.parentNode.tagName)) {
              continue;
            }
            this.flushBreak();
            this.text += "\n";
            continue;
          }
          const block = BLOCKS.has(tag);
          if (block) this.newline();
          this.walk(child);
          if (block) this.newline();
        }
      }
    }

    // A DOM boundary point for a UTF-16 offset in `text`.
    point(offset) {
      for (const seg of this.segs) {
        if (offset >= seg.start && offset <= seg.end) return { node: seg.node, offset: offset - seg.start };
        if (offset < seg.start) return { node: seg.node, offset: 0 };
      }
      const last = this.segs[this.segs.length - 1];
      if (last) return { node: last.node, offset: last.node.data.length };
      return { node: this.root, offset: 0 };
    }

    range(start, end) {
      const r = document.createRange();
      const a = this.point(start);
      const b = this.point(end);
      r.setStart(a.node, a.offset);
      r.setEnd(b.node, b.offset);
      return r;
    }

    // The UTF-16 offset of a DOM boundary point (the selection's focus), or null outside the root.
    offsetOf(node, offset) {
      if (!node || !this.root.contains(node)) return null;
      if (node.nodeType === Node.TEXT_NODE) {
        const seg = this.segs.find((s) => s.node === node);
        if (seg) return seg.start + Math.min(offset, seg.end - seg.start);
      }
      const probe = document.createRange();
      try {
        probe.setStart(node, offset);
      } catch {
        return null;
      }
      for (const seg of this.segs) {
        if (probe.comparePoint(seg.node, 0) >= 0) return seg.start;
      }
      return this.text.length;
    }
  }

  // --- reading ------------------------------------------------------------------------------------------
  /** {text, caret}: the draft and the caret as code-point offsets (caret null when focus is elsewhere). */
  function read(el) {
    if (isTextControl(el)) {
      const text = el.value;
      const focused = document.activeElement === el;
      const caret = focused && el.selectionEnd != null ? u16ToCp(text, el.selectionEnd) : null;
      return { text, caret };
    }
    const model = new TextModel(el);
    let caret = null;
    const sel = document.getSelection();
    if (sel && sel.rangeCount && el.contains(sel.focusNode)) {
      const u = model.offsetOf(sel.focusNode, sel.focusOffset);
      if (u != null) caret = u16ToCp(model.text, u);
    }
    return { text: model.text, caret };
  }

  // --- editing --------------------------------------------------------------------------------------------
  // The smallest change that turns `before` into `after` (so Apply inserts «, пожалуйста,» rather than
  // retyping the word, which keeps marks, mentions and the undo history intact).
  function minimalEdit(before, after) {
    let p = 0;
    while (p < before.length && p < after.length && before[p] === after[p]) p++;
    let s = 0;
    while (s < before.length - p && s < after.length - p &&
           before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
    return { from: p, to: before.length - s, insert: after.slice(p, after.length - s) };
  }

  const nativeValue = {
    TEXTAREA: Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set,
    INPUT: Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set,
  };

  /**
   * Replace draft[start:end] (code points) with `replacement` in the editor, as typing would.
   * `expected` is the draft the offsets refer to; nothing is changed when the editor holds other text.
   * Returns true when the editor's text is what it should be afterwards.
   */
  function apply(el, start, end, replacement, expected) {
    const current = read(el).text;
    if (expected != null && current !== expected) return false;
    const s16 = cpToU16(current, start);
    const e16 = cpToU16(current, end);
    const edit = minimalEdit(current.slice(s16, e16), replacement);
    const from = s16 + edit.from;
    const to = s16 + edit.to;
    const wanted = current.slice(0, s16) + replacement + current.slice(e16);

    el.focus({ preventScroll: true });
    if (isTextControl(el)) {
      el.setSelectionRange(from, to);
      const ok = edit.insert ? document.execCommand("insertText", false, edit.insert)
        : from === to || document.execCommand("delete", false);
      if (!ok || el.value !== wanted) {
        // React and friends track the value on the element: the prototype's setter plus an input event
        // is what they read as a user's edit.
        nativeValue[el.tagName].call(el, wanted);
        el.setSelectionRange(from + edit.insert.length, from + edit.insert.length);
        el.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertReplacementText",
          data: edit.insert }));
      }
      return el.value === wanted;
    }
    const model = new TextModel(el);
    const sel = document.getSelection();
    sel.removeAllRanges();
    sel.addRange(model.range(from, to));
    const ok = edit.insert ? document.execCommand("insertText", false, edit.insert)
      : from === to || document.execCommand("delete", false);
    if (!ok) {
      // Editors that only listen to beforeinput (Slate, Lexical) apply it themselves.
      el.dispatchEvent(new InputEvent("beforeinput", { bubbles: true, cancelable: true,
        inputType: edit.insert ? "insertText" : "deleteContent", data: edit.insert || null }));
    }
    return new TextModel(el).text === wanted;
  }

  // --- the caret, kept while the operator visits the panel ----------------------------------------------------
  /** Where the selection is in the editor now (to put it back after a visit to the panel), or null. */
  function saveSelection(el) {
    if (isTextControl(el)) {
      return document.activeElement === el
        ? { start: el.selectionStart, end: el.selectionEnd, direction: el.selectionDirection } : null;
    }
    const sel = document.getSelection();
    if (!sel || !sel.rangeCount || !el.contains(sel.anchorNode)) return null;
    return { range: sel.getRangeAt(0).cloneRange() };
  }

  /** Focus the editor with the selection it had (or the caret at the end when that is gone). */
  function restoreSelection(el, saved) {
    el.focus({ preventScroll: true });
    if (isTextControl(el)) {
      const end = el.value.length;
      if (saved) el.setSelectionRange(Math.min(saved.start, end), Math.min(saved.end, end), saved.direction);
      return;
    }
    const sel = document.getSelection();
    let range = saved && saved.range;
    if (!range || !el.contains(range.startContainer) || !el.contains(range.endContainer)) {
      range = document.createRange();
      range.selectNodeContents(el);
      range.collapse(false);
    }
    sel.removeAllRanges();
    sel.addRange(range);
  }

  NS.Editor = { read, apply, isTextControl, isEditable, u16ToCp, cpToU16, minimalEdit, TextModel,
    saveSelection, restoreSelection };
})();
