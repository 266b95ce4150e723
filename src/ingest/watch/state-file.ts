// The watcher's memory between runs: per file its position, per run name its id; written atomically.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { FileState } from './follower.ts';

export interface WatchState {
  version: 1;
  files: Record<string, FileState>;
  runs: Record<string, string>;
}

/**
 * Under the user's state directory (XDG), one file per watched path: the data's folder may be
 * read-only or shared with others, and a position is the watching user's, not the data's.
 */
export function defaultStatePath(target: string, env: NodeJS.ProcessEnv = process.env): string {
  const abs = path.resolve(target);
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(homedir(), '.local', 'state');
  const key = createHash('sha256').update(abs).digest('hex').slice(0, 16);
  return path.join(base, 'training-analyst', 'watch', `${path.basename(abs)}-${key}.json`);
}

const FIX = 'pass --state FILE or set XDG_STATE_HOME to a writable place';

export function loadState(file: string): WatchState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Nothing kept yet; a place that cannot be written is reported by the first save.
    if (code === 'ENOENT' || code === 'ENOTDIR') return { version: 1, files: {}, runs: {} };
    throw new Error(`cannot read the watch position in ${file} (${code ?? (err as Error).message}): ${FIX}`);
  }
  const state = JSON.parse(text) as WatchState;
  return { version: 1, files: state.files ?? {}, runs: state.runs ?? {} };
}

/** Write then rename: a crash mid-write leaves the previous state, never half of one. */
export function saveState(file: string, state: WatchState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify(state, null, 1));
    renameSync(tmp, file);
  } catch (err) {
    throw new Error(`cannot save the watch position in ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ${FIX}`);
  }
}
