// The offline narrator on the generated runs: the right problem, with its numbers.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Analyst } from '../../src/analyst/analyst.ts';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import type { FindingKind } from '../../src/domain/findings.ts';
import { fmt } from '../../src/llm/format.ts';
import { GUIDE } from '../../src/llm/narrator/guide.ts';
import { GENERATED, loadGenerated, makeAnalyst } from './fixture.ts';

interface Expected {
  name: string;
  expect: string;
  accepted: FindingKind[];
}

const expected: Expected[] = readFileSync(path.join(GENERATED, 'expected.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .map(([name, exp, accepted]) => ({ name, expect: exp, accepted: (accepted ?? '').split(',').filter((k) => k && !k.endsWith('?')) as FindingKind[] }));

const pathological = expected.filter((e) => e.expect !== 'healthy' && e.expect !== 'mild');

let analyst: Analyst;
let source: MemorySource;

beforeAll(async () => {
  source = new MemorySource();
  for (const e of expected) await loadGenerated(source, e.name);
  ({ analyst } = await makeAnalyst({}, source));
}, 120_000);

/** The kinds the narrator named as the main problem: the first title after "Main problem:". */
function mainProblem(text: string): FindingKind | undefined {
  const m = /Main problem: ([^(]+) \(/.exec(text);
  return (Object.keys(GUIDE) as FindingKind[]).find((k) => GUIDE[k].title === m?.[1]);
}

describe('offline narrator on the generated runs', () => {
  it('names an accepted problem as the main one for the pathological runs', async () => {
    const misses: string[] = [];
    let judged = 0;
    for (const e of pathological) {
      const r = await analyst.analyze({ run: e.name, kind: 'analysis' });
      // The narrator names what the diagnoser found: a run the rules miss is the diagnoser's miss
      // (measured by npm run eval), not the narrator's.
      if (!r.findings.some((f) => f.severity !== 'info' && e.accepted.includes(f.kind))) continue;
      judged++;
      const kind = mainProblem(r.text);
      if (!kind || !e.accepted.includes(kind)) misses.push(`${e.name}: expected ${e.accepted.join('|')}, named ${kind ?? 'nothing'}`);
    }
    expect(judged).toBeGreaterThanOrEqual(Math.ceil(pathological.length * 0.85));
    expect(misses.length, misses.join('\n')).toBeLessThanOrEqual(Math.floor(judged * 0.1));
  });

  it('gives the numbers: the best value and epoch, and each open finding with its evidence', async () => {
    for (const e of expected) {
      const r = await analyst.analyze({ run: e.name, kind: 'analysis' });
      const best = (await source.context(e.name)).view().best;
      if (best && Number.isFinite(best.value)) {
        expect(r.text, e.name).toContain(`Best ${best.metric}: ${fmt(best.value)} at epoch ${fmt(best.epoch)}`);
      }
      for (const f of r.findings.filter((x) => x.status === 'open')) {
        expect(r.text, e.name).toContain(GUIDE[f.kind].title);
        expect(r.text, e.name).toContain(f.message);
        const numeric = Object.entries(f.evidence).find(([, v]) => typeof v === 'number' && Number.isFinite(v));
        if (numeric) expect(r.text, e.name).toContain(`${numeric[0]} = ${fmt(numeric[1] as number)}`);
      }
    }
  });

  it('says no problem was found on healthy runs the rules pass', async () => {
    for (const e of expected.filter((x) => x.expect === 'healthy')) {
      const r = await analyst.analyze({ run: e.name, kind: 'troubleshoot' });
      if (r.findings.some((f) => f.status === 'open')) continue;
      expect(r.text, e.name).toMatch(/No diagnostic rule has fired/);
    }
  });

  it('suggests the fitting change with the run\'s numbers', async () => {
    const low = await analyst.analyze({ run: 'digits-s1-lr-too-low', kind: 'tuning' });
    expect(low.suggestions[0]).toMatchObject({ parameter: 'lr', current: 1e-5, proposed: 1e-4 });
    expect(low.text).toMatch(/lr: 1e-5 → 1e-4/);
    const over = await analyst.analyze({ run: 'digits-s1-overfit', kind: 'tuning' });
    const best = (await source.context('digits-s1-overfit')).view().best!;
    const epochs = over.suggestions.find((s) => s.parameter === 'epochs');
    expect(epochs?.proposed).toBe(Math.ceil(best.epoch! * 1.2));
    expect(epochs?.rationale).toContain(`came at epoch ${best.epoch}`);
    const high = await analyst.analyze({ run: 'digits-s1-lr-too-high', kind: 'tuning' });
    const lr = high.suggestions.find((s) => s.parameter === 'lr');
    expect(lr).toMatchObject({ current: 1.5 });
    expect([0.15, 0.45]).toContain(lr?.proposed);
  });

  it('answers chat questions about the part of the run they ask about', async () => {
    const ask = async (run: string, message: string) => {
      const s = await analyst.chat({ run, message });
      for await (const _ of s.tokens);
      return (await s.done).message;
    };
    expect(await ask('digits-s1-overfit', 'Is my model overfitting?')).toMatch(/^Yes\. overfitting/);
    expect(await ask('digits-s1-healthy-adam', 'Is my model overfitting?')).toMatch(/^No overfitting detected/);
    expect(await ask('digits-s1-overfit', 'What was the best epoch?')).toMatch(/^Best val_loss: [\d.]+ at epoch \d+/);
    expect(await ask('digits-s1-vanishing', 'what is wrong?')).toMatch(/vanishing gradients/);
  });
});
