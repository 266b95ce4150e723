import { beforeAll, describe, expect, it } from 'vitest';
import { dataSets } from '../../eval/datasets.ts';
import { describeMiss, figures, scoreRun, type Outcome } from '../../eval/score.ts';

// The PyTorch corpus (test/fixtures/corpus), scored per half of the split as `npm run eval` does.
// The floors sit at the figures this version reaches (README, "How well it diagnoses"), so that a
// change that loses ground on runs from generator configurations it was never tuned on fails here.
const corpus = dataSets().find((s) => s.name === 'corpus');
const outcomes: Outcome[] = [];

describe('the PyTorch training corpus', () => {
  beforeAll(async () => {
    for (const run of corpus!.runs) outcomes.push(await scoreRun(run));
  }, 120_000);

  it('is present, with both halves and every label', () => {
    expect(corpus).toBeDefined();
    expect(outcomes.length).toBeGreaterThanOrEqual(190);
    expect(new Set(outcomes.map((o) => o.half))).toEqual(new Set(['tune', 'check']));
  });

  it.each(['tune', 'check'] as const)('keeps recall and false alarms on the %s half', (half) => {
    const f = figures(outcomes.filter((o) => o.half === half));
    const misses = outcomes.filter((o) => o.half === half && (o.role === 'healthy' || o.role === 'pathological') && !o.ok).map(describeMiss);
    const report = `${half}: recall ${f.recalled}/${f.pathological}, false alarms ${f.falseAlarms}/${f.healthy}\n${half === 'tune' ? misses.join('\n') : ''}`;
    expect(f.recalled / f.pathological, report).toBeGreaterThanOrEqual(half === 'tune' ? 0.93 : 0.87);
    expect(f.exact / f.pathological, report).toBeGreaterThanOrEqual(half === 'tune' ? 0.79 : 0.8);
    expect(f.falseAlarms / f.healthy, report).toBeLessThanOrEqual(half === 'tune' ? 0.03 : 0.13);
    expect(f.mildOk, report).toBe(f.mild);
  });

  it('reports every NaN at the update that carries it', () => {
    expect(outcomes.filter((o) => o.lateNan).map(describeMiss)).toEqual([]);
  });
});
