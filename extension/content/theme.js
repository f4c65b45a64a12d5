// Light or dark: the panel follows the console it sits in. The console's own background behind the reply box
// decides (a dark console in a light OS is dark). Where the page paints none, the canvas shows: white unless
// the page's color-scheme allows dark — then the operator's `prefers-color-scheme` says which.
(() => {
  const NS = (globalThis.__operatorCoach ??= {});
  if (NS.Theme) return;

  /** [r, g, b, a] (0–255, alpha 0–1) of a computed CSS color, or null for what is not rgb()/rgba(). */
  function parseColor(text) {
    const m = /rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:[,\s/]+([\d.]+%?))?\s*\)/.exec(text || "");
    if (!m) return null;
    let a = m[4] == null ? 1 : parseFloat(m[4]);
    if (m[4] && m[4].endsWith("%")) a /= 100;
    return [Number(m[1]), Number(m[2]), Number(m[3]), a];
  }

  /** WCAG relative luminance of an sRGB color. */
  function luminance([r, g, b]) {
    const lin = (c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  }

  /** The first painted background from `el` up to the root (a mostly opaque one), or null. */
  function backgroundOf(el) {
    for (let node = el; node && node.nodeType === Node.ELEMENT_NODE; node = node.parentElement) {
      const color = parseColor(getComputedStyle(node).backgroundColor);
      if (color && color[3] >= 0.5) return color;
    }
    return null;
  }

  function detect(el) {
    const bg = backgroundOf(el || document.body);
    // dark when white text would stand out more than black on it (luminance below ~0.18)
    if (bg) return luminance(bg) < 0.179 ? "dark" : "light";
    let scheme = getComputedStyle(document.documentElement).colorScheme || "normal";
    if (scheme === "normal") scheme = document.querySelector('meta[name="color-scheme"]')?.content || "";
    if (!/\bdark\b/.test(scheme)) return "light";
    if (!/\blight\b/.test(scheme)) return "dark";
    return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  NS.Theme = { detect, parseColor, luminance };
})();
