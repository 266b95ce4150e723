import { canonicalOf, namesLoss, normaliseValue, type Alias } from '../domain/aliases.ts';
import { isServiceEvent, type EventBody } from '../domain/events.ts';
import type { RunStatus } from '../domain/runs.ts';
import { Series, type SeriesSummary } from './series.ts';

export interface ContextLimits {
  /** Points kept per canonical metric window. */
  window: number;
  /** Distinct metric names (as sent) kept per run; more are counted, not kept. */
  maxMetrics: number;
  /** Notable events (checkpoints, LR changes, control, errors) kept for prompts. */
  recentEvents: number;
}

/** Points a step- or epoch-level name needs before it can take a quantity's series over. */
const TAKEOVER_MIN = 10;

/** The metrics that say how good the model is, in order of preference. */
const PRIMARY = ['val_loss', 'val_acc', 'train_loss'] as const;

/** The rank of names that only stand in for a quantity (see the alias table). */
const STAND_IN = 3;

export const DEFAULT_LIMITS: ContextLimits = { window: 256, maxMetrics: 256, recentEvents: 32 };

/**
 * What one metrics event meant, in canonical names; the diagnoser's input. The context reuses one
 * update object: it is valid until the next `apply`, which keeps a long run from allocating a map
 * per point.
 */
export interface MetricsUpdate {
  step: number | null;
  epoch: number | null;
  ts: number;
  /** Canonical name → value (percent accuracies normalised), only for series this event fed. */
  values: Map<string, number>;
  /**
   * The step (or, for a run without steps, the epoch) went back to where the run's metrics began:
   * training started over (a script run again into the same log, a file of several attempts), and
   * what came before says nothing about this attempt.
   */
  restarted: boolean;
  /** Values this event gave of losses the rules read under no loss name (a GAN's `train_disc_loss`). */
  otherLosses: number;
  /** The first of those that was NaN or infinite, as sent; null when none was. */
  nonFiniteLoss: string | null;
  /**
   * The logged point this event belongs to, counted from 1. Trainers that write each metric on
   * its own (TensorBoard's add_scalar, one MLflow log_metric or wandb.log call per metric) send
   * one point in several events: consecutive events at the same step and epoch with no name in
   * common share their point, so a rule can count points rather than events.
   */
  point: number;
}

interface NameSlot {
  alias: Alias | null;
  /** Values of this name seen, fed to a series or not: how much information it carries. */
  count: number;
  /** Whether values of this name are accuracies that may come in percent. */
  fraction: boolean;
  /** A loss the rules read under no loss name of theirs (see MetricsUpdate.otherLosses). */
  otherLoss: boolean;
  latest: LatestValue | null;
  series: Series | null;
}

export interface LatestValue {
  value: number;
  step: number | null;
  epoch: number | null;
  ts: number;
  /**
   * Values this name has had: tells a new value from one already seen, where times cannot (a
   * log's seconds-resolution stamps, a batch posted at once, a file read without times).
   */
  n: number;
}

export interface NotableEvent {
  seq: number | null;
  ts: number;
  type: string;
  text: string;
}

type ContextEvent = EventBody & { ts: number; seq?: number };

/**
 * A run folded into bounded windows and running summaries. Memory is bounded by `ContextLimits`
 * whatever the run's length; every event costs constant work.
 */
export class RunContext {
  readonly run: string;
  readonly limits: ContextLimits;
  readonly series = new Map<string, Series>();
  readonly latest = new Map<string, LatestValue>();
  droppedMetricNames = 0;
  status: RunStatus = 'running';
  /** Times of the trainer's first and last events (the service's own, findings and control, are not its times). */
  startedAt: number | null = null;
  finishedAt: number | null = null;
  lastEventAt: number | null = null;
  /** The run was read from a file without timestamps: its event times are when it was read, not when it ran. */
  untimed = false;
  /** Why the run failed, as its end said (`CUDA out of memory`, `the last loss is NaN`). */
  finishReason: string | null = null;
  totalEpochs: number | null = null;
  totalSteps: number | null = null;
  step: number | null = null;
  epoch: number | null = null;
  epochsCompleted = 0;
  private epochTimeSum = 0;
  private epochTimeCount = 0;
  private lastEpochTime: number | null = null;
  /** Epoch times measured between epoch events' timestamps, not logged by the trainer. */
  private epochTimesFromClock = false;
  private epochStartedAt: number | null = null;
  private lastEpochEndAt: number | null = null;
  private lastEpochEnded: number | null = null;
  private pointIndex = 0;
  lastSeq = 0;
  eventCount = 0;
  lastLr: number | null = null;
  /** The hyperparameters the run started with (the latest run_started's), for advice that names them. */
  config: Record<string, unknown> | null = null;
  readonly recent: NotableEvent[] = [];
  private readonly update: MetricsUpdate = { step: null, epoch: null, ts: 0, values: new Map(), restarted: false, otherLosses: 0, nonFiniteLoss: null, point: 0 };
  /** The point the last metrics event belonged to: its step, epoch and the canonical names it has had. */
  private point = 0;
  private pointStep: number | null = null;
  private pointEpoch: number | null = null;
  private readonly pointNames = new Set<string>();
  /** Step and epoch of the run's first metrics, where a restart goes back to. */
  private firstStep: number | null = null;
  private firstEpoch: number | null = null;
  /**
   * The logged step counts the steps of each epoch (a batch index, as many hand-written loops log
   * it), not the run's: it went back to its first value while the epoch moved on. Such steps are
   * not read from then on, and the epoch places each point.
   */
  private stepsPerEpoch = false;
  private readonly slots = new Map<string, NameSlot>();

  constructor(run: string, limits: ContextLimits = DEFAULT_LIMITS) {
    this.run = run;
    this.limits = limits;
  }

  get(canonical: string): Series | undefined {
    return this.series.get(canonical);
  }

  /** Folds one event in; returns the canonical update for metrics events. */
  apply(event: ContextEvent): MetricsUpdate | undefined {
    this.eventCount++;
    if (event.seq !== undefined) this.lastSeq = event.seq;
    // Metrics first: nearly every event is one, and a string compare costs less than the set lookup.
    if (event.type === 'metrics' || !isServiceEvent(event)) {
      if (this.startedAt === null) this.startedAt = event.ts;
      this.lastEventAt = event.ts;
    }
    switch (event.type) {
      case 'run_started':
        if (event.total_epochs) this.totalEpochs = event.total_epochs;
        if (event.total_steps) this.totalSteps = event.total_steps;
        if (event.config) this.config = event.config;
        this.resume();
        return undefined;
      case 'metrics':
        // New data after the end: the run was resumed (a file that grew, a trainer restarted), as the service records it.
        if (this.status !== 'running' && this.status !== 'paused') this.resume();
        return this.applyMetrics(event.values, event.step ?? null, event.epoch ?? null, event.ts);
      case 'epoch_started':
        this.noteEpoch(event.epoch);
        if (event.total_epochs) this.totalEpochs = event.total_epochs;
        this.epochStartedAt = event.ts;
        return undefined;
      case 'epoch_ended':
        if (event.total_epochs) this.totalEpochs = event.total_epochs;
        this.endEpoch(event.epoch, event.ts, true);
        return undefined;
      case 'checkpoint_saved':
      case 'checkpoint_loaded':
        this.note(event, `${event.type.replace('_', ' ')}: ${event.path}`);
        return undefined;
      case 'error':
        this.note(event, `error: ${event.message.slice(0, 200)}`);
        return undefined;
      case 'run_finished':
        this.status = event.status;
        this.finishReason = event.reason ?? null;
        this.untimed = event.timed === false;
        this.finishedAt = this.untimed ? null : event.ts;
        return undefined;
      case 'control':
        this.note(event, `control: ${String(event.control.action)}${event.control.reason ? ` (${String(event.control.reason)})` : ''}`);
        if (event.control.action === 'stop') this.status = 'stopped';
        return undefined;
      case 'control_ack':
        if (event.control.action === 'pause' && event.control.outcome === 'done') this.status = 'paused';
        if (event.control.action === 'resume' && event.control.outcome === 'done') this.status = 'running';
        return undefined;
      default:
        return undefined;
    }
  }

  private resume(): void {
    this.status = 'running';
    this.finishedAt = null;
    this.finishReason = null;
    this.untimed = false;
  }

  private note(event: ContextEvent, text: string): void {
    this.remark({ seq: event.seq ?? null, ts: event.ts, type: event.type, text });
  }

  private remark(notable: NotableEvent): void {
    this.recent.push(notable);
    if (this.recent.length > this.limits.recentEvents) this.recent.shift();
  }

  private noteEpoch(epoch: number): void {
    if (this.epoch === null || epoch > this.epoch) this.epoch = epoch;
  }

  private endEpoch(epoch: number, ts: number, explicit: boolean): void {
    // Wall-clock epoch time only from explicit epoch events: timestamps of imported rows are not reliable.
    if (explicit) {
      const from = this.epochStartedAt ?? this.lastEpochEndAt;
      if (from !== null && ts >= from && !this.series.has('epoch_time')) {
        this.addEpochTime((ts - from) / 1000);
        this.epochTimesFromClock = true;
      }
      this.lastEpochEndAt = ts;
      this.epochStartedAt = null;
    }
    if (this.lastEpochEnded !== null && epoch <= this.lastEpochEnded) return;
    this.lastEpochEnded = epoch;
    this.noteEpoch(epoch);
    this.epochsCompleted++;
  }

  private addEpochTime(seconds: number): void {
    this.epochTimeSum += seconds;
    this.epochTimeCount++;
    this.lastEpochTime = seconds;
  }

  private applyMetrics(raw: Record<string, number>, step: number | null, epoch: number | null, ts: number): MetricsUpdate {
    const restarted = this.startsOver(step, epoch);
    if (this.stepsPerEpoch) step = null;
    if (restarted) this.remark({ seq: null, ts, type: 'restart', text: `training started over: ${step !== null ? `step ${this.step} -> ${step}` : `epoch ${this.epoch} -> ${epoch}`}` });
    if (step !== null && (this.step === null || step > this.step)) this.step = step;
    if (epoch !== null) this.noteEpoch(epoch);
    const x = step ?? this.pointIndex;
    this.pointIndex++;
    const update = this.update;
    const values = update.values;
    values.clear();
    update.otherLosses = 0;
    update.nonFiniteLoss = null;
    for (const name in raw) {
      const value = raw[name];
      const slot = this.slotOf(name);
      if (slot.otherLoss) {
        update.otherLosses++;
        if (!Number.isFinite(value)) update.nonFiniteLoss ??= name;
      }
      const latest = slot.latest ?? this.remember(name, slot);
      if (latest) {
        latest.value = value;
        latest.step = step;
        latest.epoch = epoch;
        latest.ts = ts;
        latest.n++;
      }
      const alias = slot.alias;
      // A perplexity is at least 1: zero or less is not one, and its logarithm would read as a blow-up.
      if (!alias || (alias.exp && value <= 0)) continue;
      slot.count++;
      let s = slot.series;
      // A name that takes over its quantity at the very position its previous name was just read
      // at (the same evaluation logged under two names, in events of their own) starts its series
      // there but gives the rules no second reading of it.
      let repeat = false;
      if (!s || s.retired || s.source !== name) {
        const previous = this.series.get(alias.canonical);
        s = this.seriesFor(name, alias, slot.count);
        if (!s) continue;
        slot.series = s;
        repeat = previous !== undefined && previous !== s && (step !== null || epoch !== null) && previous.lastStep === step && previous.lastEpoch === epoch && !values.has(alias.canonical);
      }
      const v = slot.fraction ? normaliseValue(alias.canonical, value) : alias.exp ? Math.log(value) : alias.scale === undefined ? value : value * alias.scale;
      s.push(x, step, epoch, v);
      if (!repeat) values.set(alias.canonical, v);
    }
    // An integer epoch carried by a row with validation values marks the end of that epoch.
    if (epoch !== null && Number.isInteger(epoch) && (values.has('val_loss') || values.has('val_acc'))) this.endEpoch(epoch, ts, false);
    const epochTime = values.get('epoch_time');
    if (epochTime !== undefined && Number.isFinite(epochTime)) this.addEpochTime(epochTime);
    const lr = values.get('lr');
    if (lr !== undefined && Number.isFinite(lr)) {
      if (this.lastLr !== null && lr !== this.lastLr && Math.abs(lr - this.lastLr) > 0.2 * Math.abs(this.lastLr)) {
        this.remark({ seq: null, ts, type: 'lr_change', text: `lr ${this.lastLr} -> ${lr} at step ${step ?? '?'}` });
      }
      this.lastLr = lr;
    }
    update.step = step;
    update.epoch = epoch;
    update.ts = ts;
    update.restarted = restarted;
    update.point = this.pointOf(step, epoch, restarted, values);
    return update;
  }

  /** The point an event belongs to (see MetricsUpdate.point), noting its names in it. */
  private pointOf(step: number | null, epoch: number | null, restarted: boolean, values: Map<string, number>): number {
    const names = this.pointNames;
    let continues = !restarted && (step !== null || epoch !== null) && step === this.pointStep && epoch === this.pointEpoch;
    if (continues) for (const name of values.keys()) if (names.has(name)) continues = false;
    if (!continues) {
      this.point++;
      this.pointStep = step;
      this.pointEpoch = epoch;
      names.clear();
    }
    for (const name of values.keys()) names.add(name);
    return this.point;
  }

  /**
   * Whether this update's step (or epoch, without steps) went back to where the run's metrics
   * began. A step that goes back there while the epoch moves on counts the steps of each epoch.
   */
  private startsOver(step: number | null, epoch: number | null): boolean {
    this.firstStep ??= step;
    this.firstEpoch ??= epoch;
    if (step !== null && !this.stepsPerEpoch) {
      const back = this.firstStep !== null && this.step !== null && step < this.step && step <= this.firstStep;
      if (!back) return false;
      if (epoch === null || this.epoch === null || epoch <= this.epoch) return true;
      this.stepsPerEpoch = true;
      this.step = null;
      return false;
    }
    return epoch !== null && this.firstEpoch !== null && this.epoch !== null && epoch < this.epoch && epoch <= this.firstEpoch;
  }

  /**
   * What the context knows about a metric name, found with one map lookup per value: its alias,
   * its latest-value record and the series it feeds. Bounded like the rest of the context: a run
   * that invents names forever gets fresh, unremembered slots for the extra ones.
   */
  private slotOf(name: string): NameSlot {
    let slot = this.slots.get(name);
    if (!slot) {
      const alias = canonicalOf(name) ?? null;
      const otherLoss = alias?.canonical !== 'train_loss' && alias?.canonical !== 'val_loss' && namesLoss(name);
      slot = { alias, count: 0, fraction: alias !== null && normaliseValue(alias.canonical, 50) !== 50, otherLoss, latest: null, series: null };
      if (this.slots.size < this.limits.maxMetrics * 4) this.slots.set(name, slot);
    }
    return slot;
  }

  /**
   * The series a name feeds, if it may. Two names of one quantity are two aggregations of it (per
   * step and per epoch, Lightning's `train_loss_step` / `train_loss_epoch`, HF's `loss` and a final
   * `train_loss`): mixed in one window they would look like noise, so one name feeds the series.
   * The one with the most points wins, since rules starve on a few epoch points when hundreds of
   * step points are logged (and the reverse when steps are logged once every few epochs): a name
   * takes over once it has twice the points of the current one and at least `TAKEOVER_MIN`. Early
   * on, while the current name has few points, a better-ranked name (exact over level-suffixed,
   * any over a stand-in such as YOLO's box loss) takes over at once.
   */
  private seriesFor(name: string, alias: Alias, count: number): Series | null {
    const current = this.series.get(alias.canonical);
    if (current && current.source === name) return current;
    if (!current && this.series.size >= this.limits.maxMetrics) return null;
    if (current) {
      const better = alias.rank < current.rank && (current.count < TAKEOVER_MIN || current.rank === STAND_IN);
      const denser = count >= TAKEOVER_MIN && count >= 2 * current.count;
      if (!better && !denser) return null;
      current.retired = true;
    }
    const s = new Series(alias.canonical, name, alias.rank, this.limits.window);
    this.series.set(alias.canonical, s);
    return s;
  }

  private remember(name: string, slot: NameSlot): LatestValue | null {
    if (this.latest.size >= this.limits.maxMetrics) {
      this.droppedMetricNames++;
      return null;
    }
    const latest: LatestValue = { value: NaN, step: null, epoch: null, ts: 0, n: 0 };
    this.latest.set(name, latest);
    if (this.slots.get(name) === slot) slot.latest = latest;
    return latest;
  }

  /** The series that says how good the model is: val loss, else val accuracy, else train loss. */
  primary(): Series | undefined {
    // A series with no finite value (a validation loss that was NaN throughout) has no best.
    for (const name of PRIMARY) {
      const s = this.series.get(name);
      if (s && Number.isFinite(s.best)) return s;
    }
    return undefined;
  }

  /**
   * The run's best: the best value of its primary metric (lowest loss, highest accuracy) over
   * every point, and where. The one reading of "best" that status, analysis and the dashboard show.
   */
  best(): BestValue | null {
    const p = this.primary();
    return p ? { metric: p.name, value: p.best, step: p.bestStep, epoch: p.bestEpoch } : null;
  }

  summaries(): SeriesSummary[] {
    return [...this.series.values()].map((s) => s.summary());
  }

  /** Status in the shape of seed 3's task status, computed from summaries only. */
  view(now = Date.now()): RunProgress {
    const progress = this.progress();
    const elapsed = this.elapsed(this.finishedAt ?? now);
    const running = this.status === 'running' || this.status === 'paused';
    const eta = running && elapsed !== null && progress !== null && progress > 0 && progress < 1 ? (elapsed * (1 - progress)) / progress : null;
    const epochTimes = this.epochTimes();
    return {
      status: this.status,
      progress: progress === null ? null : Math.round(progress * 10_000) / 100,
      step: this.step,
      total_steps: this.totalSteps,
      epoch: this.epoch,
      total_epochs: this.totalEpochs,
      epochs_completed: this.epochsCompleted,
      best: this.best(),
      elapsed_s: elapsed,
      eta_s: eta,
      avg_epoch_time_s: epochTimes ? epochTimes.sum / epochTimes.count : null,
      last_epoch_time_s: epochTimes?.last ?? null,
      last_event_at: this.lastEventAt,
      finish_reason: this.finishReason,
    };
  }

  /**
   * Epoch times in seconds, logged by the trainer or measured between its epoch events; none when
   * measured on the times an untimed file was read at.
   */
  epochTimes(): { sum: number; count: number; last: number } | null {
    if (!this.epochTimeCount || (this.untimed && this.epochTimesFromClock)) return null;
    return { sum: this.epochTimeSum, count: this.epochTimeCount, last: this.lastEpochTime! };
  }

  /** Seconds from the run's first event to `end`; null when its times are not its own (an untimed file). */
  elapsed(end: number): number | null {
    if (this.untimed || this.startedAt === null) return null;
    return Math.max(0, (end - this.startedAt) / 1000);
  }

  /** Fraction done from epochs or steps, whichever the run declared; null when unknown. */
  progress(): number | null {
    if (this.status === 'completed') return 1;
    if (this.totalSteps && this.step !== null) return Math.min(1, this.step / this.totalSteps);
    if (this.totalEpochs && this.epoch !== null) {
      const done = Math.max(this.epochsCompleted, Math.floor(this.epoch));
      return Math.min(1, done / this.totalEpochs);
    }
    return null;
  }
}

export interface BestValue {
  metric: string;
  value: number;
  step: number | null;
  epoch: number | null;
}

export interface RunProgress {
  status: RunStatus;
  progress: number | null;
  step: number | null;
  total_steps: number | null;
  epoch: number | null;
  total_epochs: number | null;
  epochs_completed: number;
  best: BestValue | null;
  elapsed_s: number | null;
  eta_s: number | null;
  avg_epoch_time_s: number | null;
  last_epoch_time_s: number | null;
  last_event_at: number | null;
  finish_reason: string | null;
}
