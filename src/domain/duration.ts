// Durations in settings: seconds as a plain number, or a number with its unit.
import { z } from 'zod';
import { parseDurationMs } from './webhooks.ts';

/** `900` (seconds), `90s`, `10m`, `2h` or `1d`, as milliseconds. */
export function durationMs(raw: string): number | undefined {
  const text = raw.trim();
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseDurationMs(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

export const DurationSetting = z
  .string()
  .trim()
  .transform((raw, ctx) => {
    const ms = durationMs(raw);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'seconds, or a duration like 90s, 10m, 2h' });
      return z.NEVER;
    }
    return ms;
  });
