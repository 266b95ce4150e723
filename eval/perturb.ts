// Robustness of the diagnosis to how a run is logged, not to what it shows: the same run with its
// losses in other units, or logged half as often, should get the same reading. A rule that breaks
// under these has learnt something about the files it was tuned on, not about training.
import type { EventInput } from '../src/domain/events.ts';
import { canonicalOf } from '../src/domain/aliases.ts';
import { importContent, importFile } from '../src/ingest/files/import-file.ts';
import type { LabelledRun } from './datasets.ts';
import { replay, seriousKinds } from './replay.ts';

type Perturb = (events: readonly EventInput[]) => EventInput[];

const isLoss = (name: string): boolean => /_loss$/.test(canonicalOf(name)?.canonical ?? '');
const isValidation = (name: string): boolean => /^val_/.test(canonicalOf(name)?.canonical ?? '');

function scaleLosses(factor: number): Perturb {
  return (events) =>
    events.map((e) =>
      e.type === 'metrics'
        ? { ...e, values: Object.fromEntries(Object.entries(e.values).map(([k, v]) => [k, isLoss(k) && typeof v === 'number' ? v * factor : v])) }
        : e,
    );
}

const isTrainLoss = (name: string): boolean => canonicalOf(name)?.canonical === 'train_loss';

/**
 * Every second point of the training loss dropped, with what was logged beside it; evaluations
 * (points with a validation value) and points without a training loss (an lr row) all kept.
 */
const halfAsOften: Perturb = (events) => {
  let n = 0;
  return events.filter((e) => {
    if (e.type !== 'metrics') return true;
    const names = Object.keys(e.values);
    return names.some(isValidation) || !names.some(isTrainLoss) || n++ % 2 === 0;
  });
};

/**
 * Each metric in an event of its own at the same step and epoch, as TensorBoard's `add_scalar` or
 * one `wandb.log` call per metric writes them: a rule must not depend on what arrives together.
 */
const oneMetricPerEvent: Perturb = (events) =>
  events.flatMap((e): EventInput[] => (e.type === 'metrics' ? Object.entries(e.values).map(([k, v]) => ({ ...e, values: { [k]: v } })) : [e]));

/**
 * The mean training loss of each epoch logged beside the per-step values, as Lightning's
 * `on_step=True, on_epoch=True` writes `train_loss_step` and `train_loss_epoch`: the rules must
 * keep reading the steps, not starve on a few epoch points. Runs without epochs on their steps,
 * or with an epoch-level training loss already, are left as they are.
 */
const epochMeansBesideSteps: Perturb = (events) => {
  const out: EventInput[] = [];
  let sum = 0;
  let n = 0;
  let epoch: number | null = null;
  let step: number | undefined;
  const close = () => {
    if (epoch !== null && n > 1) out.push({ type: 'metrics', step, epoch, values: { train_loss_epoch: sum / n } });
    sum = n = 0;
  };
  for (const e of events) {
    if (e.type === 'metrics' && e.epoch !== undefined) {
      const name = Object.keys(e.values).find(isTrainLoss);
      if (name !== undefined && canonicalOf(name)!.rank === 1) return [...events];
      const v = name === undefined ? undefined : e.values[name];
      if (v !== undefined && Number.isFinite(v)) {
        if (epoch !== null && Math.floor(e.epoch) !== epoch) close();
        epoch = Math.floor(e.epoch);
        step = e.step;
        sum += v;
        n++;
      }
    }
    out.push(e);
  }
  close();
  return out;
};

/**
 * Training and validation losses logged as perplexities (`train_perplexity`, `val_perplexity`), as
 * language-model trainers often do: the context reads their logarithm, the same losses. Runs with a
 * loss of 50 or more (exp overflows the sense of it), or another loss name beside, are left as they are.
 */
const lossesAsPerplexity: Perturb = (events) => {
  const split = (name: string) => canonicalOf(name)?.canonical;
  for (const e of events)
    if (e.type === 'metrics')
      for (const [k, v] of Object.entries(e.values)) if ((split(k) === 'train_loss' || split(k) === 'val_loss') && !(v < 50)) return [...events];
  const names = new Map<string, string>();
  for (const e of events) if (e.type === 'metrics') for (const k of Object.keys(e.values)) if (isLoss(k) && !names.has(k)) names.set(k, split(k)!);
  if (new Set(names.values()).size !== names.size) return [...events];
  return events.map((e) =>
    e.type === 'metrics'
      ? {
          ...e,
          values: Object.fromEntries(
            Object.entries(e.values).map(([k, v]) => {
              const c = split(k);
              return c === 'train_loss' || c === 'val_loss' ? [c === 'train_loss' ? 'train_perplexity' : 'val_perplexity', Math.exp(v)] : [k, v];
            }),
          ),
        }
      : e,
  );
};

/** Every value printed with four decimals, as text logs and progress bars show them (`loss: 0.0123`). */
const fourDecimals: Perturb = (events) =>
  events.map((e) =>
    e.type === 'metrics' ? { ...e, values: Object.fromEntries(Object.entries(e.values).map(([k, v]) => [k, Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v])) } : e,
  );

/**
 * Losses at a hundredth of their scale, then every value printed with four decimals: a converged
 * loss of a few thousandths reads as a few units of the last digit (Keras prints losses so).
 */
const smallLossesFourDecimals: Perturb = (events) => fourDecimals(scaleLosses(0.01)(events));

/** Accuracies as percentages (82.5 for 0.825), as many trainers print them. */
const accuracyInPercent: Perturb = (events) =>
  events.map((e) =>
    e.type === 'metrics'
      ? { ...e, values: Object.fromEntries(Object.entries(e.values).map(([k, v]) => [k, /_acc$/.test(canonicalOf(k)?.canonical ?? '') && typeof v === 'number' ? v * 100 : v])) }
      : e,
  );

/** The learning rate not logged: most trainers do not log it, and a schedule must then be read from the curve. */
const withoutLr: Perturb = (events) =>
  events.flatMap((e): EventInput[] => {
    if (e.type !== 'metrics') return [e];
    const values = Object.fromEntries(Object.entries(e.values).filter(([k]) => canonicalOf(k)?.canonical !== 'lr'));
    return Object.keys(values).length ? [{ ...e, values }] : [];
  });

/**
 * Steps counted within each epoch (a batch index, as many hand-written loops log it): the step
 * starts again at 1 whenever the whole epoch changes. Runs whose steps carry no epoch are left as
 * they are. The reading must not change: the epoch still places every point.
 */
const stepsPerEpoch: Perturb = (events) => {
  let epoch: number | null = null;
  let first = 0;
  return events.map((e) => {
    if (e.type !== 'metrics' || e.step === undefined || e.step === null || e.epoch === undefined || e.epoch === null) return e;
    const whole = Math.floor(e.epoch);
    if (whole !== epoch) {
      epoch = whole;
      first = e.step;
    }
    return { ...e, step: e.step - first + 1 };
  });
};

/**
 * Other spellings of each plain quantity, one naming style per column: TensorBoard-style groups,
 * Hugging Face's prefixes, words spelled out, PascalCase, words with spaces. A run read by the parts of its names
 * must not care which one its trainer used.
 */
const STYLES: Record<string, string[]> = {
  train_loss: ['Loss/train', 'train/loss', 'training_loss', 'TrainLoss', 'Train Loss'],
  val_loss: ['Loss/val', 'eval/loss', 'validation_loss', 'ValLoss', 'Valid Loss'],
  train_acc: ['Accuracy/train', 'train/accuracy', 'training_accuracy', 'TrainAcc', 'Train Accuracy'],
  val_acc: ['Accuracy/val', 'eval/accuracy', 'validation_accuracy', 'ValAcc', 'Valid Accuracy'],
  lr: ['LearningRate', 'train/learning_rate', 'learning_rate', 'LR', 'Learning Rate'],
  grad_norm: ['Gradients/norm', 'train/grad_norm', 'gradient_norm', 'GradNorm', 'Grad Norm'],
};

/**
 * Each quantity the run logs under exactly one name renamed to style `k`. Quantities logged
 * under several names (a step and an epoch form) keep them: one new name cannot say which is which.
 */
function renamed(k: number): Perturb {
  return (events) => {
    const names = new Map<string, Set<string>>();
    for (const e of events)
      if (e.type === 'metrics')
        for (const name of Object.keys(e.values)) {
          const canonical = canonicalOf(name)?.canonical;
          if (canonical && STYLES[canonical]) names.set(canonical, (names.get(canonical) ?? new Set()).add(name));
        }
    const to = new Map<string, string>();
    for (const [canonical, set] of names) if (set.size === 1) to.set([...set][0], STYLES[canonical][k]);
    return events.map((e) =>
      e.type === 'metrics' ? { ...e, values: Object.fromEntries(Object.entries(e.values).map(([n, v]) => [to.get(n) ?? n, v])) } : e,
    );
  };
}

/** A name as a console prints it: one token (`Train Loss` becomes `Train_Loss`). */
const token = (name: string): string => name.replace(/\s+/g, '_');

/** A number as Python prints it: full precision, and `nan` / `inf` spelled its way. */
const printed = (v: number): string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v));

/**
 * The run printed to a console and read back by the text reader: each metrics event a line in one
 * trainer's style, the run's declaration kept (a console has no such line), other events dropped.
 * Whatever the reader cannot place or name is lost, and the reading then shows it.
 */
function printedAs(line: (e: Extract<EventInput, { type: 'metrics' }>, i: number) => string, format: 'text' | 'csv' = 'text'): Perturb {
  return (events) => {
    const metrics = events.filter((e): e is Extract<EventInput, { type: 'metrics' }> => e.type === 'metrics');
    const started = events.filter((e) => e.type === 'run_started');
    return [...started, ...importContent(metrics.map(line).join('\n') + '\n', format, 'printed').events];
  };
}

const position = (e: Extract<EventInput, { type: 'metrics' }>, epochWord: string, stepWord: string, sep: string): string[] => [
  ...(e.epoch !== undefined && e.epoch !== null ? [`${epochWord}${sep}${e.epoch}`] : []),
  ...(e.step !== undefined && e.step !== null ? [`${stepWord}${sep}${e.step}`] : []),
];

/** `epoch=3 step=1200 loss=0.52 val_loss=0.61`: a hand-written loop's print. */
const keyValueLines = printedAs((e) => [...position(e, 'epoch', 'step', '='), ...Object.entries(e.values).map(([k, v]) => `${token(k)}=${printed(v)}`)].join(' '));

/** `2024-05-01 10:00:00,000 - trainer - INFO - Epoch: 3 | Step: 1200 | loss: 0.52 | ...`: Python's logging. */
const loggingLines = printedAs(
  (e, i) =>
    `${new Date(Date.UTC(2024, 4, 1, 10) + i * 1000).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',')} - trainer - INFO - ` +
    [...position(e, 'Epoch', 'Step', ': '), ...Object.entries(e.values).map(([k, v]) => `${token(k)}: ${printed(v)}`)].join(' | '),
);

/** One wide CSV: a column per name, `step` and `epoch` first, empty cells where a row has no value. */
const csvTable: Perturb = (events) => {
  const metrics = events.filter((e): e is Extract<EventInput, { type: 'metrics' }> => e.type === 'metrics');
  const names = [...new Set(metrics.flatMap((e) => Object.keys(e.values)))];
  const cell = (v: unknown) => (v === undefined || v === null ? '' : printed(v as number));
  const rows = metrics.map((e) => [cell(e.step), cell(e.epoch), ...names.map((n) => cell(e.values[n]))].join(','));
  const csv = [['step', 'epoch', ...names.map((n) => (n.includes(',') ? `"${n}"` : n))].join(','), ...rows].join('\n') + '\n';
  return [...events.filter((e) => e.type === 'run_started'), ...importContent(csv, 'csv', 'printed').events];
};

/**
 * `invariant`: the reading must not change at all (a loss in other units is the same run).
 * Otherwise fewer points may carry too little evidence for a slow finding, but must not raise a
 * finding the full run does not.
 */
export const PERTURBATIONS: Array<{ name: string; invariant: boolean; apply: Perturb }> = [
  { name: 'losses x10', invariant: true, apply: scaleLosses(10) },
  { name: 'losses x0.1', invariant: true, apply: scaleLosses(0.1) },
  { name: 'logged half as often', invariant: false, apply: halfAsOften },
  { name: 'one metric per event', invariant: true, apply: oneMetricPerEvent },
  { name: 'epoch means beside steps', invariant: false, apply: epochMeansBesideSteps },
  { name: 'accuracy in percent', invariant: true, apply: accuracyInPercent },
  { name: 'losses as perplexity', invariant: true, apply: lossesAsPerplexity },
  { name: 'printed with 4 decimals', invariant: false, apply: fourDecimals },
  { name: 'losses x0.01, 4 decimals', invariant: false, apply: smallLossesFourDecimals },
  { name: 'no lr logged', invariant: false, apply: withoutLr },
  { name: 'steps counted per epoch', invariant: true, apply: stepsPerEpoch },
  { name: 'printed as key=value lines', invariant: true, apply: keyValueLines },
  { name: 'printed by Python logging', invariant: true, apply: loggingLines },
  { name: 'written as one CSV', invariant: true, apply: csvTable },
  ...STYLES.val_loss.map((_, k) => ({ name: `names like ${STYLES.val_loss[k]}`, invariant: true, apply: renamed(k) })),
];

export interface Shift {
  run: LabelledRun;
  perturbation: string;
  before: string[];
  after: string[];
  /** A break: an invariant reading changed, or a kind appeared that the full run does not raise. */
  broken: boolean;
}

/** How each perturbation changes the kinds raised on one run. */
export async function perturbRun(run: LabelledRun): Promise<Shift[]> {
  const imported = await importFile(run.file);
  const events = imported.run_started ? [imported.run_started, ...imported.events] : imported.events;
  const kinds = (evs: readonly EventInput[]) => [...seriousKinds(replay(run.name, evs).findings)].sort();
  const before = kinds(events);
  const shifts: Shift[] = [];
  for (const p of PERTURBATIONS) {
    const after = kinds(p.apply(events));
    if (after.join() === before.join()) continue;
    const broken = p.invariant || after.some((k) => !before.includes(k));
    shifts.push({ run, perturbation: p.name, before, after, broken });
  }
  return shifts;
}
