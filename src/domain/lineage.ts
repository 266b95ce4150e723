// Seed 2's lineage: a model trained in stages (a run per stage), and its training_info.json file.
import { z } from 'zod';
import { JsonObject } from './json-value.ts';

/** The file's keys in the order the trainer's manager writes them (clients/python LINEAGE_KEYS). */
export const TRAINING_INFO_KEYS = ['model_name', 'stage', 'final_checkpoint', 'base_model', 'created', 'last_updated', 'total_steps', 'last_dataset', 'history'] as const;
/** A history entry's keys in the manager's order. */
export const ENTRY_KEYS = ['dataset', 'steps', 'epochs', 'metrics', 'hyperparams', 'start_time', 'end_time'] as const;

const Text = z.string().max(1000);

/**
 * One training on one dataset, as the file keeps it. Unknown keys (git_commit, environment, a
 * stage name) are kept: entries are appended, never rewritten, so nothing a trainer wrote is lost.
 */
export const TrainingEntry = z
  .object({
    dataset: Text.nullable().optional(),
    steps: z.number().int().nonnegative().optional(),
    epochs: z.number().nonnegative().nullable().optional(),
    metrics: JsonObject.optional(),
    hyperparams: JsonObject.optional(),
    start_time: Text.nullable().optional(),
    end_time: Text.nullable().optional(),
  })
  .passthrough();
export type TrainingEntry = z.output<typeof TrainingEntry>;

/** A stage's training_info.json: the model's whole lineage up to and including this stage. */
export const TrainingInfo = z
  .object({
    model_name: z.string().trim().min(1).max(250),
    stage: z.string().max(250).nullable().optional(),
    final_checkpoint: Text.nullable().optional(),
    base_model: Text.nullable().optional(),
    created: Text.nullable().optional(),
    last_updated: Text.nullable().optional(),
    total_steps: z.number().int().nonnegative().optional(),
    last_dataset: Text.nullable().optional(),
    history: z.array(TrainingEntry).max(10_000),
  })
  .passthrough();
export type TrainingInfo = z.output<typeof TrainingInfo>;

/** `POST /lineage/import`: one file, or a tree of them by their paths (`artifact/bert/stage2/training_info.json`). */
export const LineageImportBody = z
  .object({
    files: z
      .array(z.object({ path: z.string().min(1).max(4000), content: z.unknown() }).strict())
      .min(1)
      .max(10_000),
    /** The project of the runs made; the model's name when absent. */
    project: z.string().trim().min(1).max(250).optional(),
  })
  .strict();
export type LineageImportBody = z.output<typeof LineageImportBody>;

export const LineageQuery = z.object({ model: z.string().trim().min(1).max(250).optional() });

/** One stage of a lineage as the API shows it: what it trained on, how long, and how well. */
export interface StageSummary {
  id: string;
  name: string;
  project: string;
  status: string;
  model: string;
  stage: string | null;
  dataset: string | null;
  base_model: string | null;
  parent_run: string | null;
  final_checkpoint: string | null;
  steps: number;
  epochs: number | null;
  /** The best value of the stage's primary metric (lowest loss, highest accuracy) and where. */
  best: { metric: string; value: number; step: number | null; epoch: number | null } | null;
  /** The last value of each metric, names as sent: the stage's final metrics. */
  metrics: Record<string, number>;
  hyperparams: Record<string, unknown>;
  started_at: number | null;
  finished_at: number | null;
}

export interface StageNode extends StageSummary {
  children: StageNode[];
}

/** What cut a chain of parents short: a parent that is not stored, or a parent that is a descendant. */
export interface ChainBreak {
  missing_parent?: string;
  cycle?: string;
}

/** `GET /runs/:id/lineage`. */
export interface RunLineage extends ChainBreak {
  model: string;
  run: string;
  /** From the first stage to the parent of this one. */
  ancestors: StageSummary[];
  stage: StageSummary;
  /** The stages trained from this one; a stage may have several. */
  descendants: StageNode[];
  /** Steps the model went through to reach the end of this stage. */
  total_steps: number;
  /** Steps of every stage in the tree this run belongs to. */
  tree_steps: number;
}

/** One model's lineage in `GET /lineage`. */
export interface ModelLineage extends ChainBreak {
  model: string;
  root: StageNode;
  stages: number;
  total_steps: number;
  /** The newest stage's id and dataset: where the model stands now. */
  latest: { id: string; dataset: string | null; stage: string | null };
  last_updated: number;
}

/**
 * A number as Python's repr writes it, exponents unpadded (the client's `_lineage_scalar`): `5e-5`,
 * not JavaScript's `0.00005`, so the service's file and the trainer's read alike.
 */
function pyNumber(n: number): string {
  const abs = Math.abs(n);
  if (n !== 0 && (abs < 1e-4 || abs >= 1e16)) return n.toExponential().replace('e+', 'e');
  return String(n);
}

/** One value on one line, with Python json's separators (`, ` and `: `). */
function inline(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? pyNumber(v) : JSON.stringify(String(v));
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (typeof v === 'object' && v !== null) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')}}`;
  return JSON.stringify(v ?? null);
}

function ordered(obj: Record<string, unknown>, keys: readonly string[]): string[] {
  return [...keys.filter((k) => k in obj), ...Object.keys(obj).filter((k) => !(keys as readonly string[]).includes(k))];
}

/**
 * The file's text as the trainer's manager writes it (clients/python `format_lineage`): two-space
 * indents, one line per field, an entry's metrics and hyperparameters on one line each.
 */
export function formatTrainingInfo(info: Record<string, unknown>): string {
  const top = ordered(info, TRAINING_INFO_KEYS);
  const lines = ['{'];
  top.forEach((key, i) => {
    const comma = i < top.length - 1 ? ',' : '';
    const history = info[key];
    if (key !== 'history' || !Array.isArray(history)) {
      lines.push(`  ${JSON.stringify(key)}: ${inline(info[key])}${comma}`);
    } else if (!history.length) {
      lines.push(`  "history": []${comma}`);
    } else {
      lines.push('  "history": [');
      history.forEach((entry: Record<string, unknown>, j) => {
        lines.push('    {');
        const keys = ordered(entry, ENTRY_KEYS);
        keys.forEach((k, m) => lines.push(`      ${JSON.stringify(k)}: ${inline(entry[k])}${m < keys.length - 1 ? ',' : ''}`));
        lines.push(`    }${j < history.length - 1 ? ',' : ''}`);
      });
      lines.push(`  ]${comma}`);
    }
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
