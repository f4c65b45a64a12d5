// The content script's main loop: find the console's adapter, watch the reply box and the message list,
// send the draft (as the operator types, see scheduleDraft) and the conversation to the service worker, and
// draw what comes back; the operator's shortcut into the panel and back.
// It never talks to the network itself (the worker holds the one WebSocket), never blocks an event and
// never changes the page except through the operator's own Apply.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.started) return;
  NS.started = true;
  const { Adapter, Editor, Hotkey, Panel, Remarks } = NS;

  // Typing → service. A keystroke after a pause goes out at once (the remark for a word just finished comes
  // back in a few tens of ms); while the operator keeps typing the draft goes out after QUIET_MS without a
  // key, and at least every MAX_WAIT_MS however fast they type — the remarks never freeze mid-sentence.
  const PAUSE_MS = 40;
  const QUIET_MS = 50;
  const MAX_WAIT_MS = 250;
  // The word under the caret is not judged while the operator types it (the draft goes out with its caret).
  // After SETTLE_MS without a key — and at once on leaving the reply box or pressing Enter — the draft goes out
  // without the caret: the last word is judged like any other, and the remarks held back while typing may show
  // (remarks.js). The same pause lets the panel settle its size (panel.js TYPING_HOLD_MS).
  const SETTLE_MS = 700;
  const SCAN_MS = 120; // DOM changes → re-read the conversation
  const RECONNECT_MS = 250; // the worker went away (stopped by the browser): come back at once

  let port = null;
  let dead = false;
  let enabled = false;
  let adapters = [];
  let adapter = null;
  let editor = null;
  let panel = null;
  let chatId = null;
  // what the panel shows and when; "shown" feedback (what supervisors tune by): once per remark for as long as it
  // stays on screen, sent in small batches
  const remarks = new Remarks();
  let shownQueue = [];
  let shownTimer = null;
  let textOnly = false;
  let messagesSig = "";
  let messages = [];
  const firstSeen = new Map(); // chat id + message key → when this page first showed it (Unix s)
  let draft = "";
  let caret = null;
  let typing = false; // the last change to the reply box was a keystroke (not a click or an arrow)
  let draftStartedAt = null;
  let sentDraft = null;
  let sentCaret = null;
  let draftTimer = null;
  let settleTimer = null;
  let lastInputAt = 0;
  let pendingSince = null; // the first keystroke not yet sent
  let hotkey = Hotkey.DEFAULT;
  let savedCaret = null; // the selection in the reply box when the operator went into the panel
  let paintQueued = false;
  let scanTimer = null;
  let hrefTimer = null;
  let lastHref = location.href;
  let lastFocused = null;
  let observer = null;
  let state = "offline";
  let lastFrame = null;
  let listening = false;
  let reach = {}; // rule id → how far typing may still change its remark (the service's rule traits)
  let prefs = { uiLang: "ru", topRemarks: 3 };

  const now = () => Date.now() / 1000;

  function guard(fn) {
    return (...args) => {
      try {
        return fn(...args);
      } catch (err) {
        // the console must never see our problems; the worker counts them for diagnostics
        post({ type: "problem", where: fn.name, message: String(err && err.message || err) });
      }
    };
  }

  // --- the worker -------------------------------------------------------------------------------------
  function connect() {
    if (dead) return;
    try {
      port = chrome.runtime.connect({ name: "coach" });
    } catch {
      shutdown(); // the extension was reloaded or removed: this copy of the script is an orphan
      return;
    }
    port.onMessage.addListener(guard(onMessage));
    port.onDisconnect.addListener(() => {
      void chrome.runtime.lastError;
      port = null;
      if (!chrome.runtime?.id) {
        shutdown();
        return;
      }
      setTimeout(connect, RECONNECT_MS);
    });
    post({ type: "hello", href: location.href });
  }

  function post(msg) {
    if (!port) return false;
    try {
      port.postMessage(msg);
      return true;
    } catch {
      return false;
    }
  }

  function onMessage(msg) {
    switch (msg.type) {
      case "config":
        adapters = msg.adapters || [];
        hotkey = msg.hotkey || Hotkey.DEFAULT;
        setPrefs(msg);
        setEnabled(!!msg.enabled);
        setState(msg.state);
        if (enabled && chatId) sendChat(); // a new worker knows nothing: send the whole state again
        // (a «toggle» may have switched the coach on before the adapters came: read the page with them now)
        if (enabled) scheduleScan(0);
        break;
      case "status":
        setState(msg.state);
        if (msg.reach) reach = msg.reach;
        break;
      case "toggle":
        setEnabled(!!msg.enabled);
        break;
      case "warnings":
        if (msg.chat_id === chatId) showWarnings(msg);
        break;
      case "timers": // the service is away: the worker's own clock for the chip
        if (msg.chat_id === chatId) panel?.setTimers(msg.timers);
        break;
      case "prefs":
        hotkey = msg.hotkey || Hotkey.DEFAULT;
        setPrefs(msg);
        break;
    }
  }

  function setPrefs(msg) {
    if (msg.reach) reach = msg.reach;
    prefs = { uiLang: msg.uiLang === "en" ? "en" : "ru", topRemarks: msg.topRemarks || 3 };
    panel?.setPrefs(prefs);
  }

  function setState(next) {
    state = next === "online" ? "online" : "offline";
    if (state !== "online") remarks.clear(); // what comes back is shown (and counted) anew
    panel?.setState(state);
  }

  // --- on/off -----------------------------------------------------------------------------------------
  function setEnabled(on) {
    if (on === enabled) return;
    enabled = on;
    if (on) start();
    else stop();
  }

  function start() {
    if (!listening) {
      document.addEventListener("input", onInput, true);
      document.addEventListener("focusin", onFocus, true);
      document.addEventListener("focusout", onBlur, true);
      document.addEventListener("keyup", onKeyup, true);
      document.addEventListener("mouseup", onKeyup, true);
      document.addEventListener("keydown", onKeydown, true);
      listening = true;
    }
    observer = new MutationObserver(onMutations);
    observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true,
      attributes: true, attributeFilter: ["data-conversation-id", "class", "contenteditable"] });
    hrefTimer = setInterval(() => {
      if (location.href !== lastHref) {
        lastHref = location.href;
        scheduleScan(0);
      }
    }, 500);
    scheduleScan(0);
  }

  function stop() {
    observer?.disconnect();
    observer = null;
    clearInterval(hrefTimer);
    clearTimeout(scanTimer);
    clearTimeout(draftTimer);
    clearTimeout(settleTimer);
    scanTimer = null;
    if (listening) {
      document.removeEventListener("input", onInput, true);
      document.removeEventListener("focusin", onFocus, true);
      document.removeEventListener("focusout", onBlur, true);
      document.removeEventListener("keyup", onKeyup, true);
      document.removeEventListener("mouseup", onKeyup, true);
      document.removeEventListener("keydown", onKeydown, true);
      listening = false;
    }
    if (chatId) post({ type: "leave", chat_id: chatId });
    chatId = null;
    adapter = null;
    editor = null;
    messagesSig = "";
    panel?.destroy();
    panel = null;
  }

  function shutdown() {
    dead = true;
    enabled = false;
    stop();
  }

  // --- reading the console ------------------------------------------------------------------------------
  function ours(node) {
    return !!panel && (node === panel.host || node === panel.overlay);
  }

  function onMutations(records) {
    for (const r of records) {
      const t = r.target;
      if (editor && (editor === t || editor.contains(t))) continue; // typing is handled by `input`
      if (ours(t)) continue;
      if (r.type === "childList" && [...r.addedNodes, ...r.removedNodes].every(ours)) continue; // the panel docking
      panel?.invalidate();
      scheduleScan(SCAN_MS);
      return;
    }
  }

  function scheduleScan(delay) {
    if (scanTimer != null) return;
    scanTimer = setTimeout(guard(function scanNow() {
      scanTimer = null;
      scan();
    }), delay);
  }

  function chooseAdapter() {
    const specific = Adapter.pick(adapters);
    const next = specific || Adapter.fallback(adapters);
    if (next !== adapter) {
      adapter = next;
      editor = null; // the panel takes the new adapter (its dock, its data-adapter) with the reply box
      post({ type: "active", adapter: adapter ? adapter.id : null, name: adapter ? adapter.name : null });
    }
  }

  function scan() {
    if (!enabled) return;
    chooseAdapter();
    if (!adapter) return;
    const ed = Adapter.findEditor(adapter, document, lastFocused);
    if (ed !== editor) {
      editor = ed;
      if (editor && !panel) {
        panel = new Panel({ onApply: guard(applyWarning), onDismiss: guard(dismissWarning),
          onEscape: guard(backToEditor), adapter });
        panel.setPrefs(prefs);
        panel.setState(state);
      }
      if (panel) {
        panel.adapter = adapter;
        panel.host.setAttribute("data-adapter", adapter.id);
        panel.setEditor(editor);
      }
    }
    let id = adapter.fallback ? null : Adapter.chatId(adapter);
    textOnly = !id;
    if (!id && editor) id = `${adapter.id}:${location.host}:${location.pathname}`.slice(0, 200);
    if (!id) return;

    const read = textOnly ? [] : Adapter.readMessages(adapter);
    const sig = read.map((m) => `${m.key}\u0001${m.role}\u0001${m.text}`).join("\u0002");
    if (id !== chatId) {
      if (chatId) post({ type: "leave", chat_id: chatId });
      chatId = id;
      lastFrame = null;
      remarks.reset();
      messagesSig = sig;
      messages = stamp(read);
      readDraft();
      panel?.show({ warnings: [], timers: {}, draft });
      sendChat();
      return;
    }
    if (sig !== messagesSig) {
      messagesSig = sig;
      messages = stamp(read);
      post({ type: "messages", chat_id: chatId, messages });
    }
    // the console may clear or fill the box by itself (after sending, a template): keep up with it
    if (editor) {
      const current = Editor.read(editor).text;
      if (current !== sentDraft) scheduleDraft();
    }
  }

  function stamp(read) {
    const t = now();
    return read.map((m) => {
      const k = `${chatId}\u0001${m.key}`;
      if (!firstSeen.has(k)) firstSeen.set(k, t);
      return { key: m.key, id: m.id, role: m.role, text: m.text, exact: m.exact, latest: m.latest,
        seen: firstSeen.get(k) };
    });
  }

  function readDraft() {
    if (!editor || !editor.isConnected) {
      draft = "";
      caret = null;
    } else {
      ({ text: draft, caret } = Editor.read(editor));
      // the word at the caret is the one being typed — only while typing: a caret moved into a word (a click,
      // the arrows) leaves every word judged, so its underline and card stay
      if (!typing) caret = null;
    }
    if (draft.trim() && draftStartedAt == null) draftStartedAt = now();
    if (!draft.trim()) draftStartedAt = null;
  }

  function sendChat() {
    if (!chatId) return;
    readDraft();
    sentDraft = draft;
    sentCaret = caret;
    post({ type: "chat", chat_id: chatId, messages, draft, caret, draft_started_at: draftStartedAt,
      operator_name: adapter && adapter.operator_name ? Adapter.valueOf(adapter.operator_name) : null,
      lang: adapter && adapter.lang ? adapter.lang : null,
      channel: adapter ? Adapter.channelOf(adapter.channel) : null, text_only: textOnly });
  }

  // --- typing ---------------------------------------------------------------------------------------------
  function inEditor(target) {
    return editor && target && (editor === target || editor.contains(target));
  }

  function onFocus(e) {
    const t = e.target;
    if (Editor.isEditable(t)) {
      lastFocused = t;
      if (!inEditor(t)) scheduleScan(0);
    }
  }

  function onInput(e) {
    if (!inEditor(e.target)) {
      if (adapter?.fallback && Editor.isEditable(e.target)) scheduleScan(0);
      return;
    }
    panel?.typing();
    typing = true;
    queuePaint();
    scheduleDraft(true);
    clearTimeout(settleTimer);
    settleTimer = setTimeout(guard(settle), SETTLE_MS);
  }

  /** The operator paused, left the reply box or is sending: the draft is judged whole, the last word too. */
  function settle() {
    clearTimeout(settleTimer);
    settleTimer = null;
    if (!typing) return;
    typing = false;
    sendDraft();
  }

  function onBlur(e) {
    if (inEditor(e.target)) settle();
  }

  const NAVIGATION = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"]);

  function onKeyup(e) {
    // the caret moved without typing (arrows, click): the service judges every word again, and an underlined
    // word the caret now sits in opens its card
    if (ours(e.target)) return;
    const here = inEditor(e.target) || (e.type === "mouseup" && editor && inEditor(document.activeElement));
    if (!here) return;
    if (e.type === "mouseup" || NAVIGATION.has(e.key)) typing = false;
    scheduleDraft();
    if (inEditor(e.target) && (e.type === "mouseup" || NAVIGATION.has(e.key))) {
      panel?.cardAt(Editor.read(editor).caret);
    }
  }

  function onKeydown(e) {
    if (!panel || !editor) return;
    // Enter sends in most consoles: the last word is judged before the message goes (nothing waits for it)
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && inEditor(e.target)) settle();
    if (Hotkey.matches(e, hotkey)) {
      e.preventDefault();
      e.stopPropagation();
      if (panel.focusInside()) {
        backToEditor();
      } else if (inEditor(document.activeElement) || inEditor(e.target)) {
        savedCaret = Editor.saveSelection(editor);
        panel.focusFirst();
      } else {
        savedCaret = null;
        panel.focusFirst();
      }
    } else if (e.key === "Escape" && panel.cardOpen() && inEditor(e.target)) {
      e.preventDefault();
      e.stopPropagation();
      panel.closeCard();
    }
  }

  /** Escape from the panel: back into the reply box, the caret where it was. */
  function backToEditor() {
    if (!editor || !editor.isConnected) return;
    Editor.restoreSelection(editor, savedCaret);
    savedCaret = null;
  }

  function queuePaint() {
    if (paintQueued || !panel) return;
    paintQueued = true;
    requestAnimationFrame(guard(function paint() {
      paintQueued = false;
      if (editor && panel) panel.draftChanged(Editor.read(editor).text);
    }));
  }

  /** A debounce with a leading edge and a maximum wait (see PAUSE_MS, QUIET_MS, MAX_WAIT_MS). */
  function scheduleDraft(keystroke = false) {
    const t = performance.now();
    const paused = t - lastInputAt >= PAUSE_MS;
    if (keystroke) lastInputAt = t;
    if (keystroke && paused) {
      sendDraft();
      return;
    }
    pendingSince ??= t;
    clearTimeout(draftTimer);
    const due = Math.min(t + QUIET_MS, pendingSince + MAX_WAIT_MS);
    draftTimer = setTimeout(guard(sendDraft), Math.max(0, due - t));
  }

  function sendDraft() {
    clearTimeout(draftTimer);
    draftTimer = null;
    pendingSince = null;
    if (!chatId || !editor) return;
    readDraft();
    if (draft === sentDraft && caret === sentCaret) return;
    sentDraft = draft;
    sentCaret = caret;
    post({ type: "draft", chat_id: chatId, draft, caret, draft_started_at: draftStartedAt });
  }

  // --- coaching ---------------------------------------------------------------------------------------------
  function showWarnings(frame) {
    lastFrame = frame;
    const basis = frame.draft ?? "";
    const current = editor && editor.isConnected ? Editor.read(editor).text : basis;
    // the message went (the console emptied the box) while this answer was on its way: it is about nothing now
    if (basis.trim() && !current.trim()) return;
    const { shown, fresh } = remarks.take({ warnings: frame.warnings || [], draft: basis,
      caret: frame.caret ?? null, reach });
    panel?.show({ warnings: shown, timers: frame.timers || {}, draft: current });
    noteShown(shown.filter((w) => fresh.has(w._id)));
    post({ type: "on-screen", chat_id: chatId, warnings: shown.map((w) => ({ rule: w.rule, severity: w.severity })) });
  }

  function noteShown(warnings) {
    if (!chatId || !panel) return;
    for (const w of warnings) {
      shownQueue.push({ type: "feedback", chat_id: chatId, action: "shown", rule: w.rule, severity: w.severity,
        text: w._text || null });
    }
    if (shownQueue.length && !shownTimer) {
      shownTimer = setTimeout(() => {
        shownTimer = null;
        const batch = shownQueue.splice(0, 20);
        for (const event of batch) post(event);
        if (shownQueue.length) noteShown([]);
      }, 1000);
    }
  }

  function applyWarning(w, others = []) {
    if (!editor) return;
    const current = Editor.read(editor).text;
    const s = Editor.cpToU16(current, w.start);
    const e = Editor.cpToU16(current, w.end);
    if (w._text != null && current.slice(s, e) !== w._text) return; // the draft moved on; fresh hints follow
    Editor.apply(editor, w.start, w.end, w.suggestion, current);
    typing = false; // an applied fix is not a word being typed: judge it at once
    for (const x of [w, ...others]) { // a fix the group's remarks share is applied for each of them
      remarks.drop(x._id);
      post({ type: "feedback", chat_id: chatId, action: "applied", rule: x.rule, severity: x.severity,
        text: x._text || null });
    }
    queuePaint();
    scheduleDraft();
  }

  function dismissWarning(w) {
    remarks.drop(w._id);
    post({ type: "feedback", chat_id: chatId, action: "dismissed", rule: w.rule, severity: w.severity,
      text: w._text || null });
  }

  connect();
})();
