import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventInput, type MetricsInput } from '../../src/domain/events.ts';
import { stringifyJson } from '../../src/domain/values.ts';
import { importFile } from '../../src/ingest/files/import-file.ts';
import { REAL_LOGS } from '../helpers/datasets.ts';

interface IndexRow {
  name: string;
  format: string;
  n_points: number;
  metrics: string;
}

const rows: IndexRow[] = readFileSync(path.join(REAL_LOGS, 'INDEX.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [name, , , format, n, metrics] = line.split('\t');
    return { name, format, n_points: Number(n), metrics };
  });

/** What INDEX counts as a point in each text log: the events carrying these (normalised) names. */
const TEXT_POINTS: Record<string, string[]> = {
  issue_bigdl_inf_spike: ['loss'],
  issue_caffe_mobilenetv3_stuck: ['loss'],
  issue_deeplab_loss_instability: ['loss'],
  issue_eat_tf2_overfit: ['loss'],
  issue_gradnorm_tf_nan: ['loss'],
  issue_grokfast_exploding_gradnorm: ['loss'],
  issue_modernbert_nan_loss_zero: ['loss'],
  issue_udacity_val_flat: ['train_loss'],
  issue_unsloth_gradnorm_spikes: ['loss'],
  issue_xtuner_gradnorm_nan: ['loss'],
  issue_yolov8_all_nan: ['box_loss'],
  textlog_emonet_tcn_healthy: ['train_loss'],
  textlog_gpt2_finetune_healthy: ['loss'],
  textlog_gpt2_shakespeare_memorize: ['loss'],
  wlm_gru_midrun_blowup: ['loss', 'val_loss'],
  wlm_lstm_healthy: ['loss', 'val_loss'],
  wlm_rnn_relu_nan_from_start: ['loss', 'val_loss'],
  wlm_rnn_tanh_lr_too_high: ['loss', 'val_loss'],
};

/** INDEX shorthand that names several columns at once (`train_loss_step/epoch`, `lr0-2`, `perplexities`). */
function isColumnName(token: string): boolean {
  return /^[A-Za-z][\w/.:\-]*$/.test(token) && !/\d-\d$/.test(token) && !/_step\/epoch$/.test(token) && token !== 'perplexities';
}

function target(name: string): string {
  const dir = path.join(REAL_LOGS, name);
  const files = readdirSync(dir);
  return files.length === 1 && !files[0].startsWith('events.out.tfevents') ? path.join(dir, files[0]) : dir;
}

describe('every real log imports with the points and metrics INDEX.tsv lists', () => {
  it.each(rows)('$name ($format)', async (row) => {
    const file = target(row.name);
    const run = await importFile(file);
    // Named after the directory when the file name is generic (trainer_state.json), else after the file.
    expect([row.name, path.basename(file).replace(/\.[^.]+$/, '')]).toContain(run.name);
    // Files hold no unreadable record; a text log may hold lines with numbers no format reads, reported as such.
    if (run.format === 'text') expect(run.read.examples.filter((e) => e.code !== 'not_read')).toEqual([]);
    else expect(run.read.skipped).toBe(0);
    const metrics = run.events.filter((e): e is MetricsInput => e.type === 'metrics');
    expect(metrics.length).toBeGreaterThan(0);
    const keys = new Set(metrics.flatMap((e) => Object.keys(e.values)));

    if (row.format === 'hf_trainer_state') {
      const summary = run.run_started?.meta?.train_runtime === undefined ? 0 : 1;
      expect(metrics.length + summary).toBe(row.n_points);
    } else if (row.format === 'tensorboard_tfevents') {
      const lossSeries = [...keys].filter((k) => /loss/i.test(k)).map((k) => metrics.filter((e) => k in e.values).length);
      expect(Math.max(...lossSeries)).toBe(row.n_points);
    } else if (row.name in TEXT_POINTS) {
      const counted = TEXT_POINTS[row.name];
      expect(metrics.filter((e) => counted.some((k) => k in e.values)).length).toBe(row.n_points);
    } else {
      expect(metrics.length).toBe(row.n_points);
    }

    // Importers build events without zod on the hot path; what they build must still pass the schema.
    for (const event of [...(run.run_started ? [run.run_started] : []), ...run.events]) {
      const parsed = EventInput.safeParse(JSON.parse(stringifyJson(event)));
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }

    if (!(row.name in TEXT_POINTS)) {
      for (const token of row.metrics.split(',').filter(isColumnName)) {
        const isEpoch = token === 'epoch' || token.endsWith('/epoch');
        // INDEX names YOLOv8's `metrics/precision(B)` as precision and Lightning's train_acc_step/_epoch as train_acc.
        const bases = [...keys].flatMap((k) => [k, k.replace(/\(B\)$/, '').replace(/_(?:step|epoch)$/, '')]);
        const found = isEpoch ? metrics.some((e) => e.epoch !== undefined) : bases.some((k) => k === token || k.endsWith(`/${token}`));
        expect(found, `${token} in ${[...keys].join(', ')}`).toBe(true);
      }
    }
  });
});
