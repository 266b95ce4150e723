/**
 * Metric names as trainers write them, read as canonical names the rules understand. Names are
 * kept as sent in the store; this only adds a canonical reading of them.
 *
 * A name is read by its parts (`ValLoss`, `Validation-LogLoss`, `loss/train_epoch`): a split
 * (train, val, test), a quantity (loss, accuracy, learning rate, ...) and a level (epoch, step).
 * A short table of exact names, checked first, holds the exceptions the parts cannot tell.
 */
import { table } from './own.ts';

export const CANONICAL = [
  'train_loss',
  'val_loss',
  'test_loss',
  'train_acc',
  'val_acc',
  'test_acc',
  'lr',
  'grad_norm',
  'weight_norm',
  'epoch_time',
  'step_time',
  'throughput',
  'memory',
] as const;
export type CanonicalName = (typeof CANONICAL)[number];

export interface Alias {
  canonical: string;
  /**
   * Which name feeds a canonical series when a run logs several: the lowest rank wins, names of
   * equal rank share the series (the context also weighs epoch against step names by their
   * points). 0: the quantity itself; 1: an epoch aggregate; 2: a step-level value; 3: a stand-in
   * (YOLO's box loss for a total loss it does not log). Between 2 and 3, a qualified name
   * (`nll_loss`, `avg_loss`, `mean_token_accuracy`: 2.5, its epoch and step forms 2.6 and 2.7)
   * yields to every plain name of its quantity, so a run logging both `loss` and `nll_loss` does
   * not mix them in one window, and feeds the series only when no plain name is logged.
   */
  rank: number;
  /** Factor to the canonical unit (seconds for durations), when the name gives another (`ms/batch`). */
  scale?: number;
  /** The value is the exponential of the canonical quantity (a perplexity): its logarithm is read. */
  exp?: true;
}

export type Split = 'train' | 'val' | 'test';

const SPLITS: Record<string, Split> = table({
  train: 'train', training: 'train', tr: 'train', trn: 'train',
  val: 'val', valid: 'val', validation: 'val', eval: 'val', evaluation: 'val', dev: 'val',
  test: 'test',
});

/** The split a word of a name says (`validation` → val), or undefined. */
export function splitWord(word: string): Split | undefined {
  return SPLITS[word];
}

/** A level word anywhere in the name says what the value aggregates: `loss_step`, `Loss/Train_Batch`, `epoch_loss`. */
const LEVELS: Record<string, number> = table({ epoch: 1, step: 2, batch: 2, minibatch: 2, iter: 2, iteration: 2 });

/**
 * Words that group metrics without saying anything about them (`metrics/val_loss`; Chainer's
 * `main/loss` and `validation/main/loss`, reported by the model it calls main; `Test set loss`).
 */
const NOISE = new Set(['metrics', 'metric', 'scalars', 'scalar', 'charts', 'main', 'set']);

/** Words that name the training objective itself; `mse` alone is an error metric, `mse_loss` a loss. */
const LOSS_WORDS = new Set(['loss', 'logloss', 'nll', 'ce', 'xent', 'bce', 'crossentropy']);
/** Top-1 accuracy spellings; top-5 (`acc5`, `top5`) is another quantity. */
const ACC_WORDS = new Set(['acc', 'accuracy', 'top1', 'acc1']);
/**
 * Words that qualify a loss without making it a component of it: its type (`nll_loss`,
 * `mse-loss`) or an aggregate of it (`avg_loss`). A loss qualified by anything else (`box_loss`,
 * `kl_loss`, `loss_cls`) is one term of the objective, not the objective, and stays unmapped.
 */
const LOSS_QUALIFIERS = new Set([
  'nll', 'ce', 'bce', 'xent', 'crossentropy', 'mse', 'mae', 'l1', 'l2', 'huber', 'total', 'mean', 'avg', 'avr', 'average', 'running', 'overall', 'value',
  // The language-modelling loss of Megatron-LM and GPT-NeoX (`lm loss`): the objective itself.
  'lm',
]);
const ACC_QUALIFIERS = new Set(['mean', 'avg', 'avr', 'average', 'overall', 'token']);
/** Rank of a qualified name (see Alias.rank). */
const QUALIFIED = 2.5;
/** How much a total of loss terms (`total_loss`) ranks after the plain name of its level. */
const TOTAL = 0.5;
/**
 * `log_loss` and `LogLoss` are the loss itself, and so is the total of its terms (detectors log
 * `total_loss` beside `l1_loss`, `cls_loss`) and the loss's value (Megatron's `lm loss value`).
 */
const SAME_LOSS = new Set(['log', 'total', 'value']);

/**
 * YOLO detectors log no total loss: the box-regression loss stands for it, the largest and
 * steadiest part. YOLOv10 logs it for its one-to-many head (`box_om`) and its one-to-one head
 * (`box_oo`); the first stands in, the second only when it is alone.
 */
const STAND_INS: Record<string, number> = table({ 'box loss': 3, 'box om': 3, 'box oo': 3.5 });

/**
 * Units of a per-second rate, by how they count: one run logging samples/s and tokens/s keeps
 * them in separate series through distinct ranks, since their scales differ by orders of magnitude.
 */
const RATE_UNITS: Record<string, number> = table({
  samples: 0, sample: 0, examples: 0, records: 0, img: 0, imgs: 0, images: 0, sequences: 0, seqs: 0,
  tokens: 0.25, token: 0.25, tok: 0.25, words: 0.25,
  it: 0.5, its: 0.5, iters: 0.5, steps: 0.5, batches: 0.5,
});
const PER_SECOND = new Set(['s', 'sec', 'second']);

/** Words that measure how good a model is, lower better or higher better (used for `lowerIsBetter` and `isMetricName`). */
const LOWER_WORDS = new Set([
  ...LOSS_WORDS, 'error', 'err', 'perplexity', 'ppl', 'wer', 'cer', 'mae', 'mse', 'rmse', 'mape',
]);
const HIGHER_WORDS = new Set([
  ...ACC_WORDS, 'f1', 'map', 'bleu', 'auc', 'r2', 'precision', 'recall', 'rouge', 'iou', 'dice', 'score', 'ap',
]);

/** Edit distance 1 from these catches `Val_los`, `val_lss`, `train_acuracy`, but never these English words. */
const TYPO_TARGETS = ['loss', 'accuracy'];
const REAL_WORDS = new Set(['lost', 'lose', 'less', 'boss', 'moss', 'toss', 'lass', 'lossy', 'gloss', 'floss', 'loose']);

/** Exceptions: exact names (lower-cased) whose parts do not tell what they mean. */
const TABLE = new Map<string, Alias>();

function add(canonical: string, rank: number, names: string[], scale?: number): void {
  for (const n of names) TABLE.set(n, scale === undefined ? { canonical, rank } : { canonical, rank, scale });
}

// YOLOv5's first parameter group (`x/lr0`), Lightning's LearningRateMonitor names, mmengine's and ESPnet's param groups.
add('lr', 0, ['lr0', 'x/lr0', 'lr-adam', 'lr-adamw', 'lr-sgd', 'optimizer/lr', 'lr/group0', 'lr_group0', 'lr/pg0', 'optim0_lr0']);
// Lightning's track_grad_norm total; a clipped global norm.
add('grad_norm', 0, ['grad_2.0_norm_total', 'global_grad_norm']);
add('weight_norm', 0, ['weight_norm', 'param_norm', 'parameter_norm', 'weights_norm']);
// MXNet's `Epoch[3] Time cost=10.5`.
add('epoch_time', 0, ['epoch_time', 'epoch_duration', 'time/epoch', 'epoch_time_s', 'epoch_seconds', 'time_cost']);
// Not `time`: detectron2 means seconds per iteration by it, YOLOv8 the total elapsed time (text lines
// placed at a step read it as the step's time: see the key-value parser).
add('step_time', 0, ['step_time', 'batch_time', 'iter_time', 'time/step', 'sec_per_step']);
// word_language_model's `ms/batch`, Keras' `ms/step`: durations in milliseconds.
add('step_time', 0, ['ms/batch', 'ms/step', 'ms_per_batch', 'ms_per_step'], 1e-3);
// fairseq's words per second counts tokens.
add('throughput', 0, ['throughput']);
add('throughput', 0.25, ['wps']);
// TensorFlow's estimators; a singular unit is read only here (Ray Tune's `time_this_iter_s` is no rate).
add('throughput', 0.5, ['global_step/sec']);
add('memory', 0, ['memory', 'gpu_memory', 'memory_used', 'gpu_mem', 'mem', 'max_memory_allocated']);
// Glued words the parts cannot split.
add('train_loss', 0, ['trainloss']);
add('val_loss', 0, ['valloss']);
add('test_loss', 0, ['testloss']);
// llm.c's main.log: `s:100 trl:3.28 lr:0.0006 norm:0.31` and `s:100 tel:3.30`.
add('train_loss', 0, ['trl']);
add('val_loss', 0, ['tel']);

/** Per-layer gradient norms: `grad_norm/<layer>`, `grad_norm.<layer>`, Lightning's `grad_2.0_norm/<layer>`. */
const LAYER_GRAD = /^(grad_norm|grad_2\.0_norm|gradient_norm|grad)[/.](.+)$/i;
/**
 * What after such a prefix names the whole model's norm, not a layer's: `grad_norm/total`, and
 * after a bare `grad` also `grad/norm` (behind a prefix that says norm already, `norm` is a layer:
 * the final LayerNorm of many transformers is called so).
 */
const WHOLE_MODEL = /^(?:global|total|l2)(?:[_ ]?norm)?$/i;
const WHOLE_MODEL_AFTER_GRAD = /^(?:(?:global|total|l2)[_ ]?)?norm$/i;
/** `grad/param norm` (char-rnn): the ratio of the gradient's norm to the weights', no layer's norm. */
const PER_WEIGHT = /^(?:param|params|parameter|weight|weights)[_ ]?norm$/i;

/** Words of a gradient and words that say a norm is over the whole model (`gradients/global_norm`). */
const GRAD_WORDS = new Set(['grad', 'grads', 'gradient', 'gradients']);
const GLOBAL_WORDS = new Set(['global', 'total', 'l2']);

/** `grad norm`, `gradients global norm`, `total grad norm`, `gnorm`: the global gradient norm. */
function isGlobalGradNorm(content: string[]): boolean {
  const words = content.filter((w) => !GLOBAL_WORDS.has(w));
  if (words.length === 1) return words[0] === 'gnorm' || words[0] === 'gradnorm';
  return words.length === 2 && GRAD_WORDS.has(words[0]) && words[1] === 'norm';
}

/** Hugging Face evaluation on several sets: `eval_<set>_loss` (`val_<set>_acc` once a reader normalised it); the first set logged stands for validation. */
const EVAL_SET = /^(?:eval|val)_(?!top\d)[a-z0-9]+_(loss|accuracy|acc)$/i;

/**
 * Hugging Face's end-of-training summary in TensorBoard (`train/train_loss`, `train/train_runtime`):
 * one mean over the whole run, which fed as a point would look like a last-step jump.
 */
const HF_SUMMARY = /^train\/train_/i;

/** Accuracy-like canonical names, whose values given in percent are normalised to 0..1. */
const FRACTIONS = new Set(['train_acc', 'val_acc', 'test_acc']);

/**
 * The words of a name, lower-cased: split on `/ . _ - : ( ) [ ] %`, spaces, and camelCase or
 * PascalCase boundaries (`ValLoss` → val, loss; `NLLLoss` → nll, loss). `acc@1`, `top-1` and
 * `mAP50` become one word.
 */
export function nameTokens(name: string): string[] {
  const words = name
    // `mAP` (mean average precision) is one word, not a camelCase `m` and `AP`.
    .replace(/mAP/g, 'map')
    .replace(/(top|acc)[-_@ ]?(\d)/gi, '$1$2')
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s/._\-:()[\]%,]+/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '') continue;
    // Two-word spellings of one word.
    if (w === 'cross' && words[i + 1] === 'entropy') {
      out.push('crossentropy');
      i++;
    } else if (w === 'learning' && words[i + 1] === 'rate') {
      out.push('lr');
      i++;
    } else out.push(w);
  }
  return out;
}

/** Whether `a` is one insertion, deletion, substitution or swap of neighbours away from `b`. */
function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return a.length < b.length ? a.slice(i) === b.slice(i + 1) : a.slice(i + 1) === b.slice(i);
}

/** The word a misspelt quantity word stands for, or undefined. */
function typoOf(word: string): string | undefined {
  if (word.length < 3 || REAL_WORDS.has(word)) return undefined;
  return TYPO_TARGETS.find((t) => oneEditApart(word, t));
}

function lossOrAcc(kind: 'loss' | 'acc', split: Split, rank: number): Alias {
  return { canonical: `${split}_${kind}`, rank };
}

/** The reading of a name's words, or undefined when they do not name a quantity the rules read. */
function fromTokens(tokens: string[]): Alias | undefined {
  let split: Split | undefined;
  let splits = 0;
  let level = 0;
  const content: string[] = [];
  // A rate is read before level words are set aside: `steps_per_second` names a unit, not a level.
  const rate = rateOf(tokens);
  for (const t of tokens) {
    const s = SPLITS[t];
    if (s) {
      split ??= s;
      splits++;
    } else if (LEVELS[t] !== undefined) level = Math.max(level, LEVELS[t]);
    else if (!NOISE.has(t)) content.push(t);
  }
  if (rate !== undefined) return split === 'val' || split === 'test' ? undefined : { canonical: 'throughput', rank: rate };
  if (content.length === 0) return undefined;
  // A duration of a step or an epoch of training (`perf/step_time`, `train/epoch_duration`); one
  // more word is allowed as a namespace. `data_time` (the wait for a batch) names no level.
  // A trailing `ms` is the unit of a duration in milliseconds (`step_time_ms`, `batch_time(ms)`).
  const inMs = content.length > 1 && content[content.length - 1] === 'ms';
  const last = content[content.length - (inMs ? 2 : 1)];
  if (DURATION_WORDS.has(last) && level > 0 && content.length - (inMs ? 1 : 0) <= 2 && (split === undefined || split === 'train')) {
    const canonical = level === 1 ? 'epoch_time' : 'step_time';
    return inMs ? { canonical, rank: 0, scale: 1e-3 } : { canonical, rank: 0 };
  }
  const joined = content.join(' ');
  if (joined === 'lr') return { canonical: 'lr', rank: 0 };
  if (isGlobalGradNorm(content)) return { canonical: 'grad_norm', rank: 0 };
  const standIn = STAND_INS[joined];
  if (standIn !== undefined) return lossOrAcc('loss', split ?? 'train', standIn);
  // A perplexity is the exponential of the cross-entropy loss: a run that logs only its
  // perplexity is judged on its logarithm, the loss it trains. Beside a logged loss it yields.
  if (PERPLEXITY.has(joined)) return { ...lossOrAcc('loss', split ?? 'train', PERPLEXITY_RANK + level / 10), exp: true };

  // A namespace that repeats the quantity (`Loss/total_loss`, TensorFlow's detectors) says it once.
  if (content.length > 1 && content[0] === content[content.length - 1]) content.shift();
  // The quantity is the last word, or the last before trailing aggregates (`loss_avg`).
  let q = content.length - 1;
  while (q > 0 && (LOSS_QUALIFIERS.has(content[q]) || ACC_QUALIFIERS.has(content[q])) && !LOSS_WORDS.has(content[q])) q--;
  let word = content[q];
  let kind: 'loss' | 'acc' | undefined = LOSS_WORDS.has(word) ? 'loss' : ACC_WORDS.has(word) ? 'acc' : undefined;
  if (!kind && splits > 0) {
    // A misspelt quantity is read only in a name that otherwise looks like a metric: it says its split.
    const fixed = typoOf(word);
    if (fixed) {
      word = fixed;
      kind = fixed === 'loss' ? 'loss' : 'acc';
    }
  }
  if (!kind) return undefined;
  const qualifiers = content.filter((_, i) => i !== q);
  const allowed = kind === 'loss' ? LOSS_QUALIFIERS : ACC_QUALIFIERS;
  if (!qualifiers.every((w) => allowed.has(w) || (kind === 'loss' && SAME_LOSS.has(w)))) return undefined;
  // `loss` and `accuracy` themselves are plain; a named loss type (`nll`) or any qualifier yields to them.
  const plain = qualifiers.every((w) => SAME_LOSS.has(w)) && (word === 'loss' || word === 'logloss' || kind === 'acc');
  // A total yields to a plain `loss` logged beside it (a trainer may total more than its objective).
  return lossOrAcc(kind, split ?? 'train', plain ? level + (qualifiers.includes('total') ? TOTAL : 0) : QUALIFIED + level / 10);
}

/** What a rate may be counted per after its time unit (`tokens_per_second_per_gpu`): the unit is the same. */
const PER_DEVICE = new Set(['gpu', 'device', 'rank', 'chip', 'core', 'node', 'worker']);

/** The rank of a per-second rate (`tokens_per_second`, `tok/s`, `it/s`), or undefined. */
function rateOf(tokens: string[]): number | undefined {
  let n = tokens.length;
  if (n >= 4 && tokens[n - 2] === 'per' && PER_DEVICE.has(tokens[n - 1])) n -= 2;
  if (n >= 2 && PER_SECOND.has(tokens[n - 1])) {
    const unit = tokens[n - 2] === 'per' && n >= 3 ? tokens[n - 3] : tokens[n - 2];
    return RATE_UNITS[unit];
  }
  return undefined;
}

/** A perplexity's spellings, and its rank: after every loss name, stand-ins included (see Alias.rank). */
const PERPLEXITY = new Set(['perplexity', 'ppl']);
const PERPLEXITY_RANK = 4;

/** Words that end the name of a duration. */
const DURATION_WORDS = new Set(['time', 'duration', 'seconds', 'secs']);

/** Names read so far: the parts of a name are read once per process, not once per run. */
const CACHE = new Map<string, Alias | null>();
const CACHE_LIMIT = 10_000;

function read(name: string): Alias | undefined {
  const lower = name.toLowerCase();
  const known = TABLE.get(lower);
  if (known) return known;
  if (HF_SUMMARY.test(name)) return undefined;
  const layer = LAYER_GRAD.exec(name);
  if (layer && PER_WEIGHT.test(layer[2])) return undefined;
  if (layer) {
    const whole = WHOLE_MODEL.test(layer[2]) || (layer[1].toLowerCase() === 'grad' && WHOLE_MODEL_AFTER_GRAD.test(layer[2]));
    return whole ? { canonical: 'grad_norm', rank: 0 } : { canonical: `grad_norm/${layer[2]}`, rank: 0 };
  }
  const parts = fromTokens(nameTokens(name));
  if (parts) return parts;
  const set = EVAL_SET.exec(name);
  if (set) return { canonical: set[1].toLowerCase() === 'loss' ? 'val_loss' : 'val_acc', rank: 2 };
  return undefined;
}

/** The canonical reading of a metric name as sent, or undefined when the rules do not read it. */
export function canonicalOf(name: string): Alias | undefined {
  const cached = CACHE.get(name);
  if (cached !== undefined) return cached ?? undefined;
  const alias = read(name);
  if (CACHE.size >= CACHE_LIMIT) CACHE.clear();
  CACHE.set(name, alias ?? null);
  return alias;
}

/**
 * The canonical name a logged series is shown and found under (`val_loss` finds `eval_loss`), or
 * undefined. A perplexity is read by the rules as the loss it is the exponential of, but its
 * values are not a loss's: it stays a series of its own.
 */
export function seriesCanonical(name: string): string | undefined {
  const alias = canonicalOf(name);
  return alias && !alias.exp ? alias.canonical : undefined;
}

/** Percent accuracies (82.45) become fractions (0.8245); a fraction can never exceed 1. */
export function normaliseValue(canonical: string, value: number): number {
  return FRACTIONS.has(canonical) && value > 1 && value <= 100 ? value / 100 : value;
}

/**
 * Whether smaller values are better, for canonical names and names kept as sent alike: the last
 * quality word decides (`val_wer`, `test-3px-error-r1`, `eval_perplexity` lower; `f1`, `bleu`,
 * `val_acc` higher). Names with no quality word (lr, step_time, memory) are not ranked lower-first.
 */
export function lowerIsBetter(name: string): boolean {
  return qualityDirection(name) === 1;
}

/**
 * How a name measures the model's quality: 1 when lower is better (a loss, an error rate), -1
 * when higher is (an accuracy, mAP50, F1), 0 when it names no quality (lr, step_time).
 */
export function qualityDirection(name: string): 1 | -1 | 0 {
  // A mapped name is judged by what it maps to: `Val_los` and YOLO's `box_om` are losses.
  const canonical = canonicalOf(name)?.canonical;
  const tokens = nameTokens(canonical ?? name);
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (LOWER_WORDS.has(tokens[i])) return 1;
    if (HIGHER_WORDS.has(tokens[i]) || /^(?:map|rouge)\w+$/.test(tokens[i])) return -1;
  }
  return 0;
}

/**
 * Whether a name is a loss's, whether or not the rules read it as one: a GAN's `train_disc_loss`,
 * a detector's `loss_cls`, a VAE's `kl_loss`. A NaN in any of them is a NaN loss.
 */
export function namesLoss(name: string): boolean {
  const canonical = canonicalOf(name)?.canonical;
  if (canonical !== undefined) return canonical.endsWith('_loss');
  return nameTokens(name).some((t) => LOSS_WORDS.has(t));
}

/**
 * Whether a name says it measures the model (a loss, an accuracy, an error rate, a score, a
 * gradient norm or a speed), as opposed to a setting such as `lr`, `rank` or `batch_size`: text
 * logs print both as `name: value`, and only the first kind makes a line a metrics line.
 */
export function isMetricName(name: string): boolean {
  const alias = canonicalOf(name);
  if (alias) return alias.canonical !== 'lr';
  for (const t of nameTokens(name)) {
    if (LOWER_WORDS.has(t) || HIGHER_WORDS.has(t) || /^(?:map|rouge)\w+$/.test(t)) return true;
  }
  return false;
}

export function isLayerGradNorm(canonical: string): boolean {
  return canonical.startsWith('grad_norm/');
}
