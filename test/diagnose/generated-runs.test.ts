import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/domain/events.ts';
import type { FindingKind } from '../../src/domain/findings.ts';
import { diagnoseEvents } from '../../src/diagnose/engine.ts';
import { importFile } from '../../src/ingest/files/import-file.ts';
import { onsetOf, pointsOf } from '../../eval/onsets.ts';
import { replay, seriousKinds, type Replayed } from '../../eval/replay.ts';
import { expectedRows, GENERATED } from '../helpers/datasets.ts';

const DIR = GENERATED;

const rows = expectedRows(DIR).map(({ name, label, accepted }) => ({ name, expect: label, accepted }));

const events = new Map<string, EventInput[]>();
const results = new Map<string, Replayed>();

/** score.py's figures, computed the same way: only warning and critical findings count. */
function score(found: Map<string, Set<string>>) {
  let hit = 0;
  let exact = 0;
  let path = 0;
  let healthy = 0;
  let falseAlarms = 0;
  let mild = 0;
  let mildOk = 0;
  const problems: string[] = [];
  for (const { name, expect, accepted } of rows) {
    const kinds = found.get(name) ?? new Set<string>();
    if (expect === 'healthy') {
      healthy++;
      if (kinds.size) {
        falseAlarms++;
        problems.push(`false alarm ${name}: ${[...kinds]}`);
      }
    } else if (expect === 'mild') {
      mild++;
      if ([...kinds].every((k) => k === 'overfitting')) mildOk++;
    } else {
      path++;
      if (accepted.some((k) => kinds.has(k))) hit++;
      else problems.push(`missed ${name} (${expect}): ${[...kinds]}`);
      if (kinds.has(expect) && [...kinds].every((k) => accepted.includes(k))) exact++;
      else problems.push(`not exact ${name} (${expect}): ${[...kinds]}`);
    }
  }
  return { hit, exact, path, healthy, falseAlarms, mild, mildOk, problems };
}

describe('generated runs (development set)', () => {
  beforeAll(async () => {
    for (const file of readdirSync(DIR).filter((f) => f.endsWith('.jsonl'))) {
      const run = await importFile(join(DIR, file));
      const name = file.replace(/\.jsonl$/, '');
      events.set(name, run.events);
      results.set(name, replay(name, run.events));
    }
  });

  it('has every run of expected.tsv', () => {
    expect(rows).toHaveLength(40);
    for (const { name } of rows) expect(results.has(name), name).toBe(true);
  });

  // Two of the 29 pathological runs (digits-*-oscillating) show one loss spike and then a loss
  // stuck at chance: a single spike is not called oscillation (README, "How well it diagnoses"),
  // and a third is a noisy 45-sample validation set. The eval's targets are measured by `npm run eval`.
  it('reaches recall >= 89%, exact kind >= 85% and false alarms <= 5%', () => {
    const s = score(new Map([...results].map(([name, r]) => [name, seriousKinds(r.findings)])));
    const report = `recall ${s.hit}/${s.path}, exact ${s.exact}/${s.path}, false alarms ${s.falseAlarms}/${s.healthy}, mild ok ${s.mildOk}/${s.mild}\n${s.problems.join('\n')}`;
    expect(s.hit / s.path, report).toBeGreaterThanOrEqual(0.89);
    expect(s.exact / s.path, report).toBeGreaterThanOrEqual(0.85);
    expect(s.falseAlarms / s.healthy, report).toBeLessThanOrEqual(0.05);
    expect(s.mildOk, report).toBe(s.mild);
  });

  it('diagnoseEvents gives the same findings as a step-by-step replay, with a run analysis', () => {
    for (const [name, evs] of events) {
      const offline = diagnoseEvents(name, evs);
      expect(offline.findings.map((f) => `${f.kind}:${f.severity}:${f.status}`)).toEqual(
        results.get(name)!.findings.map((f) => `${f.kind}:${f.severity}:${f.status}`),
      );
      expect(offline.summary.run).toBe(name);
    }
  });

  it('raises a NaN at the update that carries it, and nearly every expected kind within two evaluations of its onset', () => {
    const late: string[] = [];
    const lateNan: string[] = [];
    let checked = 0;
    for (const { name, expect: expected } of rows) {
      const r = results.get(name)!;
      // The kind the run is about, and a NaN wherever one was raised (its onset is unambiguous).
      for (const kind of new Set([expected, 'nan_loss']) as Set<FindingKind>) {
        const at = r.seriousAt.get(kind);
        if (at === undefined) continue;
        const onset = onsetOf(kind, pointsOf(events.get(name)!));
        checked++;
        const where = `${name}: ${kind} raised at update ${at}, condition holds from ${onset}`;
        if (kind === 'nan_loss' && at !== onset) lateNan.push(where);
        else if (onset === undefined || at > onset + 2) late.push(where);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(30);
    expect(lateNan).toEqual([]);
    // The onset criteria are deliberately simple (a spike over the last ten points counts): on
    // heavy-tailed step-level runs the rules, which judge against the run's normal range and ask
    // the loss to deteriorate too, report later than such a criterion. The README lists them.
    expect(late.length / checked, late.join('\n')).toBeLessThanOrEqual(0.1);
  });

  describe('scored by score.py', () => {
    const python = spawnSync('python3', ['--version']).status === 0;
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'diagnose-score-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.skipIf(!python)('agrees with the TypeScript figures and meets the targets', () => {
      const found: Record<string, Array<{ kind: string; severity: string }>> = {};
      for (const [name, r] of results) found[name] = r.findings.map((f) => ({ kind: f.kind, severity: f.severity }));
      const file = join(dir, 'findings.json');
      writeFileSync(file, JSON.stringify(found));
      const out = spawnSync('python3', [join(DIR, 'score.py'), DIR, file], { encoding: 'utf8' });
      expect(out.status, out.stderr).toBe(0);
      const m = /recall (\d+)\/(\d+) = \d+%; exact kind (\d+)\/(\d+) = \d+%; false alarms (\d+)\/(\d+)/.exec(out.stdout);
      expect(m, out.stdout).not.toBeNull();
      const [recall, path, exact, , fa, healthy] = m!.slice(1).map(Number);
      const s = score(new Map([...results].map(([name, r]) => [name, seriousKinds(r.findings)])));
      expect({ recall, path, exact, fa, healthy }).toEqual({ recall: s.hit, path: s.path, exact: s.exact, fa: s.falseAlarms, healthy: s.healthy });
      expect(recall / path).toBeGreaterThanOrEqual(0.89);
      expect(exact / path).toBeGreaterThanOrEqual(0.85);
      expect(fa / healthy).toBeLessThanOrEqual(0.05);
    });
  });
});
