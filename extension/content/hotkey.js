// The operator's shortcut into the panel ("Alt+Shift+K" by default, set in Options). A shortcut is written as
// modifiers and one key joined by "+"; the key is matched by its physical position (KeyboardEvent.code), so
// Alt+Shift+K is the same keys on a Russian layout (where that key types «Л»). Shared by the content script
// and the options page, which records a new shortcut from a key press.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Hotkey) return;

  const DEFAULT = "Alt+Shift+K";
  const MODIFIERS = ["Ctrl", "Alt", "Shift", "Meta"];
  const FLAGS = { Ctrl: "ctrlKey", Alt: "altKey", Shift: "shiftKey", Meta: "metaKey" };

  /** The key part of a shortcut for a KeyboardEvent.code: "KeyK" → "K", "Digit1" → "1", "F2" → "F2". */
  function keyName(code) {
    if (/^Key[A-Z]$/.test(code)) return code.slice(3);
    if (/^Digit\d$/.test(code)) return code.slice(5);
    if (/^F\d{1,2}$/.test(code) || ["Period", "Comma", "Slash", "Semicolon", "Quote", "BracketLeft",
      "BracketRight", "Backquote", "Minus", "Equal", "Backslash", "Space"].includes(code)) return code;
    return null;
  }

  /** {mods: Set, key} for "Alt+Shift+K", or null when it is not a usable shortcut. */
  function parse(text) {
    const parts = String(text || "").split("+").map((p) => p.trim()).filter(Boolean);
    if (!parts.length) return null;
    const key = parts.pop();
    const mods = new Set(parts);
    if (![...mods].every((m) => MODIFIERS.includes(m))) return null;
    // a shortcut without Ctrl, Alt or Meta would eat a character the operator types
    if (!mods.has("Ctrl") && !mods.has("Alt") && !mods.has("Meta")) return null;
    if (!/^([A-Z0-9]|F\d{1,2}|Period|Comma|Slash|Semicolon|Quote|BracketLeft|BracketRight|Backquote|Minus|Equal|Backslash|Space)$/.test(key)) {
      return null;
    }
    return { mods, key };
  }

  function matches(event, text) {
    const spec = parse(text) || parse(DEFAULT);
    if (keyName(event.code) !== spec.key) return false;
    return MODIFIERS.every((m) => !!event[FLAGS[m]] === spec.mods.has(m));
  }

  /** The shortcut a key press spells ("Ctrl+Alt+J"), or null while only modifiers are down. */
  function fromEvent(event) {
    const key = keyName(event.code);
    if (!key) return null;
    const text = [...MODIFIERS.filter((m) => event[FLAGS[m]]), key].join("+");
    return parse(text) ? text : null;
  }

  NS.Hotkey = { DEFAULT, parse, matches, fromEvent };
})();
