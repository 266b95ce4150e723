// Test helper: replays an imported run through a real RunContext and RunDiagnoser, noting when each kind was raised.
import { RunContext } from '../src/context/run-context.ts';
import type { EventInput } from '../src/domain/events.ts';
import type { Finding, FindingKind } from '../src/domain/findings.ts';
import { RunDiagnoser } from '../src/diagnose/engine.ts';

export interface Replayed {
  findings: Finding[];
  /** Index of the metrics update at which each kind was first raised at warning or critical. */
  seriousAt: Map<FindingKind, number>;
}

export function replay(name: string, events: readonly EventInput[]): Replayed {
  const ctx = new RunContext(name);
  const diagnoser = new RunDiagnoser(name);
  const seriousAt = new Map<FindingKind, number>();
  let index = 0;
  let ts = 0;
  for (const event of events) {
    ts = event.ts ?? ts + 1;
    const update = ctx.apply({ ...event, ts });
    if (!update) continue;
    for (const c of diagnoser.evaluate(ctx, update)) {
      if (c.finding.severity !== 'info' && !seriousAt.has(c.finding.kind)) seriousAt.set(c.finding.kind, index);
    }
    index++;
  }
  return { findings: diagnoser.all(), seriousAt };
}

/** The kinds a scorer counts: those raised at warning or critical. */
export function seriousKinds(findings: readonly Finding[]): Set<string> {
  return new Set(findings.filter((f) => f.severity === 'warning' || f.severity === 'critical').map((f) => f.kind));
}
