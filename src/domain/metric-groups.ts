/**
 * Where a metric belongs on a dashboard: a group (the sections people know from W&B and
 * TensorBoard: train / val / test / lr / grad / system / other) and, for per-layer gradient
 * norms, the one panel they share. Read from the same alias table the rules use.
 */
import { isLayerGradNorm, nameTokens, seriesCanonical, splitWord, type Split } from './aliases.ts';

export const METRIC_GROUPS = ['train', 'val', 'test', 'lr', 'grad', 'system', 'other'] as const;
export type MetricGroup = (typeof METRIC_GROUPS)[number];

export interface MetricPlace {
  group: MetricGroup;
  /** The split the name says or its canonical reading implies (`loss` is train), or null. */
  split: Split | null;
  /** Series that share one panel (per-layer gradient norms): the panel's key, else null. */
  panel: string | null;
}

/** Canonical names of what the machine does rather than what the model learns. */
const SYSTEM_CANONICAL = new Set(['epoch_time', 'step_time', 'throughput', 'memory']);
const SYSTEM_WORDS = new Set(['system', 'sys', 'gpu', 'cpu', 'memory', 'mem', 'ram', 'vram', 'disk', 'throughput', 'samples_per_second', 'utilization', 'util', 'power', 'temperature']);
const GRAD_WORDS = new Set(['grad', 'grads', 'gradient', 'gradients']);

export function metricPlace(name: string): MetricPlace {
  const canonical = seriesCanonical(name);
  const tokens = nameTokens(name);
  const said = tokens.map(splitWord).find((s) => s !== undefined);
  const implied = canonical ? splitWord(canonical.split('_')[0]) : undefined;
  const split = said ?? implied ?? null;
  if (canonical && isLayerGradNorm(canonical)) return { group: 'grad', split, panel: 'grad_norm/layers' };
  if (canonical === 'lr' || tokens[0] === 'lr') return { group: 'lr', split, panel: null };
  if (canonical === 'grad_norm' || canonical === 'weight_norm' || tokens.some((t) => GRAD_WORDS.has(t))) return { group: 'grad', split, panel: null };
  if ((canonical && SYSTEM_CANONICAL.has(canonical)) || SYSTEM_WORDS.has(tokens[0] ?? '')) return { group: 'system', split, panel: null };
  return { group: split ?? 'other', split, panel: null };
}
