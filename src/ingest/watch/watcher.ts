// `analyst watch`: tails a growing log / CSV / JSONL file or a TensorBoard log directory into a server.
import { readdir, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { FileFormat } from '../files/detect.ts';
import { runNameFor } from '../files/run-name.ts';
import { isEventFileName } from '../tfevents/event-file.ts';
import { FileFollower, type Polled } from './follower.ts';
import { RejectedError, RetryableError, ServerClient } from './poster.ts';
import { defaultStatePath, loadState, saveState, type WatchState } from './state-file.ts';

export interface WatchOptions {
  /** A file, or a TensorBoard log directory (every directory holding event files is a run). */
  target: string;
  server: string;
  run?: string;
  project: string;
  token?: string;
  format?: FileFormat;
  stateFile?: string;
  intervalMs: number;
  log: (message: string) => void;
  /** Called after each batch the server acknowledged. */
  onBatch?: (batch: SentBatch) => void;
}

export interface SentBatch {
  file: string;
  /** The run's id on the server. */
  run: string;
  events: number;
}

interface Followed {
  follower: FileFollower;
  runName: string;
  /** Read but not yet acknowledged: sent again before anything new is read. */
  unsent?: Polled;
}

/** TensorBoard writes run directories a few levels below the log directory, never deeper than this. */
const MAX_DEPTH = 6;

async function eventFiles(dir: string, depth = 0): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isFile() && isEventFileName(e.name)) out.push(full);
    else if (e.isDirectory() && depth < MAX_DEPTH && !e.name.startsWith('.')) out.push(...(await eventFiles(full, depth + 1)));
  }
  return out;
}

/** Oldest first within a directory: the number after `events.out.tfevents.` is the writer's start time. */
function byWriteOrder(a: string, b: string): number {
  const stamp = (f: string) => Number(path.basename(f).split('.')[3]) || 0;
  return path.dirname(a).localeCompare(path.dirname(b)) || stamp(a) - stamp(b) || a.localeCompare(b);
}

export class Watcher {
  private readonly client: ServerClient;
  private readonly followed = new Map<string, Followed>();
  private state: WatchState | undefined;
  private stateFile = '';
  private isDirectory = false;
  private target: string;

  constructor(private readonly opts: WatchOptions) {
    this.client = new ServerClient(opts.server.replace(/\/$/, ''), opts.token);
    this.target = path.resolve(opts.target);
  }

  /** One pass: finds new files, reads everything new, posts it; returns the number of events sent. */
  async pass(): Promise<number> {
    await this.discover();
    let sent = 0;
    for (const f of [...this.followed.values()].sort((a, b) => byWriteOrder(a.follower.file, b.follower.file))) {
      for (;;) {
        f.unsent ??= await f.follower.poll();
        if (!f.unsent) break;
        sent += await this.deliver(f, f.unsent);
        f.unsent = undefined;
      }
    }
    return sent;
  }

  /** Passes until the signal aborts; the server being away is waited out, a refusal ends the watch. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const sent = await this.pass();
        if (sent) this.opts.log(`sent ${sent} events`);
        failures = 0;
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        failures++;
        this.opts.log(`${err.message}; retrying`);
      }
      const wait = failures ? Math.min(30_000, this.opts.intervalMs * 2 ** failures) : this.opts.intervalMs;
      // Rejects when aborted, which ends the loop.
      await sleep(wait, undefined, { signal }).catch(() => {});
    }
  }

  async close(): Promise<void> {
    for (const f of this.followed.values()) await f.follower.close();
  }

  private async discover(): Promise<void> {
    if (!this.state) {
      const st = await stat(this.target).catch(() => undefined);
      this.isDirectory = st?.isDirectory() ?? false;
      this.stateFile = this.opts.stateFile ?? defaultStatePath(this.target);
      this.state = loadState(this.stateFile);
      // Before sending anything: a position that cannot be kept would resend everything next time.
      saveState(this.stateFile, this.state);
    }
    const files = this.isDirectory ? await eventFiles(this.target) : [this.target];
    for (const file of files) {
      if (this.followed.has(file)) continue;
      this.followed.set(file, { follower: new FileFollower(file, this.state.files[file], this.opts.format), runName: this.runNameOf(file) });
    }
  }

  /** A single file's run is --run or named after the file; under a log directory, after the run directory. */
  private runNameOf(file: string): string {
    if (!this.isDirectory) return this.opts.run ?? runNameFor(file);
    const base = this.opts.run ?? path.basename(this.target);
    const rel = path.relative(this.target, path.dirname(file)).split(path.sep).join('/');
    return rel ? `${base}/${rel}` : base;
  }

  private async runId(name: string): Promise<string> {
    const runs = this.state!.runs;
    runs[name] ??= await this.client.ensureRun(name, this.opts.project);
    return runs[name];
  }

  private async deliver(f: Followed, polled: Polled): Promise<number> {
    const state = this.state!;
    if (polled.events.length) {
      try {
        await this.client.post(await this.runId(f.runName), polled.events);
      } catch (err) {
        if (!(err instanceof RejectedError)) throw err;
        if (err.status !== 404) throw new RejectedError(`${f.follower.file}: ${err.message}`, err.status);
        // The server lost the run (a new database): create it again and send the batch there.
        delete state.runs[f.runName];
        await this.client.post(await this.runId(f.runName), polled.events);
      }
    }
    // Only once the server has them: a crash before this line resends them, and their keys dedupe.
    f.follower.state = polled.next;
    state.files[f.follower.file] = polled.next;
    saveState(this.stateFile, state);
    if (polled.events.length) this.opts.onBatch?.({ file: f.follower.file, run: state.runs[f.runName], events: polled.events.length });
    return polled.events.length;
  }
}
