// Runs every rule on each metrics update of a run and keeps that run's findings, debounced.
import { randomUUID } from 'node:crypto';
import { RunContext, type MetricsUpdate } from '../context/run-context.ts';
import type { RunAnalysis } from '../domain/analysis.ts';
import type { EventInput } from '../domain/events.ts';
import { SEVERITY_RANK, type Detection, type Finding, type FindingChange, type FindingKind } from '../domain/findings.ts';
import { analyzeRun } from './analysis.ts';
import { GradRange } from './grad-range.ts';
import { MEDIAN_SPAN, Smoothed } from './smooth.ts';
import { UpdateView } from './view.ts';
import type { Rule, RunFacts } from './rule.ts';
import { deadRelu } from './rules/dead-relu.ts';
import { divergence } from './rules/divergence.ts';
import { explodingGradients } from './rules/exploding-gradients.ts';
import { lrTooLow } from './rules/lr-too-low.ts';
import { nanLoss } from './rules/nan-loss.ts';
import { oscillation } from './rules/oscillation.ts';
import { overfitting } from './rules/overfitting.ts';
import { plateau } from './rules/plateau.ts';
import { slowThroughput } from './rules/slow-throughput.ts';
import { vanishingGradients } from './rules/vanishing-gradients.ts';

/**
 * Every rule, in evaluation order: blow-ups first, so that rules which stand down after an
 * instability (dead units, stuck loss, plateau) already see it within the same update.
 */
export const RULES: readonly Rule[] = [
  nanLoss,
  divergence,
  explodingGradients,
  oscillation,
  vanishingGradients,
  deadRelu,
  lrTooLow,
  plateau,
  overfitting,
  slowThroughput,
];

const NO_CHANGES: readonly FindingChange[] = Object.freeze([]);

/** What every rule reads of a run before its first update. */
function freshFacts(raised: Set<FindingKind>, view: UpdateView): Mutable<RunFacts> {
  return { raised, view, loss: judgedLoss(), lossName: undefined, lossFed: false, gradLevel: new Smoothed(3), weightGrowth: 1, grad: new GradRange(), lrRatio: NaN };
}

/** The judged loss: divergence weighs its rises against its scatter in log space too. */
const judgedLoss = (): Smoothed => new Smoothed(MEDIAN_SPAN, true);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface DiagnoserOptions {
  now?: () => number;
}

/**
 * The findings of one run. One open finding per kind: a rule firing again updates it (and
 * records the previous severity when it rises), a rule reporting the condition gone resolves it.
 * Seeded with the run's stored open findings after a restart, so that re-detection updates them
 * instead of raising duplicates.
 */
export class RunDiagnoser {
  readonly run: string;
  private states: unknown[];
  private readonly openByKind = new Map<FindingKind, Finding>();
  private readonly findings: Finding[] = [];
  private readonly raised = new Set<FindingKind>();
  private readonly view = new UpdateView();
  private facts = freshFacts(this.raised, this.view);
  private firstWeight = NaN;
  private lastLr = NaN;
  private readonly now: () => number;

  constructor(run: string, open: Finding[] = [], opts: DiagnoserOptions = {}) {
    this.run = run;
    this.now = opts.now ?? Date.now;
    this.states = RULES.map((r) => r.init());
    this.adopt(open);
  }

  /**
   * Takes stored open findings of kinds this diagnoser has none open of, so that re-detecting
   * them while events are replayed updates them instead of raising duplicates.
   */
  adopt(open: Finding[]): void {
    for (const f of open) {
      if (f.status !== 'open' || this.openByKind.has(f.kind)) continue;
      const copy = { ...f, evidence: { ...f.evidence }, actions: [...f.actions] };
      this.openByKind.set(f.kind, copy);
      this.findings.push(copy);
      if (f.severity !== 'info') this.raised.add(f.kind);
    }
  }

  /** Runs the rules on one update; returns the finding changes it caused (often none). */
  evaluate(ctx: RunContext, update: MetricsUpdate): readonly FindingChange[] {
    let changes: FindingChange[] | undefined;
    if (update.restarted) changes = this.startOver();
    const { view, facts } = this;
    view.read(ctx, update);
    // A run that logged a validation loss before its first training loss (an evaluation before
    // training, or each metric in an event of its own) judges the training loss from then on:
    // from its own start, not from a level and best set by the other loss.
    if (view.lossName !== facts.lossName) {
      facts.lossName = view.lossName;
      facts.loss = judgedLoss();
    }
    // Smoothed once here for every rule that judges it (a median per rule would cost as much again).
    facts.lossFed = view.loss !== undefined && facts.loss.push(view.loss, update.step, update.epoch);
    // Against the lr of the last loss point, so that a rise logged in an event of its own (one
    // metric per event) still reaches the rules on the loss point that follows it.
    const lr = view.lr ?? ctx.lastLr ?? undefined;
    facts.lrRatio = lr !== undefined && Number.isFinite(lr) ? lr / this.lastLr : NaN;
    if (lr !== undefined && Number.isFinite(lr) && (facts.lossFed || Number.isNaN(this.lastLr))) this.lastLr = lr;
    // Rules judge this update against the range as it was before it.
    const g = view.gradNorm;
    if (g !== undefined && g >= 0) facts.gradLevel.push(g, update.step, update.epoch);
    const w = view.weightNorm;
    if (w !== undefined && Number.isFinite(w) && w > 0) {
      if (Number.isNaN(this.firstWeight)) this.firstWeight = w;
      facts.weightGrowth = Math.max(facts.weightGrowth, w / this.firstWeight);
    }
    for (let i = 0; i < RULES.length; i++) {
      const rule = RULES[i];
      const verdict = rule.evaluate(ctx, update, this.states[i], this.facts);
      if (verdict === undefined) continue;
      const change = verdict === 'clear' ? this.resolve(rule.kind) : this.apply(verdict, update);
      if (change) (changes ??= []).push(change);
    }
    if (g !== undefined) facts.grad.push(g);
    return changes ?? NO_CHANGES;
  }

  open(): Finding[] {
    return [...this.openByKind.values()];
  }

  /**
   * Training started over: every rule judges the new attempt from scratch, and what the last
   * attempt's findings described is gone with it (they stay in the run's history, resolved).
   */
  private startOver(): FindingChange[] {
    const changes: FindingChange[] = [];
    for (const kind of [...this.openByKind.keys()]) changes.push(this.resolve(kind)!);
    this.states = RULES.map((r) => r.init());
    this.raised.clear();
    this.facts = freshFacts(this.raised, this.view);
    this.firstWeight = NaN;
    this.lastLr = NaN;
    return changes;
  }

  /** Every finding of the run this diagnoser has known, open and resolved, oldest first. */
  all(): Finding[] {
    return [...this.findings];
  }

  private apply(d: Detection, update: MetricsUpdate): FindingChange | undefined {
    const t = this.now();
    if (d.severity !== 'info') this.raised.add(d.kind);
    const current = this.openByKind.get(d.kind);
    if (!current) {
      const finding: Finding = {
        id: randomUUID(),
        run: this.run,
        kind: d.kind,
        severity: d.severity,
        status: 'open',
        step: update.step,
        epoch: update.epoch,
        seen_step: update.step,
        seen_epoch: update.epoch,
        message: d.message,
        evidence: d.evidence,
        actions: d.actions,
        created_at: t,
        updated_at: t,
        resolved_at: null,
      };
      this.openByKind.set(d.kind, finding);
      this.findings.push(finding);
      return { type: 'finding_raised', finding: { ...finding } };
    }
    // Severity only rises while a finding is open: weaker evidence later does not unsay it.
    const previous = current.severity;
    const rises = SEVERITY_RANK[d.severity] > SEVERITY_RANK[previous];
    if (!rises && d.message === current.message) return undefined;
    if (rises) current.severity = d.severity;
    current.seen_step = update.step;
    current.seen_epoch = update.epoch;
    current.message = d.message;
    current.evidence = d.evidence;
    current.actions = d.actions;
    current.updated_at = t;
    return rises ? { type: 'finding_updated', finding: { ...current }, previous } : { type: 'finding_updated', finding: { ...current } };
  }

  private resolve(kind: FindingKind): FindingChange | undefined {
    const current = this.openByKind.get(kind);
    if (!current) return undefined;
    const t = this.now();
    current.status = 'resolved';
    current.resolved_at = t;
    current.updated_at = t;
    this.openByKind.delete(kind);
    return { type: 'finding_resolved', finding: { ...current } };
  }
}

/**
 * Diagnoses a whole run offline (a file, a replay): folds the events into a fresh context, runs
 * the diagnoser on every metrics update, and returns all findings with the run's analysis.
 * Events without a timestamp get consecutive milliseconds from `start`.
 */
export function diagnoseEvents(
  name: string,
  events: Iterable<EventInput>,
  opts: DiagnoserOptions & { start?: number } = {},
): { findings: Finding[]; summary: RunAnalysis } {
  const ctx = new RunContext(name);
  const diagnoser = new RunDiagnoser(name, [], opts);
  // One reused carrier for metrics events (nearly all of a long run): the context reads it and
  // keeps nothing of it, and a fresh object per point would cost more than diagnosing the point.
  const carrier: Extract<EventInput, { type: 'metrics' }> & { ts: number } = { type: 'metrics', values: {}, ts: 0 };
  let ts = opts.start ?? 0;
  let timed = false;
  for (const event of events) {
    if (event.ts !== undefined) timed = true;
    ts = event.ts ?? ts + 1;
    let update: MetricsUpdate | undefined;
    if (event.type === 'metrics') {
      carrier.step = event.step;
      carrier.epoch = event.epoch;
      carrier.values = event.values;
      carrier.ts = ts;
      update = ctx.apply(carrier);
    } else {
      ctx.apply(event.ts === ts ? (event as EventInput & { ts: number }) : { ...event, ts });
    }
    if (update) diagnoser.evaluate(ctx, update);
  }
  const findings = diagnoser.all();
  return { findings, summary: analyzeRun(ctx, findings, { timed }) };
}
