// A run folder of MLflow's file store (`mlruns/<experiment>/<run>/`), as users who leave MLflow have on disk.
// Layout: https://github.com/mlflow/mlflow/blob/master/mlflow/store/tracking/file_store.py
// `metrics/<key>` holds one `<timestamp ms> <value> <step>` line per logged value (a key with `/`
// is a nested path), `params/<key>` holds the value as text, `meta.yaml` the run's name.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EventInput, MetricsInput } from '../../domain/events.ts';
import type { ImportedRun } from '../../domain/imports.ts';
import { parseMetricValue } from '../../domain/values.ts';
import { setOwn } from '../../domain/own.ts';
import { ReadTally } from './read-tally.ts';

/** Whether a directory is one MLflow run: it has `meta.yaml` and a `metrics` folder. */
export async function isMlflowRunDir(dir: string): Promise<boolean> {
  const [meta, metrics] = await Promise.all([stat(path.join(dir, 'meta.yaml')).catch(() => null), stat(path.join(dir, 'metrics')).catch(() => null)]);
  return meta?.isFile() === true && metrics?.isDirectory() === true;
}

/** Files under `root`, as keys relative to it with `/` (a metric `train/loss` is `metrics/train/loss`). */
async function keyFiles(root: string): Promise<Array<{ key: string; file: string }>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { key: path.relative(root, file).split(path.sep).join('/'), file };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}

interface Point {
  key: string;
  ts: number;
  value: number;
  step: number;
}

const LINE = /^\s*(\d+)\s+(\S+)(?:\s+(-?\d+))?\s*$/;

/** The run's name from `meta.yaml` (`run_name: ...`, else the `mlflow.runName` tag file). */
async function runName(dir: string): Promise<string> {
  const meta = await readFile(path.join(dir, 'meta.yaml'), 'utf8').catch(() => '');
  const named = /^run_name:\s*['"]?(.+?)['"]?\s*$/m.exec(meta)?.[1];
  if (named) return named;
  const tag = (await readFile(path.join(dir, 'tags', 'mlflow.runName'), 'utf8').catch(() => '')).trim();
  return tag || path.basename(path.resolve(dir));
}

/** Params as the run's config: numbers where the text is one (MLflow stores every param as text). */
async function params(dir: string): Promise<Record<string, unknown>> {
  const config: Record<string, unknown> = {};
  for (const { key, file } of await keyFiles(path.join(dir, 'params'))) {
    const text = (await readFile(file, 'utf8')).trim();
    const n = Number(text);
    setOwn(config, key, text !== '' && Number.isFinite(n) ? n : text);
  }
  return config;
}

export async function readMlflowRunDir(dir: string): Promise<ImportedRun> {
  const tally = new ReadTally();
  const points: Point[] = [];
  for (const { key, file } of await keyFiles(path.join(dir, 'metrics'))) {
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      tally.lines++;
      const m = LINE.exec(line);
      const value = m ? parseMetricValue(m[2]) : undefined;
      if (!m || value === undefined) {
        tally.skip({ code: 'bad_row', message: 'not a `<timestamp> <value> <step>` line', line: i + 1, file, text: line });
        return;
      }
      points.push({ key, ts: Number(m[1]), value, step: m[3] === undefined ? 0 : Number(m[3]) });
    });
  }
  // One event per step, in the order they were logged; a key logged twice at one step opens another.
  points.sort((a, b) => a.step - b.step || a.ts - b.ts);
  const events: EventInput[] = [];
  let current: MetricsInput | undefined;
  for (const p of points) {
    if (current === undefined || current.step !== p.step || Object.hasOwn(current.values, p.key)) {
      current = { type: 'metrics', step: Math.max(0, p.step), ts: p.ts, values: {} };
      events.push(current);
    }
    setOwn(current.values, p.key, p.value);
  }
  tally.count(events);
  const name = await runName(dir);
  const config = await params(dir);
  const run: ImportedRun = { name, format: 'mlflow', events, read: tally.report('mlflow', dir) };
  if (Object.keys(config).length > 0) run.run_started = { type: 'run_started', name, config };
  return run;
}
