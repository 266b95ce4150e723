// Checkpoint lines that name a path: `Checkpoint saved: out/ckpt.pt`, HF's `Saving model checkpoint to out/checkpoint-500`.
import type { EventInput } from '../../domain/events.ts';
import { EPOCH } from './key-value.ts';
import type { LineParser } from './state.ts';

const SAVED = /\b(?:checkpoint saved(?: to)?|saving (?:model )?(?:checkpoint )?to|saved (?:model |checkpoint )?to|model saved to)\s*:?\s*['"]?([^\s'"]+)/i;
const LOADED = /\b(?:loading (?:model |checkpoint )?from|loaded checkpoint(?: from)?|resuming from checkpoint)\s*:?\s*['"]?([^\s'"]+)/i;

export const parseCheckpoint: LineParser = (line, state) => {
  const saved = SAVED.exec(line);
  const loaded = saved ? undefined : LOADED.exec(line);
  const match = saved ?? loaded;
  if (!match) return undefined;
  const event: Extract<EventInput, { type: 'checkpoint_saved' | 'checkpoint_loaded' }> = { type: saved ? 'checkpoint_saved' : 'checkpoint_loaded', path: match[1].replace(/[.,;]$/, '') };
  // Keras prints `Epoch 00005: val_loss improved ..., saving model to best.h5`.
  const epoch = EPOCH.exec(line);
  if (epoch) event.epoch = Number(epoch[2]);
  else if (state.epoch !== undefined) event.epoch = state.epoch;
  if (state.step !== undefined) event.step = state.step;
  return [event];
};
