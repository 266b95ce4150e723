// Small readers for fields of whole-document formats (trainer_state.json, training_info.json).

/** A positive integer total, or undefined: HF writes sys.maxsize epochs when max_steps drives training. */
export function positiveTotal(raw: unknown): number | undefined {
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0 || raw > 1e9) return undefined;
  return Math.ceil(raw);
}

/** The listed fields that are present and not null. */
export function pick(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj[k] !== undefined && obj[k] !== null) out[k] = obj[k];
  return out;
}

export function asObject(raw: unknown): Record<string, unknown> | undefined {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
}
