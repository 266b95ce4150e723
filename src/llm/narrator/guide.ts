// What each finding kind means to a person: a name, the usual cause, and the usual fixes.
import type { FindingKind } from '../../domain/findings.ts';

export interface KindGuide {
  title: string;
  why: string;
  fixes: string[];
}

export const GUIDE: Record<FindingKind, KindGuide> = {
  nan_loss: {
    title: 'NaN / infinite loss',
    why: 'a non-finite loss or gradient usually means the learning rate is too high, a log or division of zero, or fp16 overflow',
    fixes: ['lower the learning rate', 'clip gradients (max norm 1.0)', 'check the inputs and the loss for log(0) or division by zero', 'use bf16 or loss scaling'],
  },
  divergence: {
    title: 'divergence',
    why: 'the loss grew far above its best value: the learning rate is too high for this model and batch size, or training is unstable',
    fixes: ['lower the learning rate about 10×', 'add warmup', 'clip gradients'],
  },
  exploding_gradients: {
    title: 'exploding gradients',
    why: 'the gradient norm grew by orders of magnitude over its own baseline: large initial weights, a high learning rate or a missing normalisation',
    fixes: ['clip gradients (max norm 1.0)', 'lower the learning rate', 'use a smaller weight initialisation or add normalisation layers'],
  },
  vanishing_gradients: {
    title: 'vanishing gradients',
    why: 'the gradient is vanishingly small while the loss is stuck, typical of deep stacks of saturating activations (sigmoid, tanh)',
    fixes: ['use ReLU/GELU activations', 'add normalisation or residual connections', 'use He/Kaiming initialisation'],
  },
  dead_relu: {
    title: 'dead ReLU units',
    why: 'a layer passes exactly zero gradient for many steps: its units are stuck off, often from a large negative bias or a too-high learning rate',
    fixes: ['use LeakyReLU or GELU', 'initialise biases at zero', 'lower the learning rate'],
  },
  lr_too_low: {
    title: 'learning rate too low',
    why: 'the loss falls far too slowly for the gradients seen: each step moves the weights too little',
    fixes: ['raise the learning rate about 10×', 'use a learning-rate finder or an adaptive optimiser (Adam)'],
  },
  oscillation: {
    title: 'oscillating loss',
    why: 'the loss swings up and down with a large amplitude and no trend: the steps overshoot (learning rate or momentum too high)',
    fixes: ['lower the learning rate', 'lower the momentum', 'use a larger batch'],
  },
  plateau: {
    title: 'plateau',
    why: 'the loss stopped improving well above its floor',
    fixes: ['decay the learning rate (step or cosine schedule, or reduce-on-plateau)', 'stop training if the validation metric no longer improves'],
  },
  overfitting: {
    title: 'overfitting',
    why: 'validation loss rises (or validation accuracy falls) while training loss keeps falling: the model memorises the training set',
    fixes: ['stop at the best epoch (early stopping)', 'add weight decay or dropout', 'use more data or augmentation', 'use a smaller model'],
  },
  slow_throughput: {
    title: 'slow throughput',
    why: 'steps or epochs take markedly longer than before, usually the data loader, memory pressure or another job on the device',
    fixes: ['raise the data loader workers and pin memory', 'check memory use and swapping', 'check for other jobs on the device'],
  },
};
