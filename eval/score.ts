// Scores the diagnoser's findings against labelled runs: recall, exact kind, false alarms, time to detect.
import { importFile } from '../src/ingest/files/import-file.ts';
import { FindingKind } from '../src/domain/findings.ts';
import type { LabelledRun } from './datasets.ts';
import { onsetOf, pointsOf } from './onsets.ts';
import { replay, seriousKinds } from './replay.ts';
import { halfOf, type Half } from './split.ts';

/** Real-log labels that name one finding kind; other pathological labels accept any kind of their list. */
const LABEL_KIND: Record<string, string> = { nan: 'nan_loss', 'not-decreasing': '' };

/** The kind a label is about, or null when several kinds are equally right (a loss that never falls). */
export function primaryKind(label: string): string | null {
  const kind = LABEL_KIND[label] ?? label;
  return FindingKind.safeParse(kind).success ? kind : null;
}

export interface Outcome {
  run: LabelledRun;
  half: Half;
  /** Kinds raised at warning or critical. */
  kinds: Set<string>;
  /** healthy, mild, pathological, or unscored ("other"). */
  role: 'healthy' | 'mild' | 'pathological' | 'unscored';
  /** Healthy: nothing raised. Mild: nothing but overfitting. Pathological: an accepted kind raised. */
  ok: boolean;
  /** Pathological: the run's kind raised and nothing outside the accepted kinds. */
  exact: boolean;
  /** Updates between where the expected kind's condition first holds and where it was raised; null when not measurable. */
  delay: number | null;
  /** A NaN loss raised later than the update that carries the first one. */
  lateNan: boolean;
}

function roleOf(label: string): Outcome['role'] {
  if (label === 'healthy' || label === 'mild') return label;
  return label === 'other' ? 'unscored' : 'pathological';
}

/** Imports one labelled run's file, replays it through the diagnoser and scores the findings. */
export async function scoreRun(run: LabelledRun): Promise<Outcome> {
  const imported = await importFile(run.file);
  // As the service sees an imported run: what the file says of the run (its declared length) first.
  const { findings, seriousAt } = replay(run.name, imported.run_started ? [imported.run_started, ...imported.events] : imported.events);
  const kinds = seriousKinds(findings);
  const role = roleOf(run.label);
  const primary = primaryKind(run.label);
  let ok = false;
  let exact = false;
  if (role === 'healthy') ok = kinds.size === 0;
  else if (role === 'mild') ok = [...kinds].every((k) => k === 'overfitting');
  else if (role === 'pathological') {
    ok = run.accepted.some((k) => kinds.has(k));
    exact = (primary === null ? ok : kinds.has(primary)) && [...kinds].every((k) => run.accepted.includes(k));
  }
  let delay: number | null = null;
  let lateNan = false;
  if (role === 'pathological' || seriousAt.has('nan_loss')) {
    const points = pointsOf(imported.events);
    if (primary && seriousAt.has(primary as FindingKind)) {
      const onset = onsetOf(primary as FindingKind, points);
      if (onset !== undefined) delay = seriousAt.get(primary as FindingKind)! - onset;
    }
    const nanAt = seriousAt.get('nan_loss');
    const nanOnset = onsetOf('nan_loss', points);
    if (nanAt !== undefined && nanOnset !== undefined && nanAt > nanOnset) lateNan = true;
    if (role === 'pathological' && run.accepted.includes('nan_loss') && nanOnset !== undefined && nanAt === undefined) lateNan = true;
  }
  return { run, half: halfOf(run.source), kinds, role, ok, exact, delay, lateNan };
}

export interface Figures {
  runs: number;
  pathological: number;
  recalled: number;
  exact: number;
  healthy: number;
  falseAlarms: number;
  mild: number;
  mildOk: number;
  /** Expected kinds raised more than two updates after their onset, out of those measurable. */
  late: number;
  timed: number;
  lateNan: number;
}

export function figures(outcomes: readonly Outcome[]): Figures {
  const f: Figures = { runs: 0, pathological: 0, recalled: 0, exact: 0, healthy: 0, falseAlarms: 0, mild: 0, mildOk: 0, late: 0, timed: 0, lateNan: 0 };
  for (const o of outcomes) {
    f.runs++;
    if (o.role === 'pathological') {
      f.pathological++;
      if (o.ok) f.recalled++;
      if (o.exact) f.exact++;
    } else if (o.role === 'healthy') {
      f.healthy++;
      if (!o.ok) f.falseAlarms++;
    } else if (o.role === 'mild') {
      f.mild++;
      if (o.ok) f.mildOk++;
    }
    if (o.delay !== null) {
      f.timed++;
      if (o.delay > 2) f.late++;
    }
    if (o.lateNan) f.lateNan++;
  }
  return f;
}

/** One line for a miss: what the run is and what was raised. */
export function describeMiss(o: Outcome): string {
  const raised = [...o.kinds].join(',') || 'nothing';
  const what = o.role === 'healthy' ? 'false alarm' : o.role === 'mild' ? 'mild run raised more than overfitting' : !o.ok ? 'missed' : !o.exact ? 'not exact' : 'late';
  const timing = o.delay !== null && o.delay > 2 ? `, raised ${o.delay} updates after onset` : o.lateNan ? ', NaN not reported at its update' : '';
  return `${o.run.set}/${o.run.name} (${o.run.label}; ${o.run.source}): ${what}: ${raised}${timing}`;
}

/** Whether an outcome falls short of what the targets ask. */
export function isMiss(o: Outcome): boolean {
  if (o.role === 'unscored') return false;
  return !o.ok || (o.role === 'pathological' && !o.exact) || (o.delay !== null && o.delay > 2) || o.lateNan;
}
