import { describe, expect, it } from 'vitest';
import { canonicalOf, seriesCanonical, isMetricName, lowerIsBetter, namesLoss, nameTokens, qualityDirection } from '../../src/domain/aliases.ts';

/** Names seen in real logs and what the rules should read them as: [name, canonical, rank]. */
const MAPPED: Array<[string, string, number]> = [
  // durations of a step or an epoch, under a namespace
  ['perf/step_time', 'step_time', 0],
  ['perf/epoch_time', 'epoch_time', 0],
  ['train/step_time', 'step_time', 0],
  ['batch_time', 'step_time', 0],
  // losses, by split and level
  ['loss', 'train_loss', 0],
  ['train/loss', 'train_loss', 0],
  ['Train Loss', 'train_loss', 0],
  ['TrainLoss', 'train_loss', 0],
  ['training_loss', 'train_loss', 0],
  ['tr_loss', 'train_loss', 0],
  ['trn_loss', 'train_loss', 0],
  ['ValLoss', 'val_loss', 0],
  ['Validation-LogLoss', 'val_loss', 0],
  ['val_loss', 'val_loss', 0],
  ['eval_loss', 'val_loss', 0],
  ['eval/loss', 'val_loss', 0],
  ['valid_loss', 'val_loss', 0],
  ['dev_loss', 'val_loss', 0],
  ['loss/validation', 'val_loss', 0],
  ['metrics/val_loss', 'val_loss', 0],
  ['test_loss', 'test_loss', 0],
  ['Training Loss', 'train_loss', 0],
  ['logloss', 'train_loss', 0],
  ['train_loss_epoch', 'train_loss', 1],
  ['epoch_loss', 'train_loss', 1],
  ['Loss/Val_Epoch', 'val_loss', 1],
  ['train_loss_step', 'train_loss', 2],
  ['Loss/Train_Batch', 'train_loss', 2],
  ['batch_loss', 'train_loss', 2],
  ['train_loss_iter', 'train_loss', 2],
  // named loss types and aggregates yield to every plain name of their quantity
  ['nll_loss', 'train_loss', 2.5],
  ['val_nll_loss', 'val_loss', 2.5],
  ['nll', 'train_loss', 2.5],
  ['xent', 'train_loss', 2.5],
  ['bce', 'train_loss', 2.5],
  ['cross_entropy', 'train_loss', 2.5],
  ['CrossEntropyLoss', 'train_loss', 2.5],
  ['mse-loss', 'train_loss', 2.5],
  ['total_loss', 'train_loss', 0.5],
  ['train/total_loss', 'train_loss', 0.5],
  ['avg_loss', 'train_loss', 2.5],
  ['mean_loss', 'train_loss', 2.5],
  ['loss_avg', 'train_loss', 2.5],
  // Megatron-LM's and GPT-NeoX's language-modelling loss
  ['lm loss', 'train_loss', 2.5],
  ['lm_loss', 'train_loss', 2.5],
  ['train_nll_epoch', 'train_loss', 2.6],
  ['train_nll_step', 'train_loss', 2.7],
  // typos in names that otherwise look like metrics
  ['Val_los', 'val_loss', 0],
  ['val_lss', 'val_loss', 0],
  ['train_acuracy', 'train_acc', 0],
  // Hugging Face evaluation on several sets
  ['eval_g0_loss', 'val_loss', 2],
  ['eval_g3_accuracy', 'val_acc', 2],
  // YOLO: the box loss stands in; YOLOv10's one-to-many head first, its one-to-one head only alone
  ['train/box_loss', 'train_loss', 3],
  ['val/box_loss', 'val_loss', 3],
  ['train/box_om', 'train_loss', 3],
  ['val/box_om', 'val_loss', 3],
  ['train/box_oo', 'train_loss', 3.5],
  // accuracies
  ['acc', 'train_acc', 0],
  ['accuracy', 'train_acc', 0],
  ['top1', 'train_acc', 0],
  ['acc1', 'train_acc', 0],
  ['acc@1', 'train_acc', 0],
  ['val_acc', 'val_acc', 0],
  ['valAcc', 'val_acc', 0],
  ['val_top-1', 'val_acc', 0],
  ['test_acc1', 'test_acc', 0],
  ['eval/accuracy', 'val_acc', 0],
  ['Validation Accuracy', 'val_acc', 0],
  ['training_acc', 'train_acc', 0],
  ['Accuracy (%)', 'train_acc', 0],
  ['val_acc_epoch', 'val_acc', 1],
  ['mean_token_accuracy', 'train_acc', 2.5],
  ['eval_mean_token_accuracy', 'val_acc', 2.5],
  // learning rate, gradient and weight norms
  ['lr', 'lr', 0],
  ['LR', 'lr', 0],
  ['learning_rate', 'lr', 0],
  ['Learning_Rate', 'lr', 0],
  ['train/learning_rate', 'lr', 0],
  ['train_lr', 'lr', 0],
  ['lr-AdamW', 'lr', 0],
  ['x/lr0', 'lr', 0],
  ['lr/pg0', 'lr', 0],
  ['grad_norm', 'grad_norm', 0],
  ['grad norm', 'grad_norm', 0],
  ['grad(norm)', 'grad_norm', 0],
  ['gradient_norm', 'grad_norm', 0],
  ['train/grad_norm', 'grad_norm', 0],
  ['grad_norm/total', 'grad_norm', 0],
  ['grad_2.0_norm_total', 'grad_norm', 0],
  ['gnorm', 'grad_norm', 0],
  ['grad_norm/layer1.weight', 'grad_norm/layer1.weight', 0],
  // the whole model's norm in other spellings; behind `grad_norm/`, `norm` is a layer (a final LayerNorm)
  ['Gradients/norm', 'grad_norm', 0],
  ['gradients/global_norm', 'grad_norm', 0],
  ['grads_norm', 'grad_norm', 0],
  ['total grad norm', 'grad_norm', 0],
  ['grad/norm', 'grad_norm', 0],
  ['grad_norm/l2_norm', 'grad_norm', 0],
  ['grad_norm/norm', 'grad_norm/norm', 0],
  ['weight_norm', 'weight_norm', 0],
  // times, speed, memory
  ['epoch_time', 'epoch_time', 0],
  ['throughput', 'throughput', 0],
  ['samples_per_second', 'throughput', 0],
  ['train_samples_per_second', 'throughput', 0],
  ['samples/s', 'throughput', 0],
  ['img/s', 'throughput', 0],
  ['tokens_per_second', 'throughput', 0.25],
  ['tokens_per_second_per_gpu', 'throughput', 0.25],
  ['train/samples_per_sec_per_device', 'throughput', 0],
  ['tokens/s', 'throughput', 0.25],
  ['tok/s', 'throughput', 0.25],
  ['tok/sec', 'throughput', 0.25],
  ['it/s', 'throughput', 0.5],
  ['gpu_mem', 'memory', 0],
  // llm.c's main.log
  ['trl', 'train_loss', 0],
  ['tel', 'val_loss', 0],
];

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
