// Number, time and status formatting; non-finite values arrive from the API as "NaN" / "Infinity" strings.

/** A metric value as a number: the API writes non-finite numbers as strings so JSON can carry them. */
export function toNumber(v) {
  if (typeof v === 'number') return v;
  return v === null || v === undefined ? NaN : Number(v);
}

export function num(v) {
  const n = toNumber(v);
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+∞' : '−∞';
  const a = Math.abs(n);
  if (a === 0) return '0';
  if (Number.isInteger(n) && a < 1e7) return String(n);
  if (a >= 1e5 || a < 1e-3) return n.toExponential(3);
  return String(Number(n.toPrecision(5)));
}

export function isBad(v) {
  return v !== null && v !== undefined && !Number.isFinite(toNumber(v));
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 1 : 0))}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(sec).padStart(2, '0')}s`;
}

export function percent(p) {
  return p === null || p === undefined ? '—' : `${Number(p.toFixed(1))}%`;
}

export function clock(ts) {
  return ts ? new Date(ts).toLocaleTimeString([], { hour12: false }) : '';
}

export function ago(ts) {
  if (!ts) return '—';
  return `${duration(Math.max(0, (Date.now() - ts) / 1000))} ago`;
}

/** "3.5 / 10" or "3.5" when the total is unknown. */
export function outOf(value, total) {
  if (value === null || value === undefined) return '—';
  return total ? `${num(value)} / ${total}` : num(value);
}
