// Metric names from free-text log lines ("Train Loss", "Valid Accuracy") in the snake form the alias table knows.
import { table } from '../../domain/own.ts';

/** Words trainers use for the same thing, read as one token each. */
const WORDS: Record<string, string> = table({
  training: 'train',
  train: 'train',
  validation: 'val',
  valid: 'val',
  val: 'val',
  eval: 'val',
  evaluation: 'val',
  dev: 'val',
  accuracy: 'acc',
  acc: 'acc',
  current: '',
});

/**
 * Names that mean a gradient norm in the logs they appear in: nanoGPT's `norm`, a `Grad:` column,
 * fairseq's `gnorm`, `grad(norm)`. A bare `norm` in a training line is the clipped global gradient norm.
 */
const WHOLE: Record<string, string> = table({
  norm: 'grad_norm',
  grad: 'grad_norm',
  gnorm: 'grad_norm',
  'grad(norm)': 'grad_norm',
  'grad norm': 'grad_norm',
  'learning rate': 'lr',
  'current learning rate': 'lr',
});

/** Names read so far: a log prints the same few names on every line. */
const CACHE = new Map<string, string>();
const CACHE_LIMIT = 10_000;

export function normaliseName(raw: string): string {
  let name = CACHE.get(raw);
  if (name === undefined) {
    if (CACHE.size >= CACHE_LIMIT) CACHE.clear();
    name = normalise(raw);
    CACHE.set(raw, name);
  }
  return name;
}

function normalise(raw: string): string {
  // CamelCase words are words too (`AngleError`, `ValLoss`); `mAP` is one word.
  const name = raw.trim().replace(/([a-z])([A-Z][a-z])/g, '$1_$2').replace(/\s+/g, ' ').toLowerCase();
  const whole = WHOLE[name];
  if (whole) return whole;
  return name
    .replace(/learning rate/g, 'lr')
    .split(/[ _]+/)
    .map((w) => WORDS[w] ?? w)
    .filter((w) => w !== '')
    .join('_');
}

/**
 * Names that place a line in training (read as its epoch or step) or are bookkeeping, not metrics;
 * `best dice 0.8 at epoch: 12` and `validation loss at iteration 200` say where, not how much.
 */
const POSITIONS = /^(?:(?:train|val|test)_)?(?:epoch|epochs|step|steps|iteration|iter|iters|global_step|num_updates|batch|v_num|eta|end_of_epoch)$|(?:^|_)at_(?:epoch|step|iteration|iter|batch)$/;

export function isPositionName(normalised: string): boolean {
  return POSITIONS.test(normalised);
}
