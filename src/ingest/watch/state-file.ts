// The watcher's memory between runs: per file its position, per run name its id; written atomically.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FileState } from './follower.ts';

export interface WatchState {
  version: 1;
  files: Record<string, FileState>;
  runs: Record<string, string>;
}

/** Next to the data, so the position travels with it: `.train.log.analyst-watch.json`, or one per directory. */
export function defaultStatePath(target: string, isDirectory: boolean): string {
  const abs = path.resolve(target);
  return isDirectory ? path.join(abs, '.analyst-watch.json') : path.join(path.dirname(abs), `.${path.basename(abs)}.analyst-watch.json`);
}

export function loadState(file: string): WatchState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, files: {}, runs: {} };
    throw err;
  }
  const state = JSON.parse(text) as WatchState;
  return { version: 1, files: state.files ?? {}, runs: state.runs ?? {} };
}

/** Write then rename: a crash mid-write leaves the previous state, never half of one. */
export function saveState(file: string, state: WatchState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 1));
  renameSync(tmp, file);
}
