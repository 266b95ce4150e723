// Finds hyperparameters in a run's config by their usual names, whatever the trainer called them.
import { flatten } from '../../domain/format.ts';
import type { AnalysisFacts } from '../facts.ts';

export type Knob = 'lr' | 'weight_decay' | 'dropout' | 'batch_size' | 'grad_clip' | 'epochs' | 'momentum' | 'activation' | 'bias_init' | 'num_workers' | 'scheduler';

const NAMES: Record<Knob, string[]> = {
  lr: ['lr', 'learning_rate', 'learningrate', 'base_lr', 'max_lr', 'lr0', 'init_lr'],
  weight_decay: ['weight_decay', 'wd', 'l2', 'l2_reg', 'decay'],
  dropout: ['dropout', 'dropout_rate', 'drop_rate', 'p_dropout', 'hidden_dropout_prob'],
  batch_size: ['batch_size', 'bs', 'per_device_train_batch_size', 'train_batch_size'],
  grad_clip: ['max_grad_norm', 'grad_clip', 'clip_grad_norm', 'gradient_clip_val', 'clip_norm'],
  epochs: ['epochs', 'num_epochs', 'max_epochs', 'num_train_epochs', 'n_epochs'],
  momentum: ['momentum', 'beta1'],
  activation: ['activation', 'act', 'activation_fn', 'hidden_act'],
  bias_init: ['bias_init', 'init_bias', 'bias'],
  num_workers: ['num_workers', 'dataloader_num_workers', 'workers'],
  scheduler: ['scheduler', 'lr_scheduler', 'lr_scheduler_type', 'schedule'],
};

export interface Param {
  /** The key as it is in the config (dotted when nested), or the knob's own name when absent. */
  key: string;
  value: unknown;
  found: boolean;
}

export function findParam(facts: AnalysisFacts, knob: Knob): Param {
  const flat = flatten(facts.run.config);
  const names = NAMES[knob];
  for (const [key, value] of Object.entries(flat)) {
    const last = key.split('.').pop()!.toLowerCase();
    if (names.includes(last)) return { key, value, found: true };
  }
  return { key: knob, value: undefined, found: false };
}

/** The knob a config key names (its last dotted part), whatever the trainer called it. */
export function knobOf(key: string): Knob | undefined {
  const last = key.split('.').pop()!.toLowerCase();
  return (Object.keys(NAMES) as Knob[]).find((k) => NAMES[k].includes(last));
}

export function numeric(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** The learning rate in use: the config's, else the last logged `lr`. */
export function currentLr(facts: AnalysisFacts): { param: Param; value: number | undefined } {
  const param = findParam(facts, 'lr');
  const fromConfig = numeric(param.value);
  if (fromConfig !== undefined) return { param, value: fromConfig };
  const logged = facts.series.find((s) => s.name === 'lr');
  return { param, value: logged && Number.isFinite(logged.last) ? logged.last : undefined };
}
