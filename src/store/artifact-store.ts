import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { AnalystError } from '../domain/errors.ts';

export interface ArtifactEntry {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** A name segment that is an ordinary file or folder name: no traversal, no hidden temp files of ours, no control characters. */
const SEGMENT = /^(?!\.{1,2}$)(?!\.upload-)[^/\\\0-\x1f]{1,255}$/;

/**
 * Artifacts on local disk, under one root, addressed by MLflow's relative paths
 * (`<experiment>/<run>/artifacts/<file>`). Nothing outside the root can be named: every segment
 * is checked, and absolute paths, `..` and backslashes are refused.
 */
export class ArtifactStore {
  constructor(
    readonly root: string,
    readonly maxBytes: number,
  ) {}

  /** The file a relative path names; '' is the root itself. */
  resolve(relative: string): string {
    if (relative.startsWith('/') || relative.includes('//')) throw new AnalystError('invalid_body', `artifact path '${relative}' is not a relative path`);
    const segments = relative.split('/').filter((s) => s !== '');
    for (const s of segments) {
      if (!SEGMENT.test(s)) throw new AnalystError('invalid_body', `artifact path '${relative}' has a part that is not a plain name: '${s.slice(0, 40)}'`);
    }
    const full = path.resolve(this.root, ...segments);
    if (full !== path.resolve(this.root) && !full.startsWith(path.resolve(this.root) + path.sep)) {
      throw new AnalystError('invalid_body', `artifact path '${relative}' leaves the artifact folder`);
    }
    return full;
  }

  /**
   * Writes a file from a stream: into a temporary file beside it, synced, then renamed, so a
   * file is either whole or absent, and an upload over the limit leaves nothing.
   */
  async put(relative: string, body: ReadableStream<Uint8Array> | null): Promise<number> {
    const target = this.resolve(relative);
    if (target === path.resolve(this.root)) throw new AnalystError('invalid_body', 'an artifact upload needs a file path');
    await mkdir(path.dirname(target), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST' || err.code === 'ENOTDIR') throw new AnalystError('conflict', `artifact path '${relative}' runs through a file`);
      throw err;
    });
    const existing = await stat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw new AnalystError('conflict', `artifact path '${relative}' is a folder`);
    const temp = path.join(path.dirname(target), `.upload-${randomUUID()}`);
    let bytes = 0;
    const limit = this.maxBytes;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > limit) return done(new AnalystError('too_large', `artifact exceeds the limit of ${limit} bytes (ANALYST_MAX_ARTIFACT_BYTES)`));
        done(null, chunk);
      },
    });
    try {
      const source = body ? Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>) : Readable.from([]);
      await pipeline(source, counter, createWriteStream(temp));
      const handle = await open(temp, 'r');
      await handle.sync().finally(() => handle.close());
      await rename(temp, target);
      return bytes;
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** A file's size and a stream of it; undefined when there is no such file. */
  async read(relative: string): Promise<{ size: number; stream: () => ReadStream } | undefined> {
    const full = this.resolve(relative);
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return { size: info.size, stream: () => createReadStream(full) };
  }

  /** A folder's entries, paths relative to it, as MLflow lists them; undefined for a file or nothing. */
  async list(relative: string): Promise<ArtifactEntry[] | undefined> {
    const full = this.resolve(relative);
    const entries = await readdir(full, { withFileTypes: true }).catch(() => undefined);
    if (!entries) return undefined;
    const out: ArtifactEntry[] = [];
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.upload-')) continue;
      if (e.isDirectory()) out.push({ path: e.name, is_dir: true });
      else if (e.isFile()) out.push({ path: e.name, is_dir: false, file_size: (await stat(path.join(full, e.name))).size });
    }
    return out;
  }

  /** Every file under a folder, paths relative to it. */
  async walk(relative: string): Promise<ArtifactEntry[]> {
    const out: ArtifactEntry[] = [];
    const visit = async (dir: string): Promise<void> => {
      for (const e of (await this.list(dir ? `${relative}/${dir}` : relative)) ?? []) {
        const p = dir ? `${dir}/${e.path}` : e.path;
        if (e.is_dir) await visit(p);
        else out.push({ ...e, path: p });
      }
    };
    await visit('');
    return out;
  }

  async delete(relative: string): Promise<void> {
    const full = this.resolve(relative);
    if (full === path.resolve(this.root)) throw new AnalystError('invalid_body', 'the artifact folder itself cannot be deleted');
    await rm(full, { recursive: true, force: true });
  }
}
