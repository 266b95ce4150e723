/**
 * One alias table from the names trainers use to the canonical names rules read. Names are kept
 * as sent in the store; this table only adds a canonical reading of them.
 *
 * When a run logs two names that map to the same canonical name (Lightning's `train_loss_step`
 * and `train_loss_epoch`), the one with the lower rank feeds the canonical series: epoch-level
 * values before step-level ones, because mixing both in one window would look like noise.
 */

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
  /** 0: the canonical name itself or an exact synonym; 1: epoch aggregates; 2: step-level values. */
  rank: number;
}

const TABLE: Record<string, Alias> = {};

function add(canonical: string, rank: number, names: string[]): void {
  for (const n of names) TABLE[n.toLowerCase()] = { canonical, rank };
}

add('train_loss', 0, [
  'train_loss', 'loss', 'train/loss', 'training_loss', 'train loss', 'training loss', 'trainloss',
  'loss/train', 'train/loss_epoch', 'total_loss', 'train/total_loss', 'mean_loss',
]);
add('train_loss', 1, ['train_loss_epoch', 'loss_epoch', 'loss/train_epoch', 'epoch_loss', 'train/epoch_loss']);
add('train_loss', 2, ['train_loss_step', 'loss_step', 'train/loss_step', 'loss/train_batch', 'batch_loss', 'step_loss', 'train_loss_batch']);
// Detectors that log no total loss (YOLO): the box-regression loss stands for it, the largest and steadiest part.
add('train_loss', 3, ['train/box_loss', 'box_loss']);
add('val_loss', 3, ['val/box_loss']);
add('val_loss', 0, [
  'val_loss', 'eval_loss', 'val/loss', 'eval/loss', 'validation_loss', 'valid_loss', 'validation loss',
  'val loss', 'valid loss', 'loss/val', 'loss/validation', 'validation/loss', 'valid/loss', 'dev_loss',
]);
add('val_loss', 1, ['val_loss_epoch', 'loss/val_epoch', 'val/loss_epoch']);
add('test_loss', 0, ['test_loss', 'test/loss', 'loss/test']);
add('train_acc', 0, [
  'train_acc', 'acc', 'accuracy', 'train_accuracy', 'train/acc', 'train/accuracy', 'training_accuracy',
  'train accuracy', 'training accuracy', 'accuracy/train', 'acc/train',
]);
add('train_acc', 1, ['train_acc_epoch', 'train_accuracy_epoch', 'accuracy/train_epoch']);
add('train_acc', 2, ['train_acc_step', 'train_accuracy_step']);
add('val_acc', 0, [
  'val_acc', 'val_accuracy', 'eval_accuracy', 'eval_acc', 'val/acc', 'val/accuracy', 'eval/accuracy',
  'eval/acc', 'validation_accuracy', 'valid_acc', 'valid_accuracy', 'validation accuracy', 'val accuracy',
  'accuracy/val', 'acc/val', 'accuracy/validation', 'dev_accuracy', 'dev_acc',
]);
add('val_acc', 1, ['val_acc_epoch', 'val_accuracy_epoch']);
add('test_acc', 0, ['test_acc', 'test_accuracy', 'test/acc', 'test/accuracy']);
add('lr', 0, [
  'lr', 'learning_rate', 'learning rate', 'train/learning_rate', 'train/lr', 'lr0', 'x/lr0', 'lr-adam',
  'lr-adamw', 'lr-sgd', 'optimizer/lr', 'lr/group0', 'lr_group0', 'lr/pg0',
]);
add('grad_norm', 0, [
  'grad_norm', 'gradient_norm', 'train/grad_norm', 'grad norm', 'grad(norm)', 'global_grad_norm',
  'grad_2.0_norm_total', 'gradnorm', 'grad_norm/total',
]);
add('weight_norm', 0, ['weight_norm', 'param_norm', 'parameter_norm', 'weights_norm']);
add('epoch_time', 0, ['epoch_time', 'epoch_duration', 'time/epoch', 'epoch_time_s', 'epoch_seconds']);
// Not `time`: detectron2 means seconds per iteration by it, YOLOv8 the total elapsed time.
add('step_time', 0, ['step_time', 'batch_time', 'iter_time', 'time/step', 'sec_per_step', 'ms/batch']);
add('throughput', 0, ['samples_per_second', 'train_samples_per_second', 'throughput', 'samples/s', 'it/s', 'tokens_per_second']);
add('memory', 0, ['memory', 'gpu_memory', 'memory_used', 'gpu_mem', 'mem', 'max_memory_allocated']);

/** Per-layer gradient norms: `grad_norm/<layer>`, `grad_norm.<layer>`, Lightning's `grad_2.0_norm/<layer>`. */
const LAYER_GRAD = /^(?:grad_norm|grad_2\.0_norm|gradient_norm|grad)[/.](.+)$/i;

/** Accuracy-like canonical names, whose values given in percent are normalised to 0..1. */
const FRACTIONS = new Set(['train_acc', 'val_acc', 'test_acc']);

const LOWER_IS_BETTER = new Set(['train_loss', 'val_loss', 'test_loss']);

/** Hugging Face evaluation on several sets: `eval_<set>_loss`; the first set logged stands for validation. */
const EVAL_SET = /^eval_[a-z0-9]+_(loss|accuracy)$/i;

export function canonicalOf(name: string): Alias | undefined {
  const known = TABLE[name.toLowerCase()];
  if (known) return known;
  const set = EVAL_SET.exec(name);
  if (set) return { canonical: set[1].toLowerCase() === 'loss' ? 'val_loss' : 'val_acc', rank: 2 };
  const layer = LAYER_GRAD.exec(name);
  if (layer && layer[1] !== 'total') return { canonical: `grad_norm/${layer[1]}`, rank: 0 };
  return undefined;
}

/** Percent accuracies (82.45) become fractions (0.8245); a fraction can never exceed 1. */
export function normaliseValue(canonical: string, value: number): number {
  return FRACTIONS.has(canonical) && value > 1 && value <= 100 ? value / 100 : value;
}

export function lowerIsBetter(canonical: string): boolean {
  return LOWER_IS_BETTER.has(canonical) || /loss|error|perplexity|wer|cer|mae|mse|rmse/i.test(canonical);
}

export function isLayerGradNorm(canonical: string): boolean {
  return canonical.startsWith('grad_norm/');
}
