// Which remarks the panel shows, and when. The service judges every finished word as the operator types; what
// it says about words the next keystrokes may still change is held back here, so that nothing flashes up
// mid-sentence and vanishes:
// - a remark appears once typing can no longer change it — at once for a word («Спс»: the word is finished),
//   once its sentence is finished for a remark that depends on the words after it («Подскажите,» before
//   «пожалуйста»), and after a pause for one about the whole draft (a missing greeting);
// - after a pause (SETTLE_MS without a key, the draft sent without its caret: docs/live-protocol.md), on
//   leaving the reply box and before sending, everything the service says is shown;
// - a remark on screen stays for as long as the service keeps saying it, whatever the operator types, and
//   is one showing for all that time: one "shown" event, counted by the supervisor's stats.
// A remark is followed from one answer to the next by its rule and its words, mapped through the edit between
// the two drafts (a span that grows as the operator types is the same remark). Plain logic, no DOM.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Remarks) return;

  // a sentence is finished by its mark and the space after it (or a new line); «3.5» and «т.е.» are not ends
  const SENTENCE_END = /[.!?…]+["»”)]*(?:\s|$)|\n/u;

  /** Where the edit between two texts is: [prefix, suffix] lengths both share. */
  function editBetween(a, b) {
    let p = 0;
    const n = Math.min(a.length, b.length);
    while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++;
    let s = 0;
    while (s < n - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
    return [p, s];
  }

  function touches(a0, a1, b0, b1) {
    return a0 <= b1 && b0 <= a1;
  }

  class Remarks {
    constructor() {
      this.reset();
    }

    /** A new chat: nothing is on screen. */
    reset() {
      this.screen = []; // {id, rule, s, e (UTF-16 offsets in this.draft, null without a span), text}
      this.draft = "";
      this.serial ??= 0; // ids stay unique in the page: the panel keys its items by them
    }

    /** Take the service's warnings out of the panel (offline): what comes back later is shown anew. */
    clear() {
      this.screen = [];
    }

    /**
     * The remarks to show for a frame: `warnings` as the service sent them (code-point spans into `draft`),
     * `caret` the caret the draft was sent with (null: a pause, a blur, a click — everything is judged),
     * `reach` rule → "word" | "sentence" | "message" (the service's rule traits). Returns
     * {shown: warnings with `_id` and `_text`, fresh: the ones not on screen before}.
     */
    take({ warnings, draft, caret, reach }) {
      const E = NS.Editor;
      const [p, s] = editBetween(this.draft, draft);
      const oldLen = this.draft.length;
      const move = (x) => (x <= p ? x : x >= oldLen - s ? x + draft.length - oldLen : p);
      const before = this.screen.map((r) => ({ ...r, s: r.s == null ? null : move(r.s),
        e: r.e == null ? null : Math.max(move(r.e), r.s == null ? 0 : move(r.s)) }));
      const caret16 = caret == null ? null : E.cpToU16(draft, caret);
      const shown = [];
      const fresh = [];
      const screen = [];
      for (const w of warnings) {
        const spanned = w.start != null && w.end != null;
        const s16 = spanned ? E.cpToU16(draft, w.start) : null;
        const e16 = spanned ? E.cpToU16(draft, w.end) : null;
        const text = spanned ? draft.slice(s16, e16) : null;
        const i = before.findIndex((r) => r.rule === w.rule && (spanned
          ? r.s != null && (touches(r.s, r.e, s16, e16) || (text && r.text === text))
          : r.s == null));
        let id;
        if (i >= 0) {
          id = before[i].id; // on screen already: it stays
          before.splice(i, 1);
        } else if (this.settled(w, { draft, caret16, s16, e16, reach })) {
          id = `r${++this.serial}`;
          fresh.push(id);
        } else {
          continue; // held back: typing may still change it
        }
        screen.push({ id, rule: w.rule, s: s16, e: e16, text });
        shown.push({ ...w, _id: id, _text: text ?? undefined });
      }
      this.screen = screen;
      this.draft = draft;
      return { shown, fresh: new Set(fresh) };
    }

    /** May a remark not yet on screen appear? */
    settled(w, { draft, caret16, s16, e16, reach }) {
      if (caret16 == null || w.clock) return true; // judged at rest, or the clock's (never the typing's)
      const how = reach[w.rule] || "message";
      if (how === "word") return true; // the word is finished: the service never judges the one being typed
      if (s16 == null || how !== "sentence") return false; // about the whole draft: after a pause
      if (s16 > caret16) return true; // after the caret: the operator is typing elsewhere
      return SENTENCE_END.test(draft.slice(e16, caret16));
    }

    /** The operator dismissed or applied it: it left the screen. */
    drop(id) {
      this.screen = this.screen.filter((r) => r.id !== id);
    }
  }

  NS.Remarks = Remarks;
})();
