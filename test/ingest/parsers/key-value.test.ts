import { describe, expect, it } from 'vitest';
import { canonicalOf } from '../../../src/domain/aliases.ts';
import { createLineState, parseLogLine } from '../../../src/ingest/parsers/index.ts';
import { metricsOf, parseFixture } from './fixture.ts';
import { MAPPED } from '../../helpers/metric-names.ts';

describe('generic key/value lines', () => {
  it('reads `Epoch N: a=1, b=2`, tab-separated, `epoch: N loss: nan`, `Epoch=1,Loss:..` and `step N loss = x` lines', () => {
    const rows = metricsOf(parseFixture('generic-key-value.log'));
    expect(rows[0]).toEqual({ type: 'metrics', epoch: 1, values: { train_loss: 0.0717, val_loss: 0.0766 } });
    expect(rows[3]).toEqual({ type: 'metrics', epoch: 1, values: { train_loss: 0.173275, val_loss: 0.072151 } });
    const nan = rows.find((r) => r.epoch === 3451);
    expect(Number.isNaN(nan!.values.loss)).toBe(true);
    expect(rows.find((r) => r.values.acc === 0.7695)!.values).toEqual({ loss: 0.442317516, acc: 0.7695, val_loss: 0.323672801, val_acc: 0.8614 });
    expect(rows.at(-2)).toMatchObject({ step: 13000, values: { loss: 5.128 } });
    expect(rows).toHaveLength(3 + 4 + 5 + 3 + 4);
  });

  it('reads nanoGPT lines (norm is the gradient norm) and skips config chatter', () => {
    const rows = metricsOf(parseFixture('nanogpt.log'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({ type: 'metrics', step: 0, values: { loss: 10.9677, dt: 25213.31, 'tok/sec': 5198.52, grad_norm: 6.74, lr: 0.00001 } });
  });

  it('reads mmengine lines: in-epoch iteration, lr, loss and nan grad_norm; not the eta clock', () => {
    const rows = metricsOf(parseFixture('mmengine.log'));
    expect(rows.map((r) => r.step)).toEqual([200, 210, 220, 230, 240, 250]);
    expect(rows[0].values).toEqual({ lr: 1.987e-4, step_time: 2.8906, data_time: 0.0042, memory: 10762, loss: 2.7522, grad_norm: 3.0608 });
    expect(Number.isNaN(rows[4].values.grad_norm)).toBe(true);
    const val = parseLogLine('10/30 23:18:02 - mmengine - INFO - Epoch(val) [1][10/10]  accuracy/top1: 76.4000  data_time: 0.01').events;
    // The evaluation's own counter is no training step: alone, the line has none.
    expect(val).toEqual([{ type: 'metrics', epoch: 1, values: { 'val_accuracy/top1': 76.4, val_data_time: 0.01 } }]);
  });

  it('reads AverageMeter lines of PyTorch reference trainers: Time is the batch time, Data the wait for it', () => {
    const state = createLineState();
    const [e] = parseLogLine('Epoch: [0][16/5005]\tTime 67.619 (11.054)\tData 67.544 (10.785)\tLoss 6.9076 (6.9079)\tPrec@1 0.000 (0.023)', state).events;
    expect(e).toMatchObject({ type: 'metrics', epoch: 0, values: { batch_time: 67.619, data_time: 67.544, loss: 6.9076 } });
    // A space-padded position, and the evaluation lines: `Test: [ 0/2]` and the ` * Acc@1` summary.
    const [padded] = parseLogLine('Epoch: [1][ 0/43]\tTime  0.100 ( 0.100)\tLoss 1.2345e+00 (1.2345e+00)', state).events;
    expect(padded).toMatchObject({ epoch: 1, step: 43, values: { loss: 1.2345, batch_time: 0.1 } });
    const [test] = parseLogLine('Test: [0/2]\tTime  0.050 ( 0.050)\tLoss 1.1000e+00 (1.1000e+00)\tAcc@1  60.00 ( 60.00)', state).events;
    expect(test).toMatchObject({ values: { val_loss: 1.1, 'val_acc@1': 60 } });
    expect(parseLogLine(' * Acc@1 61.200 Acc@5 90.100', state).events[0]).toMatchObject({ values: { 'val_acc@1': 61.2 } });
  });

  it('reads BigDL sentences (`Loss is Infinity. Current learning rate is ...`)', () => {
    const rows = metricsOf(parseFixture('bigdl.log'));
    expect(rows.map((r) => [r.epoch, r.step])).toEqual([
      [64, 45457],
      [64, 45458],
      [64, 45459],
      [64, 45460],
    ]);
    expect(rows[2].values.loss).toBe(Infinity);
    expect(rows[0].values).toMatchObject({ throughput: 408.40378, loss: 1.2645824, lr: 0.04628416419774555 });
  });

  it('reads a learning rate or gradient norm printed on a line of its own, but no prose', () => {
    const state = createLineState();
    const read = (line: string) => parseLogLine(line, state).events;
    expect(read('2023-01-01 12:00:00.000000: Current learning rate: 0.01')).toEqual([{ type: 'metrics', values: { lr: 0.01 } }]);
    expect(read('grad norm: 2.5')).toEqual([{ type: 'metrics', values: { grad_norm: 2.5 } }]);
    expect(read('Saving 3 files, 2.5 MB')).toEqual([]);
  });

  it('counts in-epoch steps from the start of training, reads evaluation blocks as validation values and checkpoints', () => {
    const events = parseFixture('gpt2-finetune.log');
    const rows = metricsOf(events);
    expect(rows.some((r) => 'rank' in r.values || 'alpha' in r.values)).toBe(false);
    expect(rows[0]).toEqual({ type: 'metrics', epoch: 0, step: 6480, values: { loss: 0.5241, ppl: 1.72, lr: 1.53e-4, grad_norm: 0.182, step_time: 0.521 } });
    expect(rows[3]).toEqual({ type: 'metrics', epoch: 0, step: 6500, values: { val_loss: 0.5301 } });
    expect(rows[4].values).toEqual({ val_perplexity: 1.7 });
    expect(rows.find((r) => r.epoch === 1)!.step).toBe(6501);
    expect(rows.at(-1)!.values).toEqual({ final_loss: 0.4886, final_ppl: 1.63 });
    expect(events).toContainEqual({ type: 'checkpoint_saved', path: 'outputs/lora_experiment/best_checkpoint.pt', epoch: 0, step: 6500 });
  });

  it('yields nothing, never an error, for lines no format knows', () => {
    const state = createLineState();
    for (const line of ['', 'hello world', 'Trainable ratio: 0.3200 (32.00%)', 'Tokens: 2,982,385', 'eta: 2:46:39', 'x'.repeat(100_000)]) {
      expect(parseLogLine(line, state).events).toEqual([]);
    }
    expect(parseLogLine('RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB').events).toEqual([
      { type: 'error', message: 'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB' },
    ]);
  });
});

describe('other common console styles', () => {
  it('reads PyTorch MNIST, fairseq, nanoGPT and comma-separated `name value` lines', () => {
    const state = createLineState();
    const read = (line: string) => parseLogLine(line, state).events;
    expect(read('Train Epoch: 1 [640/60000 (1%)]\tLoss: 1.359737')).toEqual([{ type: 'metrics', epoch: 1, values: { loss: 1.359737 } }]);
    expect(read('Test set: Average loss: 0.0339, Accuracy: 9890/10000 (99%)')).toEqual([
      { type: 'metrics', epoch: 1, values: { test_average_loss: 0.0339 } },
    ]);
    expect(read('| epoch 002 | loss 7.12 | ppl 139.2 | num_updates 1000 | lr 0.0005 | gnorm 1.2')).toEqual([
      { type: 'metrics', epoch: 2, step: 1000, values: { loss: 7.12, ppl: 139.2, lr: 0.0005, grad_norm: 1.2 } },
    ]);
    expect(read('iter 100: loss 2.3456, time 12.34ms, mfu 12.3%')).toEqual([
      { type: 'metrics', epoch: 2, step: 100, values: { loss: 2.3456, mfu: 12.3, step_time: 0.01234 } },
    ]);
    expect(read('step 500: train loss 1.2345, val loss 1.3456')).toEqual([
      { type: 'metrics', epoch: 2, step: 500, values: { train_loss: 1.2345, val_loss: 1.3456 } },
    ]);
    expect(read('Epoch 00005: val_loss improved from 0.41 to 0.38, saving model to best.h5')).toEqual([
      { type: 'checkpoint_saved', path: 'best.h5', epoch: 5, step: 500 },
    ]);
  });
});

describe('names and values with no separator, and bare splits', () => {
  it('reads `Train loss 0.35` and two such pairs on one line', () => {
    expect(parseLogLine('Train loss 0.35').events).toEqual([{ type: 'metrics', values: { train_loss: 0.35 } }]);
    expect(parseLogLine('train loss 0.35 val loss 0.41').events).toEqual([{ type: 'metrics', values: { train_loss: 0.35, val_loss: 0.41 } }]);
  });

  it('reads the current value before a running mean in parentheses, and nan values', () => {
    const state = createLineState();
    const [event] = parseLogLine('[2019/06/24 16:19:53 __main__ INFO] - Epoch 1 Step 100/1500 Loss nan (nan) AngleError nan (nan)', state).events;
    expect(event).toMatchObject({ type: 'metrics', epoch: 1, step: 100 });
    expect(Object.keys((event as { values: object }).values)).toEqual(['loss', 'angle_error']);
    expect(parseLogLine('Epoch: [11][2/48]\tTime 0.407 (1.204)\tData 0.002 (0.004)\tLoss 3.6915 (37.0201)\t', state).events).toEqual([
      { type: 'metrics', epoch: 11, step: 10 * 48 + 2, values: { loss: 3.6915, batch_time: 0.407, data_time: 0.002 } },
    ]);
  });

  it('reads prose numbers only beside names that measure the model', () => {
    expect(parseLogLine('Saving 3 files took 12.5 seconds').events).toEqual([]);
    expect(parseLogLine('Epoch 3 took 12.5 seconds').events).toEqual([]);
  });

  it('never takes a number word for a name', () => {
    const [event] = parseLogLine('epoch 2 | val_loss nan | nan 7 | inf: 4 | Infinity=5').events as Array<{ values: Record<string, number> }>;
    expect(Object.keys(event.values)).toEqual(['val_loss']);
    expect(Number.isNaN(event.values.val_loss)).toBe(true);
  });

  it('reads bare `train=` / `valid=` keys and fairseq `| valid 2.31 |` cells as that split\'s loss, not after a colon', () => {
    expect(parseLogLine('epoch 3 train=0.52 valid=0.61').events).toEqual([{ type: 'metrics', epoch: 3, values: { train_loss: 0.52, val_loss: 0.61 } }]);
    expect(parseLogLine('| epoch 003 | valid 2.31 | train 2.10 |').events).toEqual([{ type: 'metrics', epoch: 3, values: { val_loss: 2.31, train_loss: 2.1 } }]);
    expect(parseLogLine('Epoch 00, Loss: 1.8456, Approx. Train: 0.4851').events).toEqual([{ type: 'metrics', epoch: 0, values: { loss: 1.8456, train: 0.4851 } }]);
  });
});

/** Lines read in order with one state, as a text importer reads a log. */
const readAll = (lines: string[]) => {
  const state = createLineState();
  return lines.flatMap((line) => parseLogLine(line, state).events);
};

describe('toolkit consoles', () => {
  it('reads fairseq: num_updates is the step, a `| valid |` cell makes the line validation values', () => {
    const events = readAll([
      '2020-01-01 12:00:00 | INFO | train_inner | epoch 001:    100 / 1000 loss=10.5, nll_loss=10.2, num_updates=100, lr=1e-05, gnorm=2.5',
      "2020-01-01 12:10:00 | INFO | valid | epoch 001 | valid on 'valid' subset | loss 9.1 | nll_loss 8.8 | ppl 445.7 | num_updates 1000",
    ]);
    expect(events).toEqual([
      { type: 'metrics', epoch: 1, step: 100, values: { loss: 10.5, nll_loss: 10.2, lr: 1e-5, grad_norm: 2.5 } },
      { type: 'metrics', epoch: 1, step: 1000, values: { val_loss: 9.1, val_nll_loss: 8.8, val_ppl: 445.7 } },
    ]);
  });

  it('reads ESPnet: the glued epoch and batch range, and the `[train]` / `[valid]` parts of its epoch summary', () => {
    const events = readAll([
      '[host] 2023-01-01 12:00:00,000 (trainer:732) INFO: 2epoch:train:101-200batch: iter_time=0.100, loss_ctc=90.500, acc=0.150, loss=58.300, optim0_lr0=2.000e-05',
      '[host] 2023-01-01 12:10:00,000 (trainer:338) INFO: 2epoch results: [train] acc=0.120, loss=61.000, [valid] loss_ctc=80.000, acc=0.200, loss=52.000, [att_plot] time=5 seconds',
    ]);
    expect(events[0]).toEqual({ type: 'metrics', epoch: 2, step: 200, values: { iter_time: 0.1, loss_ctc: 90.5, acc: 0.15, loss: 58.3, optim0_lr0: 2e-5 } });
    expect(events[1]).toMatchObject({ epoch: 2, values: { acc: 0.12, loss: 61, val_loss_ctc: 80, val_acc: 0.2, val_loss: 52 } });
  });

  it('reads timm and mmengine positions; an evaluation counter is not the training step', () => {
    const timm = readAll([
      'Train: 1 [  50/1251 (  4%)]  Loss: 6.9012 (6.9080)  Time: 0.500s, 1024.00/s  (0.550s,  930.91/s)  LR: 1.000e-06  Data: 0.010 (0.050)',
    ]);
    expect(timm).toEqual([{ type: 'metrics', epoch: 1, step: 50, values: { loss: 6.9012, step_time: 0.5, lr: 1e-6, data: 0.01 } }]);
    const mm = readAll([
      '2023/01/01 12:00:30 - mmengine - INFO - Iter(train) [  100/80000]  lr: 1.0000e-02  time: 0.4500  data_time: 0.0100  loss: 2.2000  decode.loss_ce: 1.8000',
      '2023/01/01 12:30:00 - mmengine - INFO - Iter(val) [500/500]    aAcc: 80.0000  mIoU: 30.0000',
    ]);
    expect(mm).toEqual([
      { type: 'metrics', step: 100, values: { lr: 0.01, step_time: 0.45, data_time: 0.01, loss: 2.2, 'decode.loss_ce': 1.8 } },
      { type: 'metrics', step: 100, values: { val_a_acc: 80, val_m_iou: 30 } },
    ]);
  });

  it('reads Megatron validation, DeepSpeed steps, rates by the unit after the value; no logger source location', () => {
    const events = readAll([
      ' validation loss at iteration 200 | lm loss value: 6.400000E+00 | lm loss PPL: 6.018E+02 | ',
      'steps: 300 loss: 2.3000 iter time (s): 0.500 samples/sec: 64.000',
      'INFO:root:Epoch[0] Batch [100]\tSpeed: 1000.50 samples/sec\taccuracy=0.500000',
      '2021-08-01 12:00:00 | INFO     | yolox.core.trainer:247 - epoch: 1/300, iter: 10/100, total_loss: 15.5, l1_loss: 0.0, lr: 1.000e-05',
      'I0101 12:00:00.000000 140000 model_lib_v2.py:705] Step 400 per-step time 0.500s loss=1.234',
    ]);
    expect(events[0]).toEqual({ type: 'metrics', step: 200, values: { val_lm_loss_value: 6.4, val_lm_loss_ppl: 601.8 } });
    expect(events[1]).toMatchObject({ step: 300, values: { loss: 2.3, 'samples/sec': 64 } });
    expect(events[2]).toMatchObject({ epoch: 0, step: 100, values: { 'speed_samples/s': 1000.5, acc: 0.5 } });
    expect(Object.keys((events[3] as { values: object }).values)).toEqual(['total_loss', 'l1_loss', 'lr']);
    expect(events[4]).toEqual({ type: 'metrics', epoch: 1, step: 400, values: { loss: 1.234, 'per-step_time': 0.5 } });
  });

  it('reads no name out of a unit: `24.50it/s v_num: 0` holds v_num, a position', () => {
    expect(readAll(['Epoch 3/9  ━━━━━━━━━━ 250/250 0:00:10 • 0:00:00 24.50it/s v_num: 0 train_loss: 0.345 val_loss: 0.456'])).toEqual([
      { type: 'metrics', epoch: 3, values: { train_loss: 0.345, val_loss: 0.456 } },
    ]);
  });

  it('reads a position between a name and its value, CycleGAN iterations, `Test set loss` and `Minibatch Loss`', () => {
    const events = readAll([
      'Average loss at step 2000: 4.5',
      '(epoch: 1, iters: 100, time: 0.500, data: 0.100) D_A: 0.250 G_A: 0.500',
      '====> Test set loss: 118.1234',
      'Step 300, Minibatch Loss= 0.5234, Training Accuracy= 0.812',
    ]);
    expect(events).toEqual([
      { type: 'metrics', step: 2000, values: { average_loss: 4.5 } },
      { type: 'metrics', epoch: 1, step: 100, values: { step_time: 0.5, data: 0.1, d_a: 0.25, g_a: 0.5 } },
      { type: 'metrics', epoch: 1, step: 100, values: { test_set_loss: 118.1234 } },
      { type: 'metrics', epoch: 1, step: 300, values: { minibatch_loss: 0.5234, train_acc: 0.812 } },
    ]);
    expect(['test_set_loss', 'minibatch_loss'].map((n) => canonicalOf(n)?.canonical)).toEqual(['test_loss', 'train_loss']);
  });

  it('reads the values under a banner as its split (`***** Eval results *****`), until a banner without one', () => {
    const events = readAll(['***** Eval results *****', '  acc = 0.85', '  loss = 0.4', '***** Running training *****', '  loss = 0.5', '=== Epoch 3 ===']);
    expect(events).toEqual([
      { type: 'metrics', values: { val_acc: 0.85 } },
      { type: 'metrics', values: { val_loss: 0.4 } },
      { type: 'metrics', values: { loss: 0.5 } },
      { type: 'epoch_started', epoch: 3 },
    ]);
  });

  it('takes a line that only names the epoch (nnU-Net, MONAI) as the epoch of the values after it', () => {
    const events = readAll(['2023-01-01 12:00:00.000000: Epoch 3', '2023-01-01 12:02:00.000000: train_loss -0.1234', 'epoch 4/100', '1/50, train_loss: 0.9432']);
    expect(events).toEqual([
      { type: 'epoch_started', epoch: 3 },
      { type: 'metrics', epoch: 3, values: { train_loss: -0.1234 } },
      { type: 'epoch_started', epoch: 4, total_epochs: 100 },
      { type: 'metrics', epoch: 4, values: { train_loss: 0.9432 } },
    ]);
  });
});

describe('more consoles', () => {
  it('reads a line led by its split (Flax, Ignite) as that split, and a bare split value as before', () => {
    expect(readAll(['eval epoch: 1, loss: 0.1000, accuracy: 97.00'])).toEqual([{ type: 'metrics', epoch: 1, values: { val_loss: 0.1, val_acc: 97 } }]);
    expect(readAll(['Validation Results - Epoch: 2  Avg accuracy: 0.91 Avg loss: 0.29'])).toEqual([
      { type: 'metrics', epoch: 2, values: { val_avg_acc: 0.91, val_avg_loss: 0.29 } },
    ]);
    expect(readAll(['Training Results - Epoch: 2  Avg accuracy: 0.90 Avg loss: 0.30'])).toEqual([{ type: 'metrics', epoch: 2, values: { avg_acc: 0.9, avg_loss: 0.3 } }]);
    expect(readAll(['Val: 0.85, epoch 3'])).toEqual([{ type: 'metrics', epoch: 3, values: { val: 0.85 } }]);
  });

  it("reads fairseq's JSON log lines, numbers quoted, num_updates as the step", () => {
    const events = readAll([
      '2020-01-01 12:00:00 | INFO | train_inner | {"epoch": 1, "loss": "10.5", "nll_loss": "10.2", "num_updates": "100", "lr": "1e-05", "gnorm": "2.5"}',
      '2020-01-01 12:10:00 | INFO | valid | {"epoch": 1, "valid_loss": "9.1", "valid_num_updates": "1000"}',
    ]);
    expect(events).toEqual([
      { type: 'metrics', epoch: 1, step: 100, values: { loss: 10.5, nll_loss: 10.2, lr: 1e-5, gnorm: 2.5 } },
      { type: 'metrics', epoch: 1, step: 1000, values: { valid_loss: 9.1 } },
    ]);
  });

  it('reads Darknet iterations and its mAP evaluations; the per-layer Region lines are known, not read', () => {
    const lines = [
      ' 100: 10.512329, 12.512329 avg loss, 0.001000 rate, 5.000000 seconds, 6400 images, 10.000000 hours left',
      'v3 (iou loss, Normalizer: (iou: 0.75, obj: 1.00, cls: 1.00) Region 82 Avg (IOU: 0.500000), count: 5, class_loss = 1.200000, total_loss = 1.700000',
      ' Last accuracy mAP@0.50 = 50.00 %, best = 52.00 % ',
    ];
    const state = createLineState();
    const parsed = lines.map((line) => parseLogLine(line, state));
    expect(parsed.map((p) => p.recognised)).toEqual([true, true, true]);
    expect(parsed.flatMap((p) => p.events)).toEqual([
      { type: 'metrics', step: 100, values: { loss: 10.512329, avg_loss: 12.512329, lr: 0.001, step_time: 5 } },
      { type: 'metrics', step: 100, values: { 'val_map@0.5': 0.5 } },
    ]);
  });

  it('reads `Val. Loss` as validation, a date inside a line as no value, rates and learning rates without separators', () => {
    const lines = [
      'Epoch: 1 | Train Loss: 0.512 | Train Acc: 85.12% | Val. Loss: 0.412 | Val. Acc: 87.12%',
      'Training: 2021-01-01 10:00:00,000-Speed 1234.56 samples/sec   Loss 45.1234   LearningRate 0.1000   Epoch: 0   Global Step: 100',
      'steps:  10%|█         | 100/1000 [01:00<09:00,  1.66it/s, avr_loss=0.123]',
      'epoch 1 iter 100: train loss 2.12345. lr 6.000000e-04: 100%|██████████| 101/101 [00:10<00:00,  9.80it/s]',
    ];
    const state = createLineState();
    const events = metricsOf(lines.flatMap((line) => parseLogLine(line, state).events));
    expect(events[0].values).toEqual({ train_loss: 0.512, train_acc: 85.12, val_loss: 0.412, val_acc: 87.12 });
    expect(events[1]).toMatchObject({ epoch: 0, step: 100, values: { 'speed_samples/s': 1234.56, loss: 45.1234, learning_rate: 0.1 } });
    expect(Object.keys(events[1].values)).not.toContain('train');
    expect(canonicalOf('avr_loss')?.canonical).toBe('train_loss');
    expect(events[2].values).toMatchObject({ avr_loss: 0.123 });
    expect(events[3]).toMatchObject({ epoch: 1, values: { train_loss: 2.12345 } });
    // `name is value` is read once, not again as `name_is`.
    const bigdl = metricsOf(parseLogLine('Train 1792 in 4.38seconds. Throughput is 408.40378 records/second. Loss is 1.2645824.', createLineState()).events);
    expect(bigdl[0].values).toEqual({ throughput: 408.40378, loss: 1.2645824 });
  });

  it("reads the CIFAR-10 tutorial's `[epoch, batch]` lines, its closing sentence, and a dict printed over several lines at the last step", () => {
    const lines = [
      '[1,  2000] loss: 2.187',
      '[2,  2000] loss: 1.503',
      'Accuracy of the network on the 10000 test images: 54 %',
      'Number of training examples: 50000',
      "I0101 10:00:00.123456 140000 model_lib_v2.py:705] Step 100 per-step time 0.512s",
      "I0101 10:00:00.123456 140000 model_lib_v2.py:708] {'Loss/classification_loss': 0.51234,",
      " 'Loss/total_loss': 0.97702,",
      " 'learning_rate': 0.0133}",
    ];
    const state = createLineState();
    const parsed = lines.map((line) => parseLogLine(line, state));
    expect(parsed.map((p) => p.recognised)).toEqual([true, true, true, false, true, true, true, true]);
    expect(metricsOf(parsed.flatMap((p) => p.events))).toEqual([
      { type: 'metrics', epoch: 1, values: { loss: 2.187 } },
      { type: 'metrics', epoch: 2, values: { loss: 1.503 } },
      { type: 'metrics', epoch: 2, values: { test_acc: 54 } },
      { type: 'metrics', epoch: 2, step: 100, values: { 'per-step_time': 0.512 } },
      { type: 'metrics', step: 100, values: { 'Loss/classification_loss': 0.51234, 'Loss/total_loss': 0.97702, learning_rate: 0.0133 } },
    ]);
    expect(canonicalOf('Loss/total_loss')).toEqual({ canonical: 'train_loss', rank: 0.5 });
  });
});

describe("detectron2's copypaste summary", () => {
  it('reads the task, its metric names and their values as validation scores at the last step', () => {
    const lines = [
      '[04/01 10:00:10 d2.utils.events]:  eta: 1:23:35  iter: 39  total_loss: 1.934  lr: 0.00079962  max_mem: 2345M',
      '[04/01 10:30:00 d2.evaluation.testing]: copypaste: Task: bbox',
      '[04/01 10:30:00 d2.evaluation.testing]: copypaste: AP,AP50,AP75',
      '[04/01 10:30:00 d2.evaluation.testing]: copypaste: 38.1234,58.1234,nan',
    ];
    const state = createLineState();
    const parsed = lines.map((line) => parseLogLine(line, state));
    expect(parsed.every((p) => p.recognised)).toBe(true);
    expect(metricsOf(parsed.flatMap((p) => p.events))[1]).toEqual({ type: 'metrics', step: 39, values: { val_bbox_ap: 38.1234, val_bbox_ap50: 58.1234, val_bbox_ap75: NaN } });
  });
});

describe('names printed in text', () => {
  // Each name of the alias table, printed as trainers print it, must be read back as what it is.
  const styles: Record<string, (name: string) => string> = {
    'key=value': (name) => `epoch=3 step=1200 ${name.replace(/\s+/g, '_')}=0.4321`,
    'Python logging': (name) => `2024-05-01 10:00:03,000 - trainer - INFO - Epoch: 3 | Step: 1200 | ${name.replace(/\s+/g, '_')}: 0.4321`,
    'name: value': (name) => `Epoch 3, ${name}: 0.4321`,
  };
  it.each(Object.keys(styles))('reads every known name back from %s lines', (style) => {
    const misread = MAPPED.filter(([name, canonical]) => {
      const events = metricsOf(parseLogLine(styles[style](name), createLineState()).events);
      return !events.some((e) => Object.keys(e.values).some((read) => canonicalOf(read)?.canonical === canonical));
    });
    expect(misread.map(([name]) => name)).toEqual([]);
  });
});
