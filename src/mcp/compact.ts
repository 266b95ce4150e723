// Compact views of the service's answers for agents: evidence first, nothing they would not read.

type Obj = Record<string, unknown>;

/** The listed keys that are present, in this order (the order an agent reads them in). */
function pick(o: unknown, keys: string[]): Obj {
  const out: Obj = {};
  if (!o || typeof o !== 'object') return out;
  for (const k of keys) {
    const v = (o as Obj)[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

/** Numbers to four significant digits: enough to reason with, a third of the bytes. */
function round(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(4));
  if (Array.isArray(v)) return v.map(round);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)]));
  return v;
}

export function compactFinding(f: unknown): Obj {
  const o = f as Obj;
  const actions = Array.isArray(o.actions) ? o.actions.slice(0, 3) : [];
  return round({ evidence: o.evidence, ...pick(o, ['kind', 'severity', 'status', 'step', 'epoch', 'message']), actions }) as Obj;
}

export function compactRun(r: unknown): Obj {
  return round(pick(r, ['id', 'name', 'project', 'status', 'stage', 'created_at', 'finished_at', 'epoch', 'step', 'open_findings', 'tags'])) as Obj;
}

export function compactStatus(s: unknown): Obj {
  const o = s as Obj;
  return round({
    ...pick(o, ['id', 'name', 'project', 'status', 'epoch', 'total_epochs', 'step', 'total_steps', 'progress', 'eta_s', 'best', 'latest_canonical']),
    findings: Array.isArray(o.findings) ? o.findings.map(compactFinding) : [],
  }) as Obj;
}

export function compactSeries(s: unknown): Obj {
  const o = s as { name: string; canonical: string | null; count: number; points: Array<{ step: number | null; epoch: number | null; value: number }> };
  return {
    name: o.name,
    ...(o.canonical && o.canonical !== o.name ? { canonical: o.canonical } : {}),
    count: o.count,
    shown: o.points.length,
    x: o.points.some((p) => p.step !== null) ? 'step' : 'epoch',
    points: o.points.map((p) => [p.step ?? p.epoch, round(p.value)]),
  };
}

export function compactAnalysis(r: unknown): Obj {
  const o = r as Obj;
  return {
    ...pick(o, ['run', 'kind', 'text']),
    suggestions: Array.isArray(o.suggestions) ? o.suggestions.map((s) => pick(s, ['parameter', 'current', 'proposed', 'rationale', 'expected_effect', 'confidence'])) : [],
    ...pick(o, ['set_aside', 'provider', 'model', 'degraded', 'reason']),
  };
}

export function compactChat(r: unknown): Obj {
  const o = r as Obj;
  return { answer: o.message, ...pick(o, ['conversation', 'provider', 'model', 'degraded', 'reason', 'offline_reason']) };
}
