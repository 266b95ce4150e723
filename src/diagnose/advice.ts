// One advice per run: the actions of every finding come from here, so that two findings of one run
// never name two learning-rate targets or two clipping values, and none contradicts another.
import type { RunContext } from '../context/run-context.ts';
import type { FindingKind } from '../domain/findings.ts';
import { formatNumber } from '../domain/format.ts';
import { INSTABILITY } from './rule.ts';

const fmt = (n: number): string => formatNumber(n, 3);

/** The knobs a trainer turns, as this run has them: logged values first, then its config. */
export interface Knobs {
  lr: number | null;
  clip: number | null;
  weightDecay: number | null;
  momentum: number | null;
  batchSize: number | null;
}

/** Config keys of each knob across trainers (HF TrainingArguments, Lightning, argparse scripts, Keras). */
const CONFIG_KEYS: Record<keyof Knobs, RegExp> = {
  lr: /^(?:lr|learning[_-]?rate|base[_-]?lr|lr0|max[_-]?lr|optimizer[./]lr)$/i,
  clip: /^(?:max[_-]?grad[_-]?norm|grad(?:ient)?[_-]?clip(?:ping)?(?:[_-]?val(?:ue)?|[_-]?norm)?|clip(?:[_-]?grad(?:[_-]?norm)?)?|clip[_-]?norm)$/i,
  weightDecay: /^(?:weight[_-]?decay|wd|l2(?:[_-]?reg)?)$/i,
  momentum: /^(?:momentum|beta1|adam[_-]?beta1)$/i,
  batchSize: /^(?:batch[_-]?size|per[_-]?device[_-]?train[_-]?batch[_-]?size|train[_-]?batch[_-]?size|bs)$/i,
};

/** Reads the knobs from the run's config (flat or one level nested) and its latest logged lr. */
export function knobsOf(ctx: RunContext): Knobs {
  const knobs: Knobs = { lr: null, clip: null, weightDecay: null, momentum: null, batchSize: null };
  const visit = (obj: Record<string, unknown>, depth: number): void => {
    for (const [key, value] of Object.entries(obj)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 1) visit(value as Record<string, unknown>, depth + 1);
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) continue;
      for (const k of Object.keys(CONFIG_KEYS) as Array<keyof Knobs>) if (knobs[k] === null && CONFIG_KEYS[k].test(key)) knobs[k] = n;
    }
  };
  if (ctx.config) visit(ctx.config, 0);
  if (ctx.lastLr !== null && ctx.lastLr > 0) knobs.lr = ctx.lastLr;
  return knobs;
}


/**
 * The run's one learning-rate move, from every kind raised so far: any sign of steps too large
 * wins (a tenth, or 0.3x when the only sign is oscillation, which is the mildest), then a loss
 * too slow to move (ten times, the step of an LR range test), then a plateau (decay by ten).
 */
export function lrFactor(raised: ReadonlySet<FindingKind>): number | null {
  // Blow-ups and swings say the steps are too large: the learning rate must come down, never up.
  let large = false;
  for (const k of INSTABILITY) if (raised.has(k)) large = true;
  if (large) return raised.size === 1 && raised.has('oscillation') ? 0.3 : 0.1;
  if (raised.has('lr_too_low')) return 10;
  if (raised.has('plateau')) return 0.1;
  return null;
}

function lrMove(knobs: Knobs, factor: number): string {
  const verb = factor < 1 ? 'lower' : 'raise';
  if (knobs.lr === null || !(knobs.lr > 0)) return `${verb} the learning rate ${factor < 1 ? fmt(1 / factor) : fmt(factor)}x`;
  return `${verb} lr from ${fmt(knobs.lr)} to ${fmt(knobs.lr * factor)}`;
}

/**
 * One clipping value for the run: the top of the gradient norm's normal range (what healthy steps
 * of this run needed), rounded up to one significant digit, and 1.0 when that is unknown; a clip
 * already set is kept unless it is above that range, where it never acts.
 */
function clipMove(knobs: Knobs, normalTop: number): string {
  const target = normalTop > 0 && Number.isFinite(normalTop) ? roundUp(normalTop) : 1;
  if (knobs.clip !== null && knobs.clip > 0 && knobs.clip <= target) return `keep gradient clipping at max_norm=${fmt(knobs.clip)} and lower the learning rate instead`;
  if (knobs.clip !== null && knobs.clip > 0) return `clip gradients at max_norm=${fmt(target)} (now ${fmt(knobs.clip)}, above the norms of healthy steps, so it never acts)`;
  return `clip gradients (clip_grad_norm_ max_norm=${fmt(target)}, the top of this run's normal gradient norms)`;
}

function roundUp(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / p) * p;
}

function weightDecayMove(knobs: Knobs): string {
  if (knobs.weightDecay !== null && knobs.weightDecay > 0) return `raise weight decay from ${fmt(knobs.weightDecay)} to ${fmt(knobs.weightDecay * 10)}, or add dropout (0.1..0.5) or data augmentation`;
  return 'add regularisation: weight decay (e.g. 1e-4..1e-2), dropout (0.1..0.5) or data augmentation';
}

/** What the engine knows that advice needs besides the context. */
export interface AdviceFacts {
  raised: ReadonlySet<FindingKind>;
  /** The gradient norm's normal range (top NaN when unknown). */
  grad: { readonly top: number };
}

/** Where to resume from or stop at, in the run's terms, when a rule knows it. */
export interface AdviceDetail {
  bestAt?: string;
  metric?: string;
  best?: number;
}

/** The actions of a finding of `kind` in this run, consistent with every other finding's. */
export function actionsFor(kind: FindingKind, ctx: RunContext, facts: AdviceFacts, detail: AdviceDetail = {}): string[] {
  const knobs = knobsOf(ctx);
  const raised = new Set(facts.raised).add(kind);
  const factor = lrFactor(raised);
  const lr = factor === null ? null : lrMove(knobs, factor);
  const resume = detail.bestAt ? `resume from the checkpoint at ${detail.bestAt}${detail.metric ? `, where ${detail.metric} was lowest` : ''}` : null;
  const out: Array<string | null> = [];
  switch (kind) {
    case 'nan_loss':
      out.push(lr, clipMove(knobs, facts.grad.top), 'check the inputs and labels for NaN / inf and the loss for log(0) or division by zero', 'with fp16, use dynamic loss scaling or bf16', 'resume from the last checkpoint before the NaN');
      break;
    case 'divergence':
      out.push(lr, clipMove(knobs, facts.grad.top), 'add or lengthen LR warm-up', resume);
      break;
    case 'exploding_gradients':
      out.push(clipMove(knobs, facts.grad.top), lr, 'check weight initialisation (Kaiming / Xavier gain) and add normalisation layers');
      break;
    case 'oscillation':
      out.push(lr, knobs.momentum !== null && knobs.momentum > 0.9 ? `lower momentum from ${fmt(knobs.momentum)} to 0.9` : 'reduce momentum (e.g. 0.9 instead of 0.97+) or use Adam', knobs.batchSize !== null ? `increase the batch size from ${fmt(knobs.batchSize)} to ${fmt(knobs.batchSize * 2)} to steady the updates` : 'increase the batch size to steady the updates');
      break;
    case 'lr_too_low':
      out.push(lr, 'run a short LR range test (increase lr exponentially until the loss blows up, take ~1/10 of that)', 'check that the optimizer gets the model parameters and that no layers are frozen by mistake');
      break;
    case 'plateau':
      out.push(lr && factor !== null && factor < 1 && !raised.has('divergence') ? `${lr} (or ReduceLROnPlateau with factor 0.1)` : lr, detail.bestAt ? `or stop early: the best ${detail.metric ?? 'loss'}${detail.best !== undefined ? ` was ${fmt(detail.best)}` : ''} at ${detail.bestAt}` : null, 'if it must go lower, a larger model or better features are needed');
      break;
    case 'overfitting':
      out.push(detail.bestAt ? `stop at ${detail.bestAt} where ${detail.metric ?? 'the validation metric'} was best: early stopping with patience ~5, or keep that checkpoint` : 'use early stopping on the validation metric', weightDecayMove(knobs), 'get more training data or use a smaller model');
      break;
    case 'vanishing_gradients':
      out.push('use ReLU / GELU instead of sigmoid or tanh in hidden layers', 'add residual connections and normalisation (BatchNorm / LayerNorm)', 'use He / Xavier initialisation, or a shallower network');
      break;
    case 'dead_relu':
      out.push('use LeakyReLU / GELU, or initialise biases at zero or slightly positive', factor !== null && factor < 1 ? lr : 'lower the learning rate if the units died after large updates', 'add normalisation before the activations');
      break;
    case 'slow_throughput':
      out.push('check the data loader (num_workers, pin_memory, slow storage or decoding)', 'check for memory pressure: swapping, a growing cache, or tensors kept across steps', 'check for other jobs on the same GPU / CPU and for thermal throttling');
      break;
  }
  return out.filter((a): a is string => a !== null);
}
