// Which sites the coach runs on and where its service may live — one place for the worker, the popup and the
// options page. Loopback consoles are enabled out of the box; any other site is enabled by the operator, and
// Chromium grants its host permission as a match pattern (every port and path of that scheme and host).
export const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
// The extension's CSP lets it connect to these only: the coach never talks to anything but this machine.
export const SERVICE_HOSTS = new Set(["127.0.0.1", "localhost"]);

export function hostOf(url) {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

export function isLoopback(origin) {
  return LOOPBACK_HOSTS.has(hostOf(origin));
}

/** The host permission pattern for a site ("https://chat.example.com/*"), or null for what is not a URL. */
export function originPattern(origin) {
  try {
    const u = new URL(origin);
    return `${u.protocol}//${u.hostname}/*`;
  } catch {
    return null;
  }
}
