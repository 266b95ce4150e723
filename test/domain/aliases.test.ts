import { describe, expect, it } from 'vitest';
import { MAPPED } from '../helpers/metric-names.ts';
import { canonicalOf, seriesCanonical, isMetricName, lowerIsBetter, namesLoss, nameTokens, qualityDirection } from '../../src/domain/aliases.ts';

/** Names that must stay unmapped, each with why. */
const UNMAPPED: Array<[string, string]> = [
  ['data_time', 'the wait for a batch, not the time a step takes'],
  ['grad/param_norm', "char-rnn's ratio of the gradient's norm to the weights', no layer's gradient"],
  ['eval/step_time', 'the time of an evaluation step, not of training'],
  ['loss_scale', 'the fp16 loss scaler: the head word is scale'],
  ['lost_frames', 'not a loss, and no split says it is a metric'],
  ['boss', 'an English word one letter from loss'],
  ['val_lost', 'an English word, even beside a split'],
  ['n_losses', 'a count'],
  ['epoch', 'a position, not a measurement'],
  ['step', 'a position, not a measurement'],
  ['iterations', 'a position, not a measurement'],
  ['lr_scale', 'a multiplier of the learning rate, not the rate'],
  ['lr/pg1', 'a second parameter group: pg0 stands for the rate'],
  ['x/lr2', 'a third parameter group'],
  ['loss_cls', 'one term of the objective (detectron2)'],
  ['loss_ce_3', 'an auxiliary head of one term'],
  ['d0.loss_bbox', 'one term of the objective (mmdet)'],
  ['cls_loss', 'one term of the objective (YOLO)'],
  ['train/dfl_loss', 'one term of the objective (YOLO)'],
  ['kl_loss', 'one term of the objective (VAE)'],
  ['data_loss_epoch', 'one term of the objective (PINN)'],
  ['train/train_loss', "Hugging Face's end-of-training mean, one value for the whole run"],
  ['train/train_runtime', "Hugging Face's end-of-training summary"],
  ['train_runtime', 'a total duration, not a per-step time'],
  ['eval_runtime', 'a total duration, not a per-step time'],
  ['eval_samples_per_second', 'evaluation speed, not training speed'],
  ['best_accuracy', 'a running maximum, not the curve'],
  ['final_loss', 'a summary value'],
  ['test_acc5', 'top-5 accuracy is another quantity'],
  ['fast_rcnn/cls_accuracy', "one head's accuracy"],
  ['Accuracy/Train_Jamming', "one task's accuracy of several"],
  ['mse', 'an error metric, not necessarily the objective'],
  ['f1', 'a score'],
  ['eval_wer', 'an error rate'],
  ['metrics/mAP50(B)', 'a score'],
  ['time', 'detectron2: seconds per iteration; YOLOv8: total elapsed'],
  ['data_time', 'data loading time only'],
  ['constructor', 'no property of the table object is a name'],
  ['__proto__', 'no property of the table object is a name'],
];

describe('canonicalOf', () => {
  it.each(MAPPED)('%s → %s (rank %s)', (name, canonical, rank) => {
    expect(canonicalOf(name)).toEqual({ canonical, rank });
  });

  it.each([
    ['perplexity', 'train_loss', 4],
    ['train_ppl', 'train_loss', 4],
    ['val_ppl', 'val_loss', 4],
    ['valid_ppl', 'val_loss', 4],
    ['eval/perplexity', 'val_loss', 4],
    ['val_perplexity_epoch', 'val_loss', 4.1],
  ])('%s → %s through its logarithm, after every loss name (rank %s)', (name, canonical, rank) => {
    expect(canonicalOf(name)).toEqual({ canonical, rank, exp: true });
    // Shown and found as a series of its own: its values are not a loss's.
    expect(seriesCanonical(name)).toBeUndefined();
  });

  it.each([
    ['ms/batch', 'step_time'],
    ['ms/step', 'step_time'],
    ['step_time_ms', 'step_time'],
    ['batch_time(ms)', 'step_time'],
    ['epoch_time_ms', 'epoch_time'],
  ])('%s → %s in seconds (milliseconds scaled by 1e-3)', (name, canonical) => {
    expect(canonicalOf(name)).toEqual({ canonical, rank: 0, scale: 1e-3 });
  });

  it.each(UNMAPPED)('%s stays unmapped: %s', (name) => {
    expect(canonicalOf(name)).toBeUndefined();
  });

  it('splits names on separators and case boundaries', () => {
    expect(nameTokens('ValLoss')).toEqual(['val', 'loss']);
    expect(nameTokens('Validation-LogLoss')).toEqual(['validation', 'log', 'loss']);
    expect(nameTokens('NLLLoss')).toEqual(['nll', 'loss']);
    expect(nameTokens('train/learning_rate')).toEqual(['train', 'lr']);
    expect(nameTokens('acc@1')).toEqual(['acc1']);
  });

  it('answers the same for a name read again (cached)', () => {
    expect(canonicalOf('Val_los')).toBe(canonicalOf('Val_los'));
  });
});

describe('lowerIsBetter', () => {
  it.each(['train_loss', 'val_loss', 'Val_los', 'train/box_om', 'perplexity', 'val_ppl', 'eval_wer', 'cer', 'mae', 'mse', 'val_RMSE', 'error_rate', 'test-3px-error-r1'])(
    '%s: lower is better',
    (name) => expect(lowerIsBetter(name)).toBe(true),
  );
  it.each(['val_acc', 'train_acc', 'f1', 'eval_f1', 'metrics/mAP50(B)', 'bleu', 'auc', 'r2', 'lr', 'throughput', 'step_time', 'answer_count'])(
    '%s: not lower-first',
    (name) => expect(lowerIsBetter(name)).toBe(false),
  );
});

describe('isMetricName', () => {
  it('tells measurements from settings', () => {
    expect(['loss', 'Val_los', 'eval_f1', 'ppl', 'grad_norm', 'top1', 'map50', 'rouge1', 'throughput'].filter((n) => !isMetricName(n))).toEqual([]);
    expect(['lr', 'learning_rate', 'rank', 'alpha', 'batch_size', 'weight_decay', 'seed'].filter(isMetricName)).toEqual([]);
  });
});

describe('qualityDirection', () => {
  it('reads mAP as one word, a score higher better', () => {
    expect(nameTokens('metrics/mAP50-95(B)')).toEqual(['metrics', 'map50', '95', 'b']);
    expect(['metrics/mAP50(B)', 'val_accuracy', 'eval_f1'].map(qualityDirection)).toEqual([-1, -1, -1]);
    expect(['val/box_loss', 'wer', 'lr'].map(qualityDirection)).toEqual([1, 1, 0]);
  });
});

describe('namesLoss', () => {
  it('knows a loss by its words, read by the rules or not', () => {
    expect(['train_disc_loss', 'gen/loss', 'loss_cls', 'kl_loss', 'val/box_loss', 'ValLoss', 'nll', 'perplexity'].filter((n) => !namesLoss(n))).toEqual([]);
    expect(['lossy_ratio', 'val_acc', 'lr', 'grad_norm', 'throughput'].filter((n) => namesLoss(n))).toEqual([]);
  });
});
