// Makes trainer-supplied text safe to put in a prompt as data: one line, no controls, no delimiters, bounded.

// C0/C1 controls, zero-width and bidi overrides: invisible characters that can hide or reorder text.
// Terminal colour and cursor sequences (ESC [ ... letter): log lines are full of them.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]+/g;

/** One line of plain text, at most `max` characters; `<` and `>` become look-alikes so no data can close the data block. */
export function clean(text: string, max: number): string {
  const flat = text.replace(ANSI, '').replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim().replace(/</g, '‹').replace(/>/g, '›');
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}

/** A cleaned string in JSON quotes: a value can never end its own quotes and read as prose. */
export function quoted(text: string, max: number): string {
  return JSON.stringify(clean(text, max));
}

/** Any config value as a short quoted-or-numeric token. */
export function dataValue(value: unknown, max = 60): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return quoted(value, max);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  return quoted(json ?? String(value), max);
}
