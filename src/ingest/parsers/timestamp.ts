// The time a log line starts with, as loggers write it: `2024-05-01 10:00:00,123`, `[2024-05-01T10:00:00Z]`, `05/01/2024 10:00:00`.

const ISO = /^\s*\[?(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2})?\]?(?=\s|$|[\]|:-])/;
/** Hugging Face's logging and many shell scripts: month first. */
const US = /^\s*\[?(\d{2})\/(\d{2})\/(\d{4}) (\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?\]?(?=\s|$)/;

function millis(date: string, time: string, fraction: string | undefined, zone: string | undefined): number | undefined {
  const ms = fraction ? `.${fraction.slice(0, 3).padEnd(3, '0')}` : '';
  const z = zone && zone !== 'Z' && !zone.includes(':') ? `${zone.slice(0, 3)}:${zone.slice(3)}` : (zone ?? '');
  // Without a zone, the time is the machine's local time, as the logger wrote it.
  const t = Date.parse(`${date}T${time}${ms}${z}`);
  return Number.isNaN(t) ? undefined : t;
}

/** Epoch milliseconds of the timestamp a line starts with, or undefined. */
export function leadingTimestamp(line: string): number | undefined {
  const c = line.charCodeAt(0);
  // Cheap first check: every format starts with a digit, a bracket or blanks.
  if (!(c >= 48 && c <= 57) && c !== 91 && c !== 32 && c !== 9) return undefined;
  const iso = ISO.exec(line);
  if (iso) return millis(iso[1], iso[2], iso[3], iso[4]);
  const us = US.exec(line);
  if (us) return millis(`${us[3]}-${us[1]}-${us[2]}`, us[4], us[5], undefined);
  return undefined;
}
