// `analyst watch`: tails a growing log / CSV / JSONL file or a TensorBoard log directory into a server.
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { FileFormat } from '../files/detect.ts';
import { FileEnding } from '../files/ending.ts';
import { runNameFor } from '../files/run-name.ts';
import { isEventFileName, isPartName, nameByPart } from '../tfevents/event-file.ts';
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
  /**
   * While following (not --once): a run whose file has not grown for this long is finished as the
   * file ends (completed, or failed on a crash); more data later runs it again. 0: only on stop.
   */
  idleMs?: number;
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

/** A run's file ending, followed over what this watch sent since the run last finished. */
interface Unfinished {
  ending: FileEnding;
  /** When this watch last sent the run something (its own clock). */
  sentAt: number;
}

interface Followed {
  follower: FileFollower;
  runName: string;
  /** The run's directory: the file's own, or the one above a part's (see isPartName). */
  runDir: string;
  /** The part of the run the file holds, whose name its tags take (`validation/epoch_loss`). */
  part?: string;
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

/** A part's events with each tag named by the part, once, as read (a batch sent again keeps its names). */
function named(f: Followed, polled: Polled | undefined): Polled | undefined {
  if (polled && f.part !== undefined) nameByPart(f.part, polled.events);
  return polled;
}

export class Watcher {
  private readonly client: ServerClient;
  private readonly followed = new Map<string, Followed>();
  private readonly unfinished = new Map<string, Unfinished>();
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
        f.unsent ??= named(f, await f.follower.poll());
        if (!f.unsent) break;
        sent += await this.deliver(f, f.unsent);
        f.unsent = undefined;
      }
    }
    return sent;
  }

  /**
   * Passes until the signal aborts; the server being away is waited out, a refusal ends the
   * watch. A run idle for `idleMs` is finished, and every run is when the watch stops.
   */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const sent = await this.pass();
        if (sent) this.opts.log(`sent ${sent} events`);
        if (this.opts.idleMs) await this.finish(true, Date.now() - this.opts.idleMs);
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
    await this.finish(true).catch((err: Error) => this.opts.log(`could not finish the runs: ${err.message}`));
  }

  /**
   * Ends the runs this watch sent data to as their files end: completed, or failed on a crash or
   * a last loss that is not a number, at the file's last time. `live`: the data was followed as it
   * was written, so a file without times ends now, not timeless. Only runs idle since `idleSince`
   * when given. Returns how many runs were finished.
   */
  async finish(live = false, idleSince = Infinity): Promise<number> {
    let finished = 0;
    for (const [runName, u] of this.unfinished) {
      if (u.sentAt > idleSince) continue;
      const end = u.ending.ending();
      if (live) delete end.timed;
      // The positions acknowledged so far: a finish sent again after a crash is stored once.
      const files = [...this.followed.values()].filter((f) => f.runName === runName).map((f) => `${f.follower.state.gen}.${f.follower.state.events}`);
      end.event_id = `end:${files.join('-')}:${runName}`.slice(0, 200);
      // The run this watch delivered the file's events to.
      const id = this.state?.runs[runName];
      if (!id) continue;
      await this.client.post(id, [end]);
      this.unfinished.delete(runName);
      this.opts.log(`${runName}: ${end.status}${end.reason ? ` (${end.reason})` : ''}`);
      finished++;
    }
    return finished;
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
      const dir = path.dirname(file);
      // Keras's `train/` and `validation/` feed the run above them, each tag named by its part.
      const part = this.isDirectory && dir !== this.target && isPartName(path.basename(dir)) ? path.basename(dir) : undefined;
      const runDir = part === undefined ? dir : path.dirname(dir);
      const follower = new FileFollower(file, this.state.files[file], this.opts.format, part === undefined ? undefined : `${part}/${path.basename(file)}`);
      this.followed.set(file, { follower, runName: this.runNameOf(file, runDir), runDir, part });
    }
  }

  /** A single file's run is --run or named after the file; under a log directory, after the run directory. */
  private runNameOf(file: string, runDir: string): string {
    if (!this.isDirectory) return this.opts.run ?? runNameFor(file);
    const base = this.opts.run ?? path.basename(this.target);
    const rel = path.relative(this.target, runDir).split(path.sep).join('/');
    return rel ? `${base}/${rel}` : base;
  }

  /**
   * The run a file feeds: the one this watch made for it (kept in the state), else a new one. Its
   * create is keyed by the file's identity (path, inode, birth time) with the run's name and
   * project, so a create retried, or made again after the state was lost, returns the file's own
   * run, while a new file, even one with a name used before, makes a new run.
   */
  private async runId(f: Followed): Promise<string> {
    const runs = this.state!.runs;
    if (runs[f.runName]) return runs[f.runName];
    // Under a log directory the run is the directory that holds its event files (or its parts).
    const origin = this.isDirectory ? f.runDir : f.follower.file;
    const st = await stat(origin);
    const identity = JSON.stringify([origin, st.dev, st.ino, st.birthtimeMs, this.opts.project, f.runName]);
    const key = `watch-${createHash('sha256').update(identity).digest('hex').slice(0, 40)}`;
    runs[f.runName] = await this.client.createRun(f.runName, this.opts.project, key);
    return runs[f.runName];
  }

  private async deliver(f: Followed, polled: Polled): Promise<number> {
    const state = this.state!;
    if (polled.events.length) {
      let u = this.unfinished.get(f.runName);
      if (!u) this.unfinished.set(f.runName, (u = { ending: new FileEnding(), sentAt: 0 }));
      // Before sending: the file's times it gives untimed events are sent with them.
      u.ending.take(polled.events);
      u.sentAt = Date.now();
      try {
        await this.client.post(await this.runId(f), polled.events);
      } catch (err) {
        if (!(err instanceof RejectedError)) throw err;
        if (err.status !== 404) throw new RejectedError(`${f.follower.file}: ${err.message}`, err.status);
        // The server lost the run (a new database): create it again and send the batch there. A run
        // deleted on purpose answers 410 instead, which ends the watch rather than bringing it back.
        delete state.runs[f.runName];
        await this.client.post(await this.runId(f), polled.events);
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
