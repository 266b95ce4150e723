// One colour per run, made from its id, so a run looks the same in the runs table, the compare page and every chart.

/** FNV-1a: a well-spread 32-bit hash, so ids that differ by one character get unrelated hues. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** HSL to #rrggbb: a hex colour reads the same in CSS, on a canvas and in a test comparing pixels. */
function hex(hue, s, l) {
  const k = (n) => (n + hue / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const channel = (n) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
  return `#${[0, 8, 4].map((n) => channel(n).toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The run's colour. Saturation and lightness are fixed at values that stand out on the light and
 * the dark background alike; only the hue comes from the id.
 */
export function runColor(runId) {
  return hex(hash(String(runId)) % 360, 0.75, 0.45);
}

